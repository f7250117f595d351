"""``ilbirs load``, ``export``, ``backup`` and ``restore`` as a user runs them, on the embedded
store and on an Oxigraph server process (``--store``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from ilbirs.graph.resources import data_dir, ontology_dir
from ilbirs.graph.store import OxigraphServer

from .test_cli import run

SOURCES = sorted((data_dir() / "sources").glob("*.trig"))
#: The quads the shipped sources hold, as Oxigraph's own parser counts them.
SOURCE_QUADS = sum(1 for path in SOURCES for _ in ox.parse(path=str(path), format=ox.RdfFormat.TRIG))
PLACE = ontology_dir() / "place.ttl"


@pytest.fixture(params=["embedded", "oxigraph-server"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """The options that point a command at an empty store of each kind."""
    if request.param == "embedded":
        yield ["--data-dir", str(tmp_path / "data")]
    else:
        with OxigraphServer(tmp_path / "server") as server:
            yield ["--store", server.query_url, "--store-update", server.update_url]


def test_load_reports_quads_and_rate(where: list[str]) -> None:
    result = run("load", *map(str, SOURCES), *where)
    assert result.returncode == 0, result.stderr
    assert f"loaded {SOURCE_QUADS} quads from {len(SOURCES)} file(s)" in result.stderr
    assert "quads/s" in result.stderr


def test_load_needs_a_graph_for_turtle_and_replace_replaces(where: list[str]) -> None:
    result = run("load", str(PLACE), *where)
    assert result.returncode == 2 and "--graph" in result.stderr
    graph = "https://w3id.org/ilbirs/ontology/place"
    assert run("load", str(PLACE), "--graph", graph, *where).returncode == 0
    again = run("load", str(PLACE), "--graph", graph, "--replace", *where)
    assert again.returncode == 0 and "loaded 146 quads" in again.stderr
    exported = run("export", "--format", "turtle", "--graph", graph, *where)
    assert len(Graph().parse(data=exported.stdout, format="turtle")) == 146


def test_a_broken_file_loads_nothing_and_names_file_and_line(where: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.trig"
    bad.write_text(
        "<https://example.org/g> {\n <https://example.org/a> <https://example.org/b> 'ok' .\n <https://example.org/a> <https://example.org/b> .\n}\n",
        encoding="utf-8",
    )
    result = run("load", str(bad), *where)
    assert result.returncode == 2
    assert "bad.trig, line 3" in result.stderr
    assert run("export", "--format", "nquads", *where).stdout.strip() == ""


def quads_without_bnode_labels(nquads: str) -> list[str]:
    """The N-Quads lines, sorted, with blank-node labels (which a reload renames) blanked."""
    return sorted(re.sub(r"_:\S+", "_:b", line) for line in nquads.splitlines() if line.strip())


def test_backup_and_restore_give_back_the_same_quads(where: list[str], tmp_path: Path) -> None:
    assert run("load", *map(str, SOURCES), *where).returncode == 0
    assert run("backup", str(tmp_path / "backup"), *where).returncode == 0
    fresh = ["--data-dir", str(tmp_path / "fresh")]
    restored = run("restore", str(tmp_path / "backup"), *fresh)
    assert restored.returncode == 0, restored.stderr
    before = quads_without_bnode_labels(run("export", "--format", "nquads", *where).stdout)
    after = quads_without_bnode_labels(run("export", "--format", "nquads", *fresh).stdout)
    assert f"restored {len(before)} quads" in restored.stderr
    log = [line for line in before if line.endswith("<https://w3id.org/ilbirs/graph/system> .")]
    assert before == after and len(before) - len(log) == SOURCE_QUADS
    assert any("ilbirs load" in line for line in log)  # the load was logged, and travels with the backup
    refused = run("restore", str(tmp_path / "backup"), *fresh)
    assert refused.returncode == 2 and "not empty" in refused.stderr


def test_info_reports_the_configured_store(where: list[str]) -> None:
    assert run("load", str(SOURCES[0]), *where).returncode == 0
    result = run("info", "--format", "json", *where)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [g["graph"] for g in doc["graphs"]] == [
        "https://w3id.org/ilbirs/graph/" + SOURCES[0].stem,
        "https://w3id.org/ilbirs/graph/system",  # the store's version and the log of the load
    ]
    assert doc["store"] in {"embedded-disk", "sparql-http"}
