"""Incremental validation agrees with full validation: on hundreds of random changes to the
shipped dataset joined with synthetic data, the incremental report equals the full report on
the nodes it checked, and no result changes on any node it did not check."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pyshacl_turbo.rdf import input_graph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD
from rdflib.term import Identifier

from ilbirs.graph import load_bundle
from ilbirs.graph.bundle import VALIDATED_KINDS
from ilbirs.graph.namespace import KG
from ilbirs.graph.store import EmbeddedStore, Triple
from ilbirs.graph.synthetic import generate
from ilbirs.graph.validation import Background, Validator, validation_graph
from ilbirs.graph.validation.incremental import (
    Change,
    GraphSource,
    OverlaySource,
    dependencies,
    validate_change,
)

CHANGES = 240
CLASSES = [KG.Country, KG.ProtectedArea, KG.EcologicalCorridor, KG.Animal, KG.Taxon, KG.Person, KG.Organization,
           KG.Post, KG.AnimalTransfer, KG.LegalAct, KG.Settlement, KG.NewsArticle, KG.Membership]  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Graph, Graph]:
    """(data graph: dataset + 4k synthetic triples + ontology, ontology graph)."""
    store = EmbeddedStore()
    load_bundle(store, kinds=VALIDATED_KINDS)
    synthetic = tmp_path_factory.mktemp("synthetic") / "synthetic.nq"
    synthetic.write_text("\n".join(generate(4_000, seed=7)) + "\n", encoding="utf-8")
    store.load_file(synthetic)
    onto = EmbeddedStore()
    load_bundle(onto, kinds=frozenset({"ontology", "vocabulary", "alignment"}))
    ontology = Graph()
    for triple in onto.triples():
        ontology.add(triple)
    return validation_graph(store), ontology


def mutation(rng: random.Random, graph: Graph, triples: list[Triple], nodes: list[Identifier]) -> Change:
    """One random change: valid or invalid, small or entity-sized."""
    kind = rng.randrange(10)
    s, p, o = rng.choice(triples)
    if kind == 0:  # drop a triple
        return Change(removed=frozenset({(s, p, o)}))
    if kind == 1:  # point a property at a node of another kind
        return Change(added=frozenset({(s, p, rng.choice(nodes))}), removed=frozenset({(s, p, o)}))
    if kind == 2:  # retype a node
        node = rng.choice(nodes)
        old = set(graph.triples((node, RDF.type, None)))
        return Change(added=frozenset({(node, RDF.type, rng.choice(CLASSES))}), removed=frozenset(old))  # type: ignore[arg-type]
    if kind == 3:  # untype a node
        node = rng.choice(nodes)
        return Change(removed=frozenset(graph.triples((node, RDF.type, None))))  # type: ignore[arg-type]
    if kind == 4:  # a literal of the wrong kind
        if isinstance(o, Literal):
            bad = rng.choice(
                [Literal(str(o)), Literal(str(o), lang="en"), Literal(-1), Literal("x", datatype=XSD.date)]
            )
            return Change(added=frozenset({(s, p, bad)}), removed=frozenset({(s, p, o)}))
        return Change(added=frozenset({(s, p, Literal("a string"))}))
    if kind == 5:  # remove an entity
        node = rng.choice(nodes)
        return Change(removed=frozenset(graph.triples((node, None, None))))  # type: ignore[arg-type]
    if kind == 6:  # add a new entity, half of them broken
        new = URIRef(f"https://example.org/new/{rng.randrange(10**9)}")
        cls = rng.choice(CLASSES)
        added = {(new, RDF.type, cls), (new, SKOS.prefLabel, Literal("New", lang="en"))}
        if rng.random() < 0.5:
            added.add((new, rng.choice([KG.connects, KG.ofTaxon, KG.post, KG.area]), rng.choice(nodes)))
        return Change(added=frozenset(added))
    if kind == 7:  # a second value where one is allowed, or a duplicate label
        return Change(
            added=frozenset(
                {(s, p, rng.choice(nodes) if not isinstance(o, Literal) else Literal("other", lang="en"))}
            )
        )
    if kind == 8:  # mark a place transboundary, or move it
        node = rng.choice(nodes)
        return Change(
            added=frozenset(
                {
                    (node, KG.transboundary, Literal(True)),
                    (node, URIRef("https://schema.org/containedInPlace"), rng.choice(nodes)),
                }
            )
        )
    node = rng.choice(nodes)  # drop every English label of a node
    labels = {
        t for t in graph.triples((node, SKOS.prefLabel, None)) if getattr(t[2], "language", None) == "en"
    }
    return Change(removed=frozenset(labels))  # type: ignore[arg-type]


def apply(graph: Graph, change: Change) -> None:
    for t in change.removed:
        graph.remove(t)
    for t in change.added:
        graph.add(t)


def revert(graph: Graph, change: Change, before: set[Triple]) -> None:
    for t in change.added:
        if t not in before:
            graph.remove(t)
    for t in change.removed:
        graph.add(t)


def test_incremental_agrees_with_full_validation(world: tuple[Graph, Graph]) -> None:
    graph, ontology = world
    validator = Validator()
    depends = dependencies(validator)
    rng = random.Random(20261124)
    data_triples: list[Triple] = [t for t in graph if t not in ontology]  # type: ignore[misc]
    nodes = sorted({t[0] for t in data_triples if not isinstance(t[0], BNode)}, key=str)
    before = validator.validate(graph)
    assert before.conforms
    outcomes = {"valid": 0, "invalid": 0}
    for _ in range(CHANGES):
        change = mutation(rng, graph, data_triples, nodes)
        present = {t for t in change.triples if t in graph}
        # Checked before the write, through an overlay of the change on the current graph ...
        ahead = validate_change(
            validator, OverlaySource(GraphSource(graph), change), change, ontology=ontology, depends=depends
        )
        apply(graph, change)
        try:
            incremental = validate_change(
                validator, GraphSource(graph), change, ontology=ontology, depends=depends
            )
            full = validator.validate(graph)
        finally:
            revert(graph, change, present)
        focus = incremental.focus_nodes or frozenset()
        inside = sorted(r.key for r in full.results if r.focus_node in focus)
        assert sorted(r.key for r in incremental.results) == inside, change
        # ... it says exactly what checking after the write says.
        assert sorted(r.key for r in ahead.results) == inside, change
        outside_after = sorted(r.key for r in full.results if r.focus_node not in focus)
        outside_before = sorted(r.key for r in before.results if r.focus_node not in focus)
        assert outside_after == outside_before, f"a result changed outside the checked nodes: {change}"
        assert incremental.conforms == full.conforms
        outcomes["valid" if full.conforms else "invalid"] += 1
    assert outcomes["valid"] >= 30 and outcomes["invalid"] >= 30, outcomes
    assert sorted(r.key for r in validator.validate(graph).results) == sorted(r.key for r in before.results)


def test_a_one_entity_change_checks_few_nodes(world: tuple[Graph, Graph]) -> None:
    graph, ontology = world
    validator = Validator()
    umai = URIRef("https://w3id.org/ilbirs/id/animal/umai")
    change = Change(added=frozenset({(umai, SKOS.altLabel, Literal("Umay", lang="en"))}))
    apply(graph, change)
    try:
        report = validate_change(validator, GraphSource(graph), change, ontology=ontology)
    finally:
        revert(graph, change, set())
    assert report.conforms
    assert report.focus_nodes == frozenset({umai})


def test_a_broken_change_is_reported_on_its_node(world: tuple[Graph, Graph]) -> None:
    graph, ontology = world
    validator = Validator()
    umai = URIRef("https://w3id.org/ilbirs/id/animal/umai")
    change = Change(added=frozenset({(umai, KG.ofTaxon, URIRef("https://w3id.org/ilbirs/id/country/kg"))}))
    apply(graph, change)
    try:
        report = validate_change(validator, GraphSource(graph), change, ontology=ontology)
    finally:
        revert(graph, change, set())
    assert not report.conforms
    assert {(str(r.shape).rsplit("/", 1)[1], r.focus_node) for r in report.violations} >= {
        ("Animal-ofTaxon", umai)
    }


def test_synthetic_data_is_not_mistaken_for_real(world: tuple[Graph, Graph]) -> None:
    graph, _ = world
    synthetic = {s for s in graph.subjects() if str(s).startswith("https://example.org/synthetic/")}
    assert synthetic
    assert not any(str(s).startswith("https://w3id.org/ilbirs/id/") for s in synthetic)
    assert Path


def test_an_encoded_background_validates_as_the_union_graph(world: tuple[Graph, Graph]) -> None:
    """``Validator.validate_over`` (the ontology encoded once, the neighbourhood added to a copy
    of the encoding) encodes the union as pyshacl-turbo encodes it from a graph, and reports
    what validating that graph reports."""
    graph, ontology = world
    validator = Validator()
    umai = URIRef("https://w3id.org/ilbirs/id/animal/umai")
    broken = (umai, KG.ofTaxon, URIRef("https://w3id.org/ilbirs/id/country/kg"))
    triples = {t for t in graph if t not in ontology and t[0] == umai} | {broken}  # type: ignore[misc]
    triples |= {t for t in ontology if t[0] == KG.Animal}  # a triple of both is encoded once
    union = Graph()
    union += ontology
    for triple in triples:
        union.add(triple)
    background = Background.of(ontology)

    def decoded(records: list[tuple[object, ...]], rows: list[tuple[int, ...]]) -> list[tuple[object, ...]]:
        return sorted((records[s], records[p], records[o], g) for s, p, o, g in rows)  # type: ignore[return-value]

    ours = background.with_triples(triples)
    theirs = input_graph(union, direct=True)
    assert decoded(*ours.source) == decoded(*theirs.source)  # type: ignore[misc]
    assert len(ours.source[1]) == len(union)
    over = validator.validate_over(background, triples, focus_nodes={umai})
    whole = validator.validate(union, focus_nodes={umai}, only_focus=False)
    assert not over.conforms
    assert sorted(r.key for r in over.results) == sorted(r.key for r in whole.results)
