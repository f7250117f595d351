"""Fixtures for the shapes tests: the ontology graph that every validated graph includes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from ilbirs.graph import load_bundle
from ilbirs.graph.resources import bundle_files
from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.validation import validation_graph

FIXTURES = Path(__file__).parents[1] / "data" / "shapes"
EXPECT = re.compile(r"^# expect: shapes:(\S+) on <([^>]+)>$", re.MULTILINE)


def _graph(kinds: set[str]) -> Graph:
    graph = Graph()
    for f in bundle_files():
        if f.kind in kinds:
            graph.parse(data=f.path.read_text(encoding="utf-8"), format="turtle")
    return graph


@pytest.fixture(scope="session")
def ontology_graph() -> Graph:
    """Ontology modules and alignments: what sh:class needs to follow rdfs:subClassOf. The
    vocabularies stay out, so that a fixture is validated on its own concepts only."""
    return _graph({"ontology", "alignment"})


@pytest.fixture(scope="session")
def vocabulary_graph() -> Graph:
    """The SKOS vocabularies."""
    return _graph({"vocabulary"})


def fixture_graph(path: Path, ontology: Graph) -> Graph:
    """The graph a fixture is validated as: ontology + fixture (union of its graphs), with a
    kg:NamedGraph marker for each named graph of a TriG fixture, as the engine adds them."""
    if path.suffix == ".trig":  # the engine's own path: a store, then the validation graph
        store = EmbeddedStore()
        load_bundle(store, kinds=frozenset({"ontology", "alignment"}))
        store.load_file(path)
        return validation_graph(store)
    graph = Graph()
    graph += ontology
    graph.parse(data=path.read_text(encoding="utf-8"), format="turtle")
    return graph


def expectation(path: Path) -> tuple[URIRef, URIRef]:
    """The shape an invalid fixture must make fire, and on which focus node."""
    match = EXPECT.search(path.read_text(encoding="utf-8"))
    assert match, f"{path.name}: no '# expect: shapes:NAME on <IRI>' line"
    return URIRef("https://w3id.org/ilbirs/shapes/" + match.group(1)), URIRef(match.group(2))
