"""One entity as JSON-LD: its statements, graph by graph (each named graph is the source
graph that states them), so that a JSON-LD processor expanding the document gets exactly the
quads the store holds about the entity, provenance included.

The context (:data:`CONTEXT`, published by the API at ``/api/v1/context.jsonld``) declares the
prefixes of ``ilbirs.graph.namespace`` and nothing else: every key is a compact IRI
(``skos:prefLabel``), every value an explicit node or value object, so expansion needs no
term definitions and loses nothing (no datatype or language is implied).

>>> compact("https://w3id.org/ilbirs/id/animal/umai")
'id:animal/umai'
>>> literal(Literal("Умай", lang="ru"))
{'@value': 'Умай', '@language': 'ru'}
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Identifier

from .entities import EntityNotFoundError
from .namespace import PREFIXES
from .sparql import load_query
from .store import Store

__all__ = ["CONTEXT", "compact", "entity_document", "literal"]

#: The JSON-LD context of every Ilbirs document: the prefixes, longest namespace first.
CONTEXT: dict[str, Any] = {"@context": dict(PREFIXES)}
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def compact(iri: str) -> str:
    """``prefix:local`` where a prefix of the context fits (and the local part cannot be read
    as an IRI of its own), else the IRI."""
    for prefix, base in _BY_LENGTH:
        if iri.startswith(base) and not iri[len(base) :].startswith("//"):
            return f"{prefix}:{iri[len(base) :]}"
    return iri


def literal(term: Literal) -> dict[str, str]:
    """A JSON-LD value object that says the literal's language or datatype explicitly."""
    if term.language:
        return {"@value": str(term), "@language": term.language}
    if term.datatype is not None and term.datatype != XSD.string:
        return {"@value": str(term), "@type": compact(str(term.datatype))}
    return {"@value": str(term)}


def _object(
    term: Identifier, nested: dict[Identifier, list[tuple[Identifier, Identifier]]]
) -> dict[str, Any]:
    if isinstance(term, Literal):
        return literal(term)
    if isinstance(term, BNode):
        node: dict[str, Any] = {"@id": f"_:{term}"}
        _fill(node, nested.get(term, []), {})
        return node
    return {"@id": compact(str(term))}


def _fill(
    node: dict[str, Any],
    pairs: list[tuple[Identifier, Identifier]],
    nested: dict[Identifier, list[tuple[Identifier, Identifier]]],
) -> None:
    for p, o in sorted(pairs, key=lambda pair: (str(pair[0]), str(pair[1]))):
        if p == RDF.type and isinstance(o, URIRef):
            node.setdefault("@type", []).append(compact(str(o)))
        else:
            node.setdefault(compact(str(p)), []).append(_object(o, nested))


def entity_document(store: Store, iri: URIRef, *, context_url: str) -> dict[str, Any]:
    """The JSON-LD document of ``iri``: one named graph per source graph that states
    something about it, each holding the entity's node (and its blank-node values).

    :raises EntityNotFoundError: the graph states nothing about ``iri``.
    """
    rows = store.select(load_query("select_entity_statements"), bindings={"s": iri}, union=False)
    if not rows:
        raise EntityNotFoundError(f"the graph states nothing about <{iri}>")
    pairs: dict[str, set[tuple[Identifier, Identifier]]] = defaultdict(set)
    nested: dict[str, dict[Identifier, set[tuple[Identifier, Identifier]]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for row in rows:
        graph, o = str(row["g"]), row["o"]
        pairs[graph].add((row["p"], o))
        if isinstance(o, BNode) and row.get("bp") is not None:
            nested[graph][o].add((row["bp"], row["bo"]))
    graphs = []
    for graph in sorted(pairs):
        node: dict[str, Any] = {"@id": compact(str(iri))}
        inner = {b: sorted(v, key=str) for b, v in nested[graph].items()}
        _fill(node, list(pairs[graph]), inner)
        graphs.append({"@id": compact(graph), "@graph": [node]})
    return {"@context": context_url, "@graph": graphs}
