"""Benchmark: ``/api/v1`` against the single equivalent SPARQL query sent straight to the same
Oxigraph engine, in one run, on generated data (``ilbirs generate``, seed 1).

    .venv/bin/python benchmarks/api.py                      # 100k and 1M triples (~10 min)
    .venv/bin/python benchmarks/api.py --triples 100000 --seconds 4
    .venv/bin/python benchmarks/api.py --triples 1000000 --workloads detail

Workloads, at 8 and 32 concurrent clients (the client, CPU accounting and set-up of
``benchmarks/sparql.py``):

* **detail**: ``GET /api/v1/protected-areas/<IRI>`` (every statement, sources, links resolved
  with labels) against the raw lookup ``SELECT ?p ?o ?g { GRAPH ?g { <IRI> ?p ?o } }``;
* **filtered list**: ``GET /api/v1/protected-areas?country=…&limit=20`` (a keyset page with
  its total) against the naive page ``ORDER BY … LIMIT 20 OFFSET 40`` on the engine;
* **search**: ``GET /api/v1/search?q=<prefix>`` (the FTS5 index, shortest matching label
  first, then labels) against a ``CONTAINS`` scan of every label on the engine, ranked the
  same way (``ORDER BY STRLEN(?label) ?s LIMIT 20``: every match is read).

Targets (the JSON API issue): a detail costs at most 2× its raw lookup; at 1M triples a
filtered list answers in ≤ 20 ms p50 and a search in ≤ 10 ms p50.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).parent))
import sparql
from sparql import ID, PREFIXES, Target, descendants, drive, pct, start_ilbirs, write_data

WORDS = ["ak", "bar", "chat", "kal", "tash", "nar", "sar", "khan", "ul", "tor"]


def bench(size: int, args: argparse.Namespace) -> list[dict[str, object]]:
    work = Path(tempfile.mkdtemp(prefix="ilbirs-bench-api-"))
    rows: list[dict[str, object]] = []
    ilbirs: subprocess.Popen[str] | None = None
    try:
        nquads = work / "data.nq"
        quads, domain = write_data(size, nquads)
        blocks, countries = domain.blocks, domain.countries
        print(f"\n## {quads:,} quads ({blocks} source graphs, {countries} countries)", flush=True)
        ilbirs, sparql, engine = start_ilbirs(work / "ilbirs", nquads)
        base = sparql.removesuffix("/sparql")
        engine_pid = next(
            p for p in descendants(ilbirs.pid) if b"oxigraph" in Path(f"/proc/{p}/cmdline").read_bytes()
        )
        api = Target("Ilbirs /api/v1", base, pids=lambda: descendants(ilbirs.pid))  # type: ignore[union-attr]
        direct = Target(
            "engine direct", engine + "/query", {"union-default-graph": ""}, pids=lambda: [engine_pid]
        )
        httpx.get(base + "/api/v1/search", params={"q": "warm"}, timeout=600)  # builds the index once

        def area(rng: random.Random) -> str:
            return f"{ID}protected-area/b{rng.randrange(blocks)}-{rng.randrange(16)}"

        workloads = {
            "detail": (
                lambda rng, n: ("detail", f"/api/v1/protected-areas/{area(rng)}"),
                lambda rng, n: (
                    "detail",
                    f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ <{area(rng)}> ?p ?o }} }} # {n}",
                ),
            ),
            "filtered list": (
                lambda rng, n: (
                    "list",
                    "/api/v1/protected-areas?limit=20&country="
                    + quote(f"{ID}country/c{rng.randrange(countries)}", safe=""),
                ),
                lambda rng, n: (
                    "list",
                    PREFIXES
                    + "SELECT ?area WHERE { ?area a kg:ProtectedArea ; schema:containedInPlace ?region . "
                    f"?region schema:containedInPlace <{ID}country/c{rng.randrange(countries)}> }} "
                    f"ORDER BY ?area LIMIT 20 OFFSET 40 # {n}",
                ),
            ),
            "search": (
                lambda rng, n: ("search", f"/api/v1/search?q={rng.choice(WORDS)}{rng.choice(WORDS)}"),
                lambda rng, n: (
                    "search",
                    PREFIXES + "SELECT ?s ?label WHERE { ?s skos:prefLabel ?label "
                    f'FILTER (CONTAINS(LCASE(STR(?label)), "{rng.choice(WORDS)}{rng.choice(WORDS)}")) }} '
                    f"ORDER BY STRLEN(STR(?label)) ?s LIMIT 20 # {n}",
                ),
            ),
        }
        for workload, (api_make, engine_make) in workloads.items():
            if workload.split()[-1] not in args.workloads:
                continue
            for target, make in ((api, api_make), (direct, engine_make)):
                drive(target, 4, 1.0, make, as_path=target is api)  # warm up
                for clients in args.clients:
                    run = drive(target, clients, args.seconds, make, as_path=target is api)
                    latencies = run.all()
                    row = {
                        "quads": quads, "workload": workload, "clients": clients, "target": target.name,
                        "rps": run.done / run.seconds, "p50_ms": pct(latencies, 0.5), "p99_ms": pct(latencies, 0.99),
                        "errors": run.errors, "cpu_ms": 1000 * run.cpu_s / run.done if run.done else float("nan"),
                    }  # fmt: skip
                    rows.append(row)
                    if run.failures:
                        print(
                            "  errors:", sorted(run.failures.items(), key=lambda kv: -kv[1])[:3], flush=True
                        )
                    print(
                        f"{workload:14} {clients:3} clients  {target.name:15} {row['rps']:8.1f} req/s  "
                        f"p50 {row['p50_ms']:7.2f} ms  p99 {row['p99_ms']:7.1f} ms  errors {run.errors}  "
                        f"server CPU {row['cpu_ms']:.2f} ms/request",
                        flush=True,
                    )
    finally:
        if ilbirs is not None:
            ilbirs.send_signal(signal.SIGINT)
            ilbirs.communicate(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--workloads", nargs="+", default=["detail", "list", "search"])
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes the clients are spread over"
    )
    args = parser.parse_args()
    sparql.CLIENT_PROCESSES = args.client_processes
    print(f"machine: {os.cpu_count()} CPU(s); Python {sys.version.split()[0]}", flush=True)
    rows = [row for size in args.triples for row in bench(size, args)]
    print(
        "\n| quads | workload | clients | target | req/s | p50 ms | p99 ms | errors | server CPU ms/request |"
    )
    print("|---:|---|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['quads']:,} | {r['workload']} | {r['clients']} | {r['target']} | {r['rps']:.1f} | "
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.1f} | {r['errors']} | {r['cpu_ms']:.2f} |"
        )


if __name__ == "__main__":
    main()
