"""What ``ilbirs info`` reports: versions, where the files are, and the quads in each graph."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from rdflib import URIRef
from rdflib.term import Identifier

from .resources import data_dir, ontology_dir, shapes_dir
from .sparql import load_query
from .store import Store

__all__ = ["GraphCount", "Info", "describe"]

_UMBRELLA = URIRef("https://w3id.org/ilbirs/ontology")


@dataclass(frozen=True)
class GraphCount:
    """A graph of the store (``None`` for the default graph), its quads, and what it holds: the
    label of its source for a data graph, the title of the ontology for an ontology graph."""

    graph: URIRef | None
    quads: int
    source_label: str | None


@dataclass(frozen=True)
class Info:
    """A summary of an Ilbirs installation and the store it reads."""

    package_version: str
    ontology_version: str | None
    ontology_dir: Path
    shapes_dir: Path
    data_dir: Path
    store_kind: str
    graphs: list[GraphCount]

    @property
    def total_quads(self) -> int:
        return sum(g.quads for g in self.graphs)


def _text(term: Identifier | None) -> str | None:
    return None if term is None else str(term)


def describe(store: Store) -> Info:
    """Summarise the installation and the graphs of ``store``.

    :raises QueryError: the store refused one of the shipped queries.
    """
    version = None
    labels: dict[Identifier, str | None] = {}
    for row in store.select(load_query("select_ontology_versions")):
        if row.get("ontology") == _UMBRELLA:
            version = _text(row.get("version"))
        labels[row["ontology"]] = _text(row.get("title"))
    for row in store.select(load_query("select_source_graphs")):
        labels[row["graph"]] = _text(row.get("label"))
    graphs = []
    for row in store.select(load_query("count_quads_per_graph"), union=False):
        graph = row.get("graph")
        name = URIRef(graph) if graph is not None else None
        graphs.append(GraphCount(name, int(str(row["quads"])), labels.get(name) if name else None))
    return Info(
        package_version=metadata.version("ilbirs"),
        ontology_version=version,
        ontology_dir=ontology_dir(),
        shapes_dir=shapes_dir(),
        data_dir=data_dir(),
        store_kind=store.kind,
        graphs=graphs,
    )
