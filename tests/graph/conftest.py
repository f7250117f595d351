"""The engines every store test runs against: embedded in memory, embedded on disk, and an
Oxigraph server process (a real one, started on a free loopback port and stopped after)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ilbirs.graph.store import EmbeddedStore, OxigraphServer, RemoteStore, Store

ENGINES = ["embedded-memory", "embedded-disk", "oxigraph-server"]


@pytest.fixture(params=ENGINES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind."""
    if request.param == "embedded-memory":
        yield EmbeddedStore()
    elif request.param == "embedded-disk":
        yield EmbeddedStore(tmp_path / "store")
    else:
        with OxigraphServer(tmp_path / "server") as server:
            yield RemoteStore(server.query_url, server.update_url)
