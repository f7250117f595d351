"""The member index answers every list as the SPARQL listing queries do (``entities.page``,
the reference): on the shipped data, for every collection and every filter used in the API
tests, the same members in the same order, with the same total."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from rdflib import XSD, Literal, URIRef

from ilbirs.graph import load_bundle
from ilbirs.graph.changes import QuadChange, apply_change, current_version
from ilbirs.graph.entities import COLLECTIONS, entity, entity_json, filter_value, page
from ilbirs.graph.errors import InvalidValueError
from ilbirs.graph.search import Search
from ilbirs.graph.sparql import load_query
from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.store.search_index import LabelIndex

CASES = [
    ("protected-areas", {"country": "kg"}),
    ("protected-areas", {"iucn": "II"}),
    ("protected-areas", {"established_before": "1970-01-01"}),
    pytest.param(
        "protected-areas",
        {"established_since": "1970-01-01"},
        marks=pytest.mark.xfail(
            strict=True,
            reason="select_protected_areas.rq compares kg:establishmentDate with an xsd:date, so an area "
            "dated only by a year (xsd:gYear: Alatai 2016, Saylyugemsky 2010/2012, issue 19) is left out "
            "by SPARQL while the label index keeps it",
        ),
    ),
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
    for languages in ((), ("ru",), ("ky", "ru")):
        bound = {flt.variable: term for flt, term in terms}
        reference = page(bundle_store, collection, limit=500, filters=bound, languages=languages)
        indexed = search.page(bundle_store, collection, limit=500, filters=terms, languages=languages)
        assert indexed.items == reference.items  # the same members, types and labels, in order
        ids = [r.id for r in reference.items]
        assert set(search.index.shown(ids)) == set(ids)  # read from the index, not the store
        assert (indexed.total, indexed.total_exact) == (reference.total, reference.total_exact)


def test_the_index_details_every_member_as_the_store_does(
    bundle_store: EmbeddedStore, search: Search
) -> None:
    """Every member's detail from the index equals the one made from the store
    (``entities.entity``), in three choices of language; a node that is no member (a class,
    a geometry) is not in it, and goes to the store."""
    with sqlite3.connect(search.index.path) as db:
        members = sorted({i for (i,) in db.execute("SELECT id FROM members")})
    assert len(members) > 80
    for iri in members:
        for languages in ((), ("ru",), ("ky", "ru")):
            indexed = search.detail_document(URIRef(iri), languages)
            made = entity_json(entity(bundle_store, URIRef(iri), languages=languages))
            assert json.dumps(indexed) == json.dumps(made), iri  # the same, in the same order
    umai = search.detail_document(URIRef("https://w3id.org/ilbirs/id/animal/umai"), ["ru"])
    assert umai is not None and umai["label"] == "Умай" and len(umai["sources"]) == 5
    assert search.detail_document(URIRef("https://w3id.org/ilbirs/def/Animal"), ()) is None


def writable(tmp_path: Path) -> tuple[EmbeddedStore, Search]:
    """A store of its own holding the shipped data (a test may write to it), and its index."""
    store = EmbeddedStore()
    load_bundle(store)
    index = Search(LabelIndex(tmp_path / "index.sqlite"))
    index.rebuild(store, version=current_version(store))
    return store, index


def test_the_index_follows_a_write(tmp_path: Path) -> None:
    """A new protected area appears in the filtered list once its write is refreshed."""
    store, index = writable(tmp_path)
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
    listed = index.page(store, collection, limit=50, filters=[(iucn, term)]).items
    assert (str(area), "Test area") in [(r.id, r.label) for r in listed]
    assert index.index.shown([str(area)])[str(area)][2] == [("Test area", "en")]


def test_the_index_follows_a_change_of_place_hierarchy(tmp_path: Path) -> None:
    """A region moved to another country: the areas in it move with it in the lists (the
    write's own subject is the region; the areas are refreshed as its dependents)."""
    store, index = writable(tmp_path)
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


def walk(store: EmbeddedStore, search: Search, name: str, sort: str, **given: str) -> list[str]:
    """Every member of a sorted list, two at a time, following each page's cursor."""
    collection = COLLECTIONS[name]
    filters = {f.param: f for f in collection.filters}
    terms = [(filters[p], filter_value(store, filters[p], v)) for p, v in given.items()]
    seen: list[str] = []
    after = ""
    for _ in range(500):  # far more pages than the shipped data fills: a cursor that loops fails
        found = search.page(store, collection, limit=2, after=after, filters=terms, sort=sort)
        seen += [r.id for r in found.items]
        if found.next_after is None:
            return seen
        after = found.next_after
    raise AssertionError(f"the pages of {name} by {sort} never ended: {seen[:10]}")


def expected_order(keys: dict[str, object], descending: bool) -> list[str]:
    """Members with a key by (key, IRI), then those without by IRI; both reversed when
    descending, those without a key still last."""
    keyed = sorted(((k, i) for i, k in keys.items() if k is not None), reverse=descending)
    return [i for _, i in keyed] + sorted((i for i, k in keys.items() if k is None), reverse=descending)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(
    ("name", "sort", "given"),
    [
        ("protected-areas", "area_ha", {}),
        ("protected-areas", "established", {}),
        ("protected-areas", "area_ha", {"country": "kg"}),
        ("events", "start", {}),
        ("projects", "start", {}),
        ("projects", "end", {}),
        ("protected-areas", "label", {}),
        ("animals", "label", {}),
        ("sources", "id", {}),
    ],
)
def test_sorted_lists_follow_their_keys_across_pages(
    bundle_store: EmbeddedStore, search: Search, name: str, sort: str, given: dict[str, str], descending: bool
) -> None:
    """The key of each member is read here with SPARQL (the facet's own query, the labels
    references show); the index's keyset pages must walk the members in that order."""
    collection = COLLECTIONS[name]
    filters = {f.param: f for f in collection.filters}
    bound = {filters[p].variable: filter_value(bundle_store, filters[p], v) for p, v in given.items()}
    members = [r for r in page(bundle_store, collection, limit=500, filters=bound).items]
    if sort == "id":
        keys: dict[str, object] = {r.id: r.id for r in members}
    elif sort == "label":
        keys = {r.id: r.label.casefold() if r.label else None for r in members}
    else:
        order = collection.orders[sort]
        query = load_query(f"facet_{name.replace('-', '_')}_{order.facet}")
        values: dict[str, list[str]] = {r.id: [] for r in members}
        for row in bundle_store.select(query):
            if str(row["s"]) in values:
                values[str(row["s"])].append(str(row["value"]))
        keys = {
            i: min((float(v) if order.numeric else v[:10] for v in found), default=None)
            for i, found in values.items()
        }
    assert any(k is not None for k in keys.values())
    walked = walk(bundle_store, search, name, ("-" if descending else "") + sort, **given)
    assert walked == expected_order(keys, descending)


def test_an_unknown_order_names_the_valid_ones(bundle_store: EmbeddedStore, search: Search) -> None:
    with pytest.raises(InvalidValueError, match="id, label, established, area_ha"):
        search.page(bundle_store, COLLECTIONS["protected-areas"], limit=5, sort="size")
    with pytest.raises(InvalidValueError, match="start again"):
        search.page(
            bundle_store, COLLECTIONS["animals"], limit=5, sort="label", after="https://example.org/gone"
        )


def test_the_index_follows_a_new_subclass(tmp_path: Path) -> None:
    """A write that adds a subclass of a collection's class and a member of it: the index is
    rebuilt with the new hierarchy, and the member is listed (and found)."""
    store, index = writable(tmp_path)
    graph = URIRef("https://w3id.org/ilbirs/graph/24kg-en-326560")
    kind = URIRef("https://example.org/def/Sanctuary")
    place = URIRef("https://example.org/id/sanctuary")
    quads = [
        (
            kind,
            URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
            URIRef("https://w3id.org/ilbirs/def/ProtectedArea"),
            graph,
        ),
        (place, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), kind, graph),
        (
            place,
            URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
            Literal("Test sanctuary", lang="en"),
            graph,
        ),
    ]
    record = apply_change(
        store, QuadChange(added=frozenset(quads)), expected_version=None, actor="t", reason="r"
    )
    index.refresh(store, quads, version=record.version)
    listed = index.page(store, COLLECTIONS["protected-areas"], limit=500).items
    assert (str(place), "Test sanctuary") in [(r.id, r.label) for r in listed]
    assert [h.ref.id for h in index.find(store, "test sanct")] == [str(place)]


