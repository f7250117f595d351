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
    """An index file written by an earlier release lacks tables (``sortkeys``): opened by this
    one, it forgets its version, so the next list or search rebuilds it from the store."""
    index = LabelIndex(tmp_path / "search.sqlite")
    index.replace([("https://e/umai", "Umai", "en", "animals")], version=7, subjects=None)
    assert LabelIndex(tmp_path / "search.sqlite").version == 7  # same layout: kept
    with sqlite3.connect(tmp_path / "search.sqlite") as db:
        db.execute("UPDATE meta SET value = 1 WHERE key = 'layout'")
    assert LabelIndex(tmp_path / "search.sqlite").version is None
