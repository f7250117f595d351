"""Start and stop an Oxigraph server process (PyPI package ``oxigraph``, command
``oxigraph serve``) on a data directory, on a free loopback port.

>>> # with OxigraphServer(tmp_path) as server: RemoteStore(server.query_url, server.update_url)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from ilbirs.graph.errors import StoreError

__all__ = ["OxigraphServer", "free_port", "oxigraph_command", "stop_process", "wait_until_answers"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_answers(process: subprocess.Popen[bytes], url: str, wait_s: float, *, name: str) -> None:
    """Wait until ``url`` answers 200, while ``process`` runs.

    :raises StoreError: the process exited, or ``url`` did not answer within ``wait_s`` seconds.
    """
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            raise StoreError(f"{name} exited with {process.returncode}: {err[-500:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
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


class OxigraphServer:
    """An ``oxigraph serve`` process: started by ``start()`` (or ``with``), stopped by ``stop()``.

    ``location`` ``None`` serves an in-memory store. ``timeout_s`` is the server's own query
    time limit.
    """

    def __init__(
        self, location: Path | None, *, port: int | None = None, timeout_s: int | None = None
    ) -> None:
        self.location = location
        self.port = port or free_port()
        self.timeout_s = timeout_s
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        return self.base_url + "/update"

    def start(self, *, wait_s: float = 30.0) -> OxigraphServer:
        """Start the process and wait until it answers a query.

        :raises StoreError: it exited or did not answer within ``wait_s`` seconds.
        """
        args = [oxigraph_command(), "serve", "--bind", f"127.0.0.1:{self.port}"]
        if self.location is not None:
            self.location.mkdir(parents=True, exist_ok=True)
            args += ["--location", str(self.location)]
        if self.timeout_s is not None:
            args += ["--timeout-s", str(self.timeout_s)]
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            wait_until_answers(
                self.process, self.query_url + "?query=ASK%7B%7D", wait_s, name="oxigraph serve"
            )
        except StoreError:
            self.stop()
            raise
        return self

    def stop(self, *, kill: bool = False) -> None:
        """Stop the process (SIGTERM, or SIGKILL with ``kill``) and wait for it."""
        stop_process(self.process, kill=kill)

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
