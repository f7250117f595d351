"""``store.aio_http.EngineClient`` against real sockets: a small HTTP server on asyncio that
answers as an engine may (keep-alive, chunked, closing an idle connection, a large answer).
(Against a real Oxigraph server it is tested through ``/sparql``: ``tests/api/test_sparql.py``.)"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest

from ilbirs.graph.errors import LimitError
from ilbirs.graph.store.aio_http import EngineClient

ANSWER = b'{"head":{},"boolean":true}'


async def serve(
    handle_close: bool, chunked: bool = False, size: int = 0
) -> tuple[asyncio.Server, list[bytes]]:
    """A server answering every request; ``handle_close``: it closes each connection after
    its answer without saying so (as an engine that drops idle keep-alive connections)."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):  # the client went
            await answer(reader, writer)
        writer.close()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
            if not head:
                break
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            seen.append(head + await reader.readexactly(length))
            body = b"x" * size if size else ANSWER
            if chunked:
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
            if handle_close:
                writer.close()
                break

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, seen


async def stop(server: asyncio.Server) -> None:
    await asyncio.sleep(0.05)  # the server sees the client's connections go
    server.close()
    await server.wait_closed()


def url_of(server: asyncio.Server) -> str:
    port = server.sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}/query"


def test_queries_share_a_kept_connection_and_read_chunked_answers() -> None:
    async def run() -> None:
        server, seen = await serve(handle_close=False, chunked=True)
        client = EngineClient(url_of(server), {"Authorization": "Bearer t"})
        for _ in range(3):
            assert await client.post(
                b"query=ASK%7B%7D", accept="application/sparql-results+json", max_bytes=1000
            ) == (200, ANSWER)
        assert len(client.idle) == 1  # one connection, kept
        assert seen[0].startswith(b"POST /query HTTP/1.1\r\n")
        assert b"Authorization: Bearer t\r\n" in seen[0] and seen[0].endswith(b"\r\n\r\nquery=ASK%7B%7D")
        client.close()
        await stop(server)

    asyncio.run(run())


def test_a_connection_closed_while_idle_is_replaced_and_the_query_sent_again() -> None:
    async def run() -> None:
        server, seen = await serve(handle_close=True)
        client = EngineClient(url_of(server), {})
        for _ in range(3):
            assert (await client.post(b"query=q", accept="*/*", max_bytes=1000))[0] == 200
            await asyncio.sleep(0.05)  # the server has closed it by now
        assert len(seen) == 3  # each query answered once
        client.close()
        await stop(server)

    asyncio.run(run())


def test_an_answer_past_the_size_limit_is_refused_and_its_connection_closed() -> None:
    async def run() -> None:
        server, _ = await serve(handle_close=False, size=200_000)
        client = EngineClient(url_of(server), {})
        with pytest.raises(LimitError):
            await client.post(b"query=q", accept="*/*", max_bytes=100_000)
        assert client.idle == []
        await stop(server)

    asyncio.run(run())


def test_a_refused_connection_says_so() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens on it once closed

    async def run() -> None:
        client = EngineClient(f"http://127.0.0.1:{port}/query", {})
        with pytest.raises(ConnectionRefusedError):
            await client.post(b"query=q", accept="*/*", max_bytes=1000)

    asyncio.run(run())


def test_at_most_limit_connections_are_open_at_once() -> None:
    async def run() -> None:
        open_now, most = 0, 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal open_now, most
            open_now += 1
            most = max(most, open_now)
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))  # fmt: skip
                    await reader.readexactly(length)
                    await asyncio.sleep(0.05)
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER))
                    await writer.drain()
            open_now -= 1
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        client = EngineClient(url_of(server), {}, limit=2)
        answers = await asyncio.gather(
            *(client.post(b"query=q", accept="*/*", max_bytes=1000) for _ in range(6))
        )
        assert [status for status, _ in answers] == [200] * 6
        assert most == 2
        client.close()
        await stop(server)

    asyncio.run(run())
