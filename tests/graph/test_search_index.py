"""The search and member index file (``graph/store/search_index.py``) as the workers of
``ilbirs serve`` use it: several processes opening one new file at the same moment."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ilbirs.graph.store.search_index import LabelIndex

ROUNDS = 300
PROCESSES = 3
SLOT_S = 0.02

#: One worker: in each time slot, open that slot's new index file (all workers at once).
WORKER = """
import sys, time
from pathlib import Path
from ilbirs.graph.store.search_index import LabelIndex
root, start, rounds, slot = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
failed = 0
for round_ in range(rounds):
    time.sleep(max(0.0, start + round_ * slot - time.time()))
    try:
        LabelIndex(root / f"{round_}.sqlite").version
    except Exception as exc:
        failed += 1
        print(repr(exc), file=sys.stderr)
print(failed)
"""


def test_workers_opening_a_new_index_together_all_succeed(tmp_path: Path) -> None:
    """A worker that fails to open the index at start stops ``ilbirs serve`` (uvicorn stops
    the parent on a worker's startup failure): SQLite refused 11 of 600 such openings at once
    with "database is locked" before the index waited for the lock."""
    start = time.time() + 2  # every worker has imported Ilbirs by then
    args = [str(tmp_path), str(start), str(ROUNDS), str(SLOT_S)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(PROCESSES)
    ]
    results = [worker.communicate(timeout=120) for worker in workers]
    failed = sum(int(out) for out, _ in results)
    assert failed == 0, f"{failed} of {ROUNDS * PROCESSES} openings failed: {results[0][1][:300]}"
    assert all(LabelIndex(tmp_path / f"{round_}.sqlite").version is None for round_ in range(ROUNDS))


def test_an_index_of_an_older_layout_is_built_again(tmp_path: Path) -> None:
    """An index file written by an earlier release has other tables (layout 3 kept a member's
    reference in four columns of ``shown``): opened by this one, its tables are made again and
    it forgets its version, so the next list or search rebuilds it from the store."""
    path = tmp_path / "search.sqlite"
    index = LabelIndex(path)
    index.replace([("https://e/umai", "Umai", "en", "animals")], version=7, subjects=None)
    assert LabelIndex(path).version == 7  # same layout: kept
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = 3 WHERE key = 'layout'")
        db.execute("DROP TABLE shown")
        db.execute(
            "CREATE TABLE shown (id TEXT PRIMARY KEY, types TEXT, prefs TEXT, labels TEXT) WITHOUT ROWID"
        )
    reopened = LabelIndex(path)
    assert reopened.version is None
    assert reopened.search(['"umai"*'], collection=None, limit=5) == []  # its rows went with it
    umai = ("https://e/umai", ["https://e/Animal"], [("Umai", "en")], [])
    reopened.replace(
        [("https://e/umai", "Umai", "en", "animals")],
        version=8,
        subjects=None,
        members=[("animals", "https://e/umai")],
        shown=[umai],
    )
    assert reopened.shown(["https://e/umai"]) == {"https://e/umai": umai}
    assert [hit.id for hit in reopened.search(['"umai"*'], collection=None, limit=5)] == ["https://e/umai"]


def test_a_list_total_follows_the_index_version(tmp_path: Path) -> None:
    """Totals are counted once per version of the index and kept: a write (a new version)
    that adds a member shows in the total of the next page at once, a filtered one too."""
    index = LabelIndex(tmp_path / "search.sqlite")

    def write(ids: list[str], version: int) -> None:
        index.replace(
            [],
            version=version,
            subjects=ids,
            members=[("animals", i) for i in ids],
            facets=[("animals", "sex", "female", i) for i in ids],
        )

    female = [("sex", "eq", "female", False)]
    write(["https://e/a", "https://e/b"], 1)
    assert index.members_page("animals", [], after="", limit=1, cap=100) == (["https://e/a"], 2)
    assert index.members_page("animals", female, after="", limit=1, cap=100)[1] == 2
    write(["https://e/c"], 2)
    assert index.members_page("animals", [], after="", limit=1, cap=100)[1] == 3
    assert index.members_page("animals", female, after="", limit=1, cap=100)[1] == 3
    assert index.members_page("animals", [], after="", limit=1, cap=1)[1] == 2  # "more than 1"


def test_search_ranks_the_shortest_label_first_then_the_iri(tmp_path: Path) -> None:
    """One hit per entity, by its shortest matching label, then IRI; exact however far the
    search must read (rows come shortest first and it stops early) and after writes that
    give new labels later row numbers."""
    index = LabelIndex(tmp_path / "search.sqlite")
    rows = [
        (f"https://e/area{n:03}", f"Ak {'x' * (n % 17)} Reserve", "en", "protected-areas") for n in range(300)
    ]
    rows += [(f"https://e/animal{n}", f"Ak {'y' * 30} {n}", "en", "animals") for n in range(3)]
    rows += [("https://e/area007", "Ak", "ky", "protected-areas")]  # a second, shorter label
    index.replace(rows, version=1, subjects=None)

    def expected(collection: str | None, limit: int) -> list[str]:
        best: dict[str, tuple[int, str]] = {}
        for iri, label, _, in_collection in rows:
            if collection in (None, in_collection):
                best[iri] = min(best.get(iri, (len(label), iri)), (len(label), iri))
        return [iri for _, iri in sorted(best.values())][:limit]

    def found(collection: str | None, limit: int) -> list[str]:
        return [hit.id for hit in index.search(['"ak"*'], collection=collection, limit=limit)]

    for collection, limit in ((None, 1), (None, 20), ("animals", 2), ("protected-areas", 50)):
        assert found(collection, limit) == expected(collection, limit)
    assert found(None, 1) == ["https://e/area007"]
    [hit] = index.search(['"ak"*'], collection=None, limit=1)
    assert (hit.label, hit.lang) == ("Ak", "ky")
    # A write: a shorter label for an entity indexed before gets a later row number.
    rows = [r for r in rows if r[0] != "https://e/animal2"] + [("https://e/animal2", "Ak!", "en", "animals")]
    index.replace([("https://e/animal2", "Ak!", "en", "animals")], version=2, subjects=["https://e/animal2"])
    assert found(None, 3) == expected(None, 3)
    assert found("animals", 3) == ["https://e/animal2", "https://e/animal0", "https://e/animal1"]


def test_search_reads_on_while_an_equally_short_label_may_be_unread(tmp_path: Path) -> None:
    """Ten labels of one length fill more than the first read (``CANDIDATES``, 4 rows for one
    hit); the entity with the least IRI among them was written last, so its row comes last."""
    index = LabelIndex(tmp_path / "search.sqlite")
    index.replace(
        [(f"https://e/z{n}", f"Ak a{n}", "en", "animals") for n in range(10)], version=1, subjects=None
    )
    index.replace([("https://e/a", "Ak aa", "en", "animals")], version=2, subjects=["https://e/a"])
    assert [hit.id for hit in index.search(['"ak"*'], collection=None, limit=1)] == ["https://e/a"]
    assert [hit.id for hit in index.search(['"ak"*'], collection=None, limit=3)] == [
        "https://e/a", "https://e/z0", "https://e/z1"
    ]  # fmt: skip


def test_a_label_written_alike_in_several_languages_is_one_row(tmp_path: Path) -> None:
    """A name is often the same in English, Kyrgyz and without a tag: one row, one match to
    read, with the least tag (what a hit shows, as when each was a row)."""
    index = LabelIndex(tmp_path / "search.sqlite")
    rows = [
        ("https://e/umai", "Umai", "en", "animals"),
        ("https://e/umai", "Umai", "ky", "animals"),
        ("https://e/umai", "Umai", "", "animals"),
        ("https://e/umai", "Умай", "ru", "animals"),
        ("https://e/umai", "Umai", "en", "people"),  # another collection: a row of its own
    ]
    index.replace(rows, version=1, subjects=None)
    db = sqlite3.connect(tmp_path / "search.sqlite")
    assert sorted(db.execute("SELECT label, lang, collection FROM entries")) == [
        ("Umai", "", "animals"), ("Umai", "en", "people"), ("Умай", "ru", "animals")
    ]  # fmt: skip
    [hit] = index.search(['"umai"*'], collection=None, limit=5)
    assert (hit.label, hit.lang, hit.collection) == ("Umai", "", "animals")
    [hit] = index.search(['"umai"*'], collection="people", limit=5)
    assert (hit.label, hit.lang) == ("Umai", "en")


def test_a_refresh_rewrites_only_the_labels_that_changed(tmp_path: Path) -> None:
    """Re-indexing an entity keeps the rows of its labels that stay (the full-text index is
    not written for them), deletes those it lost and adds the new ones; searches see the
    change, other entities are untouched."""
    index = LabelIndex(tmp_path / "search.sqlite")
    before = [
        ("https://e/umai", "Umai", "en", "animals"),
        ("https://e/umai", "Умай", "ru", "animals"),
        ("https://e/umai", "Snow queen", "en", "animals"),
        ("https://e/janish", "Janish", "en", "animals"),
    ]
    index.replace(before, version=1, subjects=None)
    db = sqlite3.connect(tmp_path / "search.sqlite")
    rowids = dict(db.execute("SELECT label, rowid FROM entries"))
    after = [
        ("https://e/umai", "Umai", "en", "animals"),
        ("https://e/umai", "Умай", "ru", "animals"),
        ("https://e/umai", "Umay", "en", "animals"),
    ]
    index.replace(after, version=2, subjects=["https://e/umai"])
    now = dict(db.execute("SELECT label, rowid FROM entries"))
    assert sorted(now) == ["Janish", "Umai", "Umay", "Умай"]
    assert {label: now[label] for label in ("Umai", "Умай", "Janish")} == {
        label: rowids[label] for label in ("Umai", "Умай", "Janish")
    }
    assert [hit.id for hit in index.search(['"snow"*'], collection=None, limit=5)] == []
    assert [hit.label for hit in index.search(['"umay"*'], collection=None, limit=5)] == ["Umay"]
    assert [hit.label for hit in index.search(['"умай"*'], collection=None, limit=5)] == ["Умай"]
    assert [hit.id for hit in index.search(['"janish"*'], collection=None, limit=5)] == ["https://e/janish"]
    # The same label now alike in another language: one row, with the least tag.
    index.replace([*after, ("https://e/umai", "Umai", "", "animals")], version=3, subjects=["https://e/umai"])
    assert sorted(db.execute("SELECT label, lang FROM entries WHERE id = 'https://e/umai'")) == [
        ("Umai", ""), ("Umay", "en"), ("Умай", "ru")
    ]  # fmt: skip
    [hit] = index.search(['"umai"*'], collection=None, limit=5)
    assert (hit.label, hit.lang) == ("Umai", "")


def test_details_are_replaced_in_batches(tmp_path: Path) -> None:
    """A full rebuild writes the members' statements in transactions of their own: every
    row given replaces every row there was."""
    index = LabelIndex(tmp_path / "index.sqlite")
    index.replace_details([("https://e/old", "[]")])
    index.replace_details(
        ((f"https://e/{n}", f'[["p", "l", "{n}", null, null, [], []]]') for n in range(5)), batch=2
    )
    assert index.detail("https://e/old") is None
    assert [index.detail(f"https://e/{n}") is not None for n in range(5)] == [True] * 5
