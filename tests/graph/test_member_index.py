"""The member index answers every list as the SPARQL listing queries do (``entities.page``,
the reference): on the shipped data, for every collection and every filter used in the API
tests, the same members in the same order, with the same total."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from ilbirs.graph import load_bundle
from ilbirs.graph.changes import QuadChange, apply_change
from ilbirs.graph.entities import COLLECTIONS, filter_value, page
from ilbirs.graph.search import Search
from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.store.search_index import LabelIndex

CASES = [
    ("protected-areas", {"country": "kg"}),
    ("protected-areas", {"iucn": "II"}),
    ("protected-areas", {"established_before": "1970-01-01"}),
    ("protected-areas", {"established_since": "1970-01-01"}),
    ("protected-areas", {"min_area_ha": "100000", "country": "kg"}),
    ("corridors", {"country": "kg", "status": "established"}),
    ("corridors", {"connects": "khan-tengri"}),
    ("animals", {"species": "panthera-uncia", "sex": "female"}),
    ("animals", {"place": "ru"}),
    ("animals", {"place": "kg"}),
    ("events", {"kind": "AnimalTransfer"}),
    ("events", {"from": "2025-07-01", "to": "2025-07-31"}),
    ("events", {"place": "region/ru-al"}),
    ("projects", {"active_in": "2023"}),
    ("projects", {"active_in": "2024"}),
    ("projects", {"country": "kg", "theme": "ecological-corridors"}),
    *((name, {}) for name in COLLECTIONS),
]


@pytest.fixture(scope="module")
def search(bundle_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Search:
    index = Search(LabelIndex(Path(tmp_path_factory.mktemp("index")) / "index.sqlite"))
    index.rebuild(bundle_store, version=1)
    return index


@pytest.mark.parametrize(("name", "given"), CASES)
def test_the_index_lists_what_sparql_lists(
    bundle_store: EmbeddedStore, search: Search, name: str, given: dict[str, str]
) -> None:
    collection = COLLECTIONS[name]
    filters = {f.param: f for f in collection.filters}
    terms = [(filters[p], filter_value(bundle_store, filters[p], v)) for p, v in given.items()]
    reference = page(bundle_store, collection, limit=500, filters={flt.variable: term for flt, term in terms})
    indexed = search.page(bundle_store, collection, limit=500, filters=terms)
    assert [r.id for r in indexed.items] == [r.id for r in reference.items]
    assert (indexed.total, indexed.total_exact) == (reference.total, reference.total_exact)


def test_the_index_follows_a_write(tmp_path: Path) -> None:
    """A new protected area appears in the filtered list once its write is refreshed."""
    store = EmbeddedStore()
    load_bundle(store)
    index = Search(LabelIndex(tmp_path / "index.sqlite"))
    index.rebuild(store, version=1)
    area = URIRef("https://w3id.org/ilbirs/id/protected-area/test-area")
    graph = URIRef("https://w3id.org/ilbirs/graph/24kg-en-326560")
    kg = "https://w3id.org/ilbirs/def/"
    quads = [
        (
            area,
            URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            URIRef(kg + "ProtectedArea"),
            graph,
        ),
        (
            area,
            URIRef(kg + "iucnCategory"),
            URIRef("https://w3id.org/ilbirs/vocab/iucn-pa-category/Ia"),
            graph,
        ),
        (
            area,
            URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
            Literal("Test area", lang="en"),
            graph,
        ),
    ]
    collection = COLLECTIONS["protected-areas"]
    iucn = {f.param: f for f in collection.filters}["iucn"]
    term = filter_value(store, iucn, "Ia")
    assert str(area) not in [
        r.id for r in index.page(store, collection, limit=50, filters=[(iucn, term)]).items
    ]
    record = apply_change(
        store, QuadChange(added=frozenset(quads)), expected_version=None, actor="t", reason="r"
    )
    index.refresh(store, quads, version=record.version)
    assert str(area) in [r.id for r in index.page(store, collection, limit=50, filters=[(iucn, term)]).items]


def test_the_index_follows_a_change_of_place_hierarchy(tmp_path: Path) -> None:
    """A region moved to another country: the areas in it move with it in the lists (the
    write's own subject is the region; the areas are refreshed as its dependents)."""
    store = EmbeddedStore()
    load_bundle(store)
    index = Search(LabelIndex(tmp_path / "index.sqlite"))
    index.rebuild(store, version=1)
    areas = COLLECTIONS["protected-areas"]
    country = {f.param: f for f in areas.filters}["country"]
    kg, ru = filter_value(store, country, "kg"), filter_value(store, country, "ru")
    in_kg = [r.id for r in index.page(store, areas, limit=50, filters=[(country, kg)]).items]
    [row] = store.select(
        "SELECT ?area ?region ?g WHERE { ?area a <https://w3id.org/ilbirs/def/ProtectedArea> ; "
        "<https://schema.org/containedInPlace> ?region . "
        "GRAPH ?g { ?region <https://schema.org/containedInPlace> ?kg } } ORDER BY ?area LIMIT 1",
        bindings={"kg": kg},
    )
    assert str(row["area"]) in in_kg
    within = URIRef("https://schema.org/containedInPlace")
    change = QuadChange(
        added=frozenset({(row["region"], within, ru, row["g"])}),
        removed=frozenset({(row["region"], within, kg, row["g"])}),
    )
    record = apply_change(store, change, expected_version=None, actor="t", reason="moved")
    index.refresh(store, change.added | change.removed, version=record.version)
    for term in (kg, ru):
        reference = page(store, areas, limit=50, filters={"place": term})
        indexed = index.page(store, areas, limit=50, filters=[(country, term)])
        assert [r.id for r in indexed.items] == [r.id for r in reference.items]
    assert str(row["area"]) in [
        r.id for r in index.page(store, areas, limit=50, filters=[(country, ru)]).items
    ]
