"""The shapes graph itself: valid SHACL (SHACL-SHACL), readable IRIs, a message on every
constraint, value lists in step with the SKOS schemes, and both engines agreeing."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, SKOS

from ilbirs.graph import load_bundle
from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.synthetic import generate
from ilbirs.graph.validation import Engine, Validator, load_shapes, validation_graph

from .conftest import FIXTURES, fixture_graph

SHAPES = load_shapes()
SHAPE_TYPES = (SH.NodeShape, SH.PropertyShape, SH.SPARQLConstraint)


def test_shapes_graph_passes_shacl_shacl() -> None:
    conforms, _, text = pyshacl.validate(Graph(), shacl_graph=SHAPES, meta_shacl=True)
    assert conforms, text


def test_every_shape_has_a_readable_iri() -> None:
    for shape_type in SHAPE_TYPES:
        for shape in SHAPES.subjects(RDF.type, shape_type):
            assert isinstance(shape, URIRef) and str(shape).startswith("https://w3id.org/ilbirs/shapes/"), (
                shape
            )
    for predicate in (SH.property, SH.sparql, SH.node):
        assert all(isinstance(o, URIRef) for o in SHAPES.objects(None, predicate))
    for predicate in (SH["or"], SH.xone, SH["and"]):
        for head in SHAPES.objects(None, predicate):
            assert all(isinstance(m, URIRef) for m in Collection(SHAPES, head)), predicate


def test_every_constraint_carries_an_english_message() -> None:
    constrained = {s for s in SHAPES.subjects(SH.path, None) if (s, SH.property, None) not in SHAPES}
    constrained |= set(SHAPES.subjects(RDF.type, SH.SPARQLConstraint))
    building_blocks = {
        s for s in constrained if (None, SH.property, s) not in SHAPES and (None, SH.sparql, s) not in SHAPES
    }
    for shape in constrained - building_blocks:
        messages = [
            m for m in SHAPES.objects(shape, SH.message) if isinstance(m, Literal) and m.language == "en"
        ]
        assert messages, f'{shape}: add sh:message "..."@en'


def test_value_lists_match_the_concept_schemes(vocabulary_graph: Graph) -> None:
    """Each sh:in list of vocabulary IRIs holds exactly the concepts of one scheme (minus the
    grouping concept 'threatened', which is no category)."""
    checked = 0
    for head in SHAPES.objects(None, SH["in"]):
        values = list(Collection(SHAPES, head))
        iris = [v for v in values if isinstance(v, URIRef) and "/vocab/" in str(v)]
        if not iris:
            continue
        scheme = URIRef(str(iris[0]).rsplit("/", 1)[0])
        concepts = set(vocabulary_graph.subjects(SKOS.inScheme, scheme))
        concepts -= {c for c in concepts if (None, SKOS.broader, c) in vocabulary_graph}  # groups
        assert set(iris) == concepts, scheme
        checked += 1
    assert checked >= 9


def test_shapes_cover_every_class_of_the_ontology(ontology_graph: Graph) -> None:
    from rdflib.namespace import OWL

    classes = {
        c
        for c in ontology_graph.subjects(RDF.type, OWL.Class)
        if str(c).startswith("https://w3id.org/ilbirs/def/")
    }
    targeted = set(SHAPES.objects(None, SH.targetClass))
    abstract = {
        URIRef("https://w3id.org/ilbirs/def/" + n) for n in ("Place", "Event", "Source", "NamedGraph")
    }
    assert classes - abstract - targeted == set()
    assert URIRef("https://w3id.org/ilbirs/def/NamedGraph") in targeted


FIXTURE_FILES = sorted(FIXTURES.iterdir())


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_both_engines_report_the_same_results(path: Path, ontology_graph: Graph) -> None:
    graph = fixture_graph(path, ontology_graph)
    turbo = Validator(SHAPES, engine=Engine.TURBO).validate(graph)
    reference = Validator(SHAPES, engine=Engine.PYSHACL).validate(graph)
    assert [r.key for r in turbo.results] == [r.key for r in reference.results]
    assert turbo.conforms == reference.conforms


def test_both_engines_agree_on_the_shipped_dataset(bundle_store: EmbeddedStore) -> None:
    graph = validation_graph(bundle_store)
    turbo = Validator(SHAPES, engine=Engine.TURBO).validate(graph)
    reference = Validator(SHAPES, engine=Engine.PYSHACL).validate(graph)
    assert [r.key for r in turbo.results] == [r.key for r in reference.results]
    assert turbo.conforms and not turbo.violations


def test_every_property_the_data_uses_is_constrained(tmp_path: Path) -> None:
    """Every predicate of the shipped data and of synthetic data is the path of some shape."""
    store = EmbeddedStore()
    load_bundle(store, kinds=frozenset({"data"}))
    synthetic = tmp_path / "synthetic.nq"
    synthetic.write_text("\n".join(generate(3_000, seed=2)) + "\n", encoding="utf-8")
    store.load_file(synthetic)
    used = {row["p"] for row in store.select("SELECT DISTINCT ?p WHERE { ?s ?p ?o }")} - {RDF.type}
    paths = set(SHAPES.objects(None, SH.path))
    for head in SHAPES.objects(None, SH.alternativePath):
        paths |= set(Collection(SHAPES, head))
    assert len(used) >= 60
    assert sorted(str(p) for p in used - paths) == []
