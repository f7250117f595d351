"""Benchmark: Ilbirs' ``/sparql`` against the same Oxigraph engine queried directly and against
rdflib-endpoint, all measured in one run on the same generated data.

    make bench-sparql                                   # 100k and 1M triples (~15 min)
    .venv/bin/python benchmarks/sparql.py --triples 100000 --seconds 5

For each size (``ilbirs generate``'s data, seed 1):

* **Ilbirs**: ``ilbirs load`` then ``ilbirs serve --workers 2`` (its supervised Oxigraph
  server; every query pays Ilbirs' checks, the version query behind its ETag, and its limits).
* **Engine direct**: that same Oxigraph server process, queried at its own ``/query`` with
  ``union-default-graph`` (what Ilbirs asks of it).
* **rdflib-endpoint**: the same quads in an rdflib ``Dataset`` (default graph = union),
  served by ``rdflib_endpoint.SparqlEndpoint`` under uvicorn; measured last, with Ilbirs
  stopped (it goes on computing the queries its clients gave up on, which would take a core
  from whatever ran next), lookups before the mix. A request unanswered within 60 s counts
  as an error.

Workloads, each run for ``--seconds`` at each client count (8 and 32 concurrent clients,
asyncio + aiohttp, 0.1–0.3 ms of CPU per request, spread over two processes
(``--client-processes``); every target gets the same client. One process tops out near
12,000–14,000 short requests/s on this machine, whoever answers (a server writing a fixed
answer included), and until 2026-12-01 the cached lookups of both targets ran at that
ceiling; until 2026-11-30 the client was httpx, 1.1–1.2 ms per request, which capped every
target near 850 requests/s on 2 cores):

* **mix**: the seven queries of the domain in turn, each request's text unique (a trailing
  comment), so that no answer comes from a cache: entity lookup, paged listing of protected
  areas by country, corridors crossing two countries, projects active in a year grouped by
  theme, label search by prefix, a 2-hop path, DESCRIBE.
* **lookup**: the triples of one animal, a different one (and a unique text) each request.
* **lookup, cached**: the same 50 lookups again and again (Ilbirs answers from its cache
  after the first; the engine has none).

Then the validated write: 30 ``INSERT DATA`` requests of 100 triples each through Ilbirs
(validated against the shapes, version-guarded, logged), against the same update sent to the
engine directly (none of that). Figures: throughput (requests/s), p50 and p99 latency (ms),
and the ratios the SPARQL service issue sets targets for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from yarl import URL

from ilbirs.graph.synthetic import SYNTHETIC_BASE, generate

ID = SYNTHETIC_BASE + "id/"
PREFIXES = """PREFIX kg: <https://w3id.org/ilbirs/def/>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
ILBIRS = str(Path(sys.executable).with_name("ilbirs"))
RDFLIB_SERVER = """
import sys, uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint
data = Dataset(default_union=True)
data.parse(sys.argv[1], format="nquads")
print("loaded", len(data), flush=True)
uvicorn.run(SparqlEndpoint(graph=data), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the queries -----------------------------------------------------------------------------


@dataclass
class Domain:
    """What the generated data holds, for choosing query parameters."""

    blocks: int
    countries: int


def lookup(d: Domain, rng: random.Random) -> tuple[str, str]:
    animal = f"{ID}animal/b{rng.randrange(d.blocks)}-{rng.randrange(5)}"
    return "lookup", f"SELECT ?p ?o WHERE {{ <{animal}> ?p ?o }}"


def listing(d: Domain, rng: random.Random) -> tuple[str, str]:
    country = f"{ID}country/c{rng.randrange(d.countries)}"
    return "listing", (
        PREFIXES + "SELECT ?area ?label WHERE { ?area a kg:ProtectedArea ; schema:containedInPlace ?region ; "
        f'skos:prefLabel ?label . ?region schema:containedInPlace <{country}> FILTER (LANG(?label) = "en") }} '
        f"ORDER BY ?label LIMIT 20 OFFSET {20 * rng.randrange(3)}"
    )


def corridors(d: Domain, rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(range(d.countries), 2)
    return "corridors", (
        PREFIXES + "SELECT ?corridor ?label WHERE { ?corridor a kg:EcologicalCorridor ; "
        f"schema:containedInPlace <{ID}country/c{a}>, <{ID}country/c{b}> ; skos:prefLabel ?label "
        'FILTER (LANG(?label) = "en") }'
    )


def projects(d: Domain, rng: random.Random) -> tuple[str, str]:
    year = rng.randint(2019, 2025)
    return "projects", (
        PREFIXES
        + "SELECT ?theme (COUNT(?project) AS ?n) WHERE { ?project a kg:JointProject ; kg:theme ?theme ; "
        "schema:startDate ?start ; schema:endDate ?end "
        f"FILTER (xsd:integer(STR(?start)) <= {year} && xsd:integer(STR(?end)) >= {year}) }} GROUP BY ?theme"
    )


def search(d: Domain, rng: random.Random) -> tuple[str, str]:
    prefix = rng.choice(["ak", "bar", "chat", "kal", "tash", "nar", "sar", "khan"])
    return "search", (
        PREFIXES + "SELECT ?s ?label WHERE { ?s skos:prefLabel ?label "
        f'FILTER (STRSTARTS(LCASE(STR(?label)), "{prefix}")) }} LIMIT 20'
    )


def two_hop(d: Domain, rng: random.Random) -> tuple[str, str]:
    transfer = f"{ID}event/transfer-{rng.randrange(d.blocks)}"
    return "2-hop", (
        PREFIXES + f"SELECT ?animal ?taxon WHERE {{ <{transfer}> schema:object ?animal . "
        '?animal kg:ofTaxon/skos:prefLabel ?taxon FILTER (LANG(?taxon) = "en") }'
    )


def describe(d: Domain, rng: random.Random) -> tuple[str, str]:
    return "describe", f"DESCRIBE <{ID}protected-area/b{rng.randrange(d.blocks)}-{rng.randrange(16)}>"


MIX: list[Callable[[Domain, random.Random], tuple[str, str]]] = [
    lookup, listing, corridors, projects, search, two_hop, describe,
]  # fmt: skip


# -- the targets -------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    pids: Callable[[], list[int]] = list  # the server processes whose CPU time counts

    def request(self, query: str) -> tuple[str, dict[str, str], dict[str, str]]:
        accept = "text/turtle" if query.startswith("DESCRIBE") else "application/sparql-results+json"
        return self.url, {"query": query, **self.params}, {"Accept": accept}


@dataclass
class Run:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    done: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0  # CPU time the target's server processes used during the run
    failures: dict[str, int] = field(default_factory=dict)  # what the errors were

    def all(self) -> list[float]:
        return [x for xs in self.latencies.values() for x in xs]


#: How many processes the clients of a run are spread over (``--client-processes``).
CLIENT_PROCESSES = 2


def drive(
    target: Target,
    clients: int,
    seconds: float,
    make: Callable[[random.Random, int], tuple[str, str]],
    *,
    timeout_s: float = 60.0,
    as_path: bool = False,
) -> Run:
    """``clients`` concurrent clients sending ``make(rng, n)`` queries for ``seconds``; with
    ``as_path``, ``make`` gives a path (and query string) to GET under the target's URL.

    The clients are spread over ``CLIENT_PROCESSES`` processes (forked; each an asyncio loop
    with aiohttp) started together: one process tops out near 12,000-14,000 short requests/s
    on this machine whatever answers them (measured against a server that writes a fixed
    answer), which every fast target reached. ``n`` is unique across the processes."""
    processes = max(1, min(clients, CLIENT_PROCESSES))
    context = multiprocessing.get_context("fork")
    pids = target.pids()
    cpu_before = cpu_seconds(pids)
    start_at = time.monotonic() + 0.2
    children, pipes = [], []
    for k in range(processes):
        seeds = [1000 * clients + i for i in range(clients) if i % processes == k]
        job = _Clients(target, seeds, seconds, make, timeout_s, as_path, first=k * 10**8)
        reading, writing = context.Pipe(duplex=False)
        child = context.Process(target=_client_process, args=(writing, job, start_at))
        child.start()
        writing.close()
        children.append(child)
        pipes.append(reading)
    runs: list[Run] = [pipe.recv() for pipe in pipes]
    for child in children:
        child.join()
    run = Run(seconds=max(r.seconds for r in runs), cpu_s=cpu_seconds(pids) - cpu_before)
    for part in runs:
        run.errors += part.errors
        run.done += part.done
        for kind, values in part.latencies.items():
            run.latencies.setdefault(kind, []).extend(values)
        for what, count in part.failures.items():
            run.failures[what] = run.failures.get(what, 0) + count
    return run


@dataclass
class _Clients:
    """One process's share of a run's clients: one per seed; ``n`` counts from ``first``."""

    target: Target
    seeds: list[int]
    seconds: float
    make: Callable[[random.Random, int], tuple[str, str]]
    timeout_s: float
    as_path: bool
    first: int


def _client_process(pipe: Any, job: _Clients, start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.monotonic()))
    pipe.send(asyncio.run(_drive(job)))
    pipe.close()


async def _drive(job: _Clients) -> Run:
    """``job``'s clients for ``job.seconds``."""
    target, make, as_path = job.target, job.make, job.as_path
    run = Run()
    counter = iter(range(job.first, job.first + 10**8))
    connector = aiohttp.TCPConnector(limit=len(job.seeds))
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=job.timeout_s)
    ) as http:
        deadline = time.perf_counter() + job.seconds

        async def client(seed: int) -> None:
            rng = random.Random(seed)
            while time.perf_counter() < deadline:
                kind, query = make(rng, next(counter))
                if as_path:  # sent as written (already encoded), not re-quoted
                    url, params, headers = (
                        URL(target.url + query, encoded=True),
                        None,
                        # The JSON API's targets are about its work, not its cache: every
                        # request asks for an answer made afresh.
                        {"Accept": "application/json", "Cache-Control": "no-cache"},
                    )
                else:
                    url, params, headers = target.request(query)
                started = time.perf_counter()
                try:
                    async with http.get(url, params=params, headers=headers) as response:
                        body = await response.read()
                    ok = response.status == 200
                    what = f"{response.status} {body[:120].decode(errors='replace')}"
                except (TimeoutError, aiohttp.ClientError) as exc:
                    ok, what = False, type(exc).__name__
                if not ok:
                    run.failures[what] = run.failures.get(what, 0) + 1
                if ok:
                    run.latencies.setdefault(kind, []).append(time.perf_counter() - started)
                    run.done += 1
                else:
                    run.errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(client(seed) for seed in job.seeds))
        run.seconds = time.perf_counter() - started
    return run


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # the fields after the command name


