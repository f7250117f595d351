"""The umbrella ontology imports every module, vocabulary and alignment, and nothing else."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import OWL

from ilbirs.graph.resources import bundle_files, ontology_dir

UMBRELLA = URIRef("https://w3id.org/ilbirs/ontology")


def test_umbrella_imports_exactly_the_shipped_ontology_files() -> None:
    graph = Graph().parse(data=(ontology_dir() / "ilbirs.ttl").read_text(encoding="utf-8"), format="turtle")
    imported = set(graph.objects(UMBRELLA, OWL.imports))
    shipped = {
        f.graph
        for f in bundle_files()
        if f.kind in {"ontology", "vocabulary", "alignment"} and f.graph != UMBRELLA
    }
    assert imported == shipped
    assert len(imported) >= 6 + 6 + 1
