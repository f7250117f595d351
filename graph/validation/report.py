"""Typed validation results: what a steward reads, what the API returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Identifier, Node

__all__ = ["Severity", "ValidationReport", "ValidationResult", "report_graph", "results_from_graph"]


class Severity(StrEnum):
    """SHACL severities, most severe first. Only a Violation makes a graph non-conforming."""

    VIOLATION = "Violation"
    WARNING = "Warning"
    INFO = "Info"

    @classmethod
    def from_iri(cls, iri: Node | None) -> Severity:
        """The severity named by a SHACL severity IRI; anything else counts as a Violation.

        >>> Severity.from_iri(SH.Warning)
        <Severity.WARNING: 'Warning'>
        """
        if iri == SH.Warning:
            return cls.WARNING
        if iri == SH.Info:
            return cls.INFO
        return cls.VIOLATION


@dataclass(frozen=True, order=True)
class ValidationResult:
    """One SHACL validation result.

    ``shape`` is what fired: the SPARQL constraint (``sh:sourceConstraint``) for a SHACL-SPARQL
    rule, otherwise the shape (``sh:sourceShape``); readable IRIs such as
    ``shapes:Animal-ofTaxon``. ``path`` is the predicate for simple paths, ``None`` otherwise.
    """

    focus_node: Identifier
    shape: Identifier
    severity: Severity
    message: str
    path: URIRef | None = None
    value: Identifier | None = None
    source_shape: Identifier | None = field(default=None, compare=False)
    component: URIRef | None = None

    @property
    def key(self) -> tuple[str, ...]:
        """A stable identity for comparing results between engines and runs (blank-node shapes
        of ``sh:or`` members vary; their parent's identity does not)."""
        return (
            str(self.focus_node),
            str(self.shape) if isinstance(self.shape, URIRef) else "_:",
            self.severity.value,
            str(self.path or ""),
            str(self.value or ""),
            str(self.component or ""),
        )


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation: ``conforms`` is False when any result is a Violation.

    ``focus_nodes`` is ``None`` for a full validation, or the nodes an incremental validation
    checked; ``engine`` names the SHACL engine that ran.
    """

    conforms: bool
    results: list[ValidationResult]
    engine: str
    focus_nodes: frozenset[Identifier] | None = None

    @classmethod
    def of(
        cls, results: list[ValidationResult], engine: str, focus_nodes: frozenset[Identifier] | None = None
    ) -> ValidationReport:
        """The report for ``results``: it conforms unless one of them is a Violation."""
        return cls(not any(r.severity is Severity.VIOLATION for r in results), results, engine, focus_nodes)

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity is Severity.VIOLATION]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity is Severity.WARNING]

    def counts(self) -> dict[str, int]:
        """Results per severity, every severity present: ``{"Violation": 0, "Warning": 2, "Info": 0}``."""
        return {s.value: sum(1 for r in self.results if r.severity is s) for s in Severity}


def _first(graph: Graph, subject: Node, predicate: URIRef) -> Node | None:
    return next(iter(graph.objects(subject, predicate)), None)


def _message(graph: Graph, result: Node) -> str:
    messages = [m for m in graph.objects(result, SH.resultMessage) if isinstance(m, Literal)]
    english = [m for m in messages if m.language in (None, "en")]
    chosen = english or messages
    return str(sorted(chosen, key=str)[0]) if chosen else ""


def results_from_graph(graph: Graph) -> list[ValidationResult]:
    """The results of a SHACL validation report graph, sorted for stable output."""
    results = []
    for node in graph.subjects(RDF.type, SH.ValidationResult):
        focus = _first(graph, node, SH.focusNode)
        source_shape = _first(graph, node, SH.sourceShape)
        constraint = _first(graph, node, SH.sourceConstraint)
        path = _first(graph, node, SH.resultPath)
        value = _first(graph, node, SH.value)
        component = _first(graph, node, SH.sourceConstraintComponent)
        shape = constraint if isinstance(constraint, URIRef) else source_shape
        if focus is None or shape is None:  # pragma: no cover - not a SHACL-conformant report
            continue
        results.append(
            ValidationResult(
                focus_node=focus,  # type: ignore[arg-type]
                shape=shape if isinstance(shape, URIRef | BNode) else BNode(),
                severity=Severity.from_iri(_first(graph, node, SH.resultSeverity)),
                message=_message(graph, node),
                path=path if isinstance(path, URIRef) else None,
                value=value,  # type: ignore[arg-type]
                source_shape=source_shape,  # type: ignore[arg-type]
                component=component if isinstance(component, URIRef) else None,
            )
        )
    return sorted(results, key=lambda r: r.key)


def report_graph(report: ValidationReport) -> Graph:
    """``report`` as a SHACL validation report graph (``sh:ValidationReport``), engine-neutral."""
    graph = Graph()
    graph.bind("sh", SH)
    root = BNode()
    graph.add((root, RDF.type, SH.ValidationReport))
    graph.add((root, SH.conforms, Literal(report.conforms)))
    severities = {Severity.VIOLATION: SH.Violation, Severity.WARNING: SH.Warning, Severity.INFO: SH.Info}
    for result in report.results:
        node = BNode()
        graph.add((root, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, result.focus_node))
        graph.add((node, SH.resultSeverity, severities[result.severity]))
        graph.add((node, SH.resultMessage, Literal(result.message, lang="en")))
        graph.add((node, SH.sourceShape, result.source_shape or result.shape))
        if result.shape != result.source_shape:
            graph.add((node, SH.sourceConstraint, result.shape))
        if result.path is not None:
            graph.add((node, SH.resultPath, result.path))
        if result.value is not None:
            graph.add((node, SH.value, result.value))
        if result.component is not None:
            graph.add((node, SH.sourceConstraintComponent, result.component))
    return graph


def report_json(report: ValidationReport, labels: dict[Identifier, str] | None = None) -> dict[str, object]:
    """The report as JSON for programs: conformance, counts per severity, and every result
    (with the English label of its focus node, when ``labels`` has one)."""
    return {
        "conforms": report.conforms,
        "engine": report.engine,
        "counts": report.counts(),
        "results": [
            {
                "focus_node": str(r.focus_node),
                "focus_label": (labels or {}).get(r.focus_node),
                "shape": str(r.shape),
                "severity": r.severity.value,
                "path": str(r.path) if r.path else None,
                "value": str(r.value) if r.value is not None else None,
                "message": r.message,
            }
            for r in report.results
        ],
    }
