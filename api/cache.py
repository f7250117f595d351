"""A bounded cache of query responses, keyed by an ETag that names the store's version and
the request. Every accepted write moves the store's version on (``changes.apply_change``), so
after a write no worker answers from an entry made before it: the key no longer matches.

Which version the store is at, a worker learns from ``VersionClock``: the workers of one host
tell each other through a hint file in the data directory the moment they accept a write, and
each also reads the version from the store once per ``ILBIRS_VERSION_TTL_S`` (default 1 s; 0:
for every query) for writes made through other hosts. Reading it for every query costs a
round trip to the engine per request (measured: a cached lookup then answered at 0.65× the
engine's own rate; see the README's benchmark).

>>> cache = ResponseCache(max_entries=2, max_bytes=100)
>>> cache.put('"a"', b"x", "text/csv"); cache.get('"a"')
(b'x', 'text/csv')
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "AnswerFromCache",
    "RequestKey",
    "ResponseCache",
    "VersionClock",
    "etag_for",
    "request_key",
    "write_hint",
]


def etag_for(version: int, *parts: str) -> str:
    """A strong ETag for a response of the store at ``version`` to the request ``parts``."""
    digest = hashlib.sha256("\0".join([str(version), *parts]).encode("utf-8")).hexdigest()
    return f'"v{version}-{digest[:32]}"'


#: A GET request as it arrived: its scheme and ``Host`` (a query's base IRI is the
#: endpoint's URL), its query string and its ``Accept`` header, raw.
RequestKey = tuple[str, bytes, bytes, bytes]


class ResponseCache:
    """Least-recently-used, bounded by entries and by bytes; safe across threads.

    Besides its ETag, an entry can be found by the raw request that was answered with it
    (:meth:`remember`, :meth:`answer`), so that a request that arrives again, byte for byte,
    is answered without reading it (see :class:`AnswerFromCache`).
    """

    def __init__(self, *, max_entries: int = 1024, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self._requests: OrderedDict[RequestKey, tuple[int, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def remember(self, request: RequestKey, version: int, etag: str) -> None:
        """``request``, at store ``version``, is answered by the entry ``etag``."""
        with self._lock:
            self._requests[request] = (version, etag)
            self._requests.move_to_end(request)
            while len(self._requests) > self.max_entries:
                self._requests.popitem(last=False)

    def answer(self, request: RequestKey, version: int) -> tuple[str, bytes, str] | None:
        """The ETag, content and media type that answered ``request`` at ``version``, if kept.

        >>> cache, asked = ResponseCache(), ("http", b"example.org", b"query=q", b"*/*")
        >>> cache.put('"v1-a"', b"x", "text/csv"); cache.remember(asked, 1, '"v1-a"')
        >>> cache.answer(asked, 1), cache.answer(asked, 2)
        (('"v1-a"', b'x', 'text/csv'), None)
        """
        with self._lock:
            found = self._requests.get(request)
            if found is None or found[0] != version:
                return None
            entry = self._entries.get(found[1])
            if entry is None:
                return None
            self._entries.move_to_end(found[1])
            return found[1], entry[0], entry[1]

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


class VersionClock:
    """The store's version as this worker knows it.

    Read from the store (``read()``) when the last reading is older than ``ttl_s``; and at
    once when the ``hint`` file changes: every worker of one ``ilbirs serve`` (and ``ilbirs
    load``) writes the new version there after each accepted write, so the workers of one
    host read their writes at once, without a round trip to the engine per query. Writes
    made through workers on other hosts are seen within ``ttl_s``.

    >>> reads = iter([1, 2])
    >>> clock = VersionClock(ttl_s=60)
    >>> clock.version(lambda: next(reads)), clock.version(lambda: next(reads))
    (1, 1)
    >>> clock.wrote(5); clock.version(lambda: next(reads))
    5
    """

    def __init__(self, *, ttl_s: float = 1.0, hint: Path | None = None) -> None:
        self.ttl_s, self.hint = ttl_s, hint
        self._known: tuple[int, float] | None = None
        self._hint_seen: int | None = None
        self._lock = threading.Lock()

    def _hinted(self) -> int | None:
        """The version in the hint file if it changed since last seen."""
        if self.hint is None:
            return None
        try:
            stamp = self.hint.stat().st_mtime_ns
            if stamp == self._hint_seen:
                return None
            version = int(self.hint.read_text(encoding="ascii"))
        except (OSError, ValueError):
            return None
        self._hint_seen = stamp
        return version

    def known(self) -> int | None:
        """The version when it is known without asking the store (read within the TTL, or
        told by the hint file); ``None`` otherwise. Cheap enough for the event loop."""
        with self._lock:
            hinted = self._hinted()
            if hinted is not None and (self._known is None or hinted >= self._known[0]):
                self._known = (hinted, time.monotonic())
            known = self._known
        if known is not None and time.monotonic() - known[1] < self.ttl_s:
            return known[0]
        return None

    def version(self, read: Callable[[], int]) -> int:
        """The version; ``read()`` asks the store."""
        known = self.known()
        if known is not None:
            return known
        version = read()
        with self._lock:
            self._known = (version, time.monotonic())
        return version

    def wrote(self, version: int) -> None:
        """This worker applied a write that moved the store to ``version``: remember it, and
        tell the other workers through the hint file."""
        with self._lock:
            self._known = (version, time.monotonic())
        if self.hint is not None:
            write_hint(self.hint, version)


def write_hint(hint: Path, version: int) -> None:
    """Write ``version`` to the hint file, whole (a temporary file renamed over it)."""
    temporary = hint.with_name(f"{hint.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(str(version), encoding="ascii")
        temporary.replace(hint)
    except OSError:
        pass  # the hint only saves round trips; the TTL still bounds staleness


def request_key(scope: Scope) -> RequestKey | None:
    """The key of a GET request's answer in :meth:`ResponseCache.answer`; ``None`` for one
    that carries credentials (its answer depends on who asks)."""
    accept = host = b""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return None
        if name == b"accept":
            accept = value if not accept else accept + b"," + value
        elif name == b"host":
            host = value
    return str(scope["scheme"]), host, bytes(scope["query_string"]), accept


class AnswerFromCache:
    """ASGI middleware: a ``GET /sparql`` that arrives again, byte for byte (scheme,
    ``Host``, query string and ``Accept``), while the store is at the version its answer was
    made for, is answered from the cache here, before routing, parsing and negotiation: the
    same status, body and headers (``ETag``, ``Vary``, ``Ilbirs-Cache: hit``; 304 for a
    matching ``If-None-Match``) as the route gives a hit. Requests with credentials, and
    every request when anonymous queries are off, go to the route (its checks decide).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/sparql":
            state = scope["app"].state
            key = request_key(scope) if state.settings.anonymous_queries else None
            version = state.version_clock.known() if key is not None else None
            hit = state.cache.answer(key, version) if key is not None and version is not None else None
            if hit is not None:
                await _send_hit(scope, send, *hit)
                return
        await self.app(scope, receive, send)


async def _send_hit(scope: Scope, send: Send, etag: str, content: bytes, media_type: str) -> None:
    tag = etag.encode("ascii")
    headers = [(b"vary", b"Accept"), (b"etag", tag)]
    matches = [
        v.strip() for name, value in scope["headers"] if name == b"if-none-match" for v in value.split(b",")
    ]
    if tag in matches:
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers += [
        (b"ilbirs-cache", b"hit"),
        (b"content-length", str(len(content)).encode("ascii")),
        (b"content-type", media_type.encode("ascii")),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": content})
