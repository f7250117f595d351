"""Write locks. Engines apply one update atomically, but not all of them serialise concurrent
updates (two Oxigraph transactions can both read version 7 and both write version 8), so
Ilbirs serialises its own writes: with a lock in the process, and across the worker processes
of one host with an advisory file lock (``fcntl.flock``) beside the data.
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
    (every process must use the same path)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._thread_lock = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._thread_lock:
            if self.path is None:
                yield
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
