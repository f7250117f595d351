"""Several API worker processes, each accepting on a listening socket of its own.

uvicorn's ``--workers`` binds one socket and shares it: every worker wakes for a new
connection, and the first takes every connection waiting (asyncio accepts up to its backlog
per wake). Keep-alive clients that connect together (a partner's pool of 8) then often all
land on one worker, which serves them on one core while the other idles. Measured at 1M
triples, 8 clients searching: 5.6-6.4 ms p50 when the connections split, 15.0-17.6 ms when one
worker got all 8 (1 of 15 two-second runs here; the benchmark of 2026-11-30 got it).

Here each worker binds its own socket with ``SO_REUSEPORT`` (as nginx's ``reuseport`` and
HAProxy do), so the kernel spreads new connections over the workers by a hash of their
addresses; 15 of 15 runs split (5.4-7.0 ms). A hash is not a balance: 7 or 8 of 8
connections still land on one worker in ~7 % of cases (binomial count; a benchmark run at
bcfa459 met one: 16.2 ms). A worker joins the spread once its app has started (it listens
only then): right after start, the first worker up takes every connection until the others
listen. The parent checks the port is free first (a socket with the
option could otherwise share the port with another program of the same user), restarts a
worker that dies, stops when a worker cannot start (uvicorn's exit code 3: the same failure
would repeat), and on SIGINT or SIGTERM stops them all. A worker whose parent is gone (killed
with SIGKILL, say) stops by itself instead of serving on, unsupervised.

Platforms without ``SO_REUSEPORT`` (Windows) use uvicorn's own supervisor: see :func:`reuse_port`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

import uvicorn
from uvicorn.config import STARTUP_FAILURE

__all__ = ["PortInUseError", "ServeError", "WorkerStartError", "check_free", "reuse_port", "run_workers"]

#: How long workers have to finish their requests once told to stop, before they are killed.
STOP_GRACE_S = 25.0
#: A worker that ended sooner than this after its start is started again only after as long.
RESTART_PAUSE_S = 1.0
_context = multiprocessing.get_context("spawn")


class ServeError(RuntimeError):
    """Serving cannot go on; the message says why. (Not an :class:`IlbirsError`: it is about
    the processes serving the API, not about the graph.)"""


class PortInUseError(ServeError):
    """Another program listens on the address already."""


class WorkerStartError(ServeError):
    """A worker could not start (its app, or its socket): starting it again would fail again."""


def reuse_port() -> bool:
    """Whether this platform lets each worker bind a socket of its own to one port."""
    return hasattr(socket, "SO_REUSEPORT")


def _address(host: str, port: int) -> tuple[socket.AddressFamily, tuple[str, int]]:
    """As uvicorn binds: IPv6 for a host with a colon, else IPv4 (``localhost``: 127.0.0.1)."""
    return (socket.AF_INET6 if ":" in host else socket.AF_INET), (host, port)


def check_free(host: str, port: int) -> None:
    """:raises PortInUseError: something listens on ``host:port`` (with ``SO_REUSEPORT`` or not)."""
    family, address = _address(host, port)
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no use
        probe.bind(address)
    except OSError as exc:
        raise PortInUseError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    finally:
        probe.close()


def _worker(config: uvicorn.Config, parent: Connection) -> None:  # pragma: no cover - a child process
    """One worker: its own socket on the shared port, then uvicorn until told to stop."""

    def orphaned() -> None:
        with contextlib.suppress(EOFError, OSError):
            parent.recv()  # the parent never sends: this returns when its end closes
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful stop

    threading.Thread(target=orphaned, daemon=True).start()
    family, address = _address(config.host, config.port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)  # listen() comes once the app has started: no connection waits on it before
    except OSError as exc:
        print(f"error: worker {os.getpid()} cannot bind {address}: {exc}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(config).run(sockets=[sock])


class _Worker:
    def __init__(self, config: uvicorn.Config) -> None:
        mine, theirs = _context.Pipe(duplex=False)
        self.watch = theirs  # the parent's end: closed when the parent ends, the worker sees EOF
        self.process: BaseProcess = _context.Process(target=_worker, args=(config, mine), daemon=False)
        self.process.start()
        self.started = time.monotonic()
        mine.close()

    def stop(self) -> None:
        if self.process.exitcode is None and self.process.pid is not None:
            os.kill(self.process.pid, signal.SIGTERM)

    def close(self) -> None:
        self.watch.close()


def run_workers(config: uvicorn.Config, workers: int) -> None:
    """Serve ``config``'s app with ``workers`` processes, each on its own ``SO_REUSEPORT``
    socket, until SIGINT (Ctrl-C: returns) or SIGTERM (the caller turns it into ``SystemExit``).

    The caller checks the address first (:func:`check_free`: ``ilbirs serve`` does, before its
    engine starts), since a socket with ``SO_REUSEPORT`` could share it with another program.

    :raises WorkerStartError: a worker exited with uvicorn's startup failure code.
    """
    # Ctrl-C stops us even where SIGINT came in ignored (a shell without job control starts
    # background commands so), as it stops uvicorn's own supervisor and a single worker.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    running = [_Worker(config) for _ in range(workers)]
    try:
        _supervise(config, running)
    except KeyboardInterrupt:
        pass  # Ctrl-C: the workers had it too (one process group); they stop below
    finally:
        for worker in running:
            worker.stop()
        for worker in running:
            worker.process.join(STOP_GRACE_S)
            if worker.process.exitcode is None:
                worker.process.kill()
                worker.process.join()
            worker.close()


def _supervise(config: uvicorn.Config, running: list[_Worker]) -> None:
    """Wait for workers to end; start another in place of each, until one fails to start."""
    while True:
        ended = wait([w.process.sentinel for w in running])
        for index, worker in enumerate(running):
            if worker.process.sentinel not in ended:
                continue
            worker.process.join()
            worker.close()
            code = worker.process.exitcode
            if code == STARTUP_FAILURE:
                raise WorkerStartError(f"a worker could not start (exit code {code}): see the log above")
            print(f"worker {worker.process.pid} ended (exit code {code}); starting another", file=sys.stderr)
            if time.monotonic() - worker.started < RESTART_PAUSE_S:
                time.sleep(RESTART_PAUSE_S)  # one that dies at once must not be restarted in a tight loop
            running[index] = _Worker(config)
