"""Validated writes: a SPARQL Update or a Graph Store request becomes one change of quads, the
change is validated against the shapes *before* anything is written, and only a change that
conforms is applied (atomically, version-guarded and logged, by ``changes.apply_change``).

How the change is found:

* ``INSERT DATA`` / ``DELETE DATA`` requests: their quads, read by pyoxigraph's parser;
* any other update (``DELETE/INSERT … WHERE``, ``CLEAR``, ``COPY``…): evaluated on an
  in-memory copy of the store (``store.scratch.run_on_copy``), whose difference is the change.
  This costs a copy of the store, so it is refused above ``max_copy_quads`` with a 400 that
  says to use DATA operations or the Graph Store Protocol. The system graph (version and
  change log) is not part of the copy: ``CLEAR ALL`` empties the data, never the log. A graph
  that loses blank-node triples is rewritten whole (emptied by pattern, its new content
  added), since a blank node cannot be removed by value;
* Graph Store requests: the quads of the graph before and after.

Validation is incremental (``validation.validate_change``) and reads the store through an
overlay of the change: what the graph *would* be. Writers take turns under the store's write
lock, from reading the version to applying the change, so concurrent writes through one host
never conflict; if a writer through another host moved the store on meanwhile, the change
is computed and validated again from the new state (up to three times; see ``write``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Identifier

from .bundle import VALIDATED_KINDS
from .changes import (
    SYSTEM_GRAPH,
    ChangeRecord,
    ConflictError,
    Quad,
    QuadChange,
    apply_change,
    current_version,
)
from .errors import IlbirsError, QueryError, RefusedError
from .namespace import KG
from .resources import bundle_files
from .sparql import load_query
from .sparql_text import Operation, analyse, check_local, operations, with_base
from .store import Store, Triple
from .store.base import QueryDataset, bind_rows
from .store.scratch import DEFAULT_GRAPH, data_quads, run_on_copy
from .validation import Background, ValidationReport, Validator
from .validation.incremental import Change, Dependencies, OverlaySource, dependencies, validate_change
from .where_updates import where_change

__all__ = [
    "DEFAULT_GRAPH",
    "InvalidChangeError",
    "WriteContext",
    "WriteOutcome",
    "all_quads",
    "graph_change",
    "graph_quads",
    "update_change",
    "write",
]

_BATCH = 500  # rows per VALUES block
#: The keywords that open an INSERT DATA / DELETE DATA operation (``DATA{`` needs no space).
_DATA_KEYWORDS = re.compile(r"^\s*(?:INSERT|DELETE)\s+DATA", re.IGNORECASE)


class InvalidChangeError(IlbirsError):
    """The change would break the shapes; nothing was written. ``report`` says why."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(
            f"the change would break {len(report.violations)} shape constraint(s); nothing was written"
        )


@dataclass(frozen=True)
class WriteContext:
    """What validating a write needs, built once per process: the validator (shapes), the
    ontology and vocabularies (joined to every neighbourhood), and what the shapes read."""

    validator: Validator
    ontology: Background
    depends: Dependencies

    @staticmethod
    @cache
    def shipped() -> WriteContext:
        """The context of the shipped shapes and ontology."""
        validator = Validator()
        ontology = Graph()
        for file in bundle_files():
            if file.kind in VALIDATED_KINDS and file.kind != "data":
                ontology.parse(file.path, format="turtle")
        return WriteContext(validator, Background.of(ontology), dependencies(validator))


@dataclass(frozen=True)
class WriteOutcome:
    """An accepted write: its record (``None`` when it changed nothing), the change, and the
    validation report (warnings may be present; violations are not)."""

    record: ChangeRecord | None
    change: QuadChange
    report: ValidationReport


# -- reading the store -------------------------------------------------------------------------


