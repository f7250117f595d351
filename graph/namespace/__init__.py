"""Namespaces of Ilbirs: the closed ``KG`` class of ontology terms (generated from
``ontology/``, checked for drift by a test), and the open bases of instances, graphs,
vocabularies and shapes.

>>> KG.ProtectedArea
rdflib.term.URIRef('https://w3id.org/ilbirs/def/ProtectedArea')
>>> ID["animal/umai"]
rdflib.term.URIRef('https://w3id.org/ilbirs/id/animal/umai')
"""

from __future__ import annotations

from rdflib import Literal, Namespace, URIRef

from ._kg import KG

__all__ = ["BASE", "GRAPH", "ID", "KG", "ONTOLOGY", "PREFIXES", "SHAPES", "VOCAB", "shorten"]

#: The one base of every Ilbirs IRI, wherever Ilbirs is deployed (see ontology/README.md).
BASE = Namespace("https://w3id.org/ilbirs/")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
VOCAB = Namespace(BASE + "vocab/")
ONTOLOGY = Namespace(BASE + "ontology/")
SHAPES = Namespace(BASE + "shapes/")

#: Prefixes for display and for SPARQL clients, longest namespace first when shortening.
PREFIXES: dict[str, str] = {
    "kg": "https://w3id.org/ilbirs/def/",
    "id": str(ID),
    "graph": str(GRAPH),
    "vocab": str(VOCAB),
    "ontology": str(ONTOLOGY),
    "shapes": str(SHAPES),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "dwc": "http://rs.tdwg.org/dwc/terms/",
    "dwciri": "http://rs.tdwg.org/dwc/iri/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "sh": "http://www.w3.org/ns/shacl#",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
}


def shorten(term: object) -> str:
    """A compact, readable form of a term for people: a CURIE where a prefix fits.

    >>> shorten(URIRef("https://w3id.org/ilbirs/id/animal/umai"))
    'id:animal/umai'
    >>> shorten(URIRef("https://w3id.org/ilbirs/ontology/"))
    'ontology:'
    >>> shorten(URIRef("https://example.org/x"))
    '<https://example.org/x>'
    """
    if isinstance(term, URIRef):
        text = str(term)
        for prefix, base in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if text.startswith(base):
                return f"{prefix}:{text[len(base) :]}"
        return f"<{text}>"
    if isinstance(term, Literal):
        return term.n3()
    return str(term)
