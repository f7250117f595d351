"""``DELETE/INSERT … WHERE`` evaluated against the store: the cost follows the data it touches.

An update with a ``WHERE`` part was evaluated on an in-memory copy of the whole store, so its
cost grew with the store (p50 9.8 s at 85,000 quads) and no time limit stopped it. Here, the
``WHERE`` part runs on the store as a ``SELECT *`` under the query time limit (the engine stops
it past that), its solutions fill the ``DELETE`` and ``INSERT`` templates (SPARQL 1.1 Update,
3.1.3: a template triple with an unbound variable, or a literal as subject, is skipped; a blank
node of an ``INSERT`` template is a new node per solution), and one batched query finds which
of those quads the store holds, so that the change is exactly what the update would do:
``removed`` the deleted quads it holds and no insert puts back, ``added`` the inserted quads it
lacks.

Which requests: one ``DELETE/INSERT … WHERE`` without ``WITH``, ``USING`` or the protocol's
``using-graph-uri``, or one ``DELETE WHERE`` (the default graph of its ``WHERE`` the stored
default graph, as in an update on the copy). Anything else (several operations, whose later
ones see the earlier ones' effects; a dataset of its own; a solution binding a blank node,
which cannot be named in a later request) answers ``None``, and the caller evaluates it on
the copy as before.
"""

from __future__ import annotations

import re

from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier, Variable

from .changes import Quad, QuadChange
from .errors import LimitError
from .sparql import load_query
from .sparql_parsed import QuadPattern, modify_templates
from .sparql_text import Operation, check_local
from .store import Store
from .store.base import bind_rows
from .store.results import solution_rows
from .store.scratch import DEFAULT_GRAPH

__all__ = ["where_change"]

_BATCH = 500  # quads per membership query
_HEAD = re.compile(r"^\s*DELETE\s+(?=WHERE\b)", re.IGNORECASE)


def where_change(
    store: Store, op: Operation, *, timeout_s: float | None, max_rows: int, max_bytes: int | None = None
) -> QuadChange | None:
    """The change of the update operation ``op``, its ``WHERE`` part read from ``store``;
    ``None`` when ``op`` is not one this module evaluates (see the module docstring).

    :raises QueryTimeoutError: the ``WHERE`` part ran past ``timeout_s``.
    :raises LimitError: it has more than ``max_rows`` solutions.
    :raises QueryError: the engine refused it.
    """
    templates = modify_templates(f"{op.prologue}\n{op.text}")
    if templates is None:
        return None
    if op.kind == "DELETE WHERE":
        where = _HEAD.sub("", op.text, count=1)
    elif op.where is not None:
        where = op.text[op.where :]
    else:
        return None
    select = f"{op.prologue}\nSELECT * {where}"
    check_local(select, update=False)  # what the engine is given reaches no other host
    result = store.execute(select, form="SELECT", own_dataset=True, timeout_s=timeout_s, max_bytes=max_bytes)
    if result.size > max_rows:
        raise LimitError(
            f"the WHERE part of this update has {result.size:,} solutions, more than this "
            f"service's limit of {max_rows:,}: narrow it, or send the change in parts"
        )
    rows = solution_rows(result)
    if any(isinstance(value, BNode) for row in rows for value in row.values()):
        return None
    deleted = {q for row in rows for q in _filled(templates.delete, row, fresh=False)}
    inserted = {q for row in rows for q in _filled(templates.insert, row, fresh=True)}
    held = _held(store, deleted | {q for q in inserted if not _has_blank(q)})
    return QuadChange(frozenset(inserted - held), frozenset((deleted & held) - inserted))


def _filled(patterns: tuple[QuadPattern, ...], row: dict[str, Identifier], *, fresh: bool) -> set[Quad]:
    """The quads of ``patterns`` for one solution: unbound or ill-placed terms skip a quad."""
    news: dict[Identifier, BNode] = {}
    found: set[Quad] = set()
    for s, p, o, g in patterns:
        terms: list[Identifier | None] = []
        for term in (s, p, o, g if g is not None else DEFAULT_GRAPH):
            if isinstance(term, Variable):
                terms.append(row.get(str(term)))
            elif isinstance(term, BNode) and fresh:
                terms.append(news.setdefault(term, BNode()))
            else:
                terms.append(term)
        subject, predicate, value, graph = terms
        if (
            isinstance(subject, URIRef | BNode)
            and isinstance(predicate, URIRef)
            and isinstance(value, URIRef | BNode | Literal)
            and isinstance(graph, URIRef)
        ):
            found.add((subject, predicate, value, graph))
    return found


def _has_blank(quad: Quad) -> bool:
    return isinstance(quad[0], BNode) or isinstance(quad[2], BNode)


def _held(store: Store, quads: set[Quad]) -> set[Quad]:
    """Which of ``quads`` (no blank nodes) the store holds, in batched queries."""
    named = sorted((q for q in quads if q[3] != DEFAULT_GRAPH and not _has_blank(q)), key=str)
    default = sorted((q for q in quads if q[3] == DEFAULT_GRAPH and not _has_blank(q)), key=str)
    held: set[Quad] = set()
    query = load_query("select_quads_present")
    for start in range(0, len(named), _BATCH):
        batch: list[tuple[Identifier, ...]] = list(named[start : start + _BATCH])
        for r in store.select(bind_rows(query, ["s", "p", "o", "g"], batch), union=False):
            held.add((r["s"], r["p"], r["o"], r["g"]))  # type: ignore[arg-type]
    query = load_query("select_default_triples_present")
    for start in range(0, len(default), _BATCH):
        rows: list[tuple[Identifier, ...]] = [q[:3] for q in default[start : start + _BATCH]]
        for r in store.select(bind_rows(query, ["s", "p", "o"], rows), union=False):
            held.add((r["s"], r["p"], r["o"], DEFAULT_GRAPH))  # type: ignore[arg-type]
    return held
