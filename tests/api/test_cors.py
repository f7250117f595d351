"""CORS (item 14 of the hardening issue): scripts on other sites may call the service.
In-process through the app as served (``serving_app``: the early answers in front of
FastAPI, then the routes), and from a page on another origin in headless chromium against a
real ``ilbirs serve``."""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from ilbirs.api.app import serving_app
from ilbirs.api.cache import AnswerFromCache
from ilbirs.api.settings import Settings

from .test_client_input import call, every_route
from .test_client_input import served as served  # the app as served, on an embedded store

ORIGIN = b"https://maps.example.org"
PATHS = {"collection": "animals", "id": "umai", "area": "id", "path": "animal/umai", "name": "animals"}


def origin(value: bytes = ORIGIN) -> list[tuple[bytes, bytes]]:
    return [(b"origin", value)]


@pytest.mark.parametrize(
    ("path", "query"),
    [("/sparql", "query=ASK%7B%7D"), ("/api/v1/animals", ""), ("/api/v1/animals/umai", ""), ("/api/v1", "")],
)
def test_answers_to_another_origin_carry_cors_headers_also_when_kept(
    served: tuple[AnswerFromCache, str], path: str, query: str
) -> None:
    """Item 14: a GET from another site's script had no ``Access-Control-Allow-Origin``, so
    the browser hid the answer. Asked twice without ``Origin`` first (the second answered from
    the cache, before FastAPI), then with it: the cross-origin answer has the header (the
    early answers decline requests with an ``Origin``: the routes answer, CORS adds it)."""
    app, _ = served
    for _ in range(2):
        status, headers, _ = call(app, "GET", path, query, [])
        assert status == 200 and b"access-control-allow-origin" not in headers
    for _ in range(2):
        status, headers, body = call(app, "GET", path, query, origin())
        assert status == 200, body
        assert headers[b"access-control-allow-origin"] == b"*"
        assert b"ETag" in headers[b"access-control-expose-headers"]
        assert b"etag" in headers  # still tagged: the script can revalidate
    revalidate = [*origin(), (b"if-none-match", headers[b"etag"])]
    status, headers, _ = call(app, "GET", path, query, revalidate)
    assert status == 304 and headers[b"access-control-allow-origin"] == b"*"
    status, headers, _ = call(app, "GET", path, query, [])
    assert status == 200 and b"access-control-allow-origin" not in headers  # kept without CORS


def test_a_preflight_is_answered_for_every_route_and_method(served: tuple[AnswerFromCache, str]) -> None:
    """Item 14: ``OPTIONS`` was a 405. Every route (read from the OpenAPI document, pages
    included), every method it takes, with the Authorization and Content-Type headers."""
    app, _ = served
    asked = 0
    for template, operations in every_route(app)["paths"].items():
        path = template
        for name, value in PATHS.items():
            path = path.replace("{" + name + "}", value)
        for method in operations:
            headers = [
                *origin(),
                (b"access-control-request-method", method.upper().encode()),
                (b"access-control-request-headers", b"authorization, content-type"),
            ]
            status, answer, body = call(app, "OPTIONS", path, "", headers)
            assert status == 200, (method, path, body)
            assert answer[b"access-control-allow-origin"] == b"*"
            assert method.upper().encode() in answer[b"access-control-allow-methods"]
            allowed = answer[b"access-control-allow-headers"].lower()
            assert b"authorization" in allowed and b"content-type" in allowed
            assert b"access-control-allow-credentials" not in answer
            asked += 1
    assert asked >= 15


def test_a_405_names_every_method_of_the_path(served: tuple[AnswerFromCache, str]) -> None:
    """Item 14: a 405's ``Allow`` named the first matching route's methods only
    (``/sparql``: ``POST``, without GET; ``/graphs``: ``HEAD``)."""
    app, _ = served
    for path, expected in [
        ("/sparql", "GET, POST"),
        ("/graphs", "DELETE, GET, HEAD, POST, PUT"),
        ("/api/v1/animals", "GET"),
    ]:
        status, headers, _ = call(app, "PATCH", path, "", [])
        assert status == 405
        assert headers[b"allow"].decode() == expected
        assert headers[b"content-type"] == b"application/problem+json"