def _rows(index: LabelIndex) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the index's tables (entries without their row numbers)."""
    with sqlite3.connect(index.path) as db:
        tables = {t: db.execute(f"SELECT * FROM {t}").fetchall() for t in ("members", "facets", "sortkeys", "shown", "bounds", "details", "sources")}  # fmt: skip
        tables["entries"] = db.execute("SELECT id, label, lang, collection FROM entries").fetchall()
    return {name: sorted(rows, key=repr) for name, rows in tables.items()}


def test_a_refreshed_index_equals_one_built_again(tmp_path: Path) -> None:
    """After writes to members of several collections (an animal's name, a protected area's
    category, an event's date) and to a node in none (a source), the index refreshed for the
    written subjects holds exactly the rows a full rebuild gives."""
    store, index = writable(tmp_path)
    graph = URIRef("https://w3id.org/ilbirs/graph/24kg-en-337535")
    skos, kg, schema = (
        "http://www.w3.org/2004/02/skos/core#",
        "https://w3id.org/ilbirs/def/",
        "https://schema.org/",
    )
    rows = store.select(
        "SELECT ?event ?date WHERE { ?event a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* "
        f"<{kg}Event> ; <{schema}startDate> ?date }} ORDER BY ?event LIMIT 1"
    )
    quads = {
        (URIRef("https://w3id.org/ilbirs/id/animal/umai"), URIRef(skos + "altLabel"), Literal("Ilbirsbek", lang="ky"), graph),
        (URIRef("https://w3id.org/ilbirs/id/protected-area/khan-tengri"), URIRef(kg + "iucnCategory"), URIRef("https://w3id.org/ilbirs/vocab/iucn-pa-category/Ia"), graph),
        (rows[0]["event"], URIRef(schema + "startDate"), Literal("2019-01-02", datatype=XSD.date), graph),
        (URIRef("https://w3id.org/ilbirs/id/source/24kg-en-337535"), URIRef(skos + "altLabel"), Literal("24.kg", lang="en"), graph),
    }  # fmt: skip
    record = apply_change(
        store, QuadChange(added=frozenset(quads)), expected_version=None, actor="t", reason="r"
    )
    index.refresh(store, quads, version=record.version, record=record.iri)
    rebuilt = Search(LabelIndex(tmp_path / "rebuilt.sqlite"))
    rebuilt.rebuild(store, version=record.version)
    refreshed, expected = _rows(index.index), _rows(rebuilt.index)
    assert ("protected-areas", "iucn", "https://w3id.org/ilbirs/vocab/iucn-pa-category/Ia", "https://w3id.org/ilbirs/id/protected-area/khan-tengri") in refreshed["facets"]  # fmt: skip
    for table in expected:
        assert refreshed[table] == expected[table], table


