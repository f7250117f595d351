"""The SHACL engine: the shipped shapes, compiled once, run by pyshacl-turbo (the fast path)
or pyshacl (the reference). Both must report the same results; a test holds them to it.

Measured on the shipped bundle (about 2,000 triples, 2026-11): pyshacl 1.9 s, pyshacl-turbo
0.02 s per full validation, with identical results.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import pyshacl
import pyshacl_turbo
from rdflib import Graph, URIRef
from rdflib.term import Identifier

from ilbirs.graph.resources import shapes_dir

from .report import ValidationReport, results_from_graph

__all__ = ["Engine", "Validator", "load_shapes"]


class Engine(StrEnum):
    """Which SHACL implementation runs."""

    TURBO = "pyshacl-turbo"
    PYSHACL = "pyshacl"


def load_shapes() -> Graph:
    """The shipped shapes, ``shapes/*.ttl``, as one graph."""
    graph = Graph()
    for path in sorted(shapes_dir().glob("*.ttl")):
        graph.parse(data=path.read_text(encoding="utf-8"), format="turtle")
    return graph


class Validator:
    """Validates data graphs against a shapes graph that is parsed and compiled once.

    The data graph must hold the ontology and vocabularies too: ``sh:class`` follows
    ``rdfs:subClassOf`` in the data, as SHACL specifies.
    """

    def __init__(self, shapes: Graph | None = None, *, engine: Engine = Engine.TURBO) -> None:
        self.shapes = shapes if shapes is not None else load_shapes()
        self.engine = engine
        self._compiled: Any = (
            pyshacl_turbo.compile_shapes(self.shapes)  # type: ignore[no-untyped-call]
            if engine is Engine.TURBO
            else None
        )

    def validate(
        self, data: Graph, *, focus_nodes: Iterable[Identifier] | None = None, only_focus: bool = True
    ) -> ValidationReport:
        """Validate ``data``; with ``focus_nodes``, validate only those nodes.

        With ``only_focus`` (the default), results are for the focus nodes only, whatever the
        engine reports about other nodes (such as the values a shape checks with ``sh:node``).
        """
        focus = frozenset(focus_nodes) if focus_nodes is not None else None
        if focus is not None and not focus:
            return ValidationReport.of([], self.engine.value, focus)
        options: dict[str, Any] = {"allow_warnings": True, "allow_infos": True}
        if focus is not None and all(isinstance(node, URIRef) for node in focus):
            # The engines name focus nodes by IRI; with a blank node among them, validate the
            # whole (small) graph and keep the focus nodes' results below.
            options["focus_nodes"] = sorted(focus, key=str)
        if self.engine is Engine.TURBO:
            _, report_graph, _ = self._compiled.validate(data, **options)
        else:
            _, report_graph, _ = pyshacl.validate(data, shacl_graph=self.shapes, **options)
        results = results_from_graph(report_graph)
        if focus is not None and only_focus:
            results = [r for r in results if r.focus_node in focus]
        return ValidationReport.of(results, self.engine.value, focus)
