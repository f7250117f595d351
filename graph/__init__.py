"""``ilbirs.graph``: everything about the knowledge graph that is not HTTP.

Store access (``ilbirs.graph.store``), the shipped files (``resources``), loading
(``bundle``), the quality checks (``checks``), summaries (``info``) and the SPARQL files
(``sparql``). Calls go one way: ``ilbirs.api`` -> ``ilbirs.graph`` -> ``ilbirs.graph.store``.
"""

from __future__ import annotations

from .bundle import LoadedFile, bundle_loaded, ensure_bundle, load_bundle
from .checks import CheckResult, run_checks
from .errors import IlbirsError, ParseError, QueryError, StoreError
from .info import GraphCount, Info, describe

__all__ = [
    "CheckResult",
    "GraphCount",
    "IlbirsError",
    "Info",
    "LoadedFile",
    "ParseError",
    "QueryError",
    "StoreError",
    "bundle_loaded",
    "describe",
    "ensure_bundle",
    "load_bundle",
    "run_checks",
]
