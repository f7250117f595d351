"""Benchmark: concurrent validated writes, and reads while writes run, on ``ilbirs serve
--workers 2`` with the shipped data (loaded on first start).

    .venv/bin/python benchmarks/writers.py                          # both parts (~6 min)
    .venv/bin/python benchmarks/writers.py --part writers --writers 4 16 64
    .venv/bin/python benchmarks/writers.py --part soak --seconds 120 --readers 16 --rate 2

* **writers**: ``N`` concurrent writers (threads, one httpx client each), each sending
  ``--writes`` ``INSERT DATA`` requests of distinct ``skos:altLabel`` triples (1 to 100 per
  request) on the shipped protected areas, with a steward token. Figures: how many were
  accepted (200), how many refused and with what status, p50 and p99 latency.
* **soak**: ``--readers`` concurrent readers (the client of ``benchmarks/sparql.py``: aiohttp
  in two forked processes) for ``--seconds``, a mix of ``/api/v1`` details, lists, searches
  and SPARQL queries (answers made afresh: ``Cache-Control: no-cache``), first alone, then
  with ``--rate`` validated writes per second (each 1-10 triples). Figures: the reads' p50
  and p99, and the API workers' resident memory (RSS, summed) before and after each run.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from sparql import ILBIRS, Target, descendants, drive, free_port, pct, wait_for

ID = "https://w3id.org/ilbirs/id/"
ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
#: A protected area of the shipped data, and a source graph it is described in.
AREAS = [
    ("alatai", "iucn-contribution-10119"),
    ("khan-tengri", "enwiki-khan-tengri"),
    ("naryn", "frwiki-naryn"),
    ("sarychat-ertash", "enwiki-sarychat-ertash"),
    ("sary-chelek", "enwiki-sary-chelek"),
    ("padysha-ata", "iucn-contribution-10119"),
]


def start(work: Path) -> tuple[subprocess.Popen[str], str, str]:
    """``ilbirs serve --workers 2`` on a fresh data directory; (process, base URL, steward token)."""
    data_dir = work / "data"
    done = subprocess.run(
        [ILBIRS, "token", "create", "bench", "--role", "steward", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    port = free_port()
    process = subprocess.Popen(
        [ILBIRS, "serve", "--data-dir", str(data_dir), "--port", str(port), "--workers", "2"],
        stderr=(work / "serve.log").open("w"),
        text=True,
    )
    wait_for(f"http://127.0.0.1:{port}/ready", process)
    return process, f"http://127.0.0.1:{port}", done.stdout.strip()


def update(tag: str, size: int) -> str:
    """An ``INSERT DATA`` of ``size`` distinct triples, named by ``tag``: an altLabel of a shipped
    protected area (validated with everything the area states), and ``size - 1`` labels of a
    new node (so that no node grows without end over a run)."""
    area, graph = AREAS[zlib.crc32(tag.encode()) % len(AREAS)]
    triples = [f'<{ID}protected-area/{area}> <{ALT_LABEL}> "{tag}"@en .']
    triples += [f'<{ID}bench/{tag}> <{ALT_LABEL}> "{tag}-{i}"@en .' for i in range(size - 1)]
    return f"INSERT DATA {{ GRAPH <https://w3id.org/ilbirs/graph/{graph}> {{ {' '.join(triples)} }} }}"


def post(client: httpx.Client, base: str, token: str, text: str) -> tuple[int, float, str]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/sparql-update"}
    started = time.perf_counter()
    try:
        response = client.post(base + "/sparql", content=text, headers=headers, timeout=600)
        status, body = response.status_code, response.text[:200]
    except httpx.HTTPError as exc:
        status, body = 0, type(exc).__name__
    return status, time.perf_counter() - started, body


def writers(base: str, token: str, count: int, writes: int, run: int) -> dict[str, object]:
    """``count`` concurrent writers of ``writes`` requests each."""
    results: list[tuple[int, float, str]] = []
    lock = threading.Lock()
    gate = threading.Barrier(count)

    def writer(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client() as client:
            gate.wait()
            for n in range(writes):
                got = post(client, base, token, update(f"r{run}-w{k}-n{n}", rng.randint(1, 100)))
                with lock:
                    results.append(got)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    accepted = [t for s, t, _ in results if s == 200]
    refused: dict[str, int] = {}
    for status, _, body in results:
        if status != 200:
            refused[f"{status} {body[:80]}"] = refused.get(f"{status} {body[:80]}", 0) + 1
    return {
        "writers": count,
        "writes": len(results),
        "accepted": len(accepted),
        "refused": refused,
        "p50": pct([t for _, t, _ in results], 0.5),
        "p99": pct([t for _, t, _ in results], 0.99),
        "per_s": len(accepted) / seconds,
    }


def worker_pids(process: subprocess.Popen[str]) -> list[int]:
    """The API worker processes of ``ilbirs serve`` (not the engine, not the supervisor)."""
    found = []
    for pid in descendants(process.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if pid != process.pid and b"oxigraph" not in cmdline and b"python" in cmdline:
            found.append(pid)
    return found


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return total / 1024


def read(rng: random.Random, n: int) -> tuple[str, str]:
    """One read of the mix, as a path (with its query string)."""
    area = f"{ID}protected-area/{rng.choice(AREAS)[0]}"
    kind = rng.choice(["detail", "list", "search", "sparql"])
    if kind == "detail":
        return kind, f"/api/v1/protected-areas/{quote(area, safe='')}"
    if kind == "list":
        return kind, "/api/v1/protected-areas?limit=20"
    if kind == "search":
        return kind, f"/api/v1/search?q={rng.choice(['sary', 'nar', 'khan', 'snow', 'ala'])}"
    query = f"SELECT ?p ?o WHERE {{ <{area}> ?p ?o }} # {n}"
    return kind, f"/sparql?query={quote(query, safe='')}"


def soak(
    process: subprocess.Popen[str], base: str, token: str, readers: int, seconds: float, rate: float
) -> dict[str, object]:
    """``readers`` readers for ``seconds``, with ``rate`` writes per second (0: none)."""
    pids = worker_pids(process)
    before = rss_mib(pids)
    stop = threading.Event()
    outcomes: list[int] = []

    def write_steadily() -> None:
        with httpx.Client() as client:
            n = 0
            next_at = time.perf_counter()
            while not stop.is_set():
                status, _, _ = post(client, base, token, update(f"soak-{os.getpid()}-{n}", 1 + n % 10))
                outcomes.append(status)
                n += 1
                next_at += 1 / rate
                time.sleep(max(0.0, next_at - time.perf_counter()))

    writing = threading.Thread(target=write_steadily) if rate else None
    if writing:
        writing.start()
    run = drive(Target("ilbirs", base), readers, seconds, read, as_path=True)
    stop.set()
    if writing:
        writing.join()
    return {
        "rate": rate,
        "reads": run.done,
        "errors": run.errors,
        "p50": pct(run.all(), 0.5),
        "p99": pct(run.all(), 0.99),
        "writes": len(outcomes),
        "accepted": outcomes.count(200),
        "rss_before": before,
        "rss_after": rss_mib(pids),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["writers", "soak", "both"], default="both")
    parser.add_argument("--writers", type=int, nargs="+", default=[4, 16, 64])
    parser.add_argument("--writes", type=int, default=0, help="per writer (default: 400 in all, ≥ 4 each)")
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--rate", type=float, default=2.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ilbirs-bench-writers-"))
    process, base, token = start(work)
    try:
        if args.part in ("writers", "both"):
            print("| writers | writes | accepted | refused | p50 ms | p99 ms | accepted/s |")
            print("|---:|---:|---:|---|---:|---:|---:|")
            for run, count in enumerate(args.writers):
                got = writers(base, token, count, args.writes or max(4, 400 // count), run)
                refused = ", ".join(f"{n}× {what}" for what, n in got["refused"].items()) or "none"  # type: ignore[attr-defined]
                print(
                    f"| {count} | {got['writes']} | {got['accepted']} | {refused} | {got['p50']:.0f} "
                    f"| {got['p99']:.0f} | {got['per_s']:.1f} |",
                    flush=True,
                )
        if args.part in ("soak", "both"):
            print(
                "\n| writes/s | reads | read errors | read p50 ms | read p99 ms | writes accepted | workers' RSS MiB before → after |"
            )
            print("|---:|---:|---:|---:|---:|---:|---|")
            for rate in (0.0, args.rate):
                got = soak(process, base, token, args.readers, args.seconds, rate)
                print(
                    f"| {rate:g} | {got['reads']} | {got['errors']} | {got['p50']:.1f} | {got['p99']:.0f} "
                    f"| {got['accepted']}/{got['writes']} | {got['rss_before']:.0f} → {got['rss_after']:.0f} |",
                    flush=True,
                )
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
