"""Every shipped RDF file parses, and every ontology file carries a proper owl:Ontology header."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF

from ilbirs.graph.resources import bundle_files, data_dir, ontology_dir, shapes_dir
from ilbirs.graph.sparql import load_query
from ilbirs.graph.store import EmbeddedStore

TURTLE = sorted([*ontology_dir().rglob("*.ttl"), *shapes_dir().rglob("*.ttl")])
TRIG = sorted(data_dir().rglob("*.trig"))


def test_there_is_something_to_test() -> None:
    assert len(TURTLE) >= 15
    assert len(TRIG) >= 20


@pytest.mark.parametrize("path", TURTLE, ids=lambda p: p.name)
def test_turtle_parses_and_has_an_ontology_header(path: Path) -> None:
    graph = Graph().parse(data=path.read_text(encoding="utf-8"), format="turtle")
    ontologies = list(graph.subjects(RDF.type, OWL.Ontology))
    assert len(ontologies) == 1, f"{path.name}: one owl:Ontology header expected"
    onto = ontologies[0]
    version_iri = graph.value(onto, OWL.versionIRI)
    assert isinstance(version_iri, URIRef)
    assert str(version_iri).startswith(str(onto) + "/"), "versionIRI = ontology IRI + /VERSION"
    assert str(version_iri).endswith("/" + str(graph.value(onto, OWL.versionInfo)))
    assert any(t.language == "en" for t in graph.objects(onto, DCTERMS.title))


@pytest.mark.parametrize("path", TURTLE, ids=lambda p: p.name)
def test_ontology_iri_matches_the_file_path(path: Path) -> None:
    """The graph a file loads into is its ontology IRI, so the two must agree."""
    graph = Graph().parse(data=path.read_text(encoding="utf-8"), format="turtle")
    expected = next(f.graph for f in bundle_files() if f.path == path)
    assert (expected, RDF.type, OWL.Ontology) in graph


@pytest.mark.parametrize("path", TRIG, ids=lambda p: p.name)
def test_trig_parses_into_one_named_graph_named_after_the_file(path: Path) -> None:
    store = EmbeddedStore()
    store.load_file(path)
    rows = store.select(load_query("count_quads_per_graph"), union=False)
    graphs = [row.get("graph") for row in rows]
    assert None not in graphs, f"{path.name}: statements outside a named graph"
    assert graphs == [URIRef("https://w3id.org/ilbirs/graph/" + path.stem)]


@pytest.mark.parametrize("path", [*TURTLE, *TRIG], ids=lambda p: p.name)
def test_files_open_with_a_comment_that_says_what_they_hold(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith("# ")
