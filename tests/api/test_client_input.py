"""Whatever a client puts in a path or query parameter, the answer is a 4xx (or a success),
never a 5xx: every character class and magnitude, sent to every path and query parameter of
every route (the routes and their parameters read from the app's OpenAPI document, the pages
hidden from it included; the collections' filters from ``GET /api/v1``), in-process through
the app as served (``serving_app``: the early answers in front of FastAPI, then the routes),
on a real embedded store holding the shipped data."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import http.client
import logging
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import orjson
import pytest
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from ilbirs.api.app import serving_app
from ilbirs.api.cache import AnswerFromCache, ResponseCache, VersionClock
from ilbirs.api.settings import Settings
from ilbirs.api.tokens import TokenStore
from ilbirs.graph import load_bundle
from ilbirs.graph.changes import current_version
from ilbirs.graph.entities import Lookups
from ilbirs.graph.search import Search
from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.store.search_index import LabelIndex


def _escaped(text: str) -> str:
    return quote(text, safe="")


#: What a client may send as one value, as it appears in the URL (percent-encoded where it
#: must be): name -> raw URL text.
VALUES: dict[str, str] = {
    **{f"punct {c!r}": _escaped(c) for c in string.punctuation},
    **{f"punct {c!r} inside": "a" + _escaped(c) + "b" for c in string.punctuation},
    **{f"control {c:#04x}": _escaped(chr(c)) for c in [*range(0x20), 0x7F]},
    "space": "a%20b",
    "plus": "a+b",
    "latin": _escaped("café"),
    "cyrillic": _escaped("Кыргызстан"),
    "astral": _escaped("😀"),
    "bidi override": _escaped("\u202eabc"),
    "nbsp": _escaped("\u00a0"),
    "noncharacter": _escaped("\uffff"),
    "fullwidth digit": _escaped("２"),
    "c1 control": _escaped("\x85"),
    "invalid utf-8 ff": "%FF",
    "invalid utf-8 truncated": "%C3",
    "invalid utf-8 surrogate": "%ED%A0%80",
    "invalid utf-8 overlong": "%C0%AF",
    "long": "a" * 10_000,
    "long quotes": "%22" * 3_000,
    "huge int": "99999999999999999999999999",
    "huge negative": "-99999999999999999999999999",
    "int64 overflow": "9223372036854775808",
    "int64 underflow": "-9223372036854775809",
    "negative": "-1",
    "zero": "0",
    "float": "1.5",
    "float overflow": "1e309",
    "nan": "NaN",
    "inf": "inf",
    "negative inf": "-inf",
    "hex": "0x10",
    "underscores": "1_000",
    "empty": "",
    "iri with quotes": _escaped('https://example.org/"x"'),
    "iri with braces": _escaped("https://example.org/{x}"),
    "iri with nul": _escaped("https://example.org/\x00"),
    "bbox of huge": "1e999,1e999,-1e999,-1e999",
    "bbox of nan": "nan,nan,nan,nan",
}

#: A valid value for each parameter a route needs, so that the one under test is what is tried.
BASELINE = {"query": "ASK%7B%7D", "q": "umai", "collection": "animals", "id": "umai", "area": "id"}
#: The value of a path parameter when another one is under test.
PATH_BASELINE = {
    "collection": "animals",
    "id": "umai",
    "area": "id",
    "path": "animal/umai",
    "name": "animals",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AnswerFromCache, str]]:
    """The app as ``ilbirs serve`` serves it (its state as its lifespan sets it, on an
    embedded store of its own: the write routes are tried too) and a steward's token."""
    data_dir = Path(tmp_path_factory.mktemp("input"))
    settings = Settings(data_dir=data_dir, version_ttl_s=3600)
    store = EmbeddedStore()
    load_bundle(store)
    served = serving_app(settings)
    tokens = TokenStore(settings.tokens_path)
    secret = tokens.create("steward", "steward")
    search = Search(LabelIndex(settings.search_index_path))
    version = current_version(store)
    search.rebuild(store, version=version)
    clock = VersionClock(ttl_s=3600)
    clock.wrote(version)
    state = dict(settings=settings, store=store, tokens=tokens, cache=ResponseCache(), lookups=Lookups(),
                 search=search, version_clock=clock)  # fmt: skip
    for name, value in state.items():
        setattr(served.app.state, name, value)
    yield served, secret


