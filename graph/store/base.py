"""The store interface that every implementation meets."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable
from typing import Literal as TypingLiteral

from rdflib.term import Identifier, Literal, URIRef

from .lock import WriteLock

__all__ = [
    "Bindings",
    "QueryDataset",
    "RawResult",
    "Row",
    "Store",
    "Triple",
    "bind_rows",
    "bind_update",
    "bind_values",
]

#: Values for query variables, by variable name without ``?``.
Bindings = Mapping[str, Identifier]
#: A triple of rdflib terms.
Triple = tuple[Identifier, URIRef, Identifier]
#: One solution of a SELECT query: variable name -> bound term (unbound variables are absent).
Row = dict[str, Identifier]


@dataclass(frozen=True)
class QueryDataset:
    """The RDF dataset of a query, as the protocol's ``default-graph-uri`` (``default``) and
    ``named-graph-uri`` (``named``) give it. Not given at all (``None`` in place of a
    ``QueryDataset``): the default graph is the union of all graphs."""

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()


@dataclass(frozen=True)
class RawResult:
    """A query's result as the engine wrote it, read whole: SPARQL JSON results (``kind``
    ``"solutions"`` or ``"boolean"``) or N-Triples (``"graph"``). ``size`` counts solutions or
    triples (1 for a boolean)."""

    kind: TypingLiteral["solutions", "boolean", "graph"]
    body: bytes
    size: int


@runtime_checkable
class Store(Protocol):
    """A quad store that Ilbirs can load into and query.

    Capabilities are attributes, so callers can ask instead of guessing:

    ``kind``
        a short name for reports (``"embedded-memory"``, ``"embedded-disk"``).
    ``persistent``
        whether what is written survives the process.
    ``write_lock``
        held around a read-check-write sequence, so that concurrent writers take turns.
    """

    kind: str
    persistent: bool
    #: Serialises the writes of Ilbirs to this store (see ``graph/store/lock.py``).
    write_lock: WriteLock

    def load_file(
        self, path: Path, *, graph: URIRef | None = None, replace: bool = False, bulk: bool = False
    ) -> int:
        """Load an RDF file and return the number of quads it added.

        Turtle, N-Triples, JSON-LD and RDF/XML go into ``graph`` (required for them); TriG and
        N-Quads name their own graphs, and ``graph`` must be ``None``. With ``replace``, the
        graphs the file writes are emptied first. A file that does not parse loads nothing.
        ``bulk`` trades the single transaction for speed where the store can (see each store).

        :raises ParseError: the file is not valid RDF; the error names the file and line.
        :raises StoreError: the store failed.
        """
        ...

    def select(self, query: str, *, bindings: Bindings | None = None, union: bool = True) -> list[Row]:
        """Run a SPARQL SELECT query and return its rows.

        ``union`` makes the default graph the union of all graphs (the graph *as a whole*);
        ``GRAPH`` clauses still see each named graph.

        :raises QueryError: the store refused the query.
        """
        ...

    def ask(self, query: str, *, bindings: Bindings | None = None, union: bool = True) -> bool:
        """Run a SPARQL ASK query.

        :raises QueryError: the store refused the query.
        """
        ...

    def update(self, update: str, *, bindings: Bindings | None = None) -> None:
        """Run a SPARQL 1.1 Update, applied atomically: all of it or none of it.

        :raises QueryError: the store refused the update.
        :raises StoreError: the store failed.
        """
        ...

    def execute(
        self,
        query: str,
        *,
        form: str,
        dataset: QueryDataset | None = None,
        timeout_s: float | None = None,
        max_bytes: int | None = None,
        own_dataset: bool = False,
    ) -> RawResult:
        """Run any SPARQL query (``form``: SELECT, ASK, CONSTRUCT or DESCRIBE, as the caller
        read it) as a client sent it, and return its whole result, checked to be complete.

        The dataset: ``dataset`` (the protocol's ``default-graph-uri`` / ``named-graph-uri``)
        when given, overriding the query's own; else, when ``own_dataset``, the query's own
        ``FROM`` / ``FROM NAMED`` clauses; else the union of all graphs as the default graph.

        :raises QueryError: the store refused the query.
        :raises QueryTimeoutError: it ran past ``timeout_s`` (where the store can stop it).
        :raises LimitError: the result is larger than ``max_bytes``.
        :raises StoreError: the store failed, or sent a result cut off.
        """
        ...

    def triples(self) -> Iterator[Triple]:
        """Every distinct triple of the store, all graphs together (the union graph)."""
        ...

    def dump(self, output: BinaryIO, *, fmt: str = "nquads", graph: URIRef | None = None) -> None:
        """Write the store to ``output`` in ``fmt`` (``trig``, ``nquads``, ``turtle``,
        ``ntriples``): every named graph, or only ``graph`` (required by the triple formats).

        :raises ValueError: a triple format without a graph.
        """
        ...

    def __len__(self) -> int:
        """The number of quads in the store, all graphs together."""
        ...


_WHERE = re.compile(r"\b(?:WHERE|ASK)\s*\{", re.IGNORECASE)  # the group pattern: WHERE { or ASK {


def _group_start(query: str) -> re.Match[str] | None:
    """The first ``WHERE {`` (or ``ASK {``) of ``query`` that is not inside a ``#`` comment."""
    for match in _WHERE.finditer(query):
        if "#" not in query[query.rfind("\n", 0, match.start()) + 1 : match.start()]:
            return match
    return None


def bind_values(query: str, bindings: Bindings | None) -> str:
    """``query`` with ``bindings`` as a ``VALUES`` block of RDF terms opening its first
    ``WHERE`` group.

    This is how every store binds values: the terms are serialised by rdflib (``n3()``, which
    escapes quotes and line breaks), never spliced into the query text. Inside the group the
    block joins the pattern before any grouping, so it also binds variables that are neither
    projected nor aggregated (a trailing ``VALUES`` clause would join after aggregation).

    >>> from rdflib import URIRef, Literal
    >>> bind_values("SELECT ?s WHERE { ?s ?p ?o }", {"o": Literal('say "hi"')})
    'SELECT ?s WHERE { VALUES (?o) { ("say \\\\"hi\\\\"") } ?s ?p ?o }'

    :raises ValueError: a binding is a blank node, a name is not a variable name, or the
        query has no ``WHERE {`` (or ``ASK {``) group.
    """
    if not bindings:
        return query
    names = list(bindings)
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"not a variable name: {name!r}")
        if not isinstance(bindings[name], URIRef | Literal):
            raise ValueError(f"?{name}: only IRIs and literals can be bound, not {bindings[name]!r}")
    match = _group_start(query)
    if match is None:
        raise ValueError("bindings need a query with a WHERE clause")
    variables = " ".join(f"?{n}" for n in names)
    row = " ".join(bindings[n].n3() for n in names)
    return f"{query[: match.end()]} VALUES ({variables}) {{ ({row}) }}{query[match.end() :]}"


def bind_rows(query: str, variables: list[str], rows: list[tuple[Identifier, ...]]) -> str:
    """``query`` with a ``VALUES`` block of many rows opening its first ``WHERE`` group: the
    batched form of :func:`bind_values` (one query for many nodes, not one query per node).

    >>> from rdflib import URIRef
    >>> bind_rows("SELECT ?p WHERE { ?s ?p ?o }", ["s"], [(URIRef("https://e/a"),), (URIRef("https://e/b"),)])
    'SELECT ?p WHERE { VALUES (?s) { (<https://e/a>) (<https://e/b>) } ?s ?p ?o }'

    :raises ValueError: a value is a blank node, a row has the wrong width, or there is no group.
    """
    for name in variables:
        if not name.isidentifier():
            raise ValueError(f"not a variable name: {name!r}")
    cells = []
    for row in rows:
        if len(row) != len(variables):
            raise ValueError(f"a row of {len(row)} values for {len(variables)} variables")
        for term in row:
            if not isinstance(term, URIRef | Literal):
                raise ValueError(f"only IRIs and literals can be bound, not {term!r}")
        cells.append("(" + " ".join(term.n3() for term in row) + ")")
    match = _group_start(query)
    if match is None:
        raise ValueError("bindings need a query with a WHERE clause")
    head = " ".join(f"?{n}" for n in variables)
    return f"{query[: match.end()]} VALUES ({head}) {{ {' '.join(cells)} }}{query[match.end() :]}"


def with_dataset(query: str, default: list[str], named: list[str]) -> str:
    """``query`` with ``FROM`` / ``FROM NAMED`` clauses (IRIs checked by rdflib's ``n3()``) put
    before its first ``WHERE {`` (or after its ``ASK``).

    >>> with_dataset("ASK { ?s ?p ?o }", ["https://example.org/g"], [])
    'ASK FROM <https://example.org/g> { ?s ?p ?o }'
    """
    match = _group_start(query)
    if match is None:
        raise ValueError("a dataset needs a query with a WHERE clause")
    clauses = " ".join(
        [*(f"FROM {URIRef(g).n3()}" for g in default), *(f"FROM NAMED {URIRef(g).n3()}" for g in named)]
    )
    head = query[: match.start()]
    if match.group(0).upper().startswith("ASK"):
        return f"{head}ASK {clauses} {query[match.start() + 3 :].lstrip()}"
    return f"{head}{clauses} {query[match.start() :]}"


def bind_update(update: str, bindings: Bindings | None) -> str:
    """``update`` with ``bindings`` as a ``VALUES`` block opening each of its ``WHERE`` groups
    (SPARQL Update has no trailing ``VALUES`` clause; see :func:`bind_values`): every
    operation of a multi-operation request sees the same values. For Ilbirs' own update files,
    which have no subqueries.

    >>> from rdflib import URIRef
    >>> bind_update("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": URIRef("https://example.org/a")})
    'DELETE { ?s ?p ?o } WHERE { VALUES (?s) { (<https://example.org/a>) } ?s ?p ?o }'

    :raises ValueError: there are bindings but no ``WHERE`` group to put them in.
    """
    if not bindings:
        return update
    parts, rest = [], update
    while (match := _group_start(rest)) is not None:
        bound = bind_values(rest[: match.end()], bindings)  # the block goes at the very end
        parts.append(bound)
        rest = rest[match.end() :]
    if not parts:
        raise ValueError("bindings need an update with a WHERE clause")
    return "".join(parts) + rest
