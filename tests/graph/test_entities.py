"""An entity's detail (``graph.entities.entity``) with the cache of references and sources
the API keeps per store version (``Lookups``): the same answer, in fewer queries, and never an
answer from before a write."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import Literal, URIRef

from ilbirs.graph import load_bundle
from ilbirs.graph.changes import QuadChange, apply_change, current_version
from ilbirs.graph.entities import Lookups, entity
from ilbirs.graph.store import EmbeddedStore

ID = "https://w3id.org/ilbirs/id/"
DETAILS = ["animal/umai", "corridor/ak-ilbirs", "protected-area/khan-tengri", "country/kg"]


class CountingStore:
    """A store that counts the SELECT queries sent to it."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store
        self.selects = 0

    def select(self, *args: Any, **kwargs: Any) -> Any:
        self.selects += 1
        return self.store.select(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.mark.parametrize("languages", [(), ("ru",)])
def test_a_detail_with_lookups_is_the_same_in_one_query(
    bundle_store: EmbeddedStore, languages: tuple[str, ...]
) -> None:
    counting = CountingStore(bundle_store)
    lookups = Lookups().at(1)
    for path in DETAILS:  # fills the cache with what these details link to
        entity(counting, URIRef(ID + path), languages=languages, lookups=lookups)  # type: ignore[arg-type]
    for path in DETAILS:
        expected = entity(bundle_store, URIRef(ID + path), languages=languages)
        counting.selects = 0
        found = entity(counting, URIRef(ID + path), languages=languages, lookups=lookups)  # type: ignore[arg-type]
        assert found == expected
        assert counting.selects == 1, path  # the statements; references and sources from the cache


def test_a_new_version_forgets_what_a_write_changed() -> None:
    store = EmbeddedStore()
    load_bundle(store)
    lookups = Lookups()
    umai = URIRef(ID + "animal/umai")
    taxon = URIRef(ID + "taxon/panthera-uncia")
    before = entity(store, umai, lookups=lookups.at(current_version(store)))
    [link] = [v.ref for p in before.properties for v in p.values if v.ref and v.ref.id == str(taxon)]
    assert link.label == "snow leopard"
    pref = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
    [row] = store.select(
        "SELECT ?g ?old WHERE { GRAPH ?g { ?taxon ?pref ?old } FILTER (lang(?old) = 'en') }",
        bindings={"taxon": taxon, "pref": pref},
        union=False,
    )
    graph, old = row["g"], row["old"]
    change = QuadChange(
        added=frozenset({(taxon, pref, Literal("ounce", lang="en"), graph)}),
        removed=frozenset({(taxon, pref, old, graph)}),
    )
    record = apply_change(store, change, expected_version=None, actor="t", reason="renamed")
    assert record.version != lookups.version
    after = entity(store, umai, lookups=lookups.at(record.version))
    assert [v.ref.label for p in after.properties for v in p.values if v.ref and v.ref.id == str(taxon)] == [
        "ounce"
    ]
