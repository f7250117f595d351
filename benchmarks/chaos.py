"""Soak with failures: reads and validated writes on ``ilbirs serve --workers 2`` while the
engine and the API workers are killed in turn, then a count of what was lost.

    .venv/bin/python benchmarks/chaos.py                        # 30 minutes, a kill a minute
    .venv/bin/python benchmarks/chaos.py --minutes 5 --clients 16

``--clients`` threads (one httpx client each, keep-alive) for ``--minutes``: each request is a
read of the mix of ``benchmarks/writers.py`` or, one in five, a validated write of a distinct
label (``INSERT DATA``, 1–10 triples). Every ``--kill-every`` seconds, in turn: the Oxigraph
server (SIGKILL; the supervisor restarts it) or one API worker (SIGKILL; uvicorn's supervisor
restarts it). At the end, every write that was answered 200 is looked up: a missing one is a
lost acknowledged write. Reported: requests by status, 5xx other than 503, lost writes, the
workers' memory at the first and last minute.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from sparql import pct
from writers import read, rss_mib, start, update, worker_pids


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--kill-every", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, base, token = start(Path(tmp))
        data_dir = Path(tmp) / "data"
        stop = threading.Event()
        lock = threading.Lock()
        statuses: dict[int, int] = {}
        latencies: list[float] = []
        acknowledged: list[str] = []
        server_errors: list[str] = []

        def client(k: int) -> None:
            rng = random.Random(k)
            n = 0
            with httpx.Client(timeout=120) as http:
                while not stop.is_set():
                    n += 1
                    started = time.perf_counter()
                    tag = f"chaos-{k}-{n}"
                    try:
                        if rng.random() < 0.2:
                            response = http.post(
                                base + "/sparql",
                                content=update(tag, rng.randint(1, 10)),
                                headers={
                                    "Authorization": f"Bearer {token}",
                                    "Content-Type": "application/sparql-update",
                                },
                            )
                        else:
                            _, path = read(rng, n)
                            response = http.get(base + path, headers={"Cache-Control": "no-cache"})
                            tag = ""
                        status = response.status_code
                    except httpx.HTTPError as exc:
                        status, tag = 0, ""
                        response = None
                        detail = type(exc).__name__
                    with lock:
                        statuses[status] = statuses.get(status, 0) + 1
                        latencies.append(time.perf_counter() - started)
                        if status == 200 and tag:
                            acknowledged.append(tag)
                        if (status >= 500 and status != 503) or status == 0:
                            server_errors.append(
                                f"{status} {response.text[:120] if response is not None else detail}"
                            )

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        for thread in threads:
            thread.start()
        rss_first = None
        kills = {"engine": 0, "worker": 0}
        deadline = time.monotonic() + args.minutes * 60
        turn = 0
        while time.monotonic() < deadline:
            time.sleep(min(args.kill_every, max(0.0, deadline - time.monotonic())))
            if rss_first is None:
                rss_first = rss_mib(worker_pids(process))
            if time.monotonic() >= deadline:
                break
            if turn % 2 == 0:
                pid_file = data_dir / "engine.pid"
                if pid_file.exists():
                    os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
                    kills["engine"] += 1
            else:
                pids = worker_pids(process)
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    kills["worker"] += 1
            turn += 1
        rss_last = rss_mib(worker_pids(process))
        stop.set()
        for thread in threads:
            thread.join()
        time.sleep(2)
        lost = []
        for tag in acknowledged:
            ask = f'ASK {{ GRAPH ?g {{ ?s ?p "{tag}"@en }} }}'
            for _ in range(30):
                try:
                    found = httpx.get(base + "/sparql", params={"query": ask}, timeout=30).json()["boolean"]
                    break
                except (httpx.HTTPError, ValueError):
                    time.sleep(1)
            else:
                found = False
            if not found:
                lost.append(tag)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    total = sum(statuses.values())
    print(f"{args.minutes:g} min, {args.clients} clients, kills: {kills}")
    print(f"requests: {total:,} by status {dict(sorted(statuses.items()))}")
    print(f"p50 {pct(latencies, 0.5):.1f} ms, p99 {pct(latencies, 0.99):.1f} ms")
    print(f"acknowledged writes: {len(acknowledged):,}; lost: {len(lost)} {lost[:5]}")
    dropped = sum(1 for e in server_errors if e.startswith("0 "))
    print(
        f"5xx other than 503: {len(server_errors) - dropped}; connections dropped without an answer "
        f"(requests in flight in a killed worker): {dropped} {server_errors[:3]}"
    )
    print(f"workers' RSS: {rss_first:.0f} MiB after the first minute, {rss_last:.0f} MiB at the end")
    return 0 if not lost else 1


if __name__ == "__main__":
    sys.exit(main())
