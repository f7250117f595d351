"""Benchmark: full and incremental SHACL validation on synthetic data.

    python benchmarks/validation.py                      # 10k, 100k, 1M triples
    python benchmarks/validation.py --sizes 10000 --pyshacl-max 10000

Each size runs in its own process, so that its peak memory (max RSS) is its own. For each
size: generate the data (``ilbirs.graph.synthetic``, seed 1), load it with the ontology into
an embedded store, build the validation graph, then time

* full validation with pyshacl-turbo (the fast path) and, up to ``--pyshacl-max`` triples,
  with pyshacl (the reference, a peer measured in the same run);
* incremental validation of a one-entity change (a label added to one protected area) and of
  a 100-triple change (five new protected areas with areas and geometries);
* the ratio full / incremental.

Figures are medians of ``--repeat`` runs. Results print as a Markdown table and, with
``--json FILE``, as JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from ilbirs.graph import load_bundle
from ilbirs.graph.namespace import KG
from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.synthetic import SYNTHETIC_BASE, generate
from ilbirs.graph.validation import Engine, Validator, validation_graph
from ilbirs.graph.validation.incremental import Change, GraphSource, dependencies, validate_change

SCHEMA = "https://schema.org/"
GEO = "http://www.opengis.net/ont/geosparql#"


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def hundred_triples() -> Change:
    """Five new protected areas: 100 triples with areas and geometries, in one region."""
    added = set()
    region = URIRef(SYNTHETIC_BASE + "id/region/c0-r0")
    for i in range(5):
        pa = URIRef(f"{SYNTHETIC_BASE}id/protected-area/bench-{i}")
        area = URIRef(f"{pa}/area")
        geom = URIRef(f"{pa}/geometry")
        wkt = f"POLYGON (({70 + i} 40, {70.5 + i} 40, {70.5 + i} 40.5, {70 + i} 40.5, {70 + i} 40))"
        added |= {
            (pa, RDF.type, KG.ProtectedArea),
            (pa, SKOS.prefLabel, Literal(f"Bench Reserve {i}", lang="en")),
            (pa, SKOS.prefLabel, Literal(f"Заповедник {i}", lang="ru")),
            (pa, SKOS.altLabel, Literal(f"Bench State Nature Reserve {i}", lang="en")),
            (pa, KG.designation, URIRef("https://w3id.org/ilbirs/vocab/pa-designation/state-nature-reserve")),
            (pa, KG.iucnCategory, URIRef("https://w3id.org/ilbirs/vocab/iucn-pa-category/Ia")),
            (
                pa,
                KG.establishmentDate,
                Literal("1995-03-10", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date")),
            ),
            (pa, URIRef(SCHEMA + "containedInPlace"), region),
            (pa, KG.area, area),
            (area, RDF.type, URIRef(SCHEMA + "QuantitativeValue")),
            (area, URIRef(SCHEMA + "value"), Literal(1000.0 + i)),
            (area, URIRef(SCHEMA + "unitCode"), Literal("HAR")),
            (pa, URIRef(GEO + "hasDefaultGeometry"), geom),
            (geom, RDF.type, URIRef(GEO + "Geometry")),
            (geom, URIRef(GEO + "asWKT"), Literal(wkt, datatype=URIRef(GEO + "wktLiteral"))),
            (pa, KG.transboundary, Literal(False)),
            (pa, SKOS.altLabel, Literal(f"Bench {i}", lang="en")),
            (pa, SKOS.prefLabel, Literal(f"Bench {i} коругу", lang="ky")),
            (pa, SKOS.altLabel, Literal(f"Bench {i} zapovednik", lang="en")),
            (pa, SKOS.altLabel, Literal(f"Bench-{i}", lang="en")),
        }
    assert len(added) == 100, len(added)
    return Change(added=frozenset(added))  # type: ignore[arg-type]


def run_size(size: int, repeat: int, pyshacl_max: int) -> dict[str, float | int | bool | None]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "synthetic.nq"
        data.write_text("\n".join(generate(size, seed=1)) + "\n", encoding="utf-8")
        store = EmbeddedStore()
        load_bundle(store, kinds=frozenset({"ontology", "vocabulary", "alignment"}))
        onto = Graph()
        for triple in store.triples():
            onto.add(triple)
        start = time.perf_counter()
        store.load_file(data)
        load_s = time.perf_counter() - start
    start = time.perf_counter()
    graph = validation_graph(store)
    graph_s = time.perf_counter() - start
    turbo = Validator(engine=Engine.TURBO)
    full_report = turbo.validate(graph)
    full_s = median_time(lambda: turbo.validate(graph), repeat)
    pyshacl_s = None
    if size <= pyshacl_max:
        reference = Validator(engine=Engine.PYSHACL)
        start = time.perf_counter()
        reference_report = reference.validate(graph)
        pyshacl_s = time.perf_counter() - start
        assert [r.key for r in reference_report.results] == [r.key for r in full_report.results]
    deps = dependencies(turbo)
    source = GraphSource(graph)
    pa = URIRef(SYNTHETIC_BASE + "id/protected-area/b0-0")
    one = Change(added=frozenset({(pa, SKOS.altLabel, Literal("Bench label", lang="en"))}))
    hundred = hundred_triples()

    def incremental(change: Change) -> float:
        for t in change.added:
            graph.add(t)
        try:
            report = validate_change(turbo, source, change, ontology=onto, depends=deps)
            assert report.conforms, report.results[:3]
            return median_time(
                lambda: validate_change(turbo, source, change, ontology=onto, depends=deps), repeat
            )
        finally:
            for t in change.added:
                graph.remove(t)

    one_s = incremental(one)
    hundred_s = incremental(hundred)
    return {
        "triples": len(graph) - len(onto),
        "load_s": round(load_s, 3),
        "validation_graph_s": round(graph_s, 3),
        "full_turbo_s": round(full_s, 3),
        "full_pyshacl_s": round(pyshacl_s, 3) if pyshacl_s is not None else None,
        "conforms": full_report.conforms,
        "incremental_one_entity_ms": round(one_s * 1000, 1),
        "incremental_100_triples_ms": round(hundred_s * 1000, 1),
        "ratio_full_to_100_triples": round(full_s / hundred_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pyshacl-max", type=int, default=10_000, help="largest size pyshacl runs on")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size, JSON to stdout
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_size(args.one, args.repeat, args.pyshacl_max)))
        return 0
    rows = []
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--repeat", str(args.repeat), "--pyshacl-max", str(args.pyshacl_max)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"done {size}", file=sys.stderr)
    head = list(rows[0])
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join("—" if row[k] is None else str(row[k]) for k in head) + " |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
