"""``ilbirs serve``'s HTTP protocol sets TCP_NODELAY on every connection, also on a listening
socket bound the way uvicorn binds it for several workers (protocol number 0), where asyncio
does not; and sends a response's head and body in one piece."""

from __future__ import annotations

import asyncio
import socket
import struct
import sys
import time
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.server import ServerState

from ilbirs.api.http_protocol import NoDelayHTTPProtocol


async def app(scope: object, receive: object, send: object) -> None:  # never called
    raise AssertionError


def nodelay_on_accept(protocol: type[asyncio.Protocol]) -> int:
    """TCP_NODELAY on the server side of one connection accepted by ``protocol``."""

    async def main() -> int:
        config = uvicorn.Config(app, log_level="warning")
        config.load()
        state = ServerState()
        seen: list[int] = []

        class Spy(protocol):  # type: ignore[misc,valid-type]
            def connection_made(self, transport: asyncio.Transport) -> None:
                super().connection_made(transport)
                seen.append(
                    transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                )

        listener = socket.socket(socket.AF_INET)  # as uvicorn's Config.bind_socket does
        listener.bind(("127.0.0.1", 0))
        server = await asyncio.get_running_loop().create_server(
            lambda: Spy(config=config, server_state=state, app_state={}), sock=listener
        )
        _, writer = await asyncio.open_connection(*listener.getsockname())
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return seen[0]

    return asyncio.run(main())


@pytest.mark.parametrize(("protocol", "expected"), [(AutoHTTPProtocol, False), (NoDelayHTTPProtocol, True)])
def test_connections_get_tcp_nodelay(protocol: type[asyncio.Protocol], expected: bool) -> None:
    assert bool(nodelay_on_accept(protocol)) is expected


def test_uvicorn_parses_http_with_httptools() -> None:
    """httptools is installed with Ilbirs: uvicorn's pure-Python parser (h11) cost ~0.04-0.1 ms
    more CPU per request (README, benchmarks)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert AutoHTTPProtocol is HttpToolsProtocol


def _data_segments_in(sock: socket.socket) -> int:
    """TCP segments with data this socket has received (Linux's ``tcpi_data_segs_in``)."""
    return struct.unpack_from("I", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256), 152)[0]


async def parts(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``/one``: a head and a short body; ``/stream``: two parts a second apart; ``/big``:
    200,000 bytes in 1,000-byte parts written without a pause."""
    if scope["type"] != "http":
        return
    path = scope["path"]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    if path == "/one":
        await send({"type": "http.response.body", "body": b"x" * 3000})
    elif path == "/stream":
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await asyncio.sleep(1.0)
        await send({"type": "http.response.body", "body": b"second"})
    else:
        for _ in range(199):
            await send({"type": "http.response.body", "body": b"y" * 1000, "more_body": True})
        await send({"type": "http.response.body", "body": b"y" * 1000})


def exchange(protocol: type[asyncio.Protocol], path: str) -> tuple[bytes, int, float]:
    """One GET of ``path`` from a server of ``protocol``: the bytes that came (chunked: as sent),
    in how many TCP segments, and how many seconds after the request the first came."""

    async def main() -> tuple[bytes, int, float]:
        config = uvicorn.Config(parts, log_level="warning")
        config.load()
        state = ServerState()
        server = await asyncio.get_running_loop().create_server(
            lambda: protocol(config=config, server_state=state, app_state={}), "127.0.0.1", 0
        )
        port = server.sockets[0].getsockname()[1]

        def client() -> tuple[bytes, int, float]:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                before = _data_segments_in(sock)
                sent = time.monotonic()
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                got, first = b"", 0.0
                while chunk := sock.recv(65536):
                    first = first or time.monotonic() - sent
                    got += chunk
                return got, _data_segments_in(sock) - before, first

        try:
            return await asyncio.to_thread(client)
        finally:
            server.close()
            await server.wait_closed()

    return asyncio.run(main())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's TCP_INFO")
@pytest.mark.parametrize(("protocol", "segments"), [(AutoHTTPProtocol, 2), (NoDelayHTTPProtocol, 1)])
def test_a_response_goes_out_in_one_piece(protocol: type[asyncio.Protocol], segments: int) -> None:
    """uvicorn sends the head and the body apart; the protocol served sends them together:
    one TCP segment for a short answer, one send for the server and one receive for the client."""
    got, seen, _ = exchange(protocol, "/one")
    assert got.startswith(b"HTTP/1.1 200 OK\r\n") and got.endswith(b"x" * 3000 + b"\r\n0\r\n\r\n")
    assert seen == segments


def test_a_streamed_response_is_not_held_back() -> None:
    """Its first part goes out while the rest is being made (a second later)."""
    got, _, first = exchange(NoDelayHTTPProtocol, "/stream")
    assert b"5\r\nfirst\r\n" in got and got.endswith(b"6\r\nsecond\r\n0\r\n\r\n")
    assert first < 0.9, f"the first part came only after {first:.2f} s"


def test_a_long_response_comes_whole_and_in_order() -> None:
    got, _, _ = exchange(NoDelayHTTPProtocol, "/big")
    head, _, body = got.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head
    assert (
        body == b"3e8\r\n" + b"y" * 1000 + b"\r\n" + (b"3e8\r\n" + b"y" * 1000 + b"\r\n") * 199 + b"0\r\n\r\n"
    )
