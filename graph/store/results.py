"""Query results between the engine and the client: read an engine's result whole (so that a
result cut off part-way is an error, never a short answer), count it, and write it in the
format the client asked for. pyoxigraph does the parsing and writing.

Engines are always asked for SPARQL JSON results (SELECT, ASK) or N-Triples (CONSTRUCT,
DESCRIBE): both are complete, streamable and read by every engine.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
from rdflib.term import Identifier

from ilbirs.graph.errors import StoreError

from .base import RawResult
from .terms import from_oxigraph

__all__ = ["GRAPH_TYPES", "RESULT_TYPES", "convert", "read_graph", "read_solutions", "solution_rows"]

#: Media types of SELECT / ASK results, the first being the default.
RESULT_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
}
#: Media types of CONSTRUCT / DESCRIBE results (an RDF graph), the first being the default.
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "text/plain": ox.RdfFormat.N_TRIPLES,
}
_ASK_TABLE = ["__ASK_RETVAL"]  # Virtuoso answers ASK as a one-row table of this variable


def read_solutions(body: bytes, *, what: str) -> RawResult:
    """Check that ``body`` is a whole SPARQL JSON result and count it.

    >>> read_solutions(b'{"head":{},"boolean":true}', what="test").kind
    'boolean'

    :raises StoreError: ``body`` is not a whole SPARQL JSON result (``what`` names its sender).
    """
    try:
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        if isinstance(parsed, ox.QueryBoolean):
            return RawResult("boolean", body, 1)
        if [v.value for v in parsed.variables] == _ASK_TABLE:
            value = any(str(row[0].value) not in ("0", "false") for row in parsed if row[0] is not None)
            return RawResult("boolean", json.dumps({"head": {}, "boolean": value}).encode(), 1)
        return RawResult("solutions", body, sum(1 for _ in parsed))
    except SyntaxError as exc:
        raise StoreError(f"{what} sent a result that is cut off or unreadable: {exc}") from exc


def solution_rows(result: RawResult) -> list[dict[str, Identifier]]:
    """The solutions of a ``"solutions"`` result as rdflib terms, unbound variables left out.

    >>> solution_rows(read_solutions(b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"uri","value":"https://e/a"}}]}}', what="test"))
    [{'x': rdflib.term.URIRef('https://e/a')}]
    """
    parsed = ox.parse_query_results(result.body, format=ox.QueryResultsFormat.JSON)
    assert not isinstance(parsed, ox.QueryBoolean)
    names = [v.value for v in parsed.variables]
    return [
        {name: from_oxigraph(term) for name, term in zip(names, row, strict=True) if term is not None}
        for row in parsed
    ]


def read_graph(body: bytes, *, what: str) -> RawResult:
    """Check that ``body`` is whole N-Triples and count its distinct triples.

    A graph is a set: the same triple from several graphs of the union is kept once.

    :raises StoreError: it is not.
    """
    try:
        triples = dict.fromkeys(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError as exc:
        raise StoreError(f"{what} sent a graph that is cut off or unreadable: {exc}") from exc
    if body.count(b"\n") != len(triples):
        body = ox.serialize((q.triple for q in triples), format=ox.RdfFormat.N_TRIPLES) or b""
    return RawResult("graph", body, len(triples))


def convert(result: RawResult, media_type: str) -> bytes:
    """``result`` written as ``media_type`` (a key of RESULT_TYPES or GRAPH_TYPES that fits
    its kind). SPARQL JSON and N-Triples pass through unchanged.

    >>> convert(RawResult("boolean", b'{"head":{},"boolean":true}', 1), "text/tab-separated-values")
    b'true'
    """
    if result.kind == "graph":
        fmt = GRAPH_TYPES[media_type]
        if fmt == ox.RdfFormat.N_TRIPLES:
            return result.body
        triples = ox.parse(result.body, format=ox.RdfFormat.N_TRIPLES)
        return ox.serialize(triples, format=fmt) or b""
    results_format = RESULT_TYPES[media_type]
    if results_format == ox.QueryResultsFormat.JSON:
        return result.body
    parsed = ox.parse_query_results(result.body, format=ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=results_format) or b""
