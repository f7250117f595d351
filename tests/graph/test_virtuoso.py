"""The remote store against a real Virtuoso 7 process: loading, queries with the dataset
spelled out (its default graph is the union of everything, system graphs included), ASK
answered as a table, blank-node labels, the quality checks.

Virtuoso also runs the shared store suite (tests/graph/conftest.py); `make test` installs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import BNode, URIRef

from ilbirs.graph import describe, run_checks
from ilbirs.graph.resources import data_dir
from ilbirs.graph.store import RemoteStore, VirtuosoServer


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteStore]:
    with VirtuosoServer(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server.store()


def test_an_empty_virtuoso_hides_its_system_graphs(virtuoso: RemoteStore) -> None:
    assert len(virtuoso) == 0
    assert virtuoso.ask("ASK { ?s ?p ?o }") is False


def test_sources_load_and_read_back(virtuoso: RemoteStore) -> None:
    sources = sorted((data_dir() / "sources").glob("*.trig"))[:3]
    for path in sources:
        virtuoso.load_file(path)
    info = describe(virtuoso)
    assert {str(g.graph).rsplit("/", 1)[1] for g in info.graphs} == {p.stem for p in sources}
    assert not any(g.graph is None for g in info.graphs)
    assert virtuoso.ask("ASK { ?s ?p ?o }") is True
    assert [r.name for r in run_checks(virtuoso) if r.name == "dwc-literal-iri" and not r.passed] == []
    blank = [t[0] for t in virtuoso.triples() if isinstance(t[0], BNode)]
    assert blank and all(str(b).isidentifier() or str(b).replace("_", "").isalnum() for b in blank)
    rows = virtuoso.select(
        "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        bindings={"g": URIRef("https://w3id.org/ilbirs/graph/" + sources[0].stem)},
        union=False,
    )
    assert rows and Path(str(rows[0]["g"])).name == sources[0].stem
