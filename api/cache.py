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

import asyncio
import hashlib
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ilbirs.graph import IlbirsError

__all__ = [
    "API_PREFIX",
    "ASKED_NOW",
    "Answer",
    "AnswerFromCache",
    "RequestKey",
    "ResponseCache",
    "VersionClock",
    "cross_origin",
    "etag_for",
    "request_key",
    "vary_origin",
    "wants_fresh",
    "write_hint",
]


_log = logging.getLogger("ilbirs.api")


def etag_for(version: int, *parts: str) -> str:
    """A strong ETag for a response of the store at ``version`` to the request ``parts``."""
    digest = hashlib.sha256("\0".join([str(version), *parts]).encode("utf-8")).hexdigest()
    return f'"v{version}-{digest[:32]}"'


#: A GET request as it arrived, raw: its scheme and ``Host`` (a query's base IRI is the
#: endpoint's URL, and the JSON API's links are absolute), path, query string, ``Accept``
#: and ``Accept-Language``.
RequestKey = tuple[str, bytes, str, bytes, bytes, bytes]
#: Response headers as ASGI has them.
Headers = tuple[tuple[bytes, bytes], ...]


def _version_of(etag: str) -> int | None:
    """The store version an ETag of :func:`etag_for` names (``None`` for another ETag).

    >>> _version_of(etag_for(12, "q")), _version_of('"x"')
    (12, None)
    """
    found = _ETAG_VERSION.match(etag)
    return int(found[1]) if found else None


_ETAG_VERSION = re.compile(r'^"v(\d+)-')


