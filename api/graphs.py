"""``/graphs``: the SPARQL 1.1 Graph Store HTTP Protocol
(https://www.w3.org/TR/sparql11-http-rdf-update/), indirect identification: ``?graph=IRI`` or
``?default``. GET and HEAD read a graph; PUT replaces it, POST adds to it (an RDF document, or
several as ``multipart/form-data``), DELETE removes it. Every write is validated like an
update (``ilbirs.graph.writes``): 422 with the report when it would break the shapes.

Statuses as the specification gives them: 201 when a write creates the graph, 204 otherwise,
404 for a graph that does not exist, 400 for a relative or missing graph IRI, 415 for a body
in a type Ilbirs does not read. A POST to ``/graphs`` itself (no ``graph``, no ``default``)
creates a graph with a new IRI under ``https://w3id.org/ilbirs/graph/upload/`` and answers 201
with that IRI as ``Location``.

A graph exists while it holds triples: like Virtuoso (and as SPARQL 1.1 Update allows for
stores that do not record empty graphs), Ilbirs keeps no empty graph, so a PUT of an empty
document leaves nothing to GET (404).
"""

from __future__ import annotations

import uuid
from email.parser import BytesParser
from email.policy import HTTP
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from rdflib import URIRef
from starlette.concurrency import run_in_threadpool

from ilbirs.graph.changes import Quad, QuadChange
from ilbirs.graph.store import Store, Triple
from ilbirs.graph.store.base import RawResult
from ilbirs.graph.store.formats import GRAPH_UPLOAD_TYPES, parse_triples
from ilbirs.graph.store.results import GRAPH_TYPES, convert
from ilbirs.graph.writes import DEFAULT_GRAPH, graph_change, graph_quads

from .auth import require
from .docs import DELETE_RESPONSES, GRAPH_PARAMETERS, GRAPH_READ_RESPONSES, GRAPH_WRITE_BODY, SEND_RESPONSES
from .errors import ProblemError
from .sparql import ABSOLUTE_IRI, choose, content_type, media_type_of, read_body, require_utf8, run_write

__all__ = ["router"]

router = APIRouter()

_BY_EXTENSION = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml",
    ".owl": "application/rdf+xml",
}


NEW_GRAPHS = "https://w3id.org/ilbirs/graph/upload/"


def _target(request: Request) -> URIRef:
    """The graph a request is about: ``?graph=IRI`` or ``?default``.

    :raises ProblemError: 400 for neither, both, or a graph IRI that is not absolute.
    """
    params = request.query_params
    graphs = params.getlist("graph")
    if "default" in params and graphs:
        raise ProblemError(400, "Invalid request", "name one graph: `?graph=IRI` or `?default`, not both")
    if "default" in params:
        return DEFAULT_GRAPH
    if len(graphs) != 1:
        raise ProblemError(400, "Invalid request", "name the graph: `?graph=<absolute IRI>` or `?default`")
    if not ABSOLUTE_IRI.match(graphs[0]):
        raise ProblemError(
            400, "Invalid request", f"`graph` must be an absolute IRI, not {graphs[0][:100]!r}"
        )
    return URIRef(graphs[0])


def _ntriples(quads: set[Quad]) -> bytes:
    lines = [f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o, _ in quads]
    return "".join(lines).encode("utf-8")


#: What the OpenAPI document says of GET and HEAD, and of PUT and POST (``api/docs.py``).
_READ_DOCS: dict[str, Any] = {
    "response_class": Response,
    "responses": GRAPH_READ_RESPONSES,
    "openapi_extra": {"parameters": GRAPH_PARAMETERS},
}
_SEND_DOCS: dict[str, Any] = {
    "status_code": 204,
    "responses": SEND_RESPONSES,
    "openapi_extra": {"parameters": GRAPH_PARAMETERS, "requestBody": GRAPH_WRITE_BODY},
}


@router.get("/graphs", summary="Read a graph (Graph Store Protocol)", operation_id="graph_get", **_READ_DOCS)
@router.head(
    "/graphs",
    summary="A graph's headers, without its body (Graph Store Protocol)",
    operation_id="graph_head",
    **_READ_DOCS,
)
async def read_graph(request: Request) -> Response:
    """A graph in Turtle (default), N-Triples, JSON-LD or RDF/XML; HEAD: the same, no body."""
    require(request, "reader")
    graph = _target(request)
    chosen = choose(request, list(GRAPH_TYPES))
    store: Store = request.app.state.store
    quads = await run_in_threadpool(graph_quads, store, graph)
    if not quads and graph != DEFAULT_GRAPH:
        raise ProblemError(404, "Not found", f"the store has no graph <{graph}>")
    content = await run_in_threadpool(convert, RawResult("graph", _ntriples(quads), len(quads)), chosen)
    headers = {"Vary": "Accept"}
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(content))
        return Response(b"", media_type=content_type(chosen), headers=headers)
    return Response(content, media_type=content_type(chosen), headers=headers)


