"""RDF formats by file extension and by name, shared by every store implementation."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from ilbirs.graph.errors import ParseError

from .base import Triple
from .terms import from_oxigraph

__all__ = ["EXPORT_FORMATS", "GRAPH_UPLOAD_TYPES", "QUAD_FORMATS", "format_of", "graphs_in", "parse_triples"]

_BY_SUFFIX = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}
#: Formats that name their own graphs; the others load into a graph given by the caller.
QUAD_FORMATS = frozenset({ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS})
#: Formats ``dump`` writes, by the name a user types.
EXPORT_FORMATS = {
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
}


def format_of(path: Path) -> ox.RdfFormat:
    """The RDF format of ``path`` by its extension.

    :raises ValueError: the extension is not an RDF format Ilbirs reads.
    """
    fmt = _BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(_BY_SUFFIX))
        raise ValueError(f"{path}: unknown RDF file type {path.suffix!r} (known: {known})")
    return fmt


def graphs_in(path: Path, fmt: ox.RdfFormat, graph: object | None) -> set[str]:
    """The IRIs of the graphs loading ``path`` writes: ``graph``, or those the file names."""
    if graph is not None:
        return {str(graph)}
    return {
        q.graph_name.value
        for q in ox.parse(path=str(path), format=fmt)
        if isinstance(q.graph_name, ox.NamedNode)
    }


#: Media types a graph can be sent in (Graph Store Protocol), and the file extensions of each.
GRAPH_UPLOAD_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def parse_triples(data: bytes, media_type: str, *, base_iri: str | None, what: str) -> list[Triple]:
    """The triples of an RDF document in ``media_type`` (a key of GRAPH_UPLOAD_TYPES), relative
    IRIs resolved against ``base_iri``.

    :raises ParseError: it does not parse, or it names graphs; ``what`` names it in the message.
    """
    try:
        quads = list(ox.parse(data, format=GRAPH_UPLOAD_TYPES[media_type], base_iri=base_iri))
    except SyntaxError as exc:
        raise ParseError(Path(what), str(exc.msg), line=exc.lineno) from exc
    triples: list[Triple] = []
    for quad in quads:
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            raise ParseError(Path(what), "a graph holds triples; this document names graphs")
        predicate = URIRef(quad.predicate.value)
        triples.append((from_oxigraph(quad.subject), predicate, from_oxigraph(quad.object)))
    return triples
