"""``ilbirs serve --workers N``: the workers take turns to accept on one socket, so clients
that connect together are spread evenly over them; a worker that dies is replaced, and
workers do not outlive their supervisor. Read from ``/proc``, as an operator would with
``ss -ltnp``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ilbirs.graph.store.server import free_port

from .test_cli import ILBIRS
from .test_serve import get, log_of, start, stop

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads sockets from Linux's /proc"),
]

_LISTEN, _ESTABLISHED = "0A", "01"


def workers_of(process: subprocess.Popen[str]) -> list[int]:
    """The worker processes of ``ilbirs serve``: its children spawned by multiprocessing."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        if ppid == process.pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


def sockets(port: int, state: str) -> dict[int, int]:
    """``{inode: remote port}`` of this host's TCP sockets on local ``port`` in ``state``."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, st, inode = fields[1], fields[2], fields[3], int(fields[9])
        if int(local.split(":")[1], 16) == port and st == state:
            found[inode] = int(remote.split(":")[1], 16)
    return found


def fds_of(pid: int) -> dict[int, str]:
    """What each file descriptor of process ``pid`` opens (``socket:[inode]``, ...)."""
    found = {}
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found[int(fd.name)] = str(fd.readlink())
        except OSError:
            continue  # closed meanwhile
    return found


def inodes_of(pid: int) -> set[int]:
    """The sockets process ``pid`` holds open."""
    return {int(target[8:-1]) for target in fds_of(pid).values() if target.startswith("socket:[")}


def watched(pid: int) -> set[int]:
    """The sockets process ``pid``'s event loop watches (its epoll sets, from ``fdinfo``)."""
    fds = fds_of(pid)
    sockets_at = {fd: int(target[8:-1]) for fd, target in fds.items() if target.startswith("socket:[")}
    found = set()
    for poll in (fd for fd, target in fds.items() if target == "anon_inode:[eventpoll]"):
        for line in Path(f"/proc/{pid}/fdinfo/{poll}").read_text().splitlines():
            if line.startswith("tfd:") and int(line.split()[1]) in sockets_at:
                found.add(sockets_at[int(line.split()[1])])
    return found


def serving_workers(process: subprocess.Popen[str], port: int, count: int = 2) -> list[int]:
    """The workers, once ``count`` of them accept: ``/ready`` answers as soon as one does, and
    each watches the listening socket only once its app has started."""
    deadline = time.monotonic() + 60
    while True:
        workers = workers_of(process)
        listening = set(sockets(port, _LISTEN))
        if len(workers) == count and all(watched(pid) & listening for pid in workers):
            return workers
        assert time.monotonic() < deadline, f"not every worker accepts: {log_of(process)[-2000:]}"
        time.sleep(0.1)


def test_the_workers_accept_on_one_socket(tmp_path: Path) -> None:
    """One listening socket, bound by ``ilbirs serve`` itself: no other program can share the
    port (as it could with ``SO_REUSEPORT``), and no connection waits in a queue of its own
    for a worker that is busy or dead."""
    process, port = start(tmp_path / "data", "--workers", "2")
    try:
        workers = serving_workers(process, port)
        listening = set(sockets(port, _LISTEN))
        assert len(listening) == 1, listening
        assert all(watched(pid) & listening == listening for pid in workers)
        assert inodes_of(process.pid) & listening == listening
    finally:
        stop(process)


def connect(port: int, count: int) -> list[socket.socket]:
    """``count`` clients connecting together (all connected before any is served, as a client
    pool opens), each then served once."""
    clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]
    for client in clients:
        client.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert client.recv(4096).startswith(b"HTTP/1.1 200")
    return clients


def served_by(port: int, workers: list[int], clients: list[socket.socket]) -> list[list[socket.socket]]:
    """The clients each worker serves."""
    remote = {inode: port for inode, port in sockets(port, _ESTABLISHED).items()}
    held = [inodes_of(pid) for pid in workers]
    return [[c for c in clients if any(remote.get(i) == c.getsockname()[1] for i in mine)] for mine in held]


