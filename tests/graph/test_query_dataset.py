"""The dataset of a query: the union of all graphs by default, the query's own FROM / FROM
NAMED when it names them, the protocol's parameters over both (SPARQL 1.1 Protocol, 2.1.4)."""

from __future__ import annotations

import json

import pytest

from ilbirs.graph.service import Limits, run_query
from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.store.base import QueryDataset

PLACE_SHAPES = "https://w3id.org/ilbirs/shapes/place"
COUNT = "SELECT (COUNT(*) AS ?n) {from_} WHERE {{ ?s ?p ?o }}"


def solutions(store: EmbeddedStore, query: str, dataset: QueryDataset | None = None) -> list[dict[str, str]]:
    body = json.loads(run_query(store, query, limits=Limits(), dataset=dataset).body)
    return [{k: v["value"] for k, v in row.items()} for row in body["results"]["bindings"]]


def count(store: EmbeddedStore, query: str, dataset: QueryDataset | None = None) -> int:
    return int(solutions(store, query, dataset)[0]["n"])


@pytest.fixture(scope="module")
def store(bundle_store: EmbeddedStore) -> EmbeddedStore:
    return bundle_store


def test_from_in_the_query_text_is_honoured(store: EmbeddedStore) -> None:
    """Regression: FROM <g> was ignored and the query counted the whole union (3,444 where
    the same with default-graph-uri counted 228)."""
    by_protocol = count(store, COUNT.format(from_=""), QueryDataset((PLACE_SHAPES,), ()))
    by_text = count(store, COUNT.format(from_=f"FROM <{PLACE_SHAPES}>"))
    union = count(store, COUNT.format(from_=""))
    assert 0 < by_text == by_protocol < union


def test_from_named_in_the_query_text_is_honoured(store: EmbeddedStore) -> None:
    query = f"SELECT DISTINCT ?g FROM NAMED <{PLACE_SHAPES}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert [row["g"] for row in solutions(store, query)] == [PLACE_SHAPES]


def test_the_protocol_dataset_overrides_the_query_text(store: EmbeddedStore) -> None:
    query = COUNT.format(from_=f"FROM <{PLACE_SHAPES}>")
    assert count(store, query, QueryDataset(("https://example.org/empty",), ())) == 0