def test_a_detail_follows_writes_to_what_it_links_to(tmp_path: Path) -> None:
    """A detail from the index shows a linked node's new label, and its graph's source's new
    label, once the writes to them (not to the entity itself) are refreshed; and stays equal
    to the one made from the store."""
    store, index = writable(tmp_path)
    area = URIRef("https://w3id.org/ilbirs/id/protected-area/khan-tengri")
    before = index.detail_document(area, ["ky"])
    assert before is not None
    place = next(
        v["ref"]
        for p in before["properties"]
        if p["property"]["id"] == "https://schema.org/containedInPlace"
        for v in p["values"]
        if v["ref"] is not None
    )
    graph = before["sources"][0]
    assert graph["id"] is not None
    skos = "http://www.w3.org/2004/02/skos/core#"
    quads = {
        (URIRef(place["id"]), URIRef(skos + "prefLabel"), Literal("Сынак аймак", lang="ky"), URIRef(graph["graph"])),
        (URIRef(graph["id"]), URIRef(skos + "prefLabel"), Literal("0 renamed", lang="en"), URIRef(graph["graph"])),
    }  # fmt: skip
    # The new Kyrgyz label replaces any the shipped data already gives the place (the bundle
    # carries Kyrgyz names of Kyrgyzstan since issue 19), so the detail has one label to show.
    old = {
        (URIRef(place["id"]), URIRef(skos + "prefLabel"), row["label"], row["g"])
        for row in store.select(
            f"SELECT ?g ?label WHERE {{ GRAPH ?g {{ <{place['id']}> <{skos}prefLabel> ?label FILTER (lang(?label) = 'ky') }} }}"
        )
    }
    record = apply_change(
        store,
        QuadChange(added=frozenset(quads), removed=frozenset(old)),
        expected_version=None,
        actor="t",
        reason="r",
    )
    index.refresh(store, quads | old, version=record.version, record=record.iri)
    after = index.detail_document(area, ["ky"])
    assert after == entity_json(entity(store, area, languages=["ky"]))
    assert after is not None and after != before
    labels = [v["ref"]["label"] for p in after["properties"] for v in p["values"] if v["ref"] and v["ref"]["id"] == place["id"]]  # fmt: skip
    assert labels == ["Сынак аймак"]
    assert [s["label"] for s in after["sources"] if s["graph"] == graph["graph"]] == ["0 renamed"]
