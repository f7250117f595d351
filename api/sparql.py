"""``/sparql``: the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/).

Queries by GET, by POST of a form (``query=``) and by POST of ``application/sparql-query``;
updates by POST of a form (``update=``) and of ``application/sparql-update``; the dataset
parameters of both. GET with no query answers the service description. The work is done by
``ilbirs.graph.service``; this module reads the request and writes the response.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from urllib.parse import parse_qsl

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from rdflib import URIRef
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ilbirs.graph.changes import ConflictError, QuadChange, current_version
from ilbirs.graph.errors import IlbirsError
from ilbirs.graph.service import (
    Limits,
    check_depth,
    run_query,
    run_query_async,
    runs_async,
    service_description,
)
from ilbirs.graph.sparql_text import analyse
from ilbirs.graph.store import Store
from ilbirs.graph.store.base import QueryDataset
from ilbirs.graph.store.results import GRAPH_TYPES, RESULT_TYPES, convert
from ilbirs.graph.validation import report_graph, report_json
from ilbirs.graph.writes import InvalidChangeError, WriteOutcome, update_change, write

from .auth import require
from .cache import ResponseCache, VersionClock, etag_for, request_key, wants_fresh
from .conneg import NotAcceptableHeaderError, negotiate
from .docs import SPARQL_GET_PARAMETERS, SPARQL_POST_BODY, SPARQL_RESPONSES
from .errors import ProblemError, internal_error, problem_for, status_for
from .tokens import Token

__all__ = [
    "ABSOLUTE_IRI",
    "choose",
    "content_type",
    "early_query",
    "media_type_of",
    "read_body",
    "require_utf8",
    "router",
    "run_write",
]

router = APIRouter()

FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
_SINGLE = ("query", "update")
#: An absolute IRI (RFC 3987, loosely): a scheme, then no characters that IRIs forbid.
ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20\x7f<>\"{}|^`\\]*$")
_DESCRIPTION_TYPES = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
_RDFLIB_FORMAT = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read up to ``limit`` bytes.

    :raises ProblemError: 413 past the limit.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ProblemError(
            413, "Request too large", f"the body is {int(declared):,} bytes; the limit is {limit:,}"
        )
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProblemError(
                413, "Request too large", f"the body is more than the limit of {limit:,} bytes"
            )
        parts.append(chunk)
    return b"".join(parts)


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(400, "Not UTF-8", f"the {what} is not UTF-8 (byte {exc.start})") from exc


#: The charsets a request body may declare: UTF-8, and ASCII (a subset of it).
UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})


def require_utf8(charset: str | None, what: str) -> None:
    """The one rule on the charset of what a client sends (``/sparql`` and ``/graphs`` alike):
    UTF-8 (or none given, which means UTF-8 for every type Ilbirs reads).

    :raises ProblemError: 415 for any other charset, naming it.
    """
    if charset is not None and charset not in UTF8_CHARSETS:
        raise ProblemError(
            415, "Unsupported media type", f"the {what} must be UTF-8, not {charset}: send it as UTF-8"
        )


def media_type_of(request: Request) -> str:
    """The request's media type, lower case, once its charset is known to be UTF-8.

    :raises ProblemError: 415 for a charset other than UTF-8 (:func:`require_utf8`).
    """
    header = request.headers.get("content-type", "")
    kind, *params = [p.strip() for p in header.split(";")]
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            require_utf8(value.strip().strip('"').lower(), "request body")
    return kind.lower()


def _params(request: Request, body: bytes | None) -> list[tuple[str, str]]:
    """The protocol parameters: those of the URL, and of a form body."""
    found = list(request.query_params.multi_items())
    if body is not None:
        try:
            found += parse_qsl(_utf8(body, "form body"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError as exc:  # a %-escape that is not UTF-8
            raise ProblemError(400, "Not UTF-8", f"a form value is not UTF-8: {exc.reason}") from exc
    return found


def _one(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise ProblemError(
            400, "Invalid request", f"the request has {len(values)} `{name}` parameters; send one"
        )
    return values[0] if values else None


def _iris(params: list[tuple[str, str]], name: str) -> tuple[str, ...]:
    values = tuple(v for k, v in params if k == name)
    for value in values:
        if not ABSOLUTE_IRI.match(value):
            raise ProblemError(
                400, "Invalid request", f"`{name}` must be an absolute IRI, not {value[:100]!r}"
            )
    return values


def choose(request: Request, offered: Sequence[str]) -> str:
    """The media type to answer in.

    :raises ProblemError: 400 for an unreadable Accept header, 406 when nothing offered is acceptable.
    """
    try:
        chosen = negotiate(request.headers.get("accept"), offered)
    except NotAcceptableHeaderError as exc:
        raise ProblemError(400, "Invalid Accept header", str(exc)) from exc
    if chosen is None:
        raise ProblemError(406, "Not acceptable", "this resource is available as: " + ", ".join(offered))
    return chosen


def content_type(media_type: str) -> str:
    textual = media_type.startswith("text/") or media_type.endswith(("json", "xml"))
    return f"{media_type}; charset=utf-8" if textual else media_type


@router.get(
    "/sparql",
    summary="SPARQL 1.1 query (or, without one, the service description)",
    operation_id="sparql_query_get",
    responses=SPARQL_RESPONSES,
    openapi_extra={"parameters": SPARQL_GET_PARAMETERS},
)
@router.post(
    "/sparql",
    summary="SPARQL 1.1 query or update",
    operation_id="sparql_post",
    responses=SPARQL_RESPONSES,
    openapi_extra={"requestBody": SPARQL_POST_BODY},
)
async def sparql(request: Request) -> Response:
    """The SPARQL 1.1 Protocol endpoint: a query by GET, POST form or POST
    ``application/sparql-query``; an update by POST form or ``application/sparql-update``."""
    settings = request.app.state.settings
    limits: Limits = settings.limits
    body = None
    media_type = ""
    if request.method == "POST":
        media_type = media_type_of(request)
        raw = await read_body(request, settings.max_body_bytes)
        if media_type == FORM:
            params = _params(request, raw)
        elif media_type in (QUERY_TYPE, UPDATE_TYPE):
            params = _params(request, None)
            if any(k in _SINGLE for k, _ in params):
                raise ProblemError(
                    400,
                    "Invalid request",
                    f"with {media_type}, the body is the request: no `query` or `update` parameter",
                )
            params.append(("query" if media_type == QUERY_TYPE else "update", _utf8(raw, "body")))
        else:
            raise ProblemError(
                415,
                "Unsupported media type",
                f"POST a query or update as {FORM}, {QUERY_TYPE} or {UPDATE_TYPE}"
                + (f", not {media_type}" if media_type else " (the Content-Type header is missing)"),
            )
        body = raw
    else:
        params = _params(request, None)
    query, update = _one(params, "query"), _one(params, "update")
    if query is not None and update is not None:
        raise ProblemError(400, "Invalid request", "a request holds a query or an update, not both")
    if update is not None:
        if request.method != "POST":
            raise ProblemError(405, "Method not allowed", "send updates by POST", headers={"Allow": "POST"})
        return await _run_update(request, update, params)
    if query is None:
        if body is not None:
            raise ProblemError(400, "Invalid request", "the form has no `query` or `update` parameter")
        if request.method == "GET" and _wants_html(request):
            from .pages import sparql_page  # the page for people; imported here: it uses this module

            return sparql_page(request)
        return _description(request, limits)
    require(request, "reader")
    dataset = None
    default, named = _iris(params, "default-graph-uri"), _iris(params, "named-graph-uri")
    if default or named:
        dataset = QueryDataset(default, named)
    store: Store = request.app.state.store
    if request.method == "GET" and _wants_html(request):
        return await _html_answer(request, store, query, limits, dataset)
    info = analyse(query, max_depth=limits.max_depth)
    offered = list(GRAPH_TYPES) if info.form in ("CONSTRUCT", "DESCRIBE") else list(RESULT_TYPES)
    chosen = choose(request, offered)
    cache: ResponseCache = request.app.state.cache
    headers = {"Vary": "Accept"}
    etag, version = None, None
    base = _endpoint(request)  # relative IRIs resolve against it: part of the answer's tag
    if not info.services:  # an answer with another endpoint's data is not this store's to tag
        clock: VersionClock = request.app.state.version_clock
        version = clock.known()  # no thread hop when the version is known
        if version is None:
            version = await run_in_threadpool(clock.version, lambda: current_version(store))
        etag = _etag(version, query, dataset, chosen, base)
        headers["ETag"] = etag
        if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        cached = None if wants_fresh(request.scope["headers"]) else cache.get(etag)
        if cached is not None:
            _remember(request, cache, version, etag)
            return Response(cached[0], media_type=cached[1], headers={**headers, "Ilbirs-Cache": "hit"})
    result = await run_in_threadpool(
        run_query, store, query, limits=limits, dataset=dataset, info=info, base=base
    )
    if (result.kind == "graph") != (chosen in GRAPH_TYPES):  # the form was misread: negotiate again
        chosen = choose(request, list(GRAPH_TYPES) if result.kind == "graph" else list(RESULT_TYPES))
    if chosen in _PASSED_THROUGH:  # the engine's own bytes: no conversion, no thread hop
        content = result.body
    else:
        content = await run_in_threadpool(convert, result, chosen)
    if etag is not None and version is not None:
        _keep(request, cache, version, etag, content, chosen)
    return Response(content, media_type=content_type(chosen), headers=headers)


def _etag(version: int, query: str, dataset: QueryDataset | None, chosen: str, base: str) -> str:
    """The ETag of a query's answer: the store's version, the query, its dataset, the media
    type and the endpoint's URL (a relative IRI's base)."""
    return etag_for(version, query, repr(dataset), chosen, base)


def _keep(
    request: Request, cache: ResponseCache, version: int, etag: str, content: bytes, chosen: str
) -> None:
    """Keep an answer, and let :class:`~.cache.AnswerFromCache` give it to this GET again."""
    cache.put(etag, content, content_type(chosen))
    _remember(request, cache, version, etag)


def early_query(scope: Scope, known: int | None) -> ASGIApp | None:
    """The answer to a plain anonymous ``GET /sparql`` query, run on the event loop: a SELECT
    or ASK whose only parameter is ``query``, answered in SPARQL JSON results (the engine's own
    bytes), on a store that runs it so (``service.runs_async``): what the route answers
    (tested byte for byte, errors included), without FastAPI's routing or a thread for the
    engine's answer (measured: see the README's SPARQL benchmark). ``None`` for every other
    request (the dataset parameters, another format, SERVICE, an update, ``If-None-Match``, a
    browser): the route answers those. Called by ``cache.AnswerFromCache`` for requests
    without credentials while anonymous reading is on, after its cache missed, given the
    store's version as this worker knows it (``known``; ``None``: the route asks the store)."""
    raw = scope["query_string"]
    if known is None or not raw:
        return None
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "query":
        return None
    request = Request(scope)
    accept = request.headers.get("accept")
    if "if-none-match" in request.headers or (accept not in _JSON_FIRST and _wants_html(request)):
        return None
    state = scope["app"].state
    store: Store = state.store
    limits: Limits = state.settings.limits
    text = pairs[0][1]
    try:
        info = analyse(text, max_depth=limits.max_depth)
    except IlbirsError:  # the route explains what is wrong with it
        return None
    if not runs_async(store, info, limits, text):
        return None
    try:
        chosen = _JSON_RESULTS if accept in _JSON_FIRST else choose(request, list(RESULT_TYPES))
    except ProblemError:
        return None
    if chosen != _JSON_RESULTS:
        return None
    base = _endpoint(request)
    etag = _etag(known, text, None, chosen, base)
    cache: ResponseCache = state.cache

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            result = await run_query_async(store, text, limits=limits, info=info, base=base)
        except IlbirsError as exc:
            response: Response = problem_for(exc)
        except Exception:  # a bug: answered as the app answers one
            _log.exception("unexpected error on GET /sparql")
            response = internal_error()
        else:
            _keep(request, cache, known, etag, result.body, chosen)
            headers = {"Vary": "Accept", "ETag": etag}
            response = Response(result.body, media_type=content_type(chosen), headers=headers)
        await response(scope, receive, send)

    return answer


