"""The HTTP protocol ``ilbirs serve`` runs: uvicorn's own, with ``TCP_NODELAY`` on every
connection.

With several workers, uvicorn binds the listening socket itself as ``socket(AF_INET)``:
protocol number 0, not ``IPPROTO_TCP``, so asyncio does not set ``TCP_NODELAY`` on the
connections it accepts (it checks ``sock.proto``). A response written in two parts (head, then
body) then waits for the client's delayed ACK: measured here, ~45 ms per request and 173
instead of 939 requests/s for a bare FastAPI route (8 clients, 2 workers). This protocol sets
the option itself.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol

__all__ = ["NoDelayHTTPProtocol"]


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol (httptools or h11), with ``TCP_NODELAY`` set on connect."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
