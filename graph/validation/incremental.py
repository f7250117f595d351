"""Incremental validation: validate only the focus nodes a change can affect, on the part of
the graph the shapes can see from them, and agree with full validation on those nodes.

Which nodes a change can affect follows from what the shapes read:

* every subject and (non-literal) object of a changed triple;
* a node that points at a changed node, when the changed predicate is one its shapes read
  one hop away: ``rdf:type`` (for ``sh:class``), the properties of a shape reached through
  ``sh:node``, and the predicates the SHACL-SPARQL constraints read (``DEPENDS_SPARQL``);
* along ``schema:containedInPlace``, read transitively by the transboundary rule, every node
  that reaches a changed node through it.

The neighbourhood validated is the focus nodes' outgoing triples, their values' outgoing
triples, the ``schema:containedInPlace`` chains above them, the incoming
``geo:hasDefaultGeometry`` triples (a target rule), and the ontology.
``tests/graph/test_incremental.py`` holds the engine to full validation on random changes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection as RdfList
from rdflib.namespace import DCTERMS, RDF, SDO, SH, SKOS
from rdflib.term import Identifier

from ilbirs.graph.namespace import KG
from ilbirs.graph.store import Triple

from .engine import Background, Validator
from .report import ValidationReport

__all__ = [
    "Change",
    "Dependencies",
    "GraphSource",
    "OverlaySource",
    "TripleSource",
    "affected_nodes",
    "dependencies",
    "neighbourhood",
    "validate_change",
]

GEO_HAS_DEFAULT_GEOMETRY = URIRef("http://www.opengis.net/ont/geosparql#hasDefaultGeometry")
PROV_HAD_PRIMARY_SOURCE = URIRef("http://www.w3.org/ns/prov#hadPrimarySource")
#: Read transitively by a SHACL-SPARQL rule (transboundary corridors).
TRANSITIVE = frozenset({SDO.containedInPlace})
#: What the SHACL-SPARQL constraints read one hop from the focus: (hop predicate, predicate read there).
DEPENDS_SPARQL: frozenset[tuple[URIRef | None, URIRef]] = frozenset(
    {
        (KG.connects, RDF.type),
        (PROV_HAD_PRIMARY_SOURCE, SKOS.prefLabel),
        (PROV_HAD_PRIMARY_SOURCE, DCTERMS.title),
        (PROV_HAD_PRIMARY_SOURCE, DCTERMS.bibliographicCitation),
        (SDO.containedInPlace, RDF.type),
        (SDO.containedInPlace, SDO.containedInPlace),
    }
)


class TripleSource(Protocol):
    """Read access to the graph *after* the change (the union of all graphs)."""

    def outgoing(self, nodes: Collection[Identifier]) -> Iterator[Triple]:
        """Every triple whose subject is one of ``nodes``."""
        ...

    def incoming(self, nodes: Collection[Identifier], predicate: URIRef | None = None) -> Iterator[Triple]:
        """Every triple whose object is one of ``nodes`` (and whose predicate is ``predicate``)."""
        ...


@dataclass
class GraphSource:
    """A ``TripleSource`` over an rdflib graph."""

    graph: Graph

    def outgoing(self, nodes: Collection[Identifier]) -> Iterator[Triple]:
        for node in nodes:
            yield from self.graph.triples((node, None, None))  # type: ignore[misc]

    def incoming(self, nodes: Collection[Identifier], predicate: URIRef | None = None) -> Iterator[Triple]:
        for node in nodes:
            yield from self.graph.triples((None, predicate, node))  # type: ignore[misc]


@dataclass
class OverlaySource:
    """The graph as it would be after ``change``, read through ``base`` (the graph as it is),
    without writing anything: validate a change before applying it."""

    base: TripleSource
    change: Change

    def outgoing(self, nodes: Collection[Identifier]) -> Iterator[Triple]:
        wanted = set(nodes)
        for triple in self.base.outgoing(wanted):
            if triple not in self.change.removed:
                yield triple
        yield from (t for t in self.change.added if t[0] in wanted)

    def incoming(self, nodes: Collection[Identifier], predicate: URIRef | None = None) -> Iterator[Triple]:
        wanted = set(nodes)
        for triple in self.base.incoming(wanted, predicate):
            if triple not in self.change.removed:
                yield triple
        yield from (t for t in self.change.added if t[2] in wanted and predicate in (None, t[1]))


@dataclass(frozen=True)
class Change:
    """Triples added and removed by one write."""

    added: frozenset[Triple] = field(default_factory=frozenset)
    removed: frozenset[Triple] = field(default_factory=frozenset)

    @property
    def triples(self) -> frozenset[Triple]:
        return self.added | self.removed


@dataclass(frozen=True)
class Dependencies:
    """What the shapes read beyond the focus node: ``pairs`` of (hop predicate, predicate read
    one hop away), and the ``nested`` paths whose values a shape validates with ``sh:node``
    (their results name the value as focus node), and the ``object_targets``: predicates
    whose objects are focus nodes (``sh:targetObjectsOf``), literals included."""

    pairs: frozenset[tuple[URIRef | None, URIRef]]
    nested: frozenset[URIRef]
    object_targets: frozenset[URIRef] = frozenset()


def dependencies(validator: Validator) -> Dependencies:
    """The dependencies of ``validator``'s shapes; compute once, pass to ``validate_change``."""
    shapes = validator.shapes
    nested = {
        p
        for shape, p in shapes.subject_objects(SH.path)
        if isinstance(p, URIRef) and (shape, SH.node, None) in shapes
    }
    object_targets = {p for p in shapes.objects(None, SH.targetObjectsOf) if isinstance(p, URIRef)}
    return Dependencies(_pairs(shapes), frozenset(nested), frozenset(object_targets))