class ResponseCache:
    """Least-recently-used, bounded by entries and by bytes; safe across threads.

    Besides its ETag, an entry can be found by the raw request that was answered with it
    (:meth:`remember`, :meth:`answer`), so that a request that arrives again, byte for byte,
    is answered without reading it (see :class:`AnswerFromCache`).

    Only the newest store version's entries are kept: an entry made for an older version can
    never be given again (its ETag names that version), so the first entry of a newer one
    drops them all. Otherwise a worker under steady writes filled the cache to its bound with
    dead entries, a new set per version (+140 MiB in 5 minutes at 2 writes/s).

    >>> cache = ResponseCache()
    >>> cache.put(etag_for(1, "q"), b"old", "text/csv"); cache.put(etag_for(2, "q"), b"new", "text/csv")
    >>> len(cache), cache.get(etag_for(1, "q"))
    (1, None)
    """

    def __init__(self, *, max_entries: int = 1024, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self._requests: OrderedDict[RequestKey, tuple[int, str, Headers]] = OrderedDict()
        self._bytes = 0
        self._newest = -1  # the newest store version an entry was made for
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many entries are kept."""
        return len(self._entries)

    @property
    def size(self) -> tuple[int, int, int]:
        """(entries, their bytes, requests remembered): each within the cache's bounds."""
        with self._lock:
            return len(self._entries), self._bytes, len(self._requests)

    def _moved_to(self, version: int | None) -> bool:
        """Note an entry made for ``version``; drop every entry of older versions when it is
        newer than any before. ``False``: it is older, and dead already. Under the lock."""
        if version is None or version == self._newest:
            return True
        if version < self._newest:
            return False
        self._newest = version
        for etag in [e for e in self._entries if (_version_of(e) or version) < version]:
            self._bytes -= len(self._entries.pop(etag)[0])
        for request in [r for r, (v, _, _) in self._requests.items() if v < version]:
            del self._requests[request]
        return True

    def remember(
        self, request: RequestKey, version: int, etag: str, headers: Headers = ((b"vary", b"Accept"),)
    ) -> None:
        """``request``, at store ``version``, is answered by the entry ``etag``, with
        ``headers`` besides its ETag, type and length."""
        with self._lock:
            if not self._moved_to(version):
                return
            self._requests[request] = (version, etag, headers)
            self._requests.move_to_end(request)
            while len(self._requests) > self.max_entries:
                self._requests.popitem(last=False)

    def answer(self, request: RequestKey, version: int) -> tuple[str, bytes, str, Headers] | None:
        """The ETag, content, media type and other headers of the answer to ``request`` at
        ``version``, if kept.

        >>> cache, asked = ResponseCache(), ("http", b"example.org", "/sparql", b"query=q", b"*/*", b"")
        >>> cache.put('"v1-a"', b"x", "text/csv"); cache.remember(asked, 1, '"v1-a"')
        >>> cache.answer(asked, 1), cache.answer(asked, 2)
        (('"v1-a"', b'x', 'text/csv', ((b'vary', b'Accept'),)), None)
        """
        with self._lock:
            found = self._requests.get(request)
            if found is None or found[0] != version:
                return None
            entry = self._entries.get(found[1])
            if entry is None:
                return None
            self._entries.move_to_end(found[1])
            return found[1], entry[0], entry[1], found[2]

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
            if etag in self._entries or not self._moved_to(_version_of(etag)):
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
            stamp = os.stat(self.hint).st_mtime_ns  # noqa: PTH116 - pathlib doubled the cost per request
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

    def read_ahead(self, version: int, started: float) -> None:
        """A reading of the store's version begun at ``started`` (``time.monotonic()``)
        answered ``version``: known from then on, unless something newer was learnt meanwhile.

        >>> clock = VersionClock(ttl_s=60)
        >>> clock.read_ahead(3, time.monotonic()); clock.known()
        3
        >>> started = time.monotonic(); clock.wrote(4); clock.read_ahead(3, started); clock.known()
        4
        """
        with self._lock:
            if self._known is None or self._known[1] <= started:
                self._known = (version, started)

    async def keep_known(self, read: Callable[[], int]) -> None:
        """Read the version (``read()``, in a thread) every half TTL, so that it never
        expires while the store answers: otherwise, once a second, every request that
        arrived before one of them had read it again found it unknown and took the slow way
        (through the routes, a thread and a query each; 5.8 % of a worker's samples in a
        search benchmark at 32 clients, measured). Runs until cancelled; with a TTL under
        20 ms (``0``: read for every query) it does nothing."""
        if self.ttl_s < 0.02:
            return
        while True:
            await asyncio.sleep(self.ttl_s / 2)
            started = time.monotonic()
            try:
                version = await asyncio.to_thread(read)
            except IlbirsError:  # the store does not answer: requests find out for themselves
                continue
            self.read_ahead(version, started)

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
    accept = host = language = b""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return None
        if name == b"accept":
            accept = value if not accept else accept + b"," + value
        elif name == b"accept-language":
            language = value if not language else language + b"," + value
        elif name == b"host":
            host = value
    return str(scope["scheme"]), host, str(scope["path"]), bytes(scope["query_string"]), accept, language


#: The JSON API: its 200 answers are kept here, with an ETag, for the store's version.
API_PREFIX = "/api/v1"


#: Set in a request's scope by a server that asked :meth:`AnswerFromCache.answer_now` already
#: (``http_protocol``): the app does not ask again.
ASKED_NOW = "ilbirs.asked_now"


@dataclass(frozen=True)
class Answer:
    """A whole answer, ready: status, headers (uvicorn adds ``server`` and ``date`` before
    them) and body. An ASGI app that sends it; ``http_protocol`` writes it without one."""

    status: int
    headers: Sequence[tuple[bytes, bytes]]
    body: bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": self.body})


class AnswerFromCache:
    """The app as served (``app.serving_app``): HTTP caching by the store's version, before
    FastAPI (whose per-request work, its telemetry check among it, then goes only to the
    requests that need a route: 15-20 us less per early answer or cache hit, measured).

    - ``GET /sparql``: a request that arrives again, byte for byte (``RequestKey``), while the
      store is at the version its answer was made for, is answered from the cache here, before
      routing, parsing and negotiation: the same status, body and headers (``ETag``,
      ``Vary``, ``Ilbirs-Cache: hit``; 304 for a matching ``If-None-Match``) as the route
      gives a hit. The route tags and keeps its answers (it knows which are this store's).
    - ``GET /api/v1/…``: the same, and here the route's 200 answers are tagged and kept: an
      ``ETag`` naming the version and the request, so clients revalidate with
      ``If-None-Match`` (304), and a repeated request is answered from the cache. An answer
      made while the store's version moved on is passed on untagged.

    ``Cache-Control: no-cache`` gets an answer made afresh (kept for the requests after it).
    An ``/api/v1`` request the cache does not answer goes to ``early`` first (a responder
    for requests it can answer before routing, given the store's version as this worker
    knows it: ``v1.early_answer``), then to the routes.
    Requests with credentials, and every request when anonymous queries are off, go to the
    routes untouched (their checks decide). Every accepted write moves the version on, so no
    answer from before a write is given after it.

    What needs no await (a hit, an early answer from the index) :meth:`answer_now` gives
    whole: ``http_protocol`` asks it before uvicorn builds an ASGI cycle for the request.
    """

    def __init__(
        self, app: FastAPI, early: Callable[[Scope, int | None], ASGIApp | None] | None = None
    ) -> None:
        self.app, self.early = app, early

    def answer_now(self, scope: Scope) -> Answer | None:
        """The answer to ``scope``, when it is made without waiting for anything: a cache hit,
        or an ``/api/v1`` answer that ``early`` gives as a ``Response`` (tagged and kept when a
        200 made at a known version). ``None``: the request goes the ASGI way."""
        if scope["type"] != "http" or scope["method"] != "GET" or cross_origin(scope):
            return None
        answer = self._answer_now(scope)
        if answer is None or not self.app.state.settings.cors_origin_list:
            return answer
        return Answer(answer.status, vary_origin(answer.headers), answer.body)

    def _answer_now(self, scope: Scope) -> Answer | None:
        path = scope["path"]
        api = path == API_PREFIX or path.startswith(API_PREFIX + "/")
        if not api and path != "/sparql":
            return None
        scope["app"] = self.app  # as Starlette sets it: the answers read its state
        state = self.app.state
        key = request_key(scope) if state.settings.anonymous_queries else None
        if key is None:
            return None
        version = state.version_clock.known()
        if version is not None and not wants_fresh(scope["headers"]):
            hit = state.cache.answer(key, version)
            if hit is not None:
                return _hit(scope, *hit)
        if not api:
            return None
        early = self._early(scope, version)
        if not isinstance(early, Response):
            return None
        body = early.body if isinstance(early.body, bytes) else bytes(early.body)
        if early.status_code != 200 or version is None:
            return Answer(early.status_code, early.raw_headers, body)
        return self._tagged(scope, key, version, early.raw_headers, body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            now = None if scope.get(ASKED_NOW) else self.answer_now(scope)
            if now is not None:
                await now(scope, receive, send)
                return
            path = scope["path"]
            api = path == API_PREFIX or path.startswith(API_PREFIX + "/")
            if api or path == "/sparql":
                scope["app"] = self.app
                state = self.app.state
                key = request_key(scope) if state.settings.anonymous_queries else None
                if key is not None:
                    version = state.version_clock.known()
                    if api:  # not answered now: the routes answer, and their 200 is kept
                        await self._keeping(scope, receive, send, key, version)
                        return
                    early = None if cross_origin(scope) else self._early(scope, version)
                    if early is not None and state.settings.cors_origin_list:
                        send = _varying_by_origin(send)
                    await (early or self.app)(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def _early(self, scope: Scope, version: int | None) -> ASGIApp | None:
        """The early answer to the request, if ``early`` gives one (a bug in it is logged and
        leaves the request to the route)."""
        if self.early is None:
            return None
        try:
            return self.early(scope, version)
        except Exception:  # a bug: logged, and the route answers
            _log.exception("the early answer to %s failed", scope["path"])
            return None

    async def _keeping(
        self, scope: Scope, receive: Receive, send: Send, key: RequestKey, before: int | None
    ) -> None:
        """Run the route; tag and keep its 200 answer when the version held meanwhile."""
        messages: list[Message] = []

        async def hold(message: Message) -> None:
            messages.append(message)

        try:
            await self.app(scope, receive, hold)
        except Exception:
            # A bug, answered by the app's handler (a 500 problem) before Starlette raised it
            # again for the server to log: that answer goes out, not the server's plain one.
            for message in messages:
                await send(message)
            raise
        after = self.app.state.version_clock.known()
        start = messages[0] if messages and messages[0]["type"] == "http.response.start" else None
        if start is None or start["status"] != 200 or after is None or before not in (None, after):
            for message in messages:
                await send(message)
            return
        content = b"".join(m.get("body", b"") for m in messages[1:] if m["type"] == "http.response.body")
        await self._tagged(scope, key, after, start["headers"], content)(scope, receive, send)

    def _tagged(
        self,
        scope: Scope,
        key: RequestKey,
        version: int,
        headers: Sequence[tuple[bytes, bytes]],
        content: bytes,
    ) -> Answer:
        """Keep a 200 answer made at ``version``; the answer with its ETag (or a 304). Its
        CORS headers (a cross-origin request's) are not kept: they are that request's."""
        media_type, kept, cors = "", [], []
        for name, value in headers:
            if name == b"content-type":
                media_type = value.decode("latin-1")
            elif name.startswith(b"access-control-"):
                cors.append((name, value))
            elif name != b"content-length":
                kept.append((name, value))
        etag = etag_for(version, *(p if isinstance(p, str) else p.decode("latin-1") for p in key))
        cache = self.app.state.cache
        cache.put(etag, content, media_type)
        cache.remember(key, version, etag, tuple(kept))
        tag = etag.encode("ascii")
        if tag in _if_none_match(scope):
            return Answer(304, [*kept, *cors, (b"etag", tag)], b"")
        return Answer(200, [*headers, (b"etag", tag)], content)


def vary_origin(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``Origin`` added to ``Vary`` as Starlette's ``CORSMiddleware`` adds it
    to the routes' answers to a request without ``Origin`` (a shared cache must not give such an
    answer, without ``Access-Control-Allow-Origin``, to a cross-origin request): for the
    answers made before FastAPI, with CORS on. Kept as they are when they vary by it already.

    >>> vary_origin([(b"vary", b"Accept"), (b"etag", b'"x"')])
    [(b'vary', b'Accept, Origin'), (b'etag', b'"x"')]
    """
    mutable = MutableHeaders(raw=list(headers))
    varies = mutable.getlist("vary")
    if not any("origin" in value.lower() for value in varies):
        mutable["Vary"] = ", ".join([*varies, "Origin"])
    return mutable.raw


def _varying_by_origin(send: Send) -> Send:
    """``send``, the head of the response given ``Vary: Origin`` (:func:`vary_origin`)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": vary_origin(message.get("headers", []))}
        await send(message)

    return sending


def cross_origin(scope: Scope) -> bool:
    """The request carries an ``Origin`` header (a browser's cross-origin request, or its
    POST): the app's CORS middleware must see it, so nothing answers it before the routes.
    (The answers kept here have no CORS headers.)

    >>> cross_origin({"headers": [(b"origin", b"https://a.example")]}), cross_origin({"headers": []})
    (True, False)
    """
    return any(name == b"origin" for name, _ in scope["headers"])


def wants_fresh(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """The request asks for an answer made afresh, not one kept (``Cache-Control: no-cache``,
    or HTTP/1.0's ``Pragma: no-cache``); it is still kept for the requests after it.

    >>> wants_fresh([(b"cache-control", b"max-age=0, No-Cache")]), wants_fresh([])
    (True, False)
    """
    return any(
        name in (b"cache-control", b"pragma") and b"no-cache" in value.lower() for name, value in headers
    )


def _if_none_match(scope: Scope) -> list[bytes]:
    return [
        v.strip() for name, value in scope["headers"] if name == b"if-none-match" for v in value.split(b",")
    ]


def _hit(scope: Scope, etag: str, content: bytes, media_type: str, kept: Headers) -> Answer:
    tag = etag.encode("ascii")
    headers = [*kept, (b"etag", tag)]
    if tag in _if_none_match(scope):
        return Answer(304, headers, b"")
    headers += [
        (b"ilbirs-cache", b"hit"),
        (b"content-length", str(len(content)).encode("ascii")),
        (b"content-type", media_type.encode("ascii")),
    ]
    return Answer(200, headers, content)
