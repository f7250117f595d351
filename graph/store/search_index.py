"""A full-text index of labels on SQLite FTS5 (Python's own ``sqlite3``): the store behind
``ilbirs.graph.search``.

One row per (entity, label, collection) in ``entries``, with the least of the label's language
tags (indexed by entity, so a write replaces an entity's rows without a scan), and the FTS5
table ``labels`` over it (external content, kept in step by triggers; with prefix indexes for
prefixes of 2 to 8 characters, what people type into a search box). And the member index of
the API's lists: ``members`` (collection, IRI: pages in IRI order from a B-tree, whatever the
size of the collection) and ``facets`` (collection, facet, value, IRI: what each filter reads,
precomputed). And what the API's details are made from: ``details`` (each member's statements
and what a detail reads of them, as JSON), ``shown`` (what a reference to each typed or
labelled node shows) and ``sources`` (each graph's source). The ``unicode61`` tokenizer with
``remove_diacritics 2`` folds case and diacritics in every script (Latin, Cyrillic), so
"umai", "Umai" and "Ümai" are one word. The file lives in the data directory; the workers of
one host share it (WAL mode: readers never wait for the writer). The store version the index
reflects is kept with it.

>>> import tempfile, pathlib
>>> index = LabelIndex(pathlib.Path(tempfile.mkdtemp()) / "search.sqlite")
>>> index.replace([("https://e/umai", "Umai", "en", "animals")], version=1, subjects=None)
>>> [hit.id for hit in index.search(['"uma"*'], collection=None, limit=5)]
['https://e/umai']
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import orjson

from .lock import WriteLock

__all__ = ["LabelHit", "LabelIndex", "Shown"]

#: What a reference to a member shows: its IRI, its types, and its preferred labels and other
#: labels as (text, language tag or "").
Shown = tuple[str, list[str], list[tuple[str, str]], list[tuple[str, str]]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, label TEXT NOT NULL,
    lang TEXT NOT NULL, collection TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_id ON entries (id);
CREATE VIRTUAL TABLE IF NOT EXISTS labels USING fts5(
    label, content = 'entries', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6 7 8'
);
CREATE TRIGGER IF NOT EXISTS entries_added AFTER INSERT ON entries BEGIN
    INSERT INTO labels (rowid, label) VALUES (new.rowid, new.label);
END;
CREATE TRIGGER IF NOT EXISTS entries_removed AFTER DELETE ON entries BEGIN
    INSERT INTO labels (labels, rowid, label) VALUES ('delete', old.rowid, old.label);
END;
CREATE TABLE IF NOT EXISTS members (
    collection TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (collection, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_id ON members (id);
CREATE TABLE IF NOT EXISTS facets (
    collection TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (collection, name, value, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS facets_id ON facets (id);
CREATE TABLE IF NOT EXISTS bounds (
    id TEXT PRIMARY KEY, minx REAL NOT NULL, miny REAL NOT NULL, maxx REAL NOT NULL, maxy REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sortkeys (
    collection TEXT NOT NULL, name TEXT NOT NULL, missing INTEGER NOT NULL, key NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (collection, name, missing, key, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sortkeys_id ON sortkeys (id);
CREATE TABLE IF NOT EXISTS shown (id TEXT PRIMARY KEY, shown TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS details (id TEXT PRIMARY KEY, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    graph TEXT PRIMARY KEY, source TEXT NOT NULL, label TEXT, url TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sources_source ON sources (source);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER);
"""

#: The layout of the tables above; an index file of another layout has its tables dropped and
#: made again, and its version forgotten (the next list or search rebuilds it), when it is
#: opened. 2: ``sortkeys`` added; 3: ``shown`` added; 4: ``shown`` is one JSON array per
#: member (one parse per reference); 5: a label's row id begins with its length; 6: ``shown``
#: for every node with a type or a label, ``details`` and ``sources`` added; 7: ``entries``
#: holds a label written alike in several languages once (with the least language tag: the
#: one a hit showed), ``labels`` has prefix indexes. (Measured at 1M triples: 261,875 ->
#: 248,942 rows, file 550 -> 561 MB; the FTS5 part of a search of a 4-8 letter prefix 88 ->
#: 54 us.) 8: ``details`` keeps what a detail reads of its statements besides them (own
#: types and labels, linked nodes, graphs), in a table with row ids (rows of 1.6 KB on
#: average at 100k triples: a point read 6.3-7.7 -> 4.4 us).
LAYOUT = 8

#: The tables whose rows belong to one entity (its ``id``).
_TABLES = ("entries", "members", "facets", "bounds", "sortkeys", "shown", "details")