def _batches(items: list[URIRef | Literal]) -> Iterator[list[URIRef | Literal]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


@dataclass
class StoreSource:
    """A ``TripleSource`` over a store's union graph, read with batched queries. The triples
    of a blank-node value (a quantity) come with those of the node that has it, and are kept
    for when validation asks for them: a blank node cannot be looked up by value."""

    store: Store
    _blank: dict[Identifier, set[Triple]] = field(default_factory=dict)

    def outgoing(self, nodes: Collection[Identifier]) -> Iterator[Triple]:
        for node in nodes:
            if isinstance(node, BNode):
                yield from self._blank.get(node, ())
        bound: list[URIRef | Literal] = [n for n in nodes if isinstance(n, URIRef | Literal)]
        for batch in _batches(bound):
            query = bind_rows(load_query("select_outgoing"), ["s"], [(n,) for n in batch])
            for row in self.store.select(query):
                yield row["s"], row["p"], row["o"]  # type: ignore[misc]
                if row.get("bp") is not None:
                    self._blank.setdefault(row["o"], set()).add((row["o"], row["bp"], row["bo"]))  # type: ignore[arg-type]

    def incoming(self, nodes: Collection[Identifier], predicate: URIRef | None = None) -> Iterator[Triple]:
        bound: list[URIRef | Literal] = [n for n in nodes if isinstance(n, URIRef | Literal)]
        for batch in _batches(bound):
            if predicate is None:
                query = bind_rows(load_query("select_triples"), ["o"], [(n,) for n in batch])
            else:
                query = bind_rows(load_query("select_triples"), ["o", "p"], [(n, predicate) for n in batch])
            for row in self.store.select(query):
                yield row["s"], row["p"], row["o"]  # type: ignore[misc]


def _quad(row: dict[str, Identifier]) -> Quad:
    graph = row.get("g", DEFAULT_GRAPH)
    return row["s"], row["p"], row["o"], graph  # type: ignore[return-value]


def all_quads(store: Store) -> list[Quad]:
    """Every quad of the store, the default graph's included (as ``DEFAULT_GRAPH``)."""
    return [_quad(row) for row in store.select(load_query("select_quads"), union=False)]


def graph_quads(store: Store, graph: URIRef) -> set[Quad]:
    """The quads of one graph (``DEFAULT_GRAPH`` for the default graph)."""
    if graph == DEFAULT_GRAPH:
        rows = store.select(load_query("select_triples"), union=False)
    else:
        rows = store.select(load_query("select_graph_triples"), bindings={"g": graph}, union=False)
    return {(r["s"], r["p"], r["o"], graph) for r in rows}  # type: ignore[misc]


def _memberships(store: Store, triples: set[Triple]) -> dict[Triple, set[URIRef]]:
    """The graphs each triple is in now (blank-node triples cannot be looked up by value)."""
    found: dict[Triple, set[URIRef]] = {t: set() for t in triples}
    rows: list[tuple[Identifier, ...]] = [
        t for t in triples if not isinstance(t[0], BNode) and not isinstance(t[2], BNode)
    ]
    for start in range(0, len(rows), _BATCH):
        query = bind_rows(load_query("select_quads"), ["s", "p", "o"], rows[start : start + _BATCH])
        for row in store.select(query, union=False):
            s, p, o, g = _quad(row)
            found.setdefault((s, p, o), set()).add(g)
    return found


# -- what a request changes --------------------------------------------------------------------


def update_change(
    store: Store,
    text: str,
    *,
    using: QueryDataset | None = None,
    max_copy_quads: int = 200_000,
    base: str | None = None,
    max_depth: int = 100,
    timeout_s: float | None = None,
    max_rows: int = 100_000,
) -> QuadChange:
    """The quads a SPARQL Update request would add and remove.

    ``using`` holds the protocol's ``using-graph-uri`` / ``using-named-graph-uri``; ``base``
    the IRI relative IRIs resolve against when the request declares no BASE. One
    ``DELETE/INSERT … WHERE`` (or ``DELETE WHERE``) is evaluated against the store, its WHERE
    part within ``timeout_s`` and ``max_rows`` (:mod:`.where_updates`); other requests with a
    WHERE part on an in-memory copy of the store.

    :raises RefusedError: ``LOAD`` or ``SERVICE`` (they reach other hosts), a write to the
        system graph, or an update that needs a copy of a store above ``max_copy_quads``.
    :raises QueryError: not an update, or not valid SPARQL Update; ``using`` given while the
        request names its own dataset.
    """
    info = analyse(text, max_depth=max_depth)
    if not info.is_update:
        raise QueryError("this is a query, not an update: send it as `query=` or application/sparql-query")
    if info.loads:
        raise RefusedError(
            f"LOAD <{info.loads[0]}> is not allowed: it fetches from another host. "
            "Send the data itself (INSERT DATA, or PUT/POST to /graphs)"
        )
    if info.services:
        raise RefusedError("SERVICE is not allowed in an update")
    if str(SYSTEM_GRAPH) in info.iris:
        raise RefusedError(_SYSTEM_GRAPH_REFUSED)
    if using is not None and info.dataset:
        raise QueryError(
            "the request names its dataset twice: as using-graph-uri/using-named-graph-uri and "
            "as USING/WITH in the update"
        )
    ops = operations(with_base(text, info, base))
    if not ops:
        raise QueryError("the request holds no update operation")
    if all(op.kind in ("INSERT DATA", "DELETE DATA") for op in ops):
        added: set[Quad] = set()
        removed: set[Quad] = set()
        for op in ops:
            body = _DATA_KEYWORDS.sub("", op.text, count=1)  # after INSERT DATA / DELETE DATA
            try:
                quads = data_quads(op.prologue, body)
            except QueryError:  # SPARQL data that is not TriG (no '.' before GRAPH): the engine reads it
                data = f"{op.prologue}\nINSERT DATA {body}"
                check_local(data, update=True)
                quads, _ = run_on_copy([], data)
            if op.kind == "INSERT DATA":
                added |= quads
                removed -= quads
            else:
                if any(_has_blank(q) for q in quads):
                    raise QueryError("DELETE DATA cannot hold blank nodes (SPARQL 1.1 Update, 3.1.2)")
                removed |= quads
                added -= quads
        return _checked(QuadChange(frozenset(added), frozenset(removed)))
    if len(ops) == 1 and ops[0].kind in ("MODIFY", "DELETE WHERE") and using is None:
        found = where_change(store, ops[0], timeout_s=timeout_s, max_rows=max_rows)
        if found is not None:
            return _checked(found)
    copy = [q for q in all_quads(store) if q[3] != SYSTEM_GRAPH]
    if len(copy) > max_copy_quads:
        raise RefusedError(
            f"this update needs a copy of the store ({len(copy):,} quads; the limit is "
            f"{max_copy_quads:,}): send INSERT DATA / DELETE DATA, or use the Graph Store Protocol"
        )
    rebuilt = _rebuilt(ops, using)
    check_local(rebuilt, update=True)  # what the scratch engine runs reaches no other host
    added, removed = run_on_copy(copy, rebuilt)
    return _checked(_rewrite_blank_graphs(copy, added, removed))


def _has_blank(quad: Quad) -> bool:
    return isinstance(quad[0], BNode) or isinstance(quad[2], BNode)


def _rewrite_blank_graphs(before: list[Quad], added: set[Quad], removed: set[Quad]) -> QuadChange:
    """The change, with every named graph that loses a blank-node triple emptied by pattern
    and given its whole new content (``QuadChange.cleared``)."""
    graphs = {q[3] for q in removed if _has_blank(q)}
    if not graphs:
        return QuadChange(frozenset(added), frozenset(removed))
    kept = [q for q in before if q[3] in graphs and q not in removed]
    return QuadChange(
        frozenset(added | set(kept)),
        frozenset(removed | {q for q in before if q[3] in graphs}),
        frozenset(graphs),
    )


def _rebuilt(ops: list[Operation], using: QueryDataset | None) -> str:
    """The request again, with all its PREFIX/BASE declarations first (Oxigraph accepts no
    prologue after a ``;``), ``using`` as USING clauses before each WHERE, and CLEAR / DROP
    as CLEAR SILENT / DROP SILENT (the graph may have been emptied, and so be gone, before)."""
    clauses = ""
    if using is not None:
        clauses = " ".join(
            [
                *(f"USING {URIRef(g).n3()}" for g in using.default),
                *(f"USING NAMED {URIRef(g).n3()}" for g in using.named),
            ]
        )
    parts = []
    for op in ops:
        text = op.text
        after = text[len(op.kind) :].split(None, 1)
        if op.kind in ("CLEAR", "DROP") and (after or [""])[0].upper() != "SILENT":
            # A graph exists while it holds triples: emptying one that holds none is no error.
            text = f"{op.kind} SILENT{text[len(op.kind) :]}"
        if clauses and op.where is not None:
            text = f"{text[: op.where]}{clauses} {text[op.where :]}"
        parts.append(text)
    return ops[-1].prologue + "\n" + " ;\n".join(parts)


_SYSTEM_GRAPH_REFUSED = (
    f"the graph <{SYSTEM_GRAPH}> holds the store's version and change log; Ilbirs alone writes "
    "it, and updates do not read it (query it with SELECT)"
)


def _checked(change: QuadChange) -> QuadChange:
    if any(q[3] == SYSTEM_GRAPH for q in change.added | change.removed):
        raise RefusedError(_SYSTEM_GRAPH_REFUSED)
    return change


def graph_change(
    store: Store, graph: URIRef, triples: Iterable[Triple] | None, *, replace: bool
) -> QuadChange:
    """The change of a Graph Store request on ``graph``: with ``replace``, the graph becomes
    ``triples`` (``None``: deleted); without, ``triples`` are added to it."""
    new = {(s, p, o, graph) for s, p, o in triples or ()}
    if not replace:
        return _checked(QuadChange(frozenset(new)))
    old = graph_quads(store, graph)
    if any(_has_blank(q) for q in old):
        # Blank nodes cannot be removed by value: empty the graph, then add the new content.
        return _checked(QuadChange(frozenset(new), frozenset(old), frozenset({graph})))
    return _checked(QuadChange(frozenset(new - old), frozenset(old - new)))


# -- validating and applying -------------------------------------------------------------------


def triple_change(store: Store, change: QuadChange) -> Change:
    """What ``change`` does to the union graph that validation sees: a triple that stays in
    another graph is not removed, a triple already there is not added; a named graph that
    receives data gets its ``kg:NamedGraph`` marker."""
    triples = {q[:3] for q in change.added | change.removed}
    before = _memberships(store, triples)
    after = {t: set(graphs) for t, graphs in before.items()}
    for s, p, o, g in change.removed:
        after[(s, p, o)].discard(g)
    for s, p, o, g in change.added:
        after.setdefault((s, p, o), set()).add(g)
    added = {t for t, graphs in after.items() if graphs and not before.get(t)}
    removed = {t for t, graphs in before.items() if graphs and not after.get(t)}
    markers = {(q[3], RDF.type, KG.NamedGraph) for q in change.added if q[3] != DEFAULT_GRAPH}
    return Change(frozenset(added | markers), frozenset(removed))


def check(store: Store, change: QuadChange, context: WriteContext) -> ValidationReport:
    """Validate the store as it would be after ``change``, for what the change can affect."""
    triples = triple_change(store, change)
    source = OverlaySource(StoreSource(store), triples)
    return validate_change(
        context.validator, source, triples, ontology=context.ontology, depends=context.depends
    )


def write(
    store: Store,
    make_change: Callable[[], QuadChange],
    *,
    actor: str,
    reason: str,
    source: URIRef | None = None,
    context: WriteContext | None = None,
    attempts: int = 3,
    applied: Callable[[WriteOutcome], None] | None = None,
) -> WriteOutcome:
    """Compute a change (``make_change`` reads the store as it is now), validate it, and apply
    it if it conforms.

    Writers take turns: the store's write lock (one per process, shared by the workers of one
    host through a file) is held from reading the version, through computing and validating
    the change, to applying it. So a write never conflicts with another made through the
    same host: each is computed from, validated against and applied to the state the one
    before it left (two ``INSERT DATA`` of different quads are both accepted; two that are
    each valid but break a shape together: the second is refused as invalid). A write made
    meanwhile through another host, which does not share the lock, moves the version on and
    the version guard refuses the apply: the change is then computed and validated again
    from the new state (rebased), up to ``attempts`` times in all.

    ``applied`` is called with the outcome of an applied change before the lock is released:
    what must follow the store before the host's next write does (the search index).

    :raises InvalidChangeError: it would break the shapes; nothing was written.
    :raises ConflictError: writes through other hosts moved the store on at each of the
        ``attempts``; nothing was written.
    """
    ctx = context or WriteContext.shipped()
    with store.write_lock():
        for attempt in range(attempts):
            version = current_version(store)
            change = make_change()
            report = check(store, change, ctx)
            if not report.conforms:
                raise InvalidChangeError(report)
            if not change.added and not change.removed:
                return WriteOutcome(None, change, report)
            try:
                record = apply_change(
                    store, change, expected_version=version, actor=actor, reason=reason, source=source
                )
            except ConflictError:
                if attempt == attempts - 1:
                    raise
                continue
            except ValueError as exc:  # a blank node removed by value from the default graph
                raise RefusedError(str(exc)) from exc
            outcome = WriteOutcome(record, change, report)
            if applied is not None:
                applied(outcome)
            return outcome
    raise AssertionError("unreachable")
