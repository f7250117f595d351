"""The engines every store test runs against: embedded in memory, embedded on disk, an
Oxigraph server process and a Virtuoso 7 process (real ones, started on free loopback ports
and stopped after). A missing engine is a failure, not a skip: `.ci/run` installs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ilbirs.graph.store import EmbeddedStore, OxigraphServer, RemoteStore, Store, VirtuosoServer

ENGINES = ["embedded-memory", "embedded-disk", "oxigraph-server", "virtuoso"]


@pytest.fixture(params=ENGINES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind."""
    if request.param == "embedded-memory":
        yield EmbeddedStore()
    elif request.param == "embedded-disk":
        yield EmbeddedStore(tmp_path / "store")
    elif request.param == "oxigraph-server":
        with OxigraphServer(tmp_path / "server") as server:
            yield RemoteStore(server.query_url, server.update_url)
    else:
        with VirtuosoServer(tmp_path / "virtuoso") as virtuoso:
            yield virtuoso.store()


VIRTUOSO_WRITES = (
    "Virtuoso 7.2.5 evaluates apply_change's version-guarded update (OPTIONAL + COALESCE) to no "
    "solution, and an aggregate form crashes its SQL compiler (SQ156): writes on Virtuoso are "
    "the store issue's next step"
)


VIRTUOSO_WRITE_TESTS = {
    "test_a_change_lands_and_is_logged[virtuoso]",
    "test_a_stale_writer_is_refused_and_writes_nothing[virtuoso]",
    "test_values_with_quotes_and_newlines_travel_as_terms[virtuoso]",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Known failures, strictly: they must fail until fixed, then this list shrinks."""
    for item in items:
        name = item.nodeid.split("::")[-1]
        if item.nodeid.startswith("tests/graph/test_changes.py::") and name in VIRTUOSO_WRITE_TESTS:
            item.add_marker(pytest.mark.xfail(strict=True, reason=VIRTUOSO_WRITES))
