"""RDF formats by file extension and by name, shared by every store implementation; and the
parsing of uploaded RDF (:func:`parse_triples`) within bounds a client cannot push past
(:class:`ParseLimits`; the guards are in :mod:`.upload_guards`)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from ilbirs.graph.errors import LimitError, ParseError

from .base import Triple
from .terms import from_oxigraph
from .upload_guards import ParseLimits, check_json_depth, check_rdf_xml

__all__ = [
    "EXPORT_FORMATS",
    "GRAPH_UPLOAD_TYPES",
    "QUAD_FORMATS",
    "ParseLimits",
    "format_of",
    "graphs_in",
    "parse_triples",
]

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


def parse_triples(
    data: bytes, media_type: str, *, base_iri: str | None, what: str, limits: ParseLimits | None = None
) -> list[Triple]:
    """The triples of an RDF document in ``media_type`` (a key of GRAPH_UPLOAD_TYPES), relative
    IRIs resolved against ``base_iri``, parsed within ``limits`` (the defaults when ``None``):
    JSON-LD and RDF/XML are checked for nesting (and RDF/XML for its DTD entities) before the
    parser sees them, and every format stops at ``limits.max_triples``.

    :raises ParseError: it does not parse, or it names graphs; ``what`` names it in the message.
    :raises LimitError: it is past one of ``limits`` (the message says which, and the figure).
    """
    limits = limits or ParseLimits()
    fmt = GRAPH_UPLOAD_TYPES[media_type]
    if fmt == ox.RdfFormat.JSON_LD:
        check_json_depth(data, limits.max_depth, what)
    elif fmt == ox.RdfFormat.RDF_XML:
        check_rdf_xml(data, limits, what)
    triples: list[Triple] = []
    try:
        for quad in ox.parse(data, format=fmt, base_iri=base_iri):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                raise ParseError(Path(what), "a graph holds triples; this document names graphs")
            if len(triples) == limits.max_triples:
                raise LimitError(
                    f"{what}: more than {limits.max_triples:,} triples in one upload; "
                    "send the graph in several parts (POST adds to a graph)"
                )
            predicate = URIRef(quad.predicate.value)
            triples.append((from_oxigraph(quad.subject), predicate, from_oxigraph(quad.object)))
    except SyntaxError as exc:
        raise ParseError(Path(what), str(exc.msg), line=exc.lineno) from exc
    return triples