_JSON_RESULTS = "application/sparql-results+json"
#: ``Accept`` headers that choose SPARQL JSON results, and not the page, at once (JSON results
#: are offered first).
_JSON_FIRST = frozenset([None, "*/*", _JSON_RESULTS])
_log = logging.getLogger("ilbirs.api")


def _remember(request: Request, cache: ResponseCache, version: int, etag: str) -> None:
    """Let :class:`~.cache.AnswerFromCache` answer this GET again, byte for byte, from ``etag``."""
    key = request_key(request.scope) if request.method == "GET" else None
    if key is not None:
        cache.remember(key, version, etag)


#: What ``convert`` passes through unchanged (the engine is asked for these).
_PASSED_THROUGH = frozenset({"application/sparql-results+json", "application/n-triples"})


def _wants_html(request: Request) -> bool:
    """A browser: it prefers HTML to every format a program asks for."""
    try:
        offered = ["application/sparql-results+json", "text/turtle", "text/html"]
        return negotiate(request.headers.get("accept"), offered) == "text/html"
    except NotAcceptableHeaderError:
        return False


async def _html_answer(
    request: Request, store: Store, query: str, limits: Limits, dataset: QueryDataset | None
) -> Response:
    """The SPARQL page with the query's result as a table, or with why it failed."""
    from .pages import sparql_page

    try:
        result = await run_in_threadpool(
            run_query, store, query, limits=limits, dataset=dataset, base=_endpoint(request)
        )
    except IlbirsError as exc:
        error = {"status": str(status_for(exc)), "title": type(exc).__name__, "detail": str(exc)}
        return sparql_page(request, query, error=error)
    return sparql_page(request, query, result)


