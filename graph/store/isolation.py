"""Keep the supervised Oxigraph server out of reach of other local processes.

The Oxigraph server has no authentication: on a loopback port, any local user or process can
read and write it. Where Linux allows it (root, or a user allowed user namespaces, the default
of most distributions), ``ilbirs serve`` runs it in a network namespace of its own, created
by ``unshare --net`` (with ``--user --map-root-user`` when not root), where its port exists
and nothing else listens or connects. A small broker, the namespace's other process, listens
on a Unix socket in the data directory (mode 0600: this user and root only); for each client
it opens a TCP connection to the engine inside the namespace and hands the connected socket
over (``SCM_RIGHTS``). Queries then go straight to the engine: the broker is not in the data
path, only in the opening of a connection (kept open afterwards).

Run as ``python isolation.py SOCKET PORT -- oxigraph serve ...`` (by
:class:`~ilbirs.graph.store.server.OxigraphServer`): it prints the engine's PID, serves until
the engine ends, and ends with it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["engine_connector", "isolation_prefix"]

_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


def isolation_prefix() -> list[str] | None:
    """The ``unshare`` command that gives a process a network namespace of its own here, or
    ``None`` when this host does not allow it (no ``unshare``; user namespaces disabled, as
    in some containers)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    tries = [[unshare, "--user", "--map-root-user", "--net"]]
    if os.geteuid() == 0:
        tries.insert(0, [unshare, "--net"])
    for prefix in tries:
        done = subprocess.run([*prefix, "true"], capture_output=True, check=False)
        if done.returncode == 0:
            return prefix
    return None


def engine_connector(path: Path, *, timeout: float = 5.0) -> Callable[[], socket.socket]:
    """A function that returns a new TCP connection to the isolated engine, from the broker
    listening on ``path``.

    The function raises :class:`ConnectionRefusedError` when the broker is not there (the
    engine is restarting) or the engine refused the connection (it never reached the engine),
    and :class:`OSError` for anything else.
    """

    def connect() -> socket.socket:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as broker:
            broker.settimeout(timeout)
            try:
                broker.connect(str(path))
            except (FileNotFoundError, ConnectionRefusedError) as exc:
                raise ConnectionRefusedError(
                    errno.ECONNREFUSED, f"no engine broker on {path}: {exc}"
                ) from exc
            broker.sendall(b"c")
            message, fds, _, _ = socket.recv_fds(broker, 4, 1)
        if fds:
            conn = socket.socket(fileno=fds[0])
            conn.setblocking(True)  # the broker's file flags came with it
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return conn
        code = struct.unpack("i", message)[0] if len(message) == 4 else errno.ECONNREFUSED
        raise OSError(
            code, f"the isolated engine: {os.strerror(code)}"
        )  # ECONNREFUSED: ConnectionRefusedError

    return connect


def _loopback_up() -> None:
    """Bring the namespace's ``lo`` up (a new network namespace starts with it down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | _IFF_UP))


def _serve(path: Path, port: int, engine_args: list[str]) -> int:
    _loopback_up()
    engine = subprocess.Popen(engine_args, stdout=subprocess.DEVNULL)  # its stderr is ours
    print(engine.pid, flush=True)
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o177)  # the socket is made 0600: this user (and root) only
    try:
        listener.bind(str(path))
    finally:
        os.umask(mask)
    listener.listen(128)
    signal.signal(signal.SIGTERM, lambda *_: engine.terminate())

    def watch() -> None:
        code = engine.wait()
        path.unlink(missing_ok=True)
        os._exit(code if code > 0 else 1)  # the supervisor sees it end and starts both again

    threading.Thread(target=watch, daemon=True).start()
    while True:
        client, _ = listener.accept()
        with client:
            try:
                client.settimeout(5)
                client.recv(1)
                with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                    socket.send_fds(client, [b"\0\0\0\0"], [conn.fileno()])
            except OSError as exc:
                with contextlib.suppress(OSError):  # the client went away
                    client.sendall(struct.pack("i", exc.errno or errno.EIO))


if __name__ == "__main__":
    socket_path, port_text, separator, *command = sys.argv[1:]
    assert separator == "--", "usage: isolation SOCKET PORT -- oxigraph serve ..."
    sys.exit(_serve(Path(socket_path), int(port_text), command))
