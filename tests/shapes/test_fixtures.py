"""Every shape has a valid fixture (nothing fires) and an invalid one (that shape fires, on the
focus node the fixture names), named after the shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from ilbirs.graph.validation import Validator, load_shapes

from .conftest import FIXTURES, expectation, fixture_graph

SHAPES = load_shapes()
VALIDATOR = Validator(SHAPES)
PREFIX = "https://w3id.org/ilbirs/shapes/"


def shapes_needing_fixtures(shapes: Graph) -> list[URIRef]:
    """Shapes with a target, shapes attached by sh:property / sh:node, SPARQL constraints."""
    found: set[URIRef] = set()
    for predicate in (SH.targetClass, SH.targetObjectsOf):
        found |= {s for s in shapes.subjects(predicate, None) if isinstance(s, URIRef)}
    for predicate in (SH.property, SH.sparql, SH.node):
        found |= {o for o in shapes.objects(None, predicate) if isinstance(o, URIRef)}
    return sorted(s for s in found if str(s).startswith(PREFIX))


def members(shape: URIRef) -> set[URIRef]:
    """A shape and every shape it carries (its property shapes, SPARQL constraints, sh:node)."""
    out = {shape}
    for predicate in (SH.property, SH.sparql, SH.node):
        for child in SHAPES.objects(shape, predicate):
            if isinstance(child, URIRef):
                out |= members(child)
    return out


def local(shape: URIRef) -> str:
    return str(shape)[len(PREFIX) :]


def fixture(shape: URIRef, kind: str) -> Path:
    matches = sorted(FIXTURES.glob(f"{local(shape)}-{kind}.*"))
    assert matches, f"add tests/data/shapes/{local(shape)}-{kind}.ttl"
    return matches[0]


@pytest.mark.parametrize("shape", shapes_needing_fixtures(SHAPES), ids=local)
def test_valid_fixture_raises_nothing(shape: URIRef, ontology_graph: Graph) -> None:
    report = VALIDATOR.validate(fixture_graph(fixture(shape, "valid"), ontology_graph))
    assert [(r.shape, r.focus_node, r.message) for r in report.results] == []


@pytest.mark.parametrize("shape", shapes_needing_fixtures(SHAPES), ids=local)
def test_invalid_fixture_fires_its_shape_on_its_focus_node(shape: URIRef, ontology_graph: Graph) -> None:
    path = fixture(shape, "invalid-01")
    expected_shape, focus = expectation(path)
    assert expected_shape == shape
    report = VALIDATOR.validate(fixture_graph(path, ontology_graph))
    fired = {(r.shape, r.focus_node) for r in report.results}
    assert any(s in members(shape) and f == focus for s, f in fired), fired
    for result in report.results:
        assert result.message, "every result carries a message a steward can act on"


def test_every_fixture_belongs_to_a_shape() -> None:
    names = {local(s) for s in shapes_needing_fixtures(SHAPES)}
    orphans = sorted(
        p.name
        for p in FIXTURES.iterdir()
        if p.name.rsplit("-", 2 if "-invalid-" in p.name else 1)[0] not in names
    )
    assert orphans == []


def test_there_are_many_shapes_to_test() -> None:
    assert len(shapes_needing_fixtures(SHAPES)) >= 100
    assert (SH.NodeShape, RDF.type, None) not in SHAPES  # sanity: shapes are typed instances
