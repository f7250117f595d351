"""Validation against the Ilbirs shapes: full, or incremental for a change.

``Validator`` runs the shipped shapes (``shapes/*.ttl``); ``validation_graph`` builds the graph
it validates from a store; ``validate_change`` validates only what a change can affect.
"""

from __future__ import annotations

from .data import english_labels, graph_markers, validation_graph
from .engine import Background, Engine, Validator, load_shapes
from .report import Severity, ValidationReport, ValidationResult, report_graph, report_json

__all__ = [
    "Background",
    "Engine",
    "Severity",
    "ValidationReport",
    "ValidationResult",
    "Validator",
    "english_labels",
    "graph_markers",
    "load_shapes",
    "report_graph",
    "report_json",
    "validation_graph",
]
