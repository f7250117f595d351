"""``ilbirs serve`` sets TCP_NODELAY on every connection, also on a listening socket bound the
way uvicorn binds it for several workers (protocol number 0), where asyncio does not."""

from __future__ import annotations

import asyncio
import socket

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
