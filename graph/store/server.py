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

__all__ = ["OxigraphServer", "free_port", "oxigraph_command"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
        deadline = time.monotonic() + wait_s
        probe = self.query_url + "?query=ASK%7B%7D"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode("utf-8", "replace") if self.process.stderr else ""
                raise StoreError(f"oxigraph serve exited with {self.process.returncode}: {err[-500:]}")
            try:
                with urllib.request.urlopen(probe, timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise StoreError(f"oxigraph serve did not answer on {self.base_url} within {wait_s} s")

    def stop(self, *, kill: bool = False) -> None:
        """Stop the process (SIGTERM, or SIGKILL with ``kill``) and wait for it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
