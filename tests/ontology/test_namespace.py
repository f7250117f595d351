"""The closed namespace class KG matches the ontology (no drift), and refuses unknown terms."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef

from ilbirs.graph.namespace import KG
from ilbirs.graph.namespace.generate import declared_terms, render


def test_generated_namespace_is_up_to_date() -> None:
    generated = Path(__file__).parents[2] / "graph" / "namespace" / "_kg.py"
    assert generated.read_text(encoding="utf-8") == render(declared_terms()), "run: make namespace"


def test_every_declared_term_is_an_attribute() -> None:
    terms = declared_terms()
    assert len(terms) >= 50
    for name in terms:
        assert getattr(KG, name) == URIRef("https://w3id.org/ilbirs/def/" + name)


def test_an_undeclared_term_is_refused() -> None:
    with pytest.raises(AttributeError):
        _ = KG.ProtectedAera