#: How a facet is compared with a filter's value (fixed SQL; the value is a parameter).
_CONDITIONS = {
    "eq": "value = ?",
    "lt": "substr(value, 1, 10) < ?",
    "ge": "substr(value, 1, 10) >= ?",
    "le": "substr(value, 1, 10) <= ?",
    "num_ge": "CAST(value AS REAL) >= ?",
    "year_le": "CAST(substr(value, 1, 4) AS INTEGER) <= ?",
    "year_lt": "CAST(substr(value, 1, 4) AS INTEGER) < ?",
}


@dataclass(frozen=True)
class LabelHit:
    """An entity that matched: its IRI, the label that matched (and its language), its
    collection, and its rank: the length of that label (lower is better)."""

    id: str
    label: str
    lang: str
    collection: str
    rank: float


#: How many matching labels a search reads first, per hit it answers (then four times more
#: at each further step, while shorter labels may be unread). Measured at 1M triples with the
#: prefix indexes (searches for two syllables, "akbar"; one word, "reserve", "k"): 8 -> 326 and
#: 1,500 us, 6 -> 273 and 1,013, 4 -> 192 and 822, 3 -> 191 and 844 (the same answers).
CANDIDATES = 4

#: Labels longer than this rank as if this long (a row id keeps the length in its high bits).
MAX_RANKED_LENGTH = 1 << 20


def _rowid(label: str, seq: int) -> int:
    """The row id of a label in ``entries``: its length (up to ``MAX_RANKED_LENGTH``) in the
    high 32 bits, a sequence number in the low ones, so that row order is search order. (The
    sequence starts again at each rebuild; it would wrap after 2³² labels written without one.)"""
    return (min(len(label), MAX_RANKED_LENGTH) << 32) | (seq & 0xFFFFFFFF)


#: How many list totals an index keeps for the version it reflects (see ``members_page``).
MAX_TOTALS = 4096

#: How long a connection waits for another process's lock before it gives up.
BUSY_TIMEOUT_S = 30.0