def _pairs(shapes: Graph) -> frozenset[tuple[URIRef | None, URIRef]]:
    """(hop predicate, predicate read one hop away) pairs that the core constraints imply."""
    pairs: set[tuple[URIRef | None, URIRef]] = set(DEPENDS_SPARQL)
    for shape, path in shapes.subject_objects(SH.path):
        if not isinstance(path, URIRef):
            continue
        reads_class = (shape, SH["class"], None) in shapes
        for head in shapes.objects(shape, SH["or"]):
            reads_class |= any((m, SH["class"], None) in shapes for m in RdfList(shapes, head))
        if reads_class:
            pairs.add((path, RDF.type))
        for node_shape in shapes.objects(shape, SH.node):
            for inner in shapes.objects(node_shape, SH.property):
                inner_path = shapes.value(inner, SH.path)
                if isinstance(inner_path, URIRef):
                    pairs.add((path, inner_path))
    return frozenset(pairs)


def affected_nodes(source: TripleSource, change: Change, depends: Dependencies) -> set[Identifier]:
    """The nodes whose validation results the change can alter (see the module docstring)."""
    affected: set[Identifier] = set()
    reads: dict[URIRef, set[URIRef | None]] = {}
    for hop, read in depends.pairs:
        reads.setdefault(read, set()).add(hop)
    transitive_seeds: set[Identifier] = set()
    for s, p, o in change.triples:
        affected.add(s)
        if not isinstance(o, Literal) or p in depends.object_targets:  # a literal can be a target
            affected.add(o)
        hops = reads.get(p, set())
        if hops:
            for t in source.incoming([s]):
                if None in hops or t[1] in hops:
                    affected.add(t[0])
        if p in TRANSITIVE or p == RDF.type:
            transitive_seeds.add(s)
    # Everything that reaches a changed node along the transitive predicates.
    frontier = transitive_seeds
    seen = set(frontier)
    while frontier:
        nxt = {t[0] for pred in TRANSITIVE for t in source.incoming(frontier, pred)} - seen
        affected |= nxt
        seen |= nxt
        frontier = nxt
    return affected


def neighbourhood(source: TripleSource, focus: set[Identifier]) -> set[Triple]:
    """The part of the graph the shapes read when validating ``focus``."""
    first = list(source.outgoing(focus))
    values = {o for _, _, o in first if not isinstance(o, Literal)}
    second = list(source.outgoing(values))
    triples = {*first, *second, *source.incoming(focus, GEO_HAS_DEFAULT_GEOMETRY)}
    frontier: set[Identifier] = {o for _, p, o in [*first, *second] if p in TRANSITIVE}
    seen: set[Identifier] = set(frontier)
    while frontier:
        step = list(source.outgoing(frontier))
        triples.update(step)
        frontier = {o for _, p, o in step if p in TRANSITIVE and o not in seen}
        seen |= frontier
    return triples


def validate_change(
    validator: Validator,
    source: TripleSource,
    change: Change,
    *,
    ontology: Graph | Background,
    depends: Dependencies | None = None,
) -> ValidationReport:
    """Validate the graph *after* ``change`` (read through ``source``) for the nodes the change
    can affect only. ``ontology`` (classes and vocabularies) joins every neighbourhood; pass
    it as a ``Background`` (encoded once) when validating many changes.

    The report's ``focus_nodes`` are the affected nodes and the values they validate through
    ``sh:node`` (whose results name the value as focus node)."""
    deps = depends if depends is not None else dependencies(validator)
    focus = affected_nodes(source, change, deps)
    triples = neighbourhood(source, focus)  # it holds every statement of the focus nodes
    nested: set[Identifier] = {o for s, p, o in triples if s in focus and p in deps.nested}
    background = ontology if isinstance(ontology, Background) else Background.of(ontology)
    report = validator.validate_over(background, triples, focus_nodes=focus)
    checked = frozenset(focus | nested)
    kept = [r for r in report.results if r.focus_node in checked]
    return ValidationReport.of(kept, report.engine, checked)
