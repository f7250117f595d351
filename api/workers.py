"""Several API worker processes on one listening socket, taking turns to accept.

uvicorn's ``--workers`` shares one socket too, but asyncio accepts every waiting connection
(up to its backlog) each time the socket is ready: keep-alive clients that connect together
(a partner's pool of 8) then often all land on the worker that woke first, which serves them
on one core while the other idles. Measured at 1M triples, 8 clients searching: 5.6-6.4 ms p50
when the connections split, 15.0-17.6 ms when one worker got all 8.

A socket of its own per worker (``SO_REUSEPORT``, what nginx's ``reuseport`` does; used here
until 2026-12-01) spreads connections by a hash of their addresses, not by load: measured at
100k triples, 8 clients asking for details split 5/3 or 6/2 in 5 of 5 runs, and 7 or 8 of 8 land
on one worker in ~7 % of cases (binomial count).

Here the supervisor binds one socket, and each worker accepts one connection at a time, only
while it holds no more open connections than the least busy worker (the counts are in shared
memory, :class:`Turns`): 8 clients connecting together split 4/4. A worker that waits for its
turn looks again after :data:`TURN_S`, and takes the connection all the same once it has waited
:data:`LEND_S` (a busy worker must not leave a client waiting for long). A worker counts only
once its app has started; until then the others take every connection. The supervisor
restarts a worker that dies, stops when a worker cannot start (uvicorn's exit code 3: the
same failure would repeat), and on SIGINT or SIGTERM stops them all. A worker whose supervisor
is gone (killed with SIGKILL, say) stops by itself instead of serving on, unsupervised.

Platforms without ``add_reader`` on sockets (Windows' event loop) use uvicorn's own supervisor:
see :func:`supported`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

__all__ = [
    "PortInUseError",
    "ServeError",
    "Turns",
    "WorkerStartError",
    "check_free",
    "run_workers",
    "supported",
]

#: How long workers have to finish their requests once told to stop, before they are killed.
STOP_GRACE_S = 25.0
#: A worker that ended sooner than this after its start is started again only after as long.
RESTART_PAUSE_S = 1.0
#: A worker that leaves a waiting connection to a less busy one looks again after this long.
TURN_S = 0.002
#: ... and takes it all the same once it has waited this long.
LEND_S = 0.05
_context = multiprocessing.get_context("spawn")
_log = logging.getLogger("ilbirs.serve")

#: The turns of the worker this process is (``None`` outside one): its HTTP protocol reports
#: closed connections to it (:mod:`ilbirs.api.http_protocol`).
turns: Turns | None = None


class ServeError(RuntimeError):
    """Serving cannot go on; the message says why. (Not an :class:`IlbirsError`: it is about
    the processes serving the API, not about the graph.)"""


class PortInUseError(ServeError):
    """Another program listens on the address already."""


class WorkerStartError(ServeError):
    """A worker could not start (its app, or its socket): starting it again would fail again."""


def supported() -> bool:
    """Whether these workers run here (POSIX: an event loop that watches sockets, a listening
    socket handed to spawned processes); elsewhere ``ilbirs serve`` runs uvicorn's."""
    return os.name == "posix"


def _address(host: str, port: int) -> tuple[socket.AddressFamily, tuple[str, int]]:
    """As uvicorn binds: IPv6 for a host with a colon, else IPv4 (``localhost``: 127.0.0.1)."""
    return (socket.AF_INET6 if ":" in host else socket.AF_INET), (host, port)


def check_free(host: str, port: int) -> None:
    """:raises PortInUseError: something listens on ``host:port``."""
    family, address = _address(host, port)
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no use
        probe.bind(address)
    except OSError as exc:
        raise PortInUseError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    finally:
        probe.close()