def _wal(db: sqlite3.Connection) -> None:
    """Switch ``db`` to WAL mode, waiting while another process holds the lock.

    SQLite answers ``PRAGMA journal_mode`` with "database is locked" at once, without its
    busy handler, when another connection is switching the same new file (measured: 11 of
    600 pairs of processes opening a new index together failed); the workers of ``ilbirs
    serve`` open the index together at start, and a worker that fails there stops them all.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class LabelIndex:
    """The label index in the SQLite file at ``path`` (created when missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Totals of lists already counted: (version, {(collection, conditions, cap): total}).
        self._totals: tuple[int | None, dict[tuple[object, ...], int]] = (None, {})
        db = self._connect()
        # The workers of one serve open the file together: one at a time checks the layout
        # (another must not drop the tables one has just made).
        with WriteLock(path.with_name(path.name + ".lock"))(), db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER)")
            row = db.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
            if row is None or row[0] != LAYOUT:  # built by another release: build it again
                for table in ("labels", *_TABLES, "sources"):  # fixed names; triggers go with ``entries``
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                db.execute("DELETE FROM meta WHERE key = 'version'")
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('layout', ?)", (LAYOUT,))
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection (a sqlite3 connection belongs to the thread that made it)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
            _wal(db)
            db.execute("PRAGMA synchronous=NORMAL")  # the index can be rebuilt from the store
            # Read through a memory map: the pages are then shared by every connection (one
            # per thread of the worker's pool) instead of each warming its own 2 MB cache.
            # (Its effect on a search is not measured apart from how the connections fell
            # on the workers: README, JSON API benchmark.)
            db.execute("PRAGMA mmap_size=1073741824")
            self._local.db = db
        return db

    @property
    def version(self) -> int | None:
        """The store version the index reflects (``None``: never built)."""
        return self._meta(self._connect(), "version")

    def replace(
        self,
        rows: Iterable[tuple[str, str, str, str]],
        *,
        version: int,
        subjects: Iterable[str] | None,
        members: Iterable[tuple[str, str]] = (),
        facets: Iterable[tuple[str, str, str, str]] = (),
        bounds: Iterable[tuple[str, float, float, float, float]] = (),
        sortkeys: Iterable[tuple[str, str, str, object]] = (),
        shown: Iterable[Shown] = (),
        details: Iterable[tuple[str, str]] | None = (),
        sources: Iterable[tuple[str, str, str | None, str | None]] | None = None,
    ) -> None:
        """Replace the rows of ``subjects`` (all rows when ``None``) with ``rows`` (id, label,
        lang, collection), ``members`` (collection, id), ``facets`` (collection, name, value,
        id), ``bounds`` (id, min x, min y, max x, max y of its geometry) and ``sortkeys``
        (collection, order, id, key: a number, a text, or ``None`` for none) and ``shown``
        (what a reference to a node shows: id, types, preferred labels and other labels as
        (text, language)) and ``details`` (id, what the index keeps of a member for its detail,
        as JSON; ``None``: left as they are, see :meth:`replace_details`); with
        ``sources`` (graph, source, label, url), every graph's source replaced by them; and
        record ``version`` (never moving it back), in one transaction."""
        db = self._connect()
        with db:
            old = self.version
            tables = [t for t in _TABLES if details is not None or t != "details"]
            least: dict[tuple[str, str, str], str] = {}  # a label written alike in two languages: once
            for i, label, lang, c in rows:
                if least.get((i, label, c), lang) >= lang:
                    least[(i, label, c)] = lang
            entries = {(i, label, lang, c) for (i, label, c), lang in least.items()}
            if subjects is None:
                for table in tables:
                    db.execute(f"DELETE FROM {table}")  # a fixed table name
            else:
                wanted = [(s,) for s in subjects]
                # Labels that stay keep their rows: a write re-indexes every label of the
                # entities it touches (665 rows for 16 areas at 1M), and each row written or
                # deleted costs the full-text index (its own and 7 prefix indexes) ~30 µs and WAL pages.
                gone: list[tuple[int]] = []
                for subject in wanted:
                    query = "SELECT rowid, id, label, lang, collection FROM entries WHERE id = ?"
                    for rowid, i, label, lang, c in db.execute(query, subject):
                        if (i, label, lang, c) in entries:
                            entries.discard((i, label, lang, c))
                        else:
                            gone.append((rowid,))
                db.executemany("DELETE FROM entries WHERE rowid = ?", gone)
                for table in tables:
                    if table != "entries":
                        db.executemany(f"DELETE FROM {table} WHERE id = ?", wanted)
            seq = 0 if subjects is None else self._meta(db, "seq") or 0
            ordered = sorted(entries, key=lambda row: (len(row[1]), row))
            db.executemany(
                "INSERT INTO entries (rowid, id, label, lang, collection) VALUES (?, ?, ?, ?, ?)",
                [
                    (_rowid(label, seq + n), i, label, lang, c)
                    for n, (i, label, lang, c) in enumerate(ordered, 1)
                ],
            )
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('seq', ?)", (seq + len(ordered),))
            db.executemany("INSERT OR IGNORE INTO members (collection, id) VALUES (?, ?)", list(members))
            db.executemany(
                "INSERT OR IGNORE INTO facets (collection, name, value, id) VALUES (?, ?, ?, ?)", list(facets)
            )
            db.executemany("INSERT OR REPLACE INTO bounds VALUES (?, ?, ?, ?, ?)", list(bounds))
            db.executemany(
                "INSERT OR REPLACE INTO sortkeys (collection, name, missing, key, id) VALUES (?, ?, ?, ?, ?)",
                [(c, name, int(key is None), "" if key is None else key, i) for c, name, i, key in sortkeys],
            )
            db.executemany(
                "INSERT OR REPLACE INTO shown (id, shown) VALUES (?, ?)",
                [
                    (i, json.dumps([types, prefs, labels], ensure_ascii=False))
                    for i, types, prefs, labels in shown
                ],
            )
            if details is not None:
                db.executemany("INSERT OR REPLACE INTO details (id, detail) VALUES (?, ?)", details)
            if sources is not None:
                db.execute("DELETE FROM sources")
                db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)", list(sources))
            new = version if subjects is None or old is None else max(old, version)
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)", (new,))

    def shown(self, ids: Sequence[str]) -> dict[str, Shown]:
        """What a reference to each of ``ids`` shows (those the index holds)."""
        found: dict[str, Shown] = {}
        db = self._connect()
        for start in range(0, len(ids), 500):
            batch = list(ids[start : start + 500])
            marks = ", ".join("?" * len(batch))  # one mark per id; the ids are parameters
            for i, shown in db.execute(f"SELECT id, shown FROM shown WHERE id IN ({marks})", batch):
                types, prefs, labels = orjson.loads(shown)
                found[i] = (i, types, [(t, lang) for t, lang in prefs], [(t, lang) for t, lang in labels])
        return found

    def replace_details(self, details: Iterable[tuple[str, str]], *, batch: int = 500) -> None:
        """Replace every member's detail (id, JSON) with ``details``, in transactions of
        ``batch`` rows: a full rebuild reads them from the store as it writes them, and one
        transaction would hold the file's write lock for as long (tens of seconds at 1M
        triples), past the busy timeout of a worker refreshing after a write. Meanwhile a
        detail not yet written is read from the store (``Search.detail_document`` answers
        ``None``)."""
        db = self._connect()
        with db:
            db.execute("DELETE FROM details")
        rows: list[tuple[str, str]] = []
        for row in details:
            rows.append(row)
            if len(rows) >= batch:
                with db:
                    db.executemany("INSERT OR REPLACE INTO details (id, detail) VALUES (?, ?)", rows)
                rows = []
        if rows:
            with db:
                db.executemany("INSERT OR REPLACE INTO details (id, detail) VALUES (?, ?)", rows)

    def detail(self, id: str) -> str | None:
        """What the index keeps of the member ``id`` for its detail, as JSON
        (``entities.indexed_detail``; ``None``: not a member indexed)."""
        row = self._connect().execute("SELECT detail FROM details WHERE id = ?", (id,)).fetchone()
        return None if row is None else cast(str, row[0])

    def sources(self, graphs: Sequence[str]) -> dict[str, tuple[str, str | None, str | None]]:
        """The source each of ``graphs`` records, with its label and URL (those that record one)."""
        db = self._connect()
        found: dict[str, tuple[str, str | None, str | None]] = {}
        for start in range(0, len(graphs), 500):
            batch = list(graphs[start : start + 500])
            marks = ", ".join("?" * len(batch))  # one mark per graph; the graphs are parameters
            for graph, source, label, url in db.execute(
                f"SELECT graph, source, label, url FROM sources WHERE graph IN ({marks})", batch
            ):
                found[graph] = (source, label, url)
        return found

    def any_source(self, ids: Sequence[str]) -> bool:
        """Whether one of ``ids`` is a graph's source."""
        db = self._connect()
        for start in range(0, len(ids), 500):
            batch = list(ids[start : start + 500])
            marks = ", ".join("?" * len(batch))
            if db.execute(f"SELECT 1 FROM sources WHERE source IN ({marks}) LIMIT 1", batch).fetchone():
                return True
        return False

    def search(self, terms: list[str], *, collection: str | None, limit: int) -> list[LabelHit]:
        """The best ``limit`` entities for the FTS5 query ``terms`` (each a quoted phrase,
        optionally a prefix: ``'"snow"*'``), one hit per entity (its shortest matching label),
        shortest first, then by IRI.

        A label's row id begins with its length (:func:`_rowid`), so FTS5 hands the matches
        over shortest first and the search reads only the first few: once ``limit`` entities
        have a label shorter than the last row read, no later row can come before them. (BM25
        ranked every match first: a search for "akbar*" (858 matching labels at 1M triples)
        took 2.0 ms, "ak*" 27 ms; now 0.5 and 3.7 ms.)
        """
        db = self._connect()
        match = " ".join(terms)
        # IRI -> its first matching row (its shortest label, the least of equal length, since
        # an entity's rows are written in (length, label, lang, collection) order): (row,
        # collection, label, language).
        best: dict[str, tuple[int, str, str, str]] = {}
        after, batch = -1, CANDIDATES * limit
        while True:
            # The rows' columns, labels included, read by row id in one query (an IN list is
            # read in row order; sorted all the same, as SQL does not promise it). Before, a
            # join and a second query for the hits' labels: 163-168 -> 149-158 us per search
            # (1M triples, A/B on 1,000 searches, the same answers).
            rows = db.execute(
                """SELECT rowid, id, collection, label, lang FROM entries WHERE rowid IN
                (SELECT rowid FROM labels WHERE labels MATCH ? AND rowid > ? ORDER BY rowid LIMIT ?)""",
                [match, after, batch],
            ).fetchall()
            rows.sort()
            for rowid, iri, in_collection, label, lang in rows:
                if iri not in best and (collection is None or in_collection == collection):
                    best[iri] = (rowid, in_collection, label, lang)
            if len(rows) < batch:  # every match read
                return self._hits(best.items(), limit)
            after = rows[-1][0]
            final = [item for item in best.items() if item[1][0] >> 32 < after >> 32]  # none shorter unread
            if len(final) >= limit:
                return self._hits(final, limit)
            batch *= 4

    @staticmethod
    def _hits(found: Iterable[tuple[str, tuple[int, str, str, str]]], limit: int) -> list[LabelHit]:
        """The first ``limit`` of (IRI, (row, collection, label, language)) by rank, then IRI."""
        ranked = sorted(found, key=lambda item: (item[1][0] >> 32, item[0]))[:limit]
        return [LabelHit(iri, label, lang, c, float(rowid >> 32)) for iri, (rowid, c, label, lang) in ranked]

    @staticmethod
    def _meta(db: sqlite3.Connection, key: str) -> int | None:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else None

    def members_page(
        self,
        collection: str,
        conditions: list[tuple[str, str, object, bool]],
        *,
        after: str,
        limit: int,
        cap: int,
        order: str = "id",
        descending: bool = False,
    ) -> tuple[list[str], int]:
        """Up to ``limit`` members of ``collection`` after the IRI ``after`` (in IRI order, or
        by the sort key ``order``, then IRI; ``descending`` reverses both, members without a
        key still last) whose facets meet every condition (facet name, comparison of
        ``_CONDITIONS``, value, and whether it must *not* hold), and how many there are in
        all, up to ``cap + 1``.

        :raises KeyError: ``after`` is not in the list ordered by ``order`` (any more).
        """
        where, params = self._conditions(collection, conditions)
        clause = " AND ".join(where)  # fixed fragments; every value is a parameter
        db = self._connect()
        total = self._total(db, clause, params, (collection, tuple(conditions), cap))
        direction, beyond = ("DESC", "<") if descending else ("ASC", ">")
        if order == "id":
            keyset = f" AND m.id {beyond} ?" if after or not descending else ""
            ids = db.execute(
                f"SELECT m.id FROM members AS m WHERE {clause}{keyset} ORDER BY m.id {direction} LIMIT ?",
                [*params, *([after] if keyset else []), limit],
            ).fetchall()
            return [row[0] for row in ids], int(total)
        # By a key: those with one, in key order, then those without, each a walk of the
        # (collection, order, missing, key, id) B-tree in either direction, from the cursor.
        start_missing, start_key = 0, None
        if after:
            found = db.execute(
                "SELECT missing, key FROM sortkeys WHERE collection = ? AND name = ? AND id = ?",
                [collection, order, after],
            ).fetchone()
            if found is None:
                raise KeyError(after)
            start_missing, start_key = found
        ids = []
        for missing in (0, 1)[start_missing:]:
            keyset, cursor = "", []
            if missing == start_missing and after:
                keyset, cursor = f" AND (m.key, m.id) {beyond} (?, ?)", [start_key, after]
            ids += db.execute(
                f"SELECT m.id FROM sortkeys AS m WHERE {clause} AND m.name = ? AND m.missing = ?{keyset}"
                f" ORDER BY m.key {direction}, m.id {direction} LIMIT ?",
                [*params, order, missing, *cursor, limit - len(ids)],
            ).fetchall()
            if len(ids) >= limit:
                break
        return [row[0] for row in ids], int(total)

    def _total(
        self, db: sqlite3.Connection, clause: str, params: list[object], key: tuple[object, ...]
    ) -> int:
        """How many members meet ``clause``, up to ``cap + 1`` (the last of ``key``): counted
        once per version of the index (a count walks every member that matches: 0.9 ms for
        the 800 protected areas of one country at 1M triples, where the page itself takes
        0.3 ms), then kept until the version moves. The version is read before counting, so
        a count is never kept under a version older than the rows it counted."""
        version = self.version
        kept_version, kept = self._totals
        if kept_version != version:
            kept = {}
            self._totals = (version, kept)
        total = kept.get(key)
        if total is None:
            total = int(
                db.execute(
                    f"SELECT COUNT(*) FROM (SELECT 1 FROM members AS m WHERE {clause} LIMIT ?)",
                    [*params, cast(int, key[-1]) + 1],
                ).fetchone()[0]
            )
            if len(kept) < MAX_TOTALS:
                kept[key] = total
        return total

    @staticmethod
    def _conditions(
        collection: str, conditions: list[tuple[str, str, object, bool]]
    ) -> tuple[list[str], list[object]]:
        """The SQL conditions (on ``m.collection`` and ``m.id``) and their parameters."""
        where = ["m.collection = ?"]
        params: list[object] = [collection]
        for name, comparison, value, negated in conditions:
            if comparison == "bbox":  # value: (min x, min y, max x, max y); boxes that meet it
                where.append(
                    "m.id IN (SELECT id FROM bounds WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)"
                )
                box = cast(tuple[float, float, float, float], value)
                params += [box[0], box[2], box[1], box[3]]
                continue
            where.append(
                ("m.id NOT IN" if negated else "m.id IN")
                + " (SELECT id FROM facets WHERE collection = ? AND name = ? AND "
                + _CONDITIONS[comparison]
                + ")"
            )
            params += [collection, name, value]
        return where, params
