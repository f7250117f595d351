"""The HTTP protocol ``ilbirs serve`` runs: uvicorn's own, with ``TCP_NODELAY`` on every
connection.

With several workers, uvicorn binds the listening socket itself as ``socket(AF_INET)``:
protocol number 0, not ``IPPROTO_TCP``, so asyncio does not set ``TCP_NODELAY`` on the
connections it accepts (it checks ``sock.proto``). A response written in two parts (head, then
body) then waits for the client's delayed ACK: measured here, ~45 ms per request and 173
instead of 939 requests/s for a bare FastAPI route (8 clients, 2 workers). This protocol sets
the option itself.

A request that is not valid HTTP (a control character in a header, say) is refused by the
parser before any route sees it; uvicorn answers that 400 in ``text/plain``. Here it is an
``application/problem+json`` body like every other error of the service.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from .errors import problem

__all__ = ["NoDelayHTTPProtocol"]


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol (httptools or h11), with ``TCP_NODELAY`` set on connect and its
    parser's 400 as a problem."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

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
