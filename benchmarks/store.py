"""Benchmark: bulk load and per-query overhead of the store layer, each against its raw peer
measured in the same run.

    python benchmarks/store.py                 # 1M triples (~1 min)
    python benchmarks/store.py --triples 100000

* Load: ``ilbirs load FILE --data-dir D`` (the user's command, end to end) against
  ``oxigraph load --location D2 --file FILE`` on the same N-Quads file from
  ``ilbirs generate`` (seed 1); each in its own process, with its peak memory (max RSS).
* Query overhead: a lookup (the triples of one entity) and a 1,000-row SELECT, through
  ``EmbeddedStore.select`` against pyoxigraph's ``Store.query`` on the same store, and through
  ``RemoteStore.select`` against a plain HTTP POST to the same Oxigraph server. Medians.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from ilbirs.graph.store import EmbeddedStore, OxigraphServer, RemoteStore
from ilbirs.graph.store.server import oxigraph_command
from ilbirs.graph.synthetic import SYNTHETIC_BASE, generate

LOOKUP = "SELECT ?p ?o WHERE { ?s ?p ?o }"
ROWS = "SELECT ?s ?o WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?o } LIMIT 1000"


def timed_child(args: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def embedded_overhead(path: Path, entity: URIRef, repeat: int) -> dict[str, object]:
    """Lookup and 1,000-row SELECT through EmbeddedStore against raw pyoxigraph on one store
    (closed again on return, so that a server can open the directory)."""
    store = EmbeddedStore(path)
    raw: ox.Store = store._store  # the same pyoxigraph store, read raw
    bound = LOOKUP.replace("?s", f"<{entity}>")
    return {
        "lookup_embedded_ms": round(
            median_ms(lambda: store.select(LOOKUP, bindings={"s": entity}), repeat), 3
        ),
        "lookup_pyoxigraph_ms": round(
            median_ms(lambda: list(raw.query(bound, use_default_graph_as_union=True)), repeat), 3
        ),
        "rows1000_embedded_ms": round(median_ms(lambda: store.select(ROWS), repeat // 4), 3),
        "rows1000_pyoxigraph_ms": round(
            median_ms(
                lambda: [tuple(s) for s in raw.query(ROWS, use_default_graph_as_union=True)], repeat // 4
            ),
            3,
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    ilbirs = str(Path(sys.executable).with_name("ilbirs"))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "synthetic.nq"
        data.write_text("\n".join(generate(args.triples, seed=1)) + "\n", encoding="utf-8")
        quads = sum(1 for _ in data.open(encoding="utf-8"))
        # oxigraph first, so that its peak RSS is not hidden by ilbirs' larger one
        oxi_s, oxi_mb = timed_child(
            [oxigraph_command(), "load", "--location", f"{tmp}/oxi", "--file", str(data)]
        )
        ilb_s, ilb_mb = timed_child([ilbirs, "load", str(data), "--data-dir", f"{tmp}/ilbirs"])
        shutil.rmtree(f"{tmp}/oxi")
        results: dict[str, object] = {
            "quads": quads,
            "load_ilbirs_quads_per_s": round(quads / ilb_s),
            "load_oxigraph_quads_per_s": round(quads / oxi_s),
            "load_ratio": round(oxi_s / ilb_s, 2),
            "load_ilbirs_peak_mb": round(ilb_mb),
            "load_oxigraph_peak_mb": round(oxi_mb),
        }
        entity = URIRef(SYNTHETIC_BASE + "id/protected-area/b7-3")
        results |= embedded_overhead(Path(tmp) / "ilbirs" / "store", entity, args.repeat)
        with OxigraphServer(Path(tmp) / "ilbirs" / "store") as server:
            remote = RemoteStore(server.query_url, server.update_url)

            def http(query: str) -> bytes:
                body = urllib.parse.urlencode({"query": query, "union-default-graph": "true"}).encode()
                request = urllib.request.Request(
                    server.query_url, body, {"Accept": "application/sparql-results+json"}
                )
                with urllib.request.urlopen(request) as response:
                    return bytes(response.read())

            bound = LOOKUP.replace("?s", f"<{entity}>")
            results["lookup_remote_ms"] = round(
                median_ms(lambda: remote.select(LOOKUP, bindings={"s": entity}), args.repeat), 3
            )
            results["lookup_http_ms"] = round(median_ms(lambda: json.loads(http(bound)), args.repeat), 3)
            results["rows1000_remote_ms"] = round(median_ms(lambda: remote.select(ROWS), args.repeat // 4), 3)
            results["rows1000_http_ms"] = round(
                median_ms(lambda: json.loads(http(ROWS)), args.repeat // 4), 3
            )
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