def descendants(root: int) -> list[int]:
    """``root`` and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        if (fields := _stat(pid)) is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# -- setting up ---------------------------------------------------------------------------------


def wait_for(url: str, process: subprocess.Popen[str], seconds: float = 900) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args} ended: {process.communicate()[1][-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def start_ilbirs(data_dir: Path, nquads: Path) -> tuple[subprocess.Popen[str], str, str]:
    """``ilbirs load`` then ``ilbirs serve``; (process, /sparql URL, engine base URL)."""
    subprocess.run(
        [ILBIRS, "load", str(nquads), "--data-dir", str(data_dir)], check=True, capture_output=True
    )
    port = free_port()
    log = data_dir / "serve.log"
    process = subprocess.Popen(
        [ILBIRS, "serve", "--data-dir", str(data_dir), "--port", str(port), "--workers", "2"],
        stderr=log.open("w"),
        text=True,
        env={**os.environ, "ILBIRS_MAX_ROWS": "1000000"},
    )
    wait_for(f"http://127.0.0.1:{port}/ready", process)
    engine = re.search(r"\((http://127\.0\.0\.1:\d+)\)", log.read_text())
    assert engine, log.read_text()
    return process, f"http://127.0.0.1:{port}/sparql", engine.group(1)


def start_rdflib(nquads: Path) -> tuple[subprocess.Popen[str], str, float]:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", RDFLIB_SERVER, str(nquads), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    wait_for(url + "?query=ASK%7B%7D", process, seconds=3600)
    return process, url, time.perf_counter() - started


def token(data_dir: Path) -> str:
    done = subprocess.run(
        [ILBIRS, "token", "create", "bench", "--role", "steward", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def write_p50(url: str, headers: dict[str, str], blocks: int, *, tag: str, repeat: int = 30) -> float:
    """p50 (ms) of ``repeat`` INSERT DATA requests of 100 altLabels each (3 more to warm up)."""
    times = []
    for n in range(repeat + 3):
        block = n % blocks
        triples = " ".join(
            f'<{ID}protected-area/b{block}-{i % 16}> <http://www.w3.org/2004/02/skos/core#altLabel> "{tag} {n}-{i}"@en .'
            for i in range(100)
        )
        update = f"INSERT DATA {{ GRAPH <{SYNTHETIC_BASE}graph/source-{block}> {{ {triples} }} }}"
        started = time.perf_counter()
        response = httpx.post(
            url, content=update, headers={**headers, "Content-Type": "application/sparql-update"}, timeout=120
        )
        elapsed = time.perf_counter() - started
        if response.status_code not in (200, 204):
            raise SystemExit(f"write refused: {response.status_code} {response.text[:500]}")
        if n >= 3:
            times.append(elapsed)
    return statistics.median(times) * 1000


def write_data(size: int, nquads: Path) -> tuple[int, Domain]:
    """Write ``ilbirs generate``'s data (seed 1) of about ``size`` quads to ``nquads``; its
    number of quads, and how many source graphs (blocks) and countries it holds."""
    quads = blocks = countries = 0
    with nquads.open("w") as out:
        for line in generate(size, seed=1):
            out.write(line + "\n")
            quads += 1
            if "/graph/source-" in line and "#type> <https://w3id.org/ilbirs/def/SourceGraph>" in line:
                blocks += 1
            elif line.startswith(f"<{ID}country/") and "def/Country>" in line:
                countries += 1
    return quads, Domain(blocks, countries)


# -- the run ------------------------------------------------------------------------------------


def bench(size: int, args: argparse.Namespace) -> list[dict[str, object]]:
    work = Path(tempfile.mkdtemp(prefix="ilbirs-bench-"))
    rows: list[dict[str, object]] = []
    processes: list[subprocess.Popen[str]] = []
    try:
        nquads = work / "data.nq"
        quads, domain = write_data(size, nquads)
        print(
            f"\n## {quads:,} quads ({domain.blocks} source graphs, {domain.countries} countries)", flush=True
        )
        data_dir = work / "ilbirs"
        steward = token(data_dir)
        ilbirs, sparql, engine = start_ilbirs(data_dir, nquads)
        processes.append(ilbirs)
        engine_pid = next(
            pid for pid in descendants(ilbirs.pid) if b"oxigraph" in Path(f"/proc/{pid}/cmdline").read_bytes()
        )
        targets = [
            Target("Ilbirs /sparql", sparql, pids=lambda: descendants(ilbirs.pid)),  # workers and engine
            Target(
                "engine direct", engine + "/query", {"union-default-graph": ""}, pids=lambda: [engine_pid]
            ),
        ]

        def mix(rng: random.Random, n: int) -> tuple[str, str]:
            kind, query = MIX[n % len(MIX)](domain, rng)
            return kind, f"{query}\n# {n}"

        def lookups(rng: random.Random, n: int) -> tuple[str, str]:
            kind, query = lookup(domain, rng)
            return kind, f"{query}\n# {n}"

        fixed = [lookup(domain, random.Random(i))[1] for i in range(50)]

        def cached(rng: random.Random, n: int) -> tuple[str, str]:
            return "lookup", fixed[n % len(fixed)]

        workloads = {"mix": mix, "lookup": lookups, "lookup, cached": cached}

        def measure(target: Target, workload: str) -> None:
            for clients in args.clients:
                run = drive(target, clients, args.seconds, workloads[workload])
                latencies = run.all()
                row = {
                    "quads": quads,
                    "workload": workload,
                    "clients": clients,
                    "target": target.name,
                    "requests": run.done,
                    "errors": run.errors,
                    "rps": run.done / run.seconds,
                    "cpu_ms": 1000 * run.cpu_s / run.done if run.done else float("nan"),
                    "p50_ms": pct(latencies, 0.5),
                    "p99_ms": pct(latencies, 0.99),
                    "by_kind_p50_ms": {k: pct(v, 0.5) for k, v in sorted(run.latencies.items())},
                }
                rows.append(row)
                print(
                    f"{workload:15} {clients:3} clients  {target.name:16} {row['rps']:8.1f} req/s  "
                    f"p50 {row['p50_ms']:8.1f} ms  p99 {row['p99_ms']:8.1f} ms  errors {run.errors}  "
                    f"server CPU {row['cpu_ms']:.2f} ms/request",
                    flush=True,
                )

        for target in targets:  # warm up: each query kind, and the cached lookups
            drive(target, 4, 2.0, mix)
            for query in fixed:
                url, params, headers = target.request(query)
                httpx.get(url, params=params, headers=headers, timeout=60)
        for workload in workloads:
            for target in targets:
                measure(target, workload)
        bearer = {"Authorization": f"Bearer {steward}"}
        ilbirs_write = write_p50(sparql, bearer, domain.blocks, tag="ilbirs")
        engine_write = write_p50(engine + "/update", {}, domain.blocks, tag="direct")
        rows.append(
            {
                "quads": quads,
                "workload": "write 100 triples",
                "ilbirs_p50_ms": ilbirs_write,
                "engine_p50_ms": engine_write,
            }
        )
        print(
            f"validated 100-triple write: Ilbirs p50 {ilbirs_write:.0f} ms; the engine, unvalidated: {engine_write:.0f} ms",
            flush=True,
        )
        if not args.skip_rdflib:
            # Last, and alone: rdflib-endpoint goes on computing the queries its clients gave
            # up on, which would take a core from whatever ran after it.
            ilbirs.send_signal(signal.SIGINT)
            ilbirs.communicate(timeout=60)
            rdflib, rdflib_url, load_s = start_rdflib(nquads)
            processes.append(rdflib)
            print(f"rdflib-endpoint loaded in {load_s:.0f} s", flush=True)
            peer = Target("rdflib-endpoint", rdflib_url, pids=lambda: descendants(rdflib.pid))
            drive(peer, 4, 2.0, lookups)
            measure(peer, "lookup")  # before the mix, which leaves a backlog
            measure(peer, "mix")
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)
    return rows


def report(rows: list[dict[str, object]]) -> str:
    """Markdown tables: the figures, then the ratios against the targets."""
    lines = [
        "| quads | workload | clients | target | req/s | p50 ms | p99 ms | errors | server CPU ms/request |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "rps" in r:
            lines.append(
                f"| {r['quads']:,} | {r['workload']} | {r['clients']} | {r['target']} | {r['rps']:.1f} | "
                f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | {r['cpu_ms']:.2f} |"
            )
    lines += [
        "",
        "Ratios of throughput (req/s), and in brackets of requests per server CPU-second:",
        "",
        "| quads | clients | mix: Ilbirs ÷ direct (≥ 0.8) | lookup: ÷ direct (≥ 0.25) | cached lookup: ÷ direct (≥ 1) | mix: Ilbirs ÷ rdflib-endpoint (≥ 3) | lookup: ÷ rdflib-endpoint (≥ 3) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by = {(r["quads"], r["workload"], r["clients"], r["target"]): r for r in rows if "rps" in r}

    def ratio(quads: object, workload: str, clients: object, other: str) -> str:
        a, b = by.get((quads, workload, clients, "Ilbirs /sparql")), by.get((quads, workload, clients, other))
        if not a or not b or not b["rps"]:
            return "– (no answer)" if b else "–"
        throughput = float(a["rps"]) / float(b["rps"])  # type: ignore[arg-type]
        efficiency = float(b["cpu_ms"]) / float(a["cpu_ms"])  # type: ignore[arg-type]
        return f"{throughput:.2f}× ({efficiency:.2f}×)"

    for quads, clients in sorted({(r["quads"], r["clients"]) for r in rows if "rps" in r}):  # type: ignore[type-var]
        lines.append(
            f"| {quads:,} | {clients} | {ratio(quads, 'mix', clients, 'engine direct')} | "
            f"{ratio(quads, 'lookup', clients, 'engine direct')} | {ratio(quads, 'lookup, cached', clients, 'engine direct')} | "
            f"{ratio(quads, 'mix', clients, 'rdflib-endpoint')} | {ratio(quads, 'lookup', clients, 'rdflib-endpoint')} |"
        )
    lines += [
        "",
        "| quads | validated 100-triple write, Ilbirs p50 (≤ 150 ms) | the same INSERT DATA sent to the engine, p50 |",
        "|---:|---:|---:|",
    ]
    for r in rows:
        if "ilbirs_p50_ms" in r:
            lines.append(f"| {r['quads']:,} | {r['ilbirs_p50_ms']:.0f} ms | {r['engine_p50_ms']:.0f} ms |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each measured run")
    parser.add_argument("--skip-rdflib", action="store_true", help="leave rdflib-endpoint out")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--client-processes", type=int, default=CLIENT_PROCESSES, help="processes the clients are spread over"
    )
    args = parser.parse_args()
    globals()["CLIENT_PROCESSES"] = args.client_processes
    print(f"machine: {os.cpu_count()} CPU(s); Python {sys.version.split()[0]}", flush=True)
    rows = [row for size in args.triples for row in bench(size, args)]
    print("\n" + report(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