def _listen(config: uvicorn.Config) -> socket.socket:
    """The one listening socket of every worker, bound as uvicorn binds it.

    :raises PortInUseError: the address is taken."""
    family, address = _address(config.host, config.port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(config.backlog)
    except OSError as exc:
        sock.close()
        raise PortInUseError(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}") from exc
    return sock


class Turns:
    """Whose turn it is to accept: each worker's count of open connections, in memory shared
    by the workers (-1: not serving). A worker writes its own count only."""

    def __init__(self, counts: Any, index: int) -> None:
        self.counts, self.index = counts, index  # counts: a shared array of C ints
        self.open = 0

    def serving(self) -> None:
        self.counts[self.index] = self.open

    def leave(self) -> None:
        self.counts[self.index] = -1

    def mine(self) -> bool:
        """No serving worker holds fewer connections than this one."""
        return all(count < 0 or count >= self.open for count in self.counts)

    def opened(self) -> None:
        self.open += 1
        self.counts[self.index] = self.open

    def closed(self) -> None:
        self.open = max(0, self.open - 1)
        if self.counts[self.index] >= 0:
            self.counts[self.index] = self.open


class _TakingTurns(uvicorn.Server):
    """uvicorn's server (its app's lifespan, its HTTP protocol, its graceful stop) on the
    shared socket, accepting one connection at a time when :class:`Turns` says so."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket, mine: Turns) -> None:
        super().__init__(config)
        self.sock, self.turns = sock, mine
        # (since when, last time) this worker has left a waiting connection to the others
        self.deferred: tuple[float, float] | None = None
        self.watching = False
        self.connecting: set[asyncio.Task[None]] = set()  # held: the loop keeps weak references only

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the app starts; no server of uvicorn's: this one accepts
        self.loop = asyncio.get_running_loop()
        self.sock.setblocking(False)
        self.turns.serving()
        self.watch()

    def protocol(self) -> asyncio.Protocol:
        """A connection's protocol, as uvicorn's own server makes it."""
        return self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )

    def watch(self) -> None:
        if not self.watching and self.sock.fileno() >= 0:
            self.loop.add_reader(self.sock.fileno(), self.ready)
            self.watching = True

    def unwatch(self) -> None:
        if self.watching:
            self.loop.remove_reader(self.sock.fileno())
            self.watching = False

    def ready(self) -> None:
        """The socket has a connection waiting (for this worker or another)."""
        now = time.monotonic()
        if not self.turns.mine():
            if self.deferred is None or now - self.deferred[1] > 10 * TURN_S:
                self.deferred = (now, now)  # not the one left a moment ago: another connection
            since = self.deferred[0]
            if now - since < LEND_S:
                self.deferred = (since, now)
                self.unwatch()  # level-triggered: watched, it would wake this loop again at once
                self.loop.call_later(TURN_S, self.watch)
                return
        self.deferred = None
        try:
            conn, _ = self.sock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return  # another worker took it
        except OSError as exc:  # out of file descriptors or memory: as asyncio does, wait a second
            if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                raise
            _log.error("cannot accept a connection (%s); trying again in 1 s", exc)
            self.unwatch()
            self.loop.call_later(1.0, self.watch)
            return
        self.turns.opened()
        conn.setblocking(False)
        task = self.loop.create_task(self.connect(conn))
        self.connecting.add(task)
        task.add_done_callback(self.connecting.discard)

    async def connect(self, conn: socket.socket) -> None:
        try:
            await self.loop.connect_accepted_socket(self.protocol, conn)
        except Exception:  # pragma: no cover - the peer's socket failed before it was served
            self.turns.closed()
            conn.close()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.turns.leave()
        self.unwatch()
        self.sock.close()  # this process's handle only: the others still accept
        await super().shutdown(sockets=None)


def _worker(
    config: uvicorn.Config, sock: socket.socket, counts: Any, index: int, parent: Connection
) -> None:  # pragma: no cover - a child process
    """One worker: uvicorn on the shared socket, taking turns, until told to stop."""

    def orphaned() -> None:
        with contextlib.suppress(EOFError, OSError):
            parent.recv()  # the parent never sends: this returns when its end closes
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful stop

    global turns
    threading.Thread(target=orphaned, daemon=True).start()
    turns = Turns(counts, index)
    _TakingTurns(config, sock, turns).run()


class _Worker:
    def __init__(self, config: uvicorn.Config, sock: socket.socket, counts: Any, index: int) -> None:
        counts[index] = -1  # not serving until its app has started
        mine, theirs = _context.Pipe(duplex=False)
        self.watch = theirs  # the parent's end: closed when the parent ends, the worker sees EOF
        self.process: BaseProcess = _context.Process(
            target=_worker, args=(config, sock, counts, index, mine), daemon=False
        )
        self.process.start()
        self.started = time.monotonic()
        mine.close()

    def stop(self) -> None:
        if self.process.exitcode is None and self.process.pid is not None:
            os.kill(self.process.pid, signal.SIGTERM)

    def close(self) -> None:
        self.watch.close()


def run_workers(config: uvicorn.Config, workers: int) -> None:
    """Serve ``config``'s app with ``workers`` processes taking turns on one socket, until
    SIGINT (Ctrl-C: returns) or SIGTERM (the caller turns it into ``SystemExit``).

    :raises PortInUseError: the address is taken.
    :raises WorkerStartError: a worker exited with uvicorn's startup failure code.
    """
    # Ctrl-C stops us even where SIGINT came in ignored (a shell without job control starts
    # background commands so), as it stops uvicorn's own supervisor and a single worker.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sock = _listen(config)
    counts = _context.RawArray("i", workers)
    running = [_Worker(config, sock, counts, index) for index in range(workers)]
    try:
        _supervise(config, sock, counts, running)
    except KeyboardInterrupt:
        pass  # Ctrl-C: the workers had it too (one process group); they stop below
    finally:
        sock.close()  # no new connection waits for a worker that is stopping
        for worker in running:
            worker.stop()
        for worker in running:
            worker.process.join(STOP_GRACE_S)
            if worker.process.exitcode is None:
                worker.process.kill()
                worker.process.join()
            worker.close()


def _supervise(config: uvicorn.Config, sock: socket.socket, counts: Any, running: list[_Worker]) -> None:
    """Wait for workers to end; start another in place of each, until one fails to start."""
    while True:
        ended = wait([w.process.sentinel for w in running])
        for index, worker in enumerate(running):
            if worker.process.sentinel not in ended:
                continue
            worker.process.join()
            worker.close()
            counts[index] = -1  # it holds no connection now: the others take every one
            code = worker.process.exitcode
            if code == STARTUP_FAILURE:
                raise WorkerStartError(f"a worker could not start (exit code {code}): see the log above")
            print(f"worker {worker.process.pid} ended (exit code {code}); starting another", file=sys.stderr)
            if time.monotonic() - worker.started < RESTART_PAUSE_S:
                time.sleep(RESTART_PAUSE_S)  # one that dies at once must not be restarted in a tight loop
            running[index] = _Worker(config, sock, counts, index)
