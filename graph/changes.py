"""Writes: one change lands whole or not at all, and records who, when, why and from which
source. A change is one SPARQL Update request (``graph/updates/apply_change.ru``), which
every engine applies atomically; a version counter in the system graph, checked inside the
same request, makes a writer that read an old version fail instead of overwriting; and the
store's write lock makes concurrent requests take turns, since not every engine serialises
them itself.

>>> from ilbirs.graph.store import EmbeddedStore
>>> store = EmbeddedStore()
>>> g, a = URIRef("https://example.org/g"), URIRef("https://example.org/a")
>>> record = apply_change(store, QuadChange(added=frozenset({(a, RDFS.label, Literal("A"), g)})),
...                       expected_version=0, actor="doctest", reason="an example")
>>> record.version, current_version(store)
(1, 1)
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDFS, XSD  # noqa: F401 - RDFS: the docstring example
from rdflib.term import Identifier

from .errors import IlbirsError
from .namespace import KG
from .resources import query_dir
from .store import Store
from .store.base import bind_update
from .store.scratch import DEFAULT_GRAPH

__all__ = [
    "SYSTEM_GRAPH",
    "ChangeRecord",
    "ConflictError",
    "Quad",
    "QuadChange",
    "apply_change",
    "current_version",
]

#: The graph that holds the store's version and the log of changes.
SYSTEM_GRAPH = URIRef("https://w3id.org/ilbirs/graph/system")
_STORE_NODE = URIRef("https://w3id.org/ilbirs/id/store")

_PLACEHOLDER = re.compile(r"%%(DELETE|INSERT)%%")
_BATCH = 500  # quads per operation

#: A quad of rdflib terms: subject, predicate, object, graph (``DEFAULT_GRAPH`` for the default graph).
Quad = tuple[Identifier, URIRef, Identifier, URIRef]


class ConflictError(IlbirsError):
    """Another write changed the store since the version the writer read: read again, retry."""

    def __init__(self, expected: int, current: int) -> None:
        self.expected = expected
        self.current = current
        super().__init__(f"the store is at version {current}, not {expected}: another write came first")


@dataclass(frozen=True)
class QuadChange:
    """Quads to add and to remove. ``cleared`` names graphs emptied whole (``DEFAULT_GRAPH``: the
    stored default graph): their quads in
    ``removed`` (for validation and the log) are removed by pattern, so blank nodes go too."""

    added: frozenset[Quad] = field(default_factory=frozenset)
    removed: frozenset[Quad] = field(default_factory=frozenset)
    cleared: frozenset[URIRef] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ChangeRecord:
    """An accepted change, as the system graph records it."""

    iri: URIRef
    version: int
    actor: str
    reason: str
    time: datetime
    source: URIRef | None
    added: int
    removed: int


@cache
def _update(name: str) -> str:
    return (query_dir().parent / "updates" / f"{name}.ru").read_text(encoding="utf-8")


def _block(quads: Iterable[Quad], *, allow_blank: bool) -> str:
    lines = []
    for s, p, o, g in sorted(quads, key=lambda q: (str(q[3]), str(q[0]), str(q[1]), str(q[2]))):
        if g == SYSTEM_GRAPH:
            raise ValueError("the system graph is written by Ilbirs only")
        if not allow_blank and (isinstance(s, BNode) or isinstance(o, BNode)):
            raise ValueError("a blank node cannot be removed by value; remove it with a pattern")
        if g == DEFAULT_GRAPH:
            lines.append(f"{s.n3()} {p.n3()} {o.n3()} .")
        else:
            lines.append(f"GRAPH {g.n3()} {{ {s.n3()} {p.n3()} {o.n3()} }}")
    return "\n  ".join(lines)


def _fill(template: str, blocks: dict[str, str]) -> str:
    """The placeholders of ``template`` replaced in one pass (a block is never scanned)."""
    return _PLACEHOLDER.sub(lambda m: blocks[m[1]], template)


def _batches(removed: list[Quad], added: Iterable[Quad]) -> Iterator[tuple[list[Quad], list[Quad]]]:
    """The quads of a change in operations of at most ``_BATCH`` quads: removals first, then
    additions; the added quads with blank nodes all in one operation (a blank node label
    names one node only within one operation)."""
    plain = [q for q in added if not isinstance(q[0], BNode) and not isinstance(q[2], BNode)]
    blank = [q for q in added if isinstance(q[0], BNode) or isinstance(q[2], BNode)]
    for start in range(0, len(removed), _BATCH):
        yield removed[start : start + _BATCH], []
    for start in range(0, len(plain), _BATCH):
        yield [], plain[start : start + _BATCH]
    if blank:
        yield [], blank


def current_version(store: Store) -> int:
    """The store's version: 0 for a store no change was ever applied to."""
    rows = store.select(
        "SELECT ?v WHERE { GRAPH ?system { ?store ?version ?v } }",
        bindings={"system": SYSTEM_GRAPH, "store": _STORE_NODE, "version": KG.version},
        union=False,
    )
    return max((int(str(r["v"])) for r in rows), default=0)


def apply_change(
    store: Store,
    change: QuadChange,
    *,
    expected_version: int | None,
    actor: str,
    reason: str,
    source: URIRef | None = None,
) -> ChangeRecord:
    """Apply ``change`` in one atomic request and record it; return the record.

    With ``expected_version``, the change applies only if the store is still at that version.

    :raises ConflictError: the store moved on since ``expected_version``; nothing was written.
    :raises ValueError: the change writes the system graph, or removes a blank node.
    :raises QueryError, StoreError: the store refused or failed; nothing was written.
    """
    iri = URIRef(f"urn:uuid:{uuid.uuid4()}")
    time = datetime.now(UTC).replace(microsecond=0)
    by_value = (q for q in change.removed if q[3] not in change.cleared)
    cleared = " ".join(g.n3() for g in sorted(change.cleared) if g != DEFAULT_GRAPH)
    bindings: dict[str, Identifier] = {
        "change": iri,
        "actor": Literal(actor),
        "reason": Literal(reason),
        "time": Literal(time.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime),
        "added": Literal(len(change.added)),
        "removed": Literal(len(change.removed)),
    }
    if expected_version is not None:
        bindings["expected"] = Literal(expected_version)
    if source is not None:
        bindings["source"] = source
    # Bind first, then fill in the quads: a literal of the change may hold "WHERE {" or a
    # placeholder's name, and is never scanned or replaced in.
    cleared_block = f"VALUES ?cleared {{ {cleared} }}"
    operations = [bind_update(_update("apply_change"), bindings).replace("%%CLEARED%%", cleared_block)]
    if DEFAULT_GRAPH in change.cleared:
        operations.append(bind_update(_update("clear_default"), {"change": iri}))
    for deleted, inserted in _batches(list(by_value), change.added):
        batch = bind_update(_update("apply_quads"), {"change": iri})
        operations.append(
            _fill(
                batch,
                {"DELETE": _block(deleted, allow_blank=False), "INSERT": _block(inserted, allow_blank=True)},
            )
        )
    update = " ;\n".join(operations)
    with store.write_lock():
        store.update(_update("init_version"))
        store.update(update)
    rows = store.select(
        "SELECT ?v WHERE { GRAPH ?system { ?change ?version ?v } }",
        bindings={"system": SYSTEM_GRAPH, "change": iri, "version": KG.version},
        union=False,
    )
    if not rows:
        raise ConflictError(expected_version if expected_version is not None else -1, current_version(store))
    return ChangeRecord(
        iri, int(str(rows[0]["v"])), actor, reason, time, source, len(change.added), len(change.removed)
    )
