"""Scratch evaluation of SPARQL Update on pyoxigraph in memory: what an update *would* change,
found without touching the real store, so that the change can be validated first.

>>> added, removed = run_on_copy([], 'INSERT DATA { GRAPH <https://example.org/g> { <https://example.org/a> <https://example.org/p> "x" } }')
>>> [str(q[2]) for q in added], removed
(['x'], set())
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Identifier

from ilbirs.graph.errors import QueryError

from .terms import from_oxigraph, to_oxigraph

__all__ = ["DEFAULT_GRAPH", "ScratchQuad", "data_quads", "run_on_copy"]

#: The name Ilbirs gives the default graph in a quad (rdflib's name for it).
DEFAULT_GRAPH = URIRef("urn:x-rdflib:default")
ScratchQuad = tuple[Identifier, URIRef, Identifier, URIRef]


def _to_ox(quad: ScratchQuad) -> ox.Quad:
    s, p, o, g = quad
    graph = ox.DefaultGraph() if g == DEFAULT_GRAPH else ox.NamedNode(str(g))
    return ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph)  # type: ignore[arg-type]


def _from_ox(quad: ox.Quad) -> ScratchQuad:
    g = quad.graph_name
    graph = DEFAULT_GRAPH if isinstance(g, ox.DefaultGraph) else URIRef(g.value)
    return (from_oxigraph(quad.subject), URIRef(quad.predicate.value), from_oxigraph(quad.object), graph)


def run_on_copy(quads: Iterable[ScratchQuad], update: str) -> tuple[set[ScratchQuad], set[ScratchQuad]]:
    """Run ``update`` on an in-memory copy of ``quads``; return the quads it adds and removes.

    :raises QueryError: the update is not valid SPARQL 1.1 Update (the parser's words).
    """
    store = ox.Store()
    store.extend(_to_ox(q) for q in quads)
    before = set(store)
    try:
        store.update(update)
    except (SyntaxError, ValueError) as exc:
        raise QueryError(f"invalid SPARQL Update: {exc}") from exc
    except (OSError, RuntimeError) as exc:  # e.g. "The graph <…> does not exist"
        raise QueryError(f"the update cannot be evaluated: {exc}") from exc
    after = set(store)
    return {_from_ox(q) for q in after - before}, {_from_ox(q) for q in before - after}


def data_quads(prologue: str, block: str) -> set[ScratchQuad]:
    """The quads of the data block of an ``INSERT DATA`` / ``DELETE DATA`` operation
    (``{ triples GRAPH <g> { triples } }``), read by Oxigraph's TriG parser with the request's
    ``prologue`` (SPARQL-style PREFIX and BASE are TriG too).

    A data parser, not the update engine: whatever a block holds, reading it can never fetch
    anything (an update engine runs ``LOAD`` and ``SERVICE``; a block that a lexer split wrongly
    may hold either).

    >>> sorted(str(q[2]) for q in data_quads("PREFIX ex: <https://e/>", "{ ex:a ex:p 1 . GRAPH ex:g { ex:a ex:p 2 } }"))
    ['1', '2']

    :raises QueryError: the block is not a data block (the parser's words).
    """
    inner = block.strip()
    if not (inner.startswith("{") and inner.endswith("}")):
        raise QueryError("invalid SPARQL Update: INSERT DATA and DELETE DATA take one { … } block of data")
    try:
        parsed = ox.parse(f"{prologue}\n{inner[1:-1]}".encode(), format=ox.RdfFormat.TRIG)
        return {_from_ox(q) for q in parsed}
    except SyntaxError as exc:
        raise QueryError(f"invalid SPARQL Update data: {exc}") from exc
