"""The HTTP protocol ``ilbirs serve`` runs: uvicorn's own, with ``TCP_NODELAY`` on every
connection.

With several workers, the listening socket is bound as ``socket(AF_INET)`` (by uvicorn, and
by ``api.workers`` as uvicorn does):
protocol number 0, not ``IPPROTO_TCP``, so asyncio does not set ``TCP_NODELAY`` on the
connections it accepts (it checks ``sock.proto``). A response written in two parts (head, then
body) then waits for the client's delayed ACK: measured here, ~45 ms per request and 173
instead of 939 requests/s for a bare FastAPI route (8 clients, 2 workers). This protocol sets
the option itself.

uvicorn writes a response's head and its body apart: two ``send`` calls, two TCP segments,
for an answer of a few kilobytes. This protocol hands uvicorn a transport that sends what is
written until the response completes (or until the loop turns, for a streamed one, or past
64 KiB) in one piece (:class:`OneSend`): one TCP segment for a short answer where uvicorn
sends two (tested), one ``send`` for the server and one wake-up for the client (measured at
100k triples, 8 clients asking for details: no server CPU difference above the run-to-run
noise, 0.26-0.28 ms per request either way). In a worker of ``ilbirs serve --workers N``, it
tells the worker's turns (:mod:`ilbirs.api.workers`) when a connection closes.

A plain ``GET`` that ``cache.AnswerFromCache`` can answer without waiting for anything (a
cache hit, a detail, page or search from the index) is answered here, as the request's
headers complete, without the ASGI cycle uvicorn would build for it (a task, its messages,
their checks): the same bytes uvicorn would write for that answer (tested), ~20 µs of
server CPU less per request (measured: a fixed 4.6 KB answer through uvicorn's cycle 41 µs,
written by the protocol 22 µs, with the benchmarks' load generator). Everything else (other
methods, a body, ``Expect``, HTTP/1.0, ``Connection: close``, proxy headers, credentials or
an ``Origin`` (``cache.cross_origin``: CORS is the app's middleware), a request pipelined
behind one still answering) goes the ASGI way.

A request that is not valid HTTP (a control character in a header, say) is refused by the
parser before any route sees it; uvicorn answers that 400 in ``text/plain``. Here it is an
``application/problem+json`` body like every other error of the service.

Slow clients are cut off (uvicorn has no such limit: its only timer, ``timeout_keep_alive``,
runs between requests; a connection that sent nothing, part of its headers or part of its
body stayed open for good, measured). A request's headers must be complete within
``ILBIRS_HEADER_TIMEOUT_S`` of its first byte (of the connection, for its first request);
its body must not pause longer than ``ILBIRS_BODY_TIMEOUT_S`` between two reads, nor come
slower than :data:`MIN_BODY_RATE` on average after that long. Past either, the client gets a
408 problem and the connection closes. One watchdog timer per connection checks the
deadlines (requests only note times; no timer is set or cancelled per request).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

import httptools
from starlette.responses import Response
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from . import workers
from .cache import ASKED_NOW, Answer, AnswerFromCache
from .errors import invalid_http, request_timeout
from .settings import Settings

_log = logging.getLogger("ilbirs.api")

#: Request headers that send a request the ASGI way: a body, ``Expect``, proxy headers
#: (uvicorn's middleware reads them into the scope).
_NOT_NOW = (b"content-length", b"transfer-encoding", b"expect")

__all__ = ["NoDelayHTTPProtocol", "OneSend"]

#: What ``OneSend`` holds at most before it sends.
HOLD_BYTES = 65536
#: The slowest average a request body may come at, in bytes per second, once it has had
#: ``body_timeout_s`` (a 10 MiB body: ~2.8 hours; a slow drip of a byte a second: refused).
MIN_BODY_RATE = 1024


class OneSend:
    """A transport that sends what is written to it together: at :meth:`flush`, at the next
    turn of the event loop, or once :data:`HOLD_BYTES` wait, whichever comes first. Everything
    else is the transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport, self.loop = transport, loop
        self.held: list[bytes] = []
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self.held:
            self.loop.call_soon(self.flush)  # a streamed response's parts go out as they come
        self.held.append(bytes(data))
        self.size += len(data)
        if self.size >= HOLD_BYTES:
            self.flush()

    def writelines(self, lines: Iterable[bytes | bytearray | memoryview]) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        if self.held:
            held, self.held, self.size = self.held, [], 0
            self.transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self.size + self.transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol (httptools or h11), with ``TCP_NODELAY`` set on connect and its
    parser's 400 as a problem."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(OneSend(transport, asyncio.get_running_loop()))
        self.answering = _answering(self.app) if isinstance(self, HttpToolsProtocol) else None
        self.now: Answer | None = None
        settings = getattr(getattr(getattr(self.answering, "app", None), "state", None), "settings", None)
        if not isinstance(settings, Settings):  # not an Ilbirs app (tests): the defaults
            settings = _DEFAULTS
        self.header_timeout_s, self.body_timeout_s = settings.header_timeout_s, settings.body_timeout_s
        #: What the connection waits for: "headers", "body", or None (the app is answering,
        #: or uvicorn's keep-alive timer runs); since when (or the last body read).
        self.waiting: str | None = None
        self.since = self.body_started = 0.0
        self.body_read = 0
        self.watchdog: asyncio.TimerHandle | None = None
        if isinstance(self, HttpToolsProtocol):  # its parser's callbacks below note the times
            self._wait("headers")

    def _wait(self, what: str) -> None:
        self.waiting, self.since = what, self.loop.time()
        if self.watchdog is None:
            self.watchdog = self.loop.call_later(self.header_timeout_s, self._check_deadline)

    def _check_deadline(self) -> None:
        """The watchdog: a 408 past the deadline of what the connection waits for; else it
        looks again at that deadline, or stops while nothing is awaited."""
        self.watchdog = None
        if self.waiting is None or self.transport.is_closing():
            return
        now = self.loop.time()
        if self.waiting == "headers":
            deadline = self.since + self.header_timeout_s
        else:
            slowest = self.body_started + self.body_timeout_s + self.body_read / MIN_BODY_RATE
            deadline = min(self.since + self.body_timeout_s, slowest)
        if now < deadline:
            self.watchdog = self.loop.call_later(deadline - now, self._check_deadline)
            return
        what = "headers" if self.waiting == "headers" else "body"
        self.waiting = None
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # the app has answered already: only stop waiting
            return
        limit = self.header_timeout_s if what == "headers" else self.body_timeout_s
        self._write_and_close(
            request_timeout(f"the request's {what} did not arrive in time (limit: {limit:g} s)")
        )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._wait("headers")

    def on_headers_complete(self) -> None:
        self._wait("body")
        self.body_started, self.body_read = self.since, 0
        self.now = self._answer_now()
        if self.now is None:
            super().on_headers_complete()

    def _answer_now(self) -> Answer | None:
        """The answer ``AnswerFromCache.answer_now`` gives the request, when it can go out
        without the ASGI cycle (see the module docstring); the scope is then built as uvicorn
        builds it. Marks the scope as asked (``ASKED_NOW``) either way."""
        parser = self.parser
        if (
            self.answering is None
            or parser.get_method() != b"GET"
            or parser.get_http_version() != "1.1"
            or not parser.should_keep_alive()
            or parser.should_upgrade()
            or self.pipeline
            or (self.cycle is not None and not self.cycle.response_complete)
            or self.limit_concurrency is not None
            or any(name in _NOT_NOW or name.startswith(b"x-forwarded-") for name, _ in self.headers)
        ):
            return None
        scope = self.scope
        scope["method"] = "GET"
        url = httptools.parse_url(self.url)
        path = url.path.decode("ascii")
        scope["path"] = self.root_path + (unquote(path) if "%" in path else path)
        scope["raw_path"] = self.root_path.encode("ascii") + url.path
        scope["query_string"] = url.query or b""
        scope[ASKED_NOW] = True
        try:
            return self.answering.answer_now(scope)
        except Exception:  # a bug: logged, and the ASGI way answers (without asking again)
            _log.exception("answering %s now failed", scope["path"])
            return None

    def on_body(self, body: bytes) -> None:
        self.since = self.loop.time()
        self.body_read += len(body)
        if self.now is None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self.waiting = None
        now, self.now = self.now, None
        if now is None:
            super().on_message_complete()
            return
        head = [STATUS_LINE[now.status]]
        for name, value in [*self.server_state.default_headers, *now.headers]:
            head += [name.lower(), b": ", value, b"\r\n"]
        head.append(b"\r\n")
        self.transport.write(b"".join(head) + now.body)
        self.on_response_complete()

    def on_response_complete(self) -> None:
        self.transport.flush()  # the head and the body, in one piece
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
        super().connection_lost(exc)
        if workers.turns is not None:  # in a worker taking turns: one connection fewer
            workers.turns.closed()

    def send_400_response(self, msg: str) -> None:
        self._write_and_close(invalid_http(msg))  # the service's one problem shape

    def _write_and_close(self, response: Response) -> None:
        """Write ``response`` (an error: it says ``connection: close``) and close."""
        head = [STATUS_LINE[response.status_code]]
        for name, value in response.raw_headers:
            head += [name, b": ", value, b"\r\n"]
        head.append(b"\r\n")
        self.transport.write(b"".join(head) + bytes(response.body))
        self.transport.close()


#: The timeouts of a connection to an app without Ilbirs' settings.
_DEFAULTS = Settings.model_construct()


def _answering(app: Any) -> AnswerFromCache | None:
    """The ``AnswerFromCache`` that uvicorn serves, under its middleware (``None``: none)."""
    for _ in range(8):
        if isinstance(app, AnswerFromCache):
            return app
        app = getattr(app, "app", None)
    return None