def call(
    app: AnswerFromCache,
    method: str,
    raw_path: str,
    query: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes = b"",
) -> tuple[int, dict[bytes, bytes], bytes]:
    """One request through the ASGI app, the scope built as uvicorn builds it from the raw
    request line (the path percent-decoded, invalid UTF-8 replaced)."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("ascii"),
        "query_string": query.encode("ascii"),
        "headers": [(b"host", b"127.0.0.1:8000"), *headers],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        # Starlette raises a bug again after answering 500: the status says it (and no answer
        # at all, status 0, is what the server would have answered with a reset or plain text).
        with contextlib.suppress(Exception):
            await app(scope, receive, send)

    asyncio.run(run())
    start = next((m for m in sent if m["type"] == "http.response.start"), {"status": 0, "headers": []})
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), content


def every_route(app: AnswerFromCache) -> dict[str, Any]:
    """The app's OpenAPI document, with the routes hidden from it (the pages) added."""
    document = app.app.openapi()
    hidden = []
    for context in iter_route_contexts(app.app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and not route.include_in_schema:
            route = copy.copy(route)
            route.include_in_schema = True
            hidden.append(route)
    return {"paths": {**document["paths"], **get_openapi(title="", version="", routes=hidden)["paths"]}}


def cases(app: AnswerFromCache) -> list[tuple[str, str, str, str]]:
    """(method, path template, parameter, where) for every parameter of every route; the
    collections' filters (listed by ``GET /api/v1``, not parameters of the route) and the
    ``format`` a page's link may give included."""
    found = []
    for path, operations in every_route(app)["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                found.append((method.upper(), path, parameter["name"], parameter["in"]))
            if path == "/{area}/{path}":
                found.append((method.upper(), path, "format", "query"))
            if path == "/sparql" and method == "post":
                found += [("POST", path, name, "query") for name in ("update", "using-graph-uri")]
    index = orjson.loads(call(app, "GET", "/api/v1", "", [])[2])
    for collection in index["collections"]:
        for name in [f["name"] for f in collection["filters"]]:
            found.append(("GET", collection["href"], name, "query"))
    return found


def test_every_route_and_parameter_is_found(served: tuple[AnswerFromCache, str]) -> None:
    """The enumeration sees the routes the fuzzing below must reach (a check on the test)."""
    found = {(m, p, n) for m, p, n, _ in cases(served[0])}
    for case in [
        ("GET", "/{area}/{path}", "path"),
        ("GET", "/api/v1/{collection}/{id}", "id"),
        ("GET", "/api/v1/projects", "active_in"),
        ("GET", "/sparql", "named-graph-uri"),
        ("PUT", "/graphs", "graph"),
        ("GET", "/collections/{name}", "after"),
    ]:
        assert case in found


def _request_of(method: str, template: str, name: str, where: str, value: str) -> tuple[str, str]:
    path = template
    for param, default in PATH_BASELINE.items():
        path = path.replace("{" + param + "}", value if (where == "path" and param == name) else default)
    query = {k: v for k, v in BASELINE.items() if k == "query" and template == "/sparql" and method == "GET"}
    if template == "/api/v1/search":
        query = {"q": "umai"}
    if template == "/graphs":
        query = {"default": ""}
    if where == "query":
        query = {
            k: v for k, v in query.items() if k != name and not (template == "/graphs" and k == "default")
        }
        query[name] = value
        if name == "update" or (template == "/sparql" and method == "POST" and "query" not in query):
            query.setdefault("update", "INSERT%20DATA%7B%7D")
    return path, "&".join(f"{k}={v}" if v else k for k, v in query.items())


def test_no_client_input_is_answered_with_a_5xx(
    served: tuple[AnswerFromCache, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Item 10 of the hardening issue: ``/id/animal/%22x%22`` (and 25 more paths with a
    character an IRI cannot hold) was a 500, ``/api/v1/projects?active_in=<26 digits>`` a
    plain-text 500 (SQLite's integer overflow); this test then found ``update=INSERT DATA{}``
    (no space before the brace), ``using-graph-uri=a:b`` with it, and a dataset IRI holding a
    control character (500s too). Every client input error is a 4xx
    ``application/problem+json`` with a reason; and the early answers in front of FastAPI
    decline such requests (the route answers), they do not fail on them (an error logged)."""
    app, secret = served
    caplog.set_level(logging.ERROR, logger="ilbirs.api")
    failures = []
    for method, template, name, where in cases(app):
        headers = [(b"content-type", b"text/turtle")] if method in ("PUT", "POST") else []
        body = b"<urn:a> <urn:b> <urn:c> ." if headers else b""
        if template == "/sparql" and method == "POST":
            headers, body = [(b"content-type", b"application/x-www-form-urlencoded")], b""
        if method not in ("GET", "HEAD") or template == "/graphs":
            headers.append((b"authorization", f"Bearer {secret}".encode()))
        for label, value in VALUES.items():
            path, query = _request_of(method, template, name, where, value)
            status, response_headers, content = call(app, method, path, query, headers, body)
            problem = status >= 400 and method != "HEAD"
            if status >= 500 or status == 0:
                failures.append(f"{method} {path[:80]}?{query[:80]} ({name}: {label}) -> {status}")
            elif problem and not response_headers.get(b"content-type", b"").startswith(
                b"application/problem+json"
            ):
                failures.append(
                    f"{method} {path[:80]}?{query[:80]} ({name}: {label}) -> {status}, not a problem"
                )
            elif problem and not orjson.loads(content).get("detail"):
                failures.append(f"{method} {path[:80]}?{query[:80]} ({name}: {label}) -> {status}, no reason")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:60])
    assert not caplog.records, [r.getMessage() for r in caplog.records][:20]


def test_a_bug_in_a_route_behind_the_cache_is_a_problem_that_closes_the_connection(tmp_path: Path) -> None:
    """Item 10: a route's bug under ``/api/v1`` reached the client as uvicorn's plain-text 500
    (``AnswerFromCache`` held the app's problem answer, and lost it when Starlette raised the
    bug again for the server to log); and a 500 did not say ``Connection: close`` although
    the server closes the connection after one, so a client's next request on it was reset."""
    app = serving_app(Settings(data_dir=tmp_path))
    app.app.state.settings = Settings(data_dir=tmp_path)
    app.app.state.version_clock = VersionClock(ttl_s=3600)

    def boom() -> None:
        raise RuntimeError("a bug")

    app.app.add_api_route("/api/v1/boom", boom)
    app.app.router.routes.insert(0, app.app.router.routes.pop())  # before /api/v1/{collection}
    status, headers, content = call(app, "GET", "/api/v1/boom", "", [])
    assert status == 500
    assert headers[b"content-type"] == b"application/problem+json"
    assert orjson.loads(content)["title"] == "Internal error"
    assert headers[b"connection"] == b"close"


#: Paths under /id/ with a character no IRI holds: the 26 of the issue.
BAD_PATHS = [
    f"/id/animal/{form}"
    for c in '"{}<>\\^ `|'
    for form in (_escaped(c), f"x{_escaped(c)}x", f"{_escaped(c)}x{_escaped(c)}")
][:26]


def test_bad_iri_paths_get_a_4xx_over_a_kept_alive_connection(tmp_path: Path) -> None:
    """Item 10, over HTTP: ``/id/animal/%22x%22`` and ``/id/animal/%7Bx%7D`` (and the other
    paths with a character IRIs forbid) were 500s after which the server closed the connection
    without saying so: the client's next request on it was reset, with no answer. Each is a
    404 problem now, on one connection kept alive throughout."""
    from .test_serve import start, stop

    process, port = start(tmp_path / "data")
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for path in ["/id/animal/%22x%22", "/id/animal/%7Bx%7D", *BAD_PATHS]:
            for accept in ("text/html", "text/turtle", "application/ld+json", "*/*"):
                connection.request("GET", path, headers={"Accept": accept})
                response = connection.getresponse()
                body = response.read()
                assert response.status == 404, (path, accept, response.status, body[:200])
                assert response.headers["Content-Type"] == "application/problem+json"
                assert "IRIs forbid" in orjson.loads(body)["detail"]
        connection.close()
    finally:
        stop(process)
