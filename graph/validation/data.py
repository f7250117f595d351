"""The graph that validation sees: the union of every graph of a store (ontology and
vocabularies included, so that ``sh:class`` follows ``rdfs:subClassOf``), plus one
``<g> a kg:NamedGraph`` triple per named graph of data, so that shapes about graphs
(``shapes:NamedGraphShape``) can target them."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS
from rdflib.term import Identifier

from ilbirs.graph.namespace import KG
from ilbirs.graph.sparql import load_query
from ilbirs.graph.store import Store, Triple

__all__ = ["english_labels", "graph_markers", "validation_graph"]


def graph_markers(store: Store) -> list[Triple]:
    """One ``(g, rdf:type, kg:NamedGraph)`` triple for each named graph of data in ``store``."""
    return [
        (row["graph"], RDF.type, KG.NamedGraph)
        for row in store.select(load_query("select_data_graphs"))
        if isinstance(row.get("graph"), URIRef)
    ]


def validation_graph(store: Store) -> Graph:
    """The union graph of ``store`` with the named-graph markers, ready for a Validator."""
    graph = Graph()
    for triple in store.triples():
        graph.add(triple)
    for triple in graph_markers(store):
        graph.add(triple)
    return graph


def english_labels(graph: Graph, nodes: set[Identifier]) -> dict[Identifier, str]:
    """The English preferred label (or any preferred label) of each node that has one."""
    labels: dict[Identifier, str] = {}
    for node in nodes:
        found = list(graph.objects(node, SKOS.prefLabel))
        english = [str(x) for x in found if getattr(x, "language", None) == "en"]
        if english or found:
            labels[node] = sorted(english)[0] if english else str(sorted(found, key=str)[0])
    return labels
