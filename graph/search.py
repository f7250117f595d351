"""The index of the API: search by label, and the member index of its lists.

Search: "Umai", "umai", "Жаныш", "snow leop" find what they should, in every language, by
word prefix, ranked (shortest matching label first, then IRI), filterable by collection.
Lists: the members of each collection in IRI order with their precomputed facets
(``graph/queries/facet_<collection>_<facet>.rq``), so a page or a filter is a B-tree walk, not
a sort of the whole class in the engine.

Details: each member's statements, what every node they link to shows and each graph's source
(:meth:`Search.detail_document`: what ``entities.entity`` makes from the store, without a query
to it).

All are served by one SQLite file in the data directory (``store.search_index.LabelIndex``),
never by a REGEX scan or an ``ORDER BY`` of the store. The index is kept in step with the store:
each accepted write re-indexes the subjects it touched (:meth:`Search.refresh`); an index
behind the store's version (built before an ``ilbirs load``, or never) is rebuilt before it
answers (:meth:`Search.ensure_current`).

>>> terms("Snow leop")
['"snow"*', '"leop"*']
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import PROV, RDFS
from rdflib.term import Identifier

from .entities import (
    COLLECTIONS,
    COUNT_CAP,
    Collection,
    Filter,
    Page,
    Ref,
    Source,
    Text,
    assemble_document,
    classes_of,
    indexed_detail,
    ref_document,
    refs,
    shown_label,
    source_document,
    sources_of,
    statements_of,
    text_of,
)
from .errors import InvalidValueError
from .geometry import geometries
from .sparql import load_query, query_names
from .store import Store
from .store.base import bind_rows
from .store.search_index import LabelIndex

__all__ = ["Search", "SearchHit", "terms"]

_WORD = re.compile(r"\w+")
#: The labels a reference shows: (skos:prefLabel, rdfs:label).
_Labels = tuple[list[Text], list[Text]]
_BATCH = 500


def _facet_queries() -> list[tuple[str, str, str]]:
    """(collection, facet, query name) of every ``graph/queries/facet_<collection>_<facet>.rq``:
    one query per facet, each a plain pattern from ?s (combined in one UNION, Oxigraph took
    80 s for the protected areas' facets at 100k triples; apart, 0.4 s in all)."""
    found = []
    for name in query_names():
        for collection in COLLECTIONS.values():
            prefix = "facet_" + collection.name.replace("-", "_") + "_"
            if name.startswith(prefix):
                found.append((collection.name, name[len(prefix) :], name))
    return found


_FACET_QUERIES = _facet_queries()


def _batches(subjects: Sequence[URIRef] | None) -> list[list[tuple[Identifier, ...]] | None]:
    if subjects is None:
        return [None]
    return [[(s,) for s in subjects[i : i + _BATCH]] for i in range(0, len(subjects), _BATCH)]


def _bound(query: str, batch: list[tuple[Identifier, ...]] | None) -> str:
    return query if batch is None else bind_rows(query, ["s"], batch)


def _least(values: Iterable[str], *, numeric: bool) -> object:
    """The sort key of a member's values of one facet: the least number, or the least of
    their first 10 characters (dates, years); ``None`` without one.

    >>> _least(["2019", "2018-05-01"], numeric=False), _least(["792000", "8e5", "x"], numeric=True)
    ('2018-05-01', 792000.0)
    """
    if not numeric:
        return min((v[:10] for v in values), default=None)
    numbers = []
    for value in values:
        try:
            numbers.append(float(value))
        except ValueError:
            continue  # not a number: no key from it
    return min(numbers, default=None)


@dataclass(frozen=True)
class SearchHit:
    """An entity found: a reference to it (label in the language asked for), the label that
    matched and its language, its collection, and its rank (lower is better)."""

    ref: Ref
    matched: str
    lang: str
    collection: str
    rank: float


def terms(query: str) -> list[str]:
    """The words of ``query`` as FTS5 prefix phrases (quoted: no FTS syntax gets through).

    :raises InvalidValueError: the query has no word.
    """
    words = _WORD.findall(query.casefold())
    if not words:
        raise InvalidValueError("`q` needs at least one word (letters or digits)")
    return [f'"{word}"*' for word in words[:8]]


@dataclass
class _Read:
    """What a process has read from the index at one ``version``: references (per languages
    asked for), the documents of references (likewise) and of sources. Details link to the
    same classes, properties and places again and again; ``size`` bounds it."""

    version: int | None
    refs: dict[tuple[str, ...], dict[str, Ref | None]] = field(default_factory=dict)
    ref_documents: dict[tuple[str, ...], dict[str, dict[str, Any]]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    size: int = 0


class Search:
    """Search over one label index: keeps it in step with the store, and answers from it.
    One per app (``app.state``); safe across threads."""

    def __init__(self, index: LabelIndex) -> None:
        self.index = index
        self._classes: dict[str, list[str]] | None = None
        self._rebuilding = threading.Lock()
        self._read = _Read(None)
        self._in_step: int | None = None  # a store version the index was seen to reflect

    def _collections_of(self, store: Store, *, fresh: bool) -> dict[str, list[str]]:
        """Class IRI -> the collections whose members it makes; read from the ontology once,
        and again at each rebuild (a new ontology comes with a load)."""
        if fresh or self._classes is None:
            found: dict[str, list[str]] = defaultdict(list)
            for collection in COLLECTIONS.values():
                for cls in classes_of(store, collection.cls):
                    found[str(cls)].append(collection.name)
            self._classes = found
        return self._classes

    def _rows(self, store: Store, subjects: Sequence[URIRef] | None) -> list[tuple[str, str, str, str]]:
        by_class = self._collections_of(store, fresh=False)
        rows: set[tuple[str, str, str, str]] = set()
        for batch in _batches(subjects):
            for row in store.select(_bound(load_query("select_search_labels"), batch)):
                label = row["label"]
                assert isinstance(label, Literal)
                for collection in by_class.get(str(row["type"]), []):
                    rows.add((str(row["s"]), str(label), label.language or "", collection))
        return sorted(rows)

    def _members(
        self, store: Store, subjects: Sequence[URIRef] | None
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, str]], dict[str, set[str]]]:
        """The member index rows: (collection, IRI), (collection, facet, value, IRI), and the
        types of each member. For some subjects (a write's), only the facets of the
        collections they are members of are asked for (a write to protected areas: 4 of the
        19 facet queries); the facets of a collection are read for its members only."""
        by_class = self._collections_of(store, fresh=False)
        members: set[tuple[str, str]] = set()
        facets: set[tuple[str, str, str, str]] = set()
        types: dict[str, set[str]] = defaultdict(set)
        for batch in _batches(subjects):
            collections: set[str] = set()
            for row in store.select(_bound(load_query("select_members"), batch)):
                types[str(row["s"])].add(str(row["type"]))
                for name in by_class.get(str(row["type"]), []):
                    members.add((name, str(row["s"])))
                    collections.add(name)
            for collection, facet, query_name in _FACET_QUERIES:
                if batch is not None and collection not in collections:
                    continue  # no member of it among these subjects
                for row in store.select(_bound(load_query(query_name), batch)):
                    facets.add((collection, facet, str(row["value"]), str(row["s"])))
        return sorted(members), sorted(facets), types

    @staticmethod
    def _labels(store: Store, subjects: Sequence[URIRef] | None) -> dict[str, _Labels]:
        """The labels a reference to each entity shows: (skos:prefLabel, rdfs:label)."""
        labels: dict[str, _Labels] = defaultdict(lambda: ([], []))
        for batch in _batches(subjects):
            for row in store.select(_bound(load_query("select_shown_labels"), batch)):
                pref, label = row.get("pref"), row.get("label")
                if isinstance(pref, Literal):
                    labels[str(row["s"])][0].append(text_of(pref))
                if isinstance(label, Literal):
                    labels[str(row["s"])][1].append(text_of(label))
        return labels

    @staticmethod
    def _sortkeys(
        members: Iterable[tuple[str, str]],
        facets: Iterable[tuple[str, str, str, str]],
        labels: dict[str, _Labels],
    ) -> list[tuple[str, str, str, object]]:
        """The sort keys of every member (collection, order, IRI, key or ``None``): its label
        as shown by default, casefolded, and each order of its collection from its facets (the
        least value: a number, or a date's first 10 characters)."""
        values: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for collection, facet, value, iri in facets:
            values[(collection, facet, iri)].append(value)
        keys: list[tuple[str, str, str, object]] = []
        for collection, iri in members:
            prefs, fallback = labels.get(iri, ([], []))
            shown = shown_label(prefs, fallback, ())
            keys.append((collection, "label", iri, shown.casefold() if shown is not None else None))
            for order in COLLECTIONS[collection].sorts:
                found = values.get((collection, order.facet, iri), [])
                keys.append((collection, order.name, iri, _least(found, numeric=order.numeric)))
        return keys

    @staticmethod
    def _bounds(
        store: Store, subjects: Sequence[URIRef] | None
    ) -> list[tuple[str, float, float, float, float]]:
        return [(str(node), *geometry.bounds) for node, geometry in geometries(store, subjects).items()]

    @staticmethod
    def _details(store: Store, members: Sequence[str]) -> Iterator[tuple[str, str]]:
        """(IRI, ``entities.indexed_detail`` as JSON) of each member: what its detail is made
        from, read in batches of 500 members (made while the index writes them, not all held
        at once)."""
        query = load_query("select_entity_statements")
        for batch in _batches([URIRef(m) for m in members]):
            assert batch is not None
            by_subject: dict[str, list[Mapping[str, Identifier]]] = defaultdict(list)
            for row in store.select(_bound(query, batch), union=False):
                by_subject[str(row["s"])].append(row)
            for iri in sorted(by_subject):
                yield iri, json.dumps(indexed_detail(iri, statements_of(by_subject[iri])), ensure_ascii=False)

    @staticmethod
    def _sources(store: Store) -> list[tuple[str, str, str | None, str | None]]:
        """The source of every graph that records one."""
        found = sources_of(store.select(load_query("select_graph_sources")))
        return [(g, s.id or "", s.label, s.url) for g, s in sorted(found.items())]

    def _index(
        self, store: Store, subjects: Sequence[URIRef] | None, version: int, *, sources: bool = True
    ) -> None:
        """Index ``subjects`` (every entity when ``None``) again, as the store is at ``version``
        (and the graphs' sources, with ``sources``). A rebuild reads the class hierarchy again
        first (a write may have changed it)."""
        self._collections_of(store, fresh=subjects is None)
        members, facets, types = self._members(store, subjects)
        labels = self._labels(store, subjects)
        shown = []
        for iri in sorted(set(types) | set(labels)):  # every node a detail may link to
            prefs, fallback = labels.get(iri, ([], []))
            shown.append((iri, sorted(types.get(iri, ())), sorted(prefs), sorted(fallback)))
        details = self._details(store, sorted({iri for _, iri in members}))
        if subjects is None:  # in transactions of their own, written as they are read
            self.index.replace_details(details)
        self.index.replace(
            self._rows(store, subjects),
            version=version,
            subjects=None if subjects is None else [str(s) for s in subjects],
            members=members,
            facets=facets,
            bounds=self._bounds(store, subjects),
            sortkeys=self._sortkeys(members, facets, labels),
            shown=shown,
            details=None if subjects is None else details,
            sources=self._sources(store) if sources else None,
        )
        self._read = _Read(None)

    def rebuild(self, store: Store, version: int) -> None:
        """Index every entity again, as the store is at ``version``."""
        with self._rebuilding:
            self._index(store, None, version)

    def refresh(
        self,
        store: Store,
        quads: Iterable[tuple[Identifier, ...]],
        version: int,
        *,
        record: URIRef | None = None,
    ) -> None:
        """After an accepted write of ``quads`` (added and removed) that moved the store to
        ``version``, recorded as the change ``record``: index again their subjects (and the
        record: a typed node) and every entity whose facets reach them (a
        region moved to another country: the areas in it; a keeper moved: its animals). The
        whole index is rebuilt only when it had missed an earlier version, when the class
        hierarchy changed, or when a blank node's own statements changed without the node
        that holds it (29 s at 1M triples, measured)."""
        changed = list(quads)
        current = self.index.version
        if (
            current is None
            or current < version - 1
            or any(isinstance(q[0], BNode) or q[1] == RDFS.subClassOf for q in changed)
        ):
            self.rebuild(store, version)
            return
        subjects = sorted(
            {q[0] for q in changed if isinstance(q[0], URIRef)} | ({record} if record else set())
        )
        # A graph's source as details show it: its prov:hadPrimarySource, and the source's
        # own label and URL.
        sources = any(q[1] == PROV.hadPrimarySource for q in changed) or self.index.any_source(
            [str(s) for s in subjects]
        )
        dependents = {
            row["x"]
            for batch in _batches(subjects)
            for row in store.select(_bound(load_query("select_facet_dependents"), batch))
            if isinstance(row["x"], URIRef)
        }
        self._index(store, sorted(set(subjects) | dependents), version, sources=sources)

    def in_step(self, version: int) -> bool:
        """The index reflects the store at ``version`` (read from the index once per version:
        it moves on only after the store does)."""
        if self._in_step == version:
            return True
        if self.index.version == version:
            self._in_step = version
            return True
        return False

    def _memo(self, version: int | None = None) -> _Read:
        """What this process has read from the index at its current version (``version``, if
        the caller has just read it). A write changes the version and empties it."""
        version = self.index.version if version is None else version
        if self._read.version != version or self._read.size > 100_000:
            self._read = _Read(version)
        return self._read

    def _shown_refs(
        self, nodes: Sequence[str], languages: Sequence[str], read: _Read | None = None
    ) -> dict[str, Ref | None]:
        """The references of ``nodes`` as the index shows them (``None``: not in it)."""
        read = self._memo() if read is None else read
        kept = read.refs.setdefault(tuple(languages), {})
        missing = [n for n in nodes if n not in kept]
        if missing:
            shown = self.index.shown(missing)
            for node in missing:
                found = shown.get(node)
                kept[node] = (
                    None
                    if found is None
                    else Ref(node, tuple(found[1]), shown_label(found[2], found[3], languages))
                )
            read.size += len(missing)
        return {n: kept[n] for n in nodes}

    def _resolved(
        self, store: Store, ids: Sequence[str], languages: Sequence[str], read: _Read | None = None
    ) -> dict[str, Ref]:
        """``{id, type, label}`` of ``ids`` from the index; a node the index lacks (none, when
        it is current) from the store, as ``entities.refs`` resolves it."""
        found = self._shown_refs(ids, languages, read)
        missing = [URIRef(i) for i in ids if found[i] is None]
        from_store = {str(m): r for m, r in refs(store, missing, languages).items()} if missing else {}
        return {i: ref if ref is not None else from_store[i] for i, ref in found.items()}

    def refs(self, store: Store, members: Sequence[URIRef], languages: Sequence[str]) -> dict[URIRef, Ref]:
        """``{id, type, label}`` of members, as ``entities.refs`` resolves them, read from the
        index (no query to the store; tested equal); a node the index lacks from the store."""
        got = self._resolved(store, [str(m) for m in members], languages)
        return {m: got[str(m)] for m in members}

    def detail_document(
        self, iri: URIRef, languages: Sequence[str], *, version: int | None = None
    ) -> dict[str, Any] | None:
        """The detail of a member as the API's JSON document, as ``entities.entity_json`` makes
        it of the detail made from the store (tested equal), made from the index alone
        (``entities.assemble_document``): its statements, what the nodes it links to show, and
        its graphs' sources. ``None`` for a node that is no member (not indexed). Without a
        store query, so cheap enough for the event loop: a point read of SQLite, and the
        references and sources this process has not read at the index's version yet (kept
        as documents: details link to the same classes, properties and places again and
        again: the document shares them, so it is for reading and writing out, not changing).
        ``version``: the index's, if the caller has just read it."""
        read = self._memo(version)
        found = self.index.detail(str(iri))
        if found is None:
            return None
        types, prefs, fallback, nodes, graphs, statements = orjson.loads(found)
        kept = read.ref_documents.setdefault(tuple(languages), {})
        documents: dict[str, dict[str, Any]] = {}
        missing = []
        for node in nodes:
            document = kept.get(node)
            if document is None:
                missing.append(node)
            else:
                documents[node] = document
        if missing:
            for node, ref in self._shown_refs(missing, languages, read).items():
                documents[node] = kept[node] = ref_document(ref or Ref(node, (), None))
            read.size += len(missing)
        sources: dict[str, dict[str, Any]] = {}
        unread = []
        for graph in graphs:
            document = read.sources.get(graph)
            if document is None:
                unread.append(graph)
            else:
                sources[graph] = document
        if unread:
            rows = self.index.sources(unread)
            for graph in unread:
                source, label, url = rows.get(graph, (None, None, None))
                sources[graph] = read.sources[graph] = source_document(Source(graph, source, label, url))
            read.size += len(unread)
        return assemble_document(
            str(iri), statements, languages, documents, sources, own=(types, prefs, fallback), graphs=graphs
        )

    def page(
        self,
        store: Store,
        collection: Collection,
        *,
        limit: int,
        after: str = "",
        languages: Sequence[str] = (),
        filters: Sequence[tuple[Filter, Identifier]] = (),
        sort: str = "id",
    ) -> Page:
        """A page of ``collection`` from the member index: what ``entities.page`` answers with
        SPARQL, at the cost of a B-tree walk (tested equal on the shipped data); ``sort`` is
        one of the collection's orders, ``-`` before it for descending.

        :raises InvalidValueError: ``sort`` is not an order of the collection, or ``after`` is
            not (any more) in the list in that order.
        """
        order = sort.removeprefix("-")
        if order not in collection.orders:
            raise InvalidValueError(
                f"`sort` is one of: {', '.join(collection.orders)} (with `-` before it: descending); "
                f"not {sort[:60]!r}"
            )
        conditions = [c for flt, term in filters for c in flt.conditions(term)]
        try:
            ids, total = self.index.members_page(
                collection.name,
                conditions,
                after=after,
                limit=limit + 1,
                cap=COUNT_CAP,
                order=order,
                descending=sort.startswith("-"),
            )
        except KeyError:
            raise InvalidValueError(
                f"`after` <{after[:200]}> is not in {collection.name} any more: start again without `after`"
            ) from None
        more = len(ids) > limit
        members = [URIRef(i) for i in ids[:limit]]
        resolved = self.refs(store, members, languages)
        return Page(
            tuple(resolved[m] for m in members),
            str(members[-1]) if more and members else None,
            min(total, COUNT_CAP),
            total <= COUNT_CAP,
        )

    def ensure_current(self, store: Store, version: int) -> None:
        """Rebuild the index if it is behind the store's ``version`` (or was never built).

        An index behind is most often one a write of this host is refreshing: a write brings
        the index up before it releases the store's write lock (``writes.write``), so this
        waits for the lock and looks again before rebuilding. (Rebuilding at once, every
        reader that saw a write's version before its refresh rebuilt the whole index: reads'
        p99 went from 130 ms to 2.8 s at 2 writes/s on the shipped data.)"""
        current = self.index.version
        if current is not None and current >= version:
            return
        with store.write_lock():
            current = self.index.version
            if current is None or current < version:
                self.rebuild(store, version)

    def find(
        self,
        store: Store,
        query: str,
        *,
        collection: str | None = None,
        limit: int = 20,
        languages: Sequence[str] = (),
        version: int | None = None,
    ) -> list[SearchHit]:
        """The entities whose labels or names start with the words of ``query``, best first.
        ``version``: the index's, if the caller has just read it.

        :raises InvalidValueError: no word in ``query``, or an unknown ``collection``.
        """
        if collection is not None and collection not in COLLECTIONS:
            raise InvalidValueError(f"`type` is one of: {', '.join(COLLECTIONS)}; not {collection[:60]!r}")
        hits = self.index.search(terms(query), collection=collection, limit=limit)
        resolved = self._resolved(store, [h.id for h in hits], languages, self._memo(version))
        return [SearchHit(resolved[h.id], h.label, h.lang, h.collection, h.rank) for h in hits]
