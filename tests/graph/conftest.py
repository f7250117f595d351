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
