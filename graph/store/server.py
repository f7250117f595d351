"""Start and stop an Oxigraph server process (PyPI package ``oxigraph``, command
``oxigraph serve``) on a data directory, on a free loopback port.

>>> # with OxigraphServer(tmp_path) as server: RemoteStore(server.query_url, server.update_url)
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from ilbirs.graph.errors import StoreError

from . import isolation
from .isolation import engine_connector

__all__ = [
    "OxigraphServer",
    "free_port",
    "oxigraph_command",
    "stop_engine",
    "stop_left_over",
    "stop_process",
    "wait_until_answers",
]


_BROKER = Path(isolation.__file__)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_answers(
    process: subprocess.Popen[bytes],
    url: str,
    wait_s: float,
    *,
    name: str,
    connect: Callable[[], socket.socket] | None = None,
) -> None:
    """Wait until ``url`` answers 200, while ``process`` runs (reached through ``connect``,
    if given: an isolated engine).

    :raises StoreError: the process exited, or ``url`` did not answer within ``wait_s`` seconds.
    """
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            raise StoreError(f"{name} exited with {process.returncode}: {err[-500:]}")
        try:
            if connect is None:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            else:
                parts = urlsplit(url)
                with connect() as sock:
                    sock.settimeout(2)
                    sock.sendall(
                        f"GET {parts.path}?{parts.query} HTTP/1.0\r\nHost: {parts.netloc}\r\n\r\n".encode()
                    )
                    if sock.recv(64).startswith((b"HTTP/1.0 200", b"HTTP/1.1 200")):
                        return
        except OSError:
            pass
        time.sleep(0.05)
    raise StoreError(f"{name} did not answer on {url} within {wait_s} s")


def stop_process(process: subprocess.Popen[bytes] | None, *, kill: bool = False) -> None:
    """Stop a process started in its own session (SIGTERM, or SIGKILL with ``kill``), wait for
    it, and close its pipes."""
    if process is None:
        return
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    if process.stderr is not None:
        process.stderr.close()


def oxigraph_command() -> str:
    """The ``oxigraph`` executable: next to this Python first, then on the PATH.

    :raises StoreError: it is not installed.
    """
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise StoreError("the oxigraph command is not installed (pip install oxigraph)")
    return found


def stop_engine(pid_file: Path, *, wait_s: float = 10.0) -> bool:
    """Kill the supervised ``oxigraph serve`` whose PID ``pid_file`` holds, and wait (at most
    ``wait_s`` seconds) until it has ended; its supervisor (:meth:`OxigraphServer.supervise`)
    starts it again. Returns whether a process was killed.

    Oxigraph checks its time limit only between the solutions it writes: a query that computes
    long without writing any (an aggregate over a huge join) runs on after the limit, and
    killing the process is the one way to stop it. Its store is crash-safe (RocksDB), and the
    caller holds the write lock, so no Ilbirs write is cut.

    Why wait: a killed process frees its memory before it closes its sockets, and meanwhile
    its listening socket still completes connections, which are reset when it closes. Once
    this returns, a new connection is either refused (the engine is restarting: try again) or
    reaches the new engine.
    """
    pid = _engine_in(pid_file)
    if pid is None:
        return False
    try:
        ended = os.pidfd_open(pid)
    except OSError:  # ended already, or no pidfd (Linux < 5.3): /proc is polled instead
        ended = -1
    try:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        if ended >= 0:
            select.select([ended], [], [], wait_s)  # readable once it has ended
        else:
            deadline = time.monotonic() + wait_s
            while _running(pid) and time.monotonic() < deadline:
                time.sleep(0.01)
    finally:
        if ended >= 0:
            os.close(ended)
    return True


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (an ended process waiting for its parent, a zombie, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[1])  # the name, in parentheses, may hold spaces
    except (OSError, ValueError, IndexError):
        return None


def _cmdline(pid: int) -> list[bytes]:
    """The process's arguments; none for one that has ended (a zombie's command line is empty)."""
    try:
        return [part for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if part]
    except OSError:
        return []


def _engine_in(pid_file: Path, location: Path | None = None) -> int | None:
    """The PID in ``pid_file`` if it is a running ``oxigraph serve`` (of ``location``, if
    given); ``None`` otherwise (no file, or the PID was reused by another program)."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    cmdline = _cmdline(pid)
    if not any(part.endswith(b"oxigraph") for part in cmdline) or b"serve" not in cmdline:
        return None
    if location is not None and str(location).encode() not in cmdline:
        return None
    return pid


