"""Every shipped SPARQL file opens with its intent and runs on the real bundle."""

from __future__ import annotations

import pytest

from ilbirs.graph.errors import QueryNotFoundError
from ilbirs.graph.sparql import load_query, query_names
from ilbirs.graph.store import EmbeddedStore

#: Queries that find nothing in the shipped data, and why.
EMPTY_ON_BUNDLE: dict[str, str] = {}


@pytest.mark.parametrize("name", query_names())
def test_query_opens_with_a_comment_and_runs(name: str, bundle_store: EmbeddedStore) -> None:
    text = load_query(name)
    assert text.startswith("# ")
    if name.startswith("ask_"):
        assert bundle_store.ask(text), f"{name} is false on the shipped bundle"
        return
    if name.startswith("construct_"):
        assert bundle_store.execute(text, form="CONSTRUCT").size > 0, (
            f"{name} built nothing on the shipped bundle"
        )
        return
    rows = bundle_store.select(text, union=not name.startswith("count_quads"))
    if name in EMPTY_ON_BUNDLE:  # it runs; the shipped data has nothing for it, and says why
        assert rows == [], f"{name} found rows: remove it from EMPTY_ON_BUNDLE"
        return
    assert rows, f"{name} returned nothing on the shipped bundle"


def test_unknown_query_is_a_clear_error() -> None:
    with pytest.raises(QueryNotFoundError, match="no query named 'nope'"):
        load_query("nope")


def test_source_graphs_all_have_a_labelled_source(bundle_store: EmbeddedStore) -> None:
    rows = bundle_store.select(load_query("select_source_graphs"))
    assert len(rows) >= 25
    assert [str(r["graph"]) for r in rows if "label" not in r] == []
