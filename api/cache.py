"""A bounded cache of query responses, keyed by an ETag that names the store's version and
the request. Every accepted write moves the store's version on (``changes.apply_change``), so
after a write no worker answers from an entry made before it: the key no longer matches.

>>> cache = ResponseCache(max_entries=2, max_bytes=100)
>>> cache.put('"a"', b"x", "text/csv"); cache.get('"a"')
(b'x', 'text/csv')
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

__all__ = ["ResponseCache", "etag_for"]


def etag_for(version: int, *parts: str) -> str:
    """A strong ETag for a response of the store at ``version`` to the request ``parts``."""
    digest = hashlib.sha256("\0".join([str(version), *parts]).encode("utf-8")).hexdigest()
    return f'"v{version}-{digest[:32]}"'


class ResponseCache:
    """Least-recently-used, bounded by entries and by bytes; safe across threads."""

    def __init__(self, *, max_entries: int = 1024, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, etag: str) -> tuple[bytes, str] | None:
        with self._lock:
            entry = self._entries.get(etag)
            if entry is not None:
                self._entries.move_to_end(etag)
            return entry

    def put(self, etag: str, content: bytes, media_type: str) -> None:
        if len(content) > self.max_bytes // 4:
            return  # a few large results must not evict everything else
        with self._lock:
            if etag in self._entries:
                return
            self._entries[etag] = (content, media_type)
            self._bytes += len(content)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (old, _) = self._entries.popitem(last=False)
                self._bytes -= len(old)