def _endpoint(request: Request) -> str:
    """This endpoint's URL: the base IRI of requests that declare none."""
    return str(request.url.replace(query="", fragment=""))


async def _run_update(request: Request, update: str, params: list[tuple[str, str]]) -> Response:
    token = require(request, "steward")
    assert token is not None  # a steward is never anonymous
    settings = request.app.state.settings
    limits: Limits = settings.limits
    check_depth(analyse(update, max_depth=limits.max_depth).depth, limits)
    using = None
    default, named = _iris(params, "using-graph-uri"), _iris(params, "using-named-graph-uri")
    if default or named:
        using = QueryDataset(default, named)
    store: Store = request.app.state.store

    def change() -> QuadChange:
        return update_change(
            store,
            update,
            using=using,
            max_copy_quads=settings.max_copy_quads,
            base=_endpoint(request),
            max_depth=limits.max_depth,
            timeout_s=limits.timeout_s,
            max_rows=limits.max_rows,
        )

    return await run_write(request, change, token, params, default_reason="SPARQL Update")


async def run_write(
    request: Request,
    change: Callable[[], QuadChange],
    token: Token,
    params: list[tuple[str, str]],
    *,
    default_reason: str,
    created: bool | None = None,
    location: str | None = None,
) -> Response:
    """Validate and apply a write; answer 200 with what changed (``created`` ``None``: SPARQL
    Update), or 201 with it (``True``, with ``location`` as its ``Location``) or 204
    (``False``) for the Graph Store Protocol; 422
    with the validation report when the change would break the shapes, 409 on a conflict.

    Who: the token's name; why: ``reason`` (parameter or ``Ilbirs-Reason`` header); from which
    source: ``source`` (parameter or ``Ilbirs-Source`` header, an IRI).
    """
    reason = _one(params, "reason") or request.headers.get("ilbirs-reason") or default_reason
    source = _one(params, "source") or request.headers.get("ilbirs-source")
    if source is not None and not ABSOLUTE_IRI.match(source):
        raise ProblemError(400, "Invalid request", f"`source` must be an absolute IRI, not {source[:100]!r}")
    store: Store = request.app.state.store
    state = request.app.state

    def follow(outcome: WriteOutcome) -> None:
        """Bring the index up to the new version, then tell the workers (under the write lock:
        the host's next write finds the index current, and readers that saw the new version
        wait for this rather than rebuild the index: ``Search.ensure_current``)."""
        record = outcome.record
        assert record is not None
        quads = outcome.change.added | outcome.change.removed
        try:
            state.search.refresh(store, quads, record.version, record=record.iri)
        except (sqlite3.Error, IlbirsError):  # the write stands; the index, behind, is rebuilt
            _log.exception("the index was not refreshed after the write of version %s", record.version)
        state.version_clock.wrote(record.version)

    writing = partial(
        write,
        store,
        change,
        actor=token.name,
        reason=reason,
        source=URIRef(source) if source else None,
        applied=follow,
    )
    try:
        outcome = await anyio.to_thread.run_sync(writing, limiter=_write_turns(request))
    except InvalidChangeError as exc:
        return _invalid(request, exc)
    except ConflictError as exc:
        raise ProblemError(
            409, "Conflict", f"other writers kept changing the store; send it again ({exc})"
        ) from exc
    record = outcome.record
    body = {
        "version": record.version if record else None,
        "change": str(record.iri) if record else None,
        "added": len(outcome.change.added),
        "removed": len(outcome.change.removed),
        "warnings": [r.message for r in outcome.report.results],
    }
    if created is False:
        return Response(status_code=204)
    headers = {"Location": location} if location else None
    return JSONResponse(body, status_code=201 if created else 200, headers=headers)


