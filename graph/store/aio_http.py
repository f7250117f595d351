"""A keep-alive HTTP/1.1 client on asyncio, for the queries ``RemoteStore.execute_async`` sends
to one engine: a POST of a form, the whole answer read back (at most ``max_bytes``), parsed by
httptools (uvicorn's parser, a dependency), connections kept open per event loop.

Chosen by measurement (a plain ``GET /sparql`` lookup answered on the event loop against a
local Oxigraph server at 1M triples, CPU per query in process, uvloop): 375-398 us with
aiohttp, 215-219 us with this client. aiohttp's request machinery (timers, traces, cookie
jars, redirects, decompression) is what a POST to a known engine does not need.

A connection the engine closed while idle (it restarted, or dropped a keep-alive) is found
when the request on it gets no answer: the query is sent once more on a new connection.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit

import httptools

from ilbirs.graph.errors import LimitError

__all__ = ["EngineClient", "StaleConnectionError"]


class StaleConnectionError(ConnectionError):
    """The connection closed before any answer came (the engine had closed it while idle)."""


class _Connection(asyncio.Protocol):
    """One connection to the engine, one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.max_bytes = 0
        self.started = False  # a byte of the answer came
        self.closed = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.started = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"unreadable answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            if not self.started:
                self.waiter.set_exception(StaleConnectionError("the connection closed before any answer"))
            else:
                self.waiter.set_exception(
                    ConnectionError("the connection closed in the middle of the answer")
                )

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.size += len(body)
        if self.size > self.max_bytes:
            self._fail(LimitError(f"the result is larger than {self.max_bytes:,} bytes"))

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), b"".join(self.chunks)))
        if not self.parser.should_keep_alive():
            self.close()

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        self.close()  # the engine sees the connection go and stops

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def request(self, head: bytes, body: bytes, max_bytes: int) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.chunks, self.size, self.max_bytes, self.started = [], 0, max_bytes, False
        self.transport.write(head + body)
        try:
            return await self.waiter
        finally:
            self.waiter = None


class EngineClient:
    """POSTs forms to ``url`` on this event loop, over connections kept open (at most
    ``limit`` at once: more requests wait their turn, as they waited for one of the 40 threads
    of the synchronous path); ``headers`` on every request (authorization)."""

    def __init__(
        self,
        url: str,
        headers: dict[str, str],
        *,
        limit: int = 40,
        connect: Callable[[], socket.socket] | None = None,
    ) -> None:
        self.connect = connect  # opens each connection, if given: an isolated engine
        parts = urlsplit(url)
        self.secure = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (443 if self.secure else 80)
        target = parts.path or "/"
        self.target = target + (f"?{parts.query}" if parts.query else "")
        fixed = {"Host": parts.netloc, "Content-Type": "application/x-www-form-urlencoded", **headers}
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self.idle: list[_Connection] = []
        self.slots = asyncio.Semaphore(limit)

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        if self.connect is not None:
            # A Unix socket round trip to the broker (~0.1 ms), once per connection kept open.
            sock = self.connect()
            sock.setblocking(False)
            _, made = await loop.create_connection(_Connection, sock=sock)
            return made
        context = ssl.create_default_context() if self.secure else None
        _, connection = await loop.create_connection(
            _Connection, self.host, self.port, ssl=context, server_hostname=self.host if context else None
        )
        return connection

    async def post(self, body: bytes, *, accept: str, max_bytes: int) -> tuple[int, bytes]:
        """The status and whole body of the answer to a POST of ``body`` (a form).

        :raises LimitError: the answer is larger than ``max_bytes`` (the connection is closed).
        :raises ConnectionRefusedError: the engine is not listening.
        :raises ConnectionError, OSError: the connection failed (:class:`StaleConnectionError`:
            before any answer, on a connection that had been idle).
        """
        head = (
            f"POST {self.target} HTTP/1.1\r\n{self.fixed}Accept: {accept}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode("latin-1")
        async with self.slots:
            return await self._post(head, body, max_bytes)

    async def _post(self, head: bytes, body: bytes, max_bytes: int) -> tuple[int, bytes]:
        reused = True
        while True:
            connection = None
            while self.idle and connection is None:
                candidate = self.idle.pop()
                connection = None if candidate.closed else candidate
            if connection is None:
                connection, reused = await self._open(), False
            try:
                answer = await connection.request(head, body, max_bytes)
            except StaleConnectionError:
                if reused:  # the engine had closed the idle connection: once more, on a new one
                    reused = False
                    self.close()  # the others idle as long: likely closed too, and not left open
                    continue
                raise
            except BaseException:
                connection.close()  # cancelled (a time limit) or failed: not reused
                raise
            if not connection.closed:
                self.idle.append(connection)
            return answer

    def close(self) -> None:
        """Close every idle connection."""
        for connection in self.idle:
            connection.close()
        self.idle.clear()
