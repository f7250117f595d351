"""Shared fixtures: the shipped bundle loaded into a real embedded store."""

from __future__ import annotations

import pytest

from ilbirs.graph import load_bundle
from ilbirs.graph.store import EmbeddedStore


@pytest.fixture(scope="session")
def bundle_store() -> EmbeddedStore:
    """An in-memory pyoxigraph store holding everything Ilbirs ships. Read-only: do not write."""
    store = EmbeddedStore()
    load_bundle(store)
    return store
