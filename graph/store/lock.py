"""Write locks. Engines apply one update atomically, but not all of them serialise concurrent
updates (two Oxigraph transactions can both read version 7 and both write version 8), so
Ilbirs serialises its own writes: with a lock in the process, and across the worker processes
of one host with an advisory file lock (``fcntl.flock``) beside the data.

The lock is re-entrant within a thread: a writer holds it from reading the store's version
through validation to applying the change (``writes.write``), and the apply step takes it
again (``changes.apply_change``) without waiting for itself.

>>> lock = WriteLock()
>>> with lock(), lock():  # the same thread takes it twice
...     lock.held()
True
>>> lock.held()
False
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["WriteLock"]


class WriteLock:
    """Serialises writes: in this process always, and across processes when ``path`` is given
    (every process must use the same path). Re-entrant within a thread."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0  # how many times the thread that holds the lock has taken it

    def held(self) -> bool:
        """This thread holds the lock."""
        if not self._thread_lock.acquire(blocking=False):
            return False
        try:
            return self._depth > 0
        finally:
            self._thread_lock.release()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth or self.path is None:  # taken again by its holder, or no file
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
                    fcntl.flock(handle, fcntl.LOCK_UN)
