"""Who can reach the Oxigraph server ``ilbirs serve`` supervises: it has no authentication of
its own, so it runs in a network namespace of its own, reached only through a Unix socket of
the serving user (mode 0600); where that is not allowed (or turned off), serve says at start
that any local process can read and write it."""

from __future__ import annotations

import stat
import subprocess
import sys
import urllib.parse
from pathlib import Path

import httpx

from .test_serve import start, stop

INSERT = "INSERT DATA { <urn:ilbirs:test:intruder> <urn:ilbirs:test:p> <urn:ilbirs:test:o> }"
ASK = "ASK { <urn:ilbirs:test:intruder> ?p ?o }"


def engine_port(data_dir: Path) -> int:
    """The port the engine binds (in its own namespace when isolated), from its command line."""
    pid = int((data_dir / "engine.pid").read_text())
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return int(args[args.index(b"--bind") + 1].rsplit(b":", 1)[1])


def write_from_another_process(port: int) -> subprocess.CompletedProcess[str]:
    """A second local process sends an anonymous SPARQL Update to the engine's port."""
    code = (
        "import sys, urllib.request, urllib.parse\n"
        f"data = urllib.parse.urlencode({{'update': {INSERT!r}}}).encode()\n"
        f"urllib.request.urlopen('http://127.0.0.1:{port}/update', data=data, timeout=10)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_another_local_process_cannot_write_to_the_isolated_engine(tmp_path: Path) -> None:
    """Hardening #16 item 4: the managed engine accepted anonymous updates from any local
    process on its loopback port."""
    data_dir = tmp_path / "data"
    process, port = start(data_dir)
    try:
        endpoint = f"http://127.0.0.1:{port}/sparql"
        intruder = write_from_another_process(engine_port(data_dir))
        assert intruder.returncode != 0 and "Connection refused" in intruder.stderr, intruder.stderr
        assert stat.S_IMODE((data_dir / "engine.sock").stat().st_mode) == 0o600
        # Ilbirs itself still reads through its socket.
        answer = httpx.get(endpoint, params={"query": ASK})
        assert answer.status_code == 200 and answer.json()["boolean"] is False
    finally:
        log = stop(process)
    assert "in a network namespace of its own" in log
    assert not (data_dir / "engine.sock").exists()


def test_without_isolation_serve_says_who_can_reach_the_engine(tmp_path: Path) -> None:
    """With isolation off (as on a host that does not allow it), the exposure is real and
    serve says so at start."""
    data_dir = tmp_path / "data"
    process, port = start(data_dir, env={"ILBIRS_ENGINE_ISOLATION": "false"})
    try:
        assert write_from_another_process(engine_port(data_dir)).returncode == 0
        query = urllib.parse.quote(ASK)
        assert httpx.get(f"http://127.0.0.1:{port}/sparql?query={query}").json()["boolean"] is True
    finally:
        log = stop(process)
    assert "any local user or process can read and write it" in log
