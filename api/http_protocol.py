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

A request that is not valid HTTP (a control character in a header, say) is refused by the
parser before any route sees it; uvicorn answers that 400 in ``text/plain``. Here it is an
``application/problem+json`` body like every other error of the service.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from . import workers
from .errors import problem

__all__ = ["NoDelayHTTPProtocol", "OneSend"]

#: What ``OneSend`` holds at most before it sends.
HOLD_BYTES = 65536


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

    def on_response_complete(self) -> None:
        self.transport.flush()  # the head and the body, in one piece
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if workers.turns is not None:  # in a worker taking turns: one connection fewer
            workers.turns.closed()

    def send_400_response(self, msg: str) -> None:
        body = bytes(problem(400, "Invalid HTTP request", msg).body)  # the service's one problem shape
        head = (
            "HTTP/1.1 400 Bad Request\r\n"
            "content-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()