def stop_left_over(pid_file: Path, location: Path, *, wait_s: float = 10.0) -> int | None:
    """Stop the ``oxigraph serve`` on ``location`` that a supervisor killed without warning
    (SIGKILL, the OOM killer) left running: it holds the store's lock, and no new server can
    open the store while it runs. Returns its PID, or ``None`` when there was none.

    :raises StoreError: its supervisor still runs (another ``ilbirs serve`` on this store).
    """
    pid = _engine_in(pid_file, location)
    if pid is None:
        return None
    parent = _parent_of(pid)
    if parent is not None and str(_BROKER).encode() in _cmdline(parent):
        parent = _parent_of(parent)  # an isolated engine: its broker's parent is the supervisor
    supervisor = _cmdline(parent) if parent is not None else []
    if b"serve" in supervisor and any(b"ilbirs" in part for part in supervisor):
        raise StoreError(f"another `ilbirs serve` (PID {parent}) serves {location}: stop it first")
    for sent in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sent)
        except ProcessLookupError:
            return pid
        deadline = time.monotonic() + wait_s
        while _cmdline(pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # ended (or a zombie: its new parent, not us, reaps it)
        if not _cmdline(pid):
            return pid
    return pid


class OxigraphServer:
    """An ``oxigraph serve`` process: started by ``start()`` (or ``with``), stopped by ``stop()``.

    ``location`` ``None`` serves an in-memory store. ``timeout_s`` is the server's own query
    time limit. ``pid_file``, if given, holds the PID of the running engine (for
    :func:`stop_engine`); :meth:`supervise` restarts the process whenever it ends.

    ``isolation`` (an :func:`~ilbirs.graph.store.isolation.isolation_prefix`) runs the engine
    in a network namespace of its own, reached only through the Unix socket ``socket_path``
    (:attr:`connect` opens a connection): no other local user can reach it. The URLs then name
    the engine's port inside that namespace.
    """

    def __init__(
        self,
        location: Path | None,
        *,
        port: int | None = None,
        timeout_s: int | None = None,
        pid_file: Path | None = None,
        isolation: list[str] | None = None,
        socket_path: Path | None = None,
    ) -> None:
        if (isolation is None) != (socket_path is None):
            raise ValueError("an isolated engine needs both isolation and socket_path")
        self.location = location
        self.port = port or free_port()
        self.timeout_s = timeout_s
        self.pid_file = pid_file
        self.isolation = isolation
        self.socket_path = socket_path
        self.connect = engine_connector(socket_path) if socket_path is not None else None
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        return self.base_url + "/update"

    @property
    def graph_store_url(self) -> str:
        return self.base_url + "/store"

    def start(self, *, wait_s: float = 30.0) -> OxigraphServer:
        """Start the process and wait until it answers a query.

        :raises StoreError: it exited or did not answer within ``wait_s`` seconds.
        """
        self._stopping.clear()
        args = [oxigraph_command(), "serve", "--bind", f"127.0.0.1:{self.port}"]
        if self.location is not None:
            self.location.mkdir(parents=True, exist_ok=True)
            args += ["--location", str(self.location)]
        if self.timeout_s is not None:
            args += ["--timeout-s", str(self.timeout_s)]
        engine_pid = None
        if self.isolation is None:
            self.process = subprocess.Popen(
                args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
            )
            engine_pid = self.process.pid
        else:
            # The file, not the module: importing the ilbirs package would add 0.5 s to each start.
            broker = [sys.executable, "-I", str(_BROKER), str(self.socket_path)]
            self.process = subprocess.Popen(
                [*self.isolation, *broker, str(self.port), "--", *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            assert self.process.stdout is not None
            with self.process.stdout:
                first = self.process.stdout.readline()  # the broker prints the engine's PID
            engine_pid = int(first) if first.strip().isdigit() else None
        try:
            wait_until_answers(
                self.process,
                self.query_url + "?query=ASK%7B%7D",
                wait_s,
                name="oxigraph serve",
                connect=self.connect,
            )
        except StoreError:
            stop_process(self.process)
            raise
        if self.pid_file is not None:
            self.pid_file.write_text(f"{engine_pid}\n")
        return self

    def supervise(self, *, every_s: float = 0.1) -> threading.Thread:
        """Restart the process whenever it ends, until :meth:`stop`; returns the watching thread."""

        def watch() -> None:
            while not self._stopping.wait(every_s):
                if self.process is not None and self.process.poll() is not None:
                    stop_process(self.process)  # reap it, close its pipes
                    if self._stopping.is_set():
                        return
                    try:
                        self.start()
                        self.restarts += 1
                    except StoreError:
                        time.sleep(1)  # try again

        thread = threading.Thread(target=watch, name="oxigraph-supervisor", daemon=True)
        thread.start()
        return thread

    def stop(self, *, kill: bool = False) -> None:
        """Stop the process (SIGTERM, or SIGKILL with ``kill``) and wait for it."""
        self._stopping.set()
        stop_process(self.process, kill=kill)
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