def test_an_allow_list_with_credentials(tmp_path: Path) -> None:
    """A configured list: its origins are named back (with ``Vary: Origin``) and may send
    credentials; another origin gets no CORS header and its preflight is refused."""
    settings = Settings(
        data_dir=tmp_path, cors_origins="https://a.example https://b.example", cors_credentials=True
    )
    app = serving_app(settings)
    app.app.state.settings = settings
    preflight = [
        (b"access-control-request-method", b"POST"),
        (b"access-control-request-headers", b"authorization"),
    ]
    status, headers, _ = call(app, "OPTIONS", "/sparql", "", [*origin(b"https://b.example"), *preflight])
    assert status == 200
    assert headers[b"access-control-allow-origin"] == b"https://b.example"
    assert headers[b"access-control-allow-credentials"] == b"true"
    status, headers, _ = call(app, "OPTIONS", "/sparql", "", [*origin(b"https://evil.example"), *preflight])
    assert status == 400 and b"access-control-allow-origin" not in headers
    status, headers, _ = call(app, "GET", "/health", "", origin(b"https://a.example"))
    assert headers[b"access-control-allow-origin"] == b"https://a.example"
    assert b"origin" in headers[b"vary"].lower()
    status, headers, _ = call(app, "GET", "/health", "", origin(b"https://evil.example"))
    assert status == 200 and b"access-control-allow-origin" not in headers


def test_credentials_are_never_allowed_for_any_origin() -> None:
    with pytest.raises(ValidationError, match="not `\\*`"):
        Settings(cors_origins="*", cors_credentials=True)


def test_cors_can_be_turned_off(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, cors_origins="")
    app = serving_app(settings)
    app.app.state.settings = settings
    _, headers, _ = call(app, "GET", "/health", "", origin())
    assert b"access-control-allow-origin" not in headers


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

#: The page on the other origin: it calls the service (simple GETs, each twice: the second
#: would be a cache hit; a POST of a query, which needs a preflight; a GET with a token, the
#: same) and writes what it read into the DOM.
PAGE = """<!doctype html><html><body><pre id="out">waiting</pre><script>
const api = "%(api)s";
const asks = [
  ["sparql", api + "/sparql?query=" + encodeURIComponent("ASK {}"), {}],
  ["sparql again", api + "/sparql?query=" + encodeURIComponent("ASK {}"), {}],
  ["animals", api + "/api/v1/animals", {}],
  ["animals again", api + "/api/v1/animals", {}],
  ["umai", api + "/api/v1/animals/umai", {}],
  ["post query", api + "/sparql", {method: "POST", body: "ASK {}",
                                   headers: {"Content-Type": "application/sparql-query"}}],
  ["with token", api + "/api/v1/animals", {headers: {"Authorization": "Bearer not-a-token"}}],
];
(async () => {
  const seen = {};
  for (const [name, url, init] of asks) {
    try {
      const response = await fetch(url, init);
      const body = await response.text();
      seen[name] = {status: response.status, etag: response.headers.get("ETag"), body: body.slice(0, 200)};
    } catch (error) {
      seen[name] = {error: String(error)};
    }
  }
  document.getElementById("out").textContent = JSON.stringify(seen);
})();
</script></body></html>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API's base URL: a real ``ilbirs serve``."""
    from .test_serve import start, stop

    process, port = start(tmp_path_factory.mktemp("cors") / "data")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def test_a_page_on_another_origin_reads_the_service_in_chromium(site: str, tmp_path: Path) -> None:
    """Item 14 in a browser: a page served from another port (another origin) fetches
    ``/sparql`` and ``/api/v1`` from the service, with and without a preflight; chromium lets
    its script read every answer."""
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: `make engines` installs Debian's chromium")
    (tmp_path / "index.html").write_text(PAGE % {"api": site}, encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    pages = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    try:
        done = subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--no-first-run",
                f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=20000",
                "--dump-dom", f"http://127.0.0.1:{pages.server_address[1]}/index.html",
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )  # fmt: skip
    finally:
        pages.shutdown()
        pages.server_close()
    assert done.returncode == 0, done.stderr[-2000:]
    text = done.stdout.split('<pre id="out">', 1)[1].split("</pre>", 1)[0]
    seen = orjson.loads(
        text.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )
    for name in ("sparql", "sparql again", "post query"):
        assert seen[name]["status"] == 200 and '"boolean":true' in seen[name]["body"], (name, seen[name])
    for name in ("animals", "animals again", "umai"):
        assert seen[name]["status"] == 200 and "animal" in seen[name]["body"], (name, seen[name])
    assert seen["animals"]["etag"], "ETag is exposed to the script"
    assert seen["with token"]["status"] == 401, seen["with token"]  # a problem the script can read
