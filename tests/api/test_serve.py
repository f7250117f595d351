"""``ilbirs serve`` as a user runs it: it starts and supervises an Oxigraph server on the data
directory, loads the shipped bundle on first start, answers /health and /ready, and Ctrl-C
stops everything it started."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from ilbirs.graph.store.server import free_port

from .test_cli import ILBIRS


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


#: Where each running serve writes its log: a file, not a pipe nobody reads while it runs
#: (a full pipe would stall the server once it had logged 64 KB).
LOGS: dict[int, Path] = {}


def start(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], int]:
    """``ilbirs serve`` on a free port, once it is ready; ``env`` adds ILBIRS_* settings."""
    import os

    assert ILBIRS
    port = free_port()
    log = data_dir.with_name(f"{data_dir.name}-serve-{port}.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as err:
        process = subprocess.Popen(
            [ILBIRS, "serve", "--port", str(port), "--data-dir", str(data_dir), *args],
            stderr=err,
            text=True,
            env={**os.environ, **(env or {})},
        )
    LOGS[process.pid] = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(f"http://127.0.0.1:{port}/ready")[0] == 200:
                return process, port
        except OSError:
            pass
        if process.poll() is not None:
            raise AssertionError(log_of(process))
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise AssertionError(f"ilbirs serve was not ready within 60 s: {log_of(process)}")


def log_of(process: subprocess.Popen[str]) -> str:
    """What ``ilbirs serve`` has logged so far."""
    return LOGS[process.pid].read_text(encoding="utf-8", errors="replace")


def create_token(data_dir: Path, name: str, role: str = "steward") -> str:
    """A new token, made as a steward makes one: ``ilbirs token create``."""
    assert ILBIRS
    done = subprocess.run(
        [ILBIRS, "token", "create", name, "--role", role, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def stop(process: subprocess.Popen[str], sent: signal.Signals = signal.SIGINT) -> str:
    """Stop ``ilbirs serve`` as Ctrl-C does (SIGINT), or as systemd and Docker do (SIGTERM);
    returns its log.

    :raises AssertionError: it had already stopped by itself (its log says why).
    """
    if process.poll() is not None:
        raise AssertionError(
            f"ilbirs serve stopped by itself with {process.returncode}: {log_of(process)[-3000:]}"
        )
    process.send_signal(sent)
    process.wait(timeout=30)
    return log_of(process)


def oxigraph_processes(data_dir: Path) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "oxigraph" in line and str(data_dir) in line]


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_starts_loads_answers_and_stops_cleanly(tmp_path: Path, workers: int) -> None:
    data_dir = tmp_path / "data"
    process, port = start(data_dir, "--workers", str(workers))
    try:
        assert get(f"http://127.0.0.1:{port}/health") == (200, {"status": "alive"})
        status, body = get(f"http://127.0.0.1:{port}/ready")
        assert status == 200 and body["status"] == "ready"
        assert oxigraph_processes(data_dir), "serve should supervise an Oxigraph server on the data directory"
    finally:
        log = stop(process)
    assert "loaded the shipped bundle" in log
    assert oxigraph_processes(data_dir) == [], "Ctrl-C must leave no process behind"
    # A second start finds the data and does not load it again; SIGTERM stops it as cleanly.
    process, port = start(data_dir)
    try:
        assert get(f"http://127.0.0.1:{port}/ready")[0] == 200
    finally:
        log = stop(process, signal.SIGTERM)
    assert "loaded the shipped bundle" not in log
    assert oxigraph_processes(data_dir) == [], "SIGTERM must leave no process behind"


def test_ready_is_503_with_a_problem_when_the_store_is_down(tmp_path: Path) -> None:
    """The API process itself, over HTTP, pointed at an engine that does not answer."""
    import os
    import sys

    port = free_port()
    env = {
        **os.environ,
        "ILBIRS_STORE_URL": f"http://127.0.0.1:{free_port()}/query",
        "ILBIRS_DATA_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "ilbirs.api.app:app_from_env",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = get(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                assert time.monotonic() < deadline, "the API did not start"
                time.sleep(0.2)
        assert status == 200
        request = urllib.request.Request(f"http://127.0.0.1:{port}/ready")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=30)
        assert caught.value.code == 503
        assert caught.value.headers["Content-Type"].startswith("application/problem+json")
        assert caught.value.headers["Retry-After"] == "5"
        assert json.loads(caught.value.read())["title"] == "Store unreachable"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_engine_keeps_no_thread_per_query(tmp_path: Path) -> None:
    """Under a steady stream of queries the supervised engine's threads stay few: with
    ``--timeout-s``, Oxigraph 0.5 keeps one thread per query alive for the whole limit and
    fails past ~16,000 of them (README, "Stopping a runaway query")."""
    data_dir = tmp_path / "data"
    process, port = start(data_dir)
    try:
        for n in range(500):  # unique texts: no answer from Ilbirs' cache
            query = urllib.parse.quote(f"ASK {{ <urn:ilbirs:test:{n}> ?p ?o }}")
            assert get(f"http://127.0.0.1:{port}/sparql?query={query}") == (
                200,
                {"head": {}, "boolean": False},
            )
        engine = int((data_dir / "engine.pid").read_text())
        threads = len(list(Path(f"/proc/{engine}/task").iterdir()))
        assert threads < 100, f"the engine holds {threads} threads after 500 queries"
    finally:
        stop(process)