async def _triples(request: Request, graph: URIRef) -> list[Triple]:
    """The triples a PUT or POST sends: one RDF document, or the parts of a multipart form,
    parsed off the event loop within the settings' ``parse_limits``."""
    settings = request.app.state.settings
    kind = media_type_of(request)
    body = await read_body(request, settings.max_body_bytes)
    limits = settings.parse_limits
    base = str(graph) if graph != DEFAULT_GRAPH else str(request.url)
    if kind == "multipart/form-data":
        header = request.headers["content-type"].encode("latin-1")
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + header + b"\r\n\r\n" + body)
        if not message.is_multipart():
            raise ProblemError(400, "Invalid request", "the multipart body has no parts")
        triples: list[Triple] = []
        for number, part in enumerate(message.iter_parts(), start=1):
            name = part.get_filename() or f"part {number}"
            part_type = part.get_content_type()
            if part_type not in GRAPH_UPLOAD_TYPES:
                suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
                part_type = _BY_EXTENSION.get(suffix, part_type)
            if part_type not in GRAPH_UPLOAD_TYPES:
                raise ProblemError(
                    415, "Unsupported media type", f"{name}: {part_type} is not an RDF type Ilbirs reads"
                )
            require_utf8(part.get_content_charset(), name)
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            triples += await run_in_threadpool(
                partial(parse_triples, data, part_type, base_iri=base, what=name, limits=limits)
            )
        return triples
    if kind not in GRAPH_UPLOAD_TYPES:
        raise ProblemError(
            415,
            "Unsupported media type",
            f"send the graph as one of {', '.join(GRAPH_UPLOAD_TYPES)} or multipart/form-data"
            + (f", not {kind}" if kind else " (the Content-Type header is missing)"),
        )
    return await run_in_threadpool(
        partial(parse_triples, body, kind, base_iri=base, what="request body", limits=limits)
    )


async def _exists(store: Store, graph: URIRef) -> bool:
    if graph == DEFAULT_GRAPH:
        return True
    return bool(await run_in_threadpool(graph_quads, store, graph))


async def _send_graph(request: Request, *, replace: bool) -> Response:
    """PUT (``replace``) or POST: 201 if the graph is new, 204 otherwise; 422 if invalid."""
    token = require(request, "steward")
    assert token is not None
    named = "graph" in request.query_params or "default" in request.query_params
    minted = not replace and not named  # a POST to the graph store itself
    graph = URIRef(NEW_GRAPHS + str(uuid.uuid4())) if minted else _target(request)
    triples = await _triples(request, graph)
    store: Store = request.app.state.store
    existed = not minted and await _exists(store, graph)

    def change() -> QuadChange:
        return graph_change(store, graph, triples, replace=replace)

    params = list(request.query_params.multi_items())
    reason = "Graph Store PUT" if replace else "Graph Store POST"
    return await run_write(
        request,
        change,
        token,
        params,
        default_reason=reason,
        created=not existed,
        location=str(graph) if minted else None,
    )


@router.put("/graphs", summary="Replace a graph (Graph Store Protocol)", **_SEND_DOCS)
async def put_graph(request: Request) -> Response:
    """Replace the graph with the body: 201 if it is new, 204 otherwise; 422 if invalid."""
    return await _send_graph(request, replace=True)


@router.post("/graphs", summary="Add to a graph (Graph Store Protocol)", **_SEND_DOCS)
async def post_graph(request: Request) -> Response:
    """Add the body's triples to the graph: 201 if it is new, 204 otherwise; 422 if invalid.
    Without ``graph`` or ``default``: a new graph, 201 with its IRI as ``Location``."""
    return await _send_graph(request, replace=False)


@router.delete(
    "/graphs",
    summary="Delete a graph (Graph Store Protocol)",
    status_code=204,
    responses=DELETE_RESPONSES,
    openapi_extra={"parameters": GRAPH_PARAMETERS},
)
async def delete_graph(request: Request) -> Response:
    """Delete the graph: 204, or 404 if there is no such graph; 422 if the rest would be invalid."""
    token = require(request, "steward")
    assert token is not None
    graph = _target(request)
    store: Store = request.app.state.store
    if graph != DEFAULT_GRAPH and not await _exists(store, graph):
        raise ProblemError(404, "Not found", f"the store has no graph <{graph}>")

    def change() -> QuadChange:
        return graph_change(store, graph, None, replace=True)

    params = list(request.query_params.multi_items())
    return await run_write(request, change, token, params, default_reason="Graph Store DELETE", created=False)
