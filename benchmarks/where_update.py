"""Benchmark: a ``DELETE/INSERT … WHERE`` update touching 100 quads, at 100k and 1M triples.

    python benchmarks/where_update.py                    # 100k and 1M triples
    python benchmarks/where_update.py --sizes 100000 --repeat 5

The update renames the English alternative labels of 50 synthetic protected areas (50 quads
removed, 50 added). For each size, in its own process: generate the data
(``ilbirs.graph.synthetic``, seed 1), load it with the ontology into an embedded store, then
time (median of ``--repeat``)

* ``store``: the change computed by ``writes.update_change``, its WHERE part read from the
  store (``where_updates``: hardening #16, item 8);
* ``copy``: the peer in the same run, the same update on an in-memory copy of the store
  (``scratch.run_on_copy``, what every WHERE update did before; still the way for requests of
  several operations), up to ``--copy-max`` triples;
* ``write``: the whole validated write (``writes.write``: the change, SHACL validation of
  what it touches, the change applied and logged), on a fresh copy of the update each time.

Results print as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ilbirs.graph import load_bundle
from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.store.scratch import run_on_copy
from ilbirs.graph.synthetic import SYNTHETIC_BASE, generate
from ilbirs.graph.writes import all_quads, update_change, write


def update(round_: int) -> str:
    areas = " ".join(f"<{SYNTHETIC_BASE}id/protected-area/b{i}-0>" for i in range(50))
    return (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "DELETE { GRAPH ?g { ?pa skos:altLabel ?old } } "
        f"INSERT {{ GRAPH ?g {{ ?pa skos:altLabel ?new }} }} "
        f"WHERE {{ VALUES ?pa {{ {areas} }} GRAPH ?g {{ ?pa skos:altLabel ?old FILTER (LANG(?old) = 'en') }} "
        f'BIND (STRLANG(CONCAT(STR(?pa), " r{round_}"), "en") AS ?new) }}'
    )


def median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_size(size: int, repeat: int, copy_max: int) -> dict[str, float | int | None]:
    store = EmbeddedStore()
    load_bundle(store, kinds=frozenset({"ontology", "vocabulary", "alignment"}))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "synthetic.nq"
        data.write_text("\n".join(generate(size, seed=1)) + "\n", encoding="utf-8")
        store.load_file(data)
    quads = len(store)
    change = update_change(store, update(0), max_copy_quads=10**9)
    touched = len(change.added) + len(change.removed)
    store_s = median(lambda: update_change(store, update(0)), repeat)
    copy_s = None
    if size <= copy_max:
        copy = [q for q in all_quads(store)]
        copy_s = median(lambda: run_on_copy(copy, update(0)), max(1, repeat // 2))
    rounds = iter(range(1, 10_000))
    write_s = median(
        lambda: write(
            store, lambda: update_change(store, update(next(rounds))), actor="bench", reason="bench"
        ),
        repeat,
    )
    return {"size": size, "quads": quads, "touched": touched, "store_ms": store_s * 1000,
            "copy_ms": None if copy_s is None else copy_s * 1000, "write_ms": write_s * 1000}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--copy-max", type=int, default=200_000, help="largest size the copy peer runs on")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size, JSON to stdout
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_size(args.one, args.repeat, args.copy_max)))
        return 0
    print(
        "| triples | quads | quads touched | change, from the store (ms) | change, on a copy (ms) | validated write (ms) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--repeat", str(args.repeat), "--copy-max", str(args.copy_max)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(done.stdout.strip().splitlines()[-1])
        copy = "—" if r["copy_ms"] is None else f"{r['copy_ms']:,.0f}"
        print(
            f"| {r['size']:,} | {r['quads']:,} | {r['touched']} | {r['store_ms']:,.1f} | {copy} | {r['write_ms']:,.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