def _write_turns(request: Request) -> anyio.CapacityLimiter:
    """The app's turns for write threads: one at a time per worker process. The writes of a
    host take turns under the store's write lock anyway (``writes.write``); those waiting for
    their turn wait here, on the event loop, and not in threads of the pool the reads need (40
    threads: 64 waiting writers would hold them all). Made on the first write, on the loop."""
    state = request.app.state
    turns: anyio.CapacityLimiter | None = getattr(state, "write_turns", None)
    if turns is None:
        turns = state.write_turns = anyio.CapacityLimiter(1)
    return turns


def _invalid(request: Request, exc: InvalidChangeError) -> Response:
    """422: the change would break the shapes; the report in JSON (default) or Turtle. An
    error is never a 406: when the client accepts neither (rdflib asks for SPARQL XML
    results), it gets the JSON."""
    try:
        offered = ["application/problem+json", "application/json", "text/turtle"]
        chosen = negotiate(request.headers.get("accept"), offered) or offered[0]
    except NotAcceptableHeaderError:
        chosen = "application/problem+json"
    if chosen == "text/turtle":
        content = report_graph(exc.report).serialize(format="turtle", encoding="utf-8")
        return Response(content, status_code=422, media_type="text/turtle; charset=utf-8")
    body = {
        "type": "about:blank",
        "title": "Invalid change",
        "status": 422,
        "detail": str(exc),
        "report": report_json(exc.report),
    }
    return JSONResponse(body, status_code=422, media_type="application/problem+json")


def _description(request: Request, limits: Limits) -> Response:
    chosen = choose(request, _DESCRIPTION_TYPES)
    endpoint = _endpoint(request)
    graph = service_description(endpoint, limits)
    content = graph.serialize(format=_RDFLIB_FORMAT[chosen], encoding="utf-8")
    return Response(content, media_type=content_type(chosen), headers={"Vary": "Accept"})