def test_clients_connecting_together_are_spread_evenly(tmp_path: Path) -> None:
    """By load, not by chance: a hash of the addresses (``SO_REUSEPORT``) split 8 clients 5/3
    or 6/2 in 5 of 5 benchmark runs; uvicorn's own workers often gave all 8 to one. A worker
    that holds more connections leaves new ones to the other."""
    process, port = start(tmp_path / "data", "--workers", "2")
    clients: list[socket.socket] = []
    try:
        workers = serving_workers(process, port)
        clients = connect(port, 16)
        first, second = served_by(port, workers, clients)
        assert (len(first), len(second)) == (8, 8)
        for client in second:
            client.close()
        time.sleep(0.5)  # the second worker's count is back to 0
        more = connect(port, 8)
        clients = first + more
        assert [len(c) for c in served_by(port, workers, more)] == [0, 8]
        for client in clients:
            client.close()
        time.sleep(0.5)
        clients = connect(port, 7)
        assert sorted(len(c) for c in served_by(port, workers, clients)) == [3, 4]
    finally:
        for client in clients:
            client.close()
        stop(process)


def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    process, port = start(tmp_path / "data", "--workers", "2")
    try:
        first, second = workers_of(process)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            workers = workers_of(process)
            if len(workers) == 2 and first not in workers:
                listening = sockets(port, _LISTEN)
                if all(watched(pid) & set(listening) for pid in workers):
                    break
            assert time.monotonic() < deadline, f"no worker replaced {first}: {log_of(process)[-2000:]}"
            time.sleep(0.2)
        assert second in workers
        assert f"worker {first} ended (exit code -9); starting another" in log_of(process)
        assert get(f"http://127.0.0.1:{port}/ready")[0] == 200
    finally:
        stop(process)


def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    """SIGKILL (or the OOM killer) gives the supervisor no chance to stop its workers: they
    must see it gone and stop, not serve on unsupervised on a port a new start could share.
    Its engine is left running, holding the store's lock: the next start stops it."""
    data_dir = tmp_path / "data"
    process, _ = start(data_dir, "--workers", "2")
    workers = workers_of(process)
    engine = int((data_dir / "engine.pid").read_text())
    process.kill()
    process.wait()
    try:
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < deadline, "the workers outlived their supervisor"
            time.sleep(0.2)
        process, port = start(data_dir, "--workers", "2")
        try:
            assert get(f"http://127.0.0.1:{port}/ready")[0] == 200
            assert f"stopped the Oxigraph server (PID {engine})" in log_of(process)
        finally:
            stop(process)
    finally:
        if Path(f"/proc/{engine}").exists():
            os.kill(engine, signal.SIGKILL)


def test_a_second_serve_on_the_same_data_leaves_the_first_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process, port = start(data_dir)
    try:
        assert ILBIRS
        done = subprocess.run(
            [ILBIRS, "serve", "--port", str(free_port()), "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert f"another `ilbirs serve` (PID {process.pid}) serves" in done.stderr
        assert get(f"http://127.0.0.1:{port}/ready")[0] == 200
    finally:
        stop(process)


def test_a_port_in_use_is_an_error_before_anything_starts(tmp_path: Path) -> None:
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        assert ILBIRS
        done = subprocess.run(
            [ILBIRS, "serve", "--port", str(port), "--workers", "2", "--data-dir", str(tmp_path / "data")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert not (tmp_path / "data" / "store").exists(), "nothing should start: no engine, no load"


def test_sigint_stops_everything_even_where_it_came_in_ignored(tmp_path: Path) -> None:
    """A shell without job control (a script's ``ilbirs serve &``) starts it with SIGINT
    ignored; uvicorn's own supervisor and a single worker stop on SIGINT all the same, and so
    must ours (it once went on serving, and the engine with it)."""
    data_dir = tmp_path / "data"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the child, as from such a shell
    try:
        process, _ = start(data_dir, "--workers", "2")
    finally:
        signal.signal(signal.SIGINT, previous)
    workers = workers_of(process)
    engine = int((data_dir / "engine.pid").read_text())
    try:
        stop(process, signal.SIGINT)
        assert process.returncode == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
        assert not (data_dir / "engine.pid").exists(), "the engine must be stopped too"
    finally:
        if process.poll() is None:  # it went on: leave nothing behind
            process.kill()
            process.wait()
            for pid in [*workers, engine]:
                if Path(f"/proc/{pid}").exists():
                    os.kill(pid, signal.SIGKILL)
