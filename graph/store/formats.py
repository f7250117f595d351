"""RDF formats by file extension and by name, shared by every store implementation."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

__all__ = ["EXPORT_FORMATS", "QUAD_FORMATS", "format_of", "graphs_in"]

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
