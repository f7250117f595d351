"""The HTTP client of :class:`~ilbirs.graph.store.remote.RemoteStore`: SPARQL Protocol POSTs
over ``http.client`` connections kept open, one per thread and engine.

Chosen by measurement (a 5-row SELECT against a local Oxigraph server, client CPU per query):
SPARQLWrapper 0.31 ms (urllib opens a connection per request), httpx.Client 0.47 ms,
``http.client`` with keep-alive 0.12 ms. Every query of the API pays this, several times for
an entity. HTTP Digest (Virtuoso's update endpoint) goes through a urllib opener of this
client's own: SPARQLWrapper installs its Digest opener for the whole process, where it then
answers every other urllib request's 401 (rdflib's among them) with a ValueError.

A connection the engine closed while idle (it restarted, or dropped a keep-alive) is found
when a request on it fails before any answer: a query is then sent again once, on a new
connection. While a supervised engine restarts (``retry_s``), a query whose connection is lost
or refused is sent again until the engine is back; an update is sent again only when its
connection was refused (then it never reached the engine): one that may have been applied is
never replayed, so it always goes on a new connection and its failure is a
:class:`StoreError`.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from ilbirs.graph.errors import LimitError, QueryError, QueryTimeoutError, StoreError

__all__ = ["SparqlHttp"]

_CHUNK = 1 << 16
#: The connection went before a whole answer came: the engine closed it or ended.
_LOST = (
    http.client.RemoteDisconnected,
    http.client.IncompleteRead,
    ConnectionResetError,
    BrokenPipeError,
    ConnectionAbortedError,
)
#: How many times a query whose connection was lost is sent again while the engine restarts.
_RESENDS = 3


class _Connected(http.client.HTTPConnection):
    """An HTTP connection whose socket ``connect`` opens (an isolated engine's broker)."""

    def __init__(self, netloc: str, *, connect: Callable[[], socket.socket], timeout: float) -> None:
        super().__init__(netloc, timeout=timeout)
        self._open_socket = connect

    def connect(self) -> None:
        self.sock = self._open_socket()
        self.sock.settimeout(self.timeout)


class SparqlHttp:
    """POST forms to SPARQL endpoints, with ``headers`` (authorization) on every request, or
    with HTTP Digest as ``digest`` (user, password); ``connect``, if given, opens every
    connection (an isolated engine, :mod:`~ilbirs.graph.store.isolation`)."""

    def __init__(
        self,
        headers: dict[str, str] | None = None,
        *,
        digest: tuple[str, str] | None = None,
        connect: Callable[[], socket.socket] | None = None,
    ) -> None:
        self.headers = dict(headers or {})
        self.digest = digest
        self.connect = connect
        self._local = threading.local()
        self._open: set[http.client.HTTPConnection] = set()  # of every thread, to close them
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close every connection (of every thread); later requests open new ones."""
        with self._lock:
            connections, self._open = self._open, set()
        for conn in connections:
            conn.close()

    def __del__(self) -> None:
        self.close()

    def _connection(self, scheme: str, netloc: str, timeout: float) -> http.client.HTTPConnection:
        pool: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.setdefault("pool", {})
        conn = pool.get((scheme, netloc))
        if conn is None:
            if self.connect is not None:
                conn = _Connected(netloc, connect=self.connect, timeout=timeout)
            else:
                kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
                conn = kind(netloc, timeout=timeout)
            pool[(scheme, netloc)] = conn
            with self._lock:
                self._open.add(conn)
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop(self, scheme: str, netloc: str) -> None:
        pool: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.get("pool", {})
        conn = pool.pop((scheme, netloc), None)
        if conn is not None:
            conn.close()
            with self._lock:
                self._open.discard(conn)

    def post(
        self,
        url: str,
        params: list[tuple[str, str]],
        *,
        accept: str,
        timeout: float,
        what: str,
        max_bytes: int | None = None,
        retry_s: float = 0.0,
        idempotent: bool = True,
    ) -> bytes:
        """POST ``params`` as a form to ``url`` and read the whole answer (at most
        ``max_bytes``).

        :raises QueryError: the engine refused the request (400), with its words.
        :raises QueryTimeoutError: no answer within ``timeout`` seconds.
        :raises LimitError: the answer is larger than ``max_bytes``.
        :raises StoreError: the engine cannot be reached, or failed. For ``retry_s`` seconds
            after a first failure (the engine is restarting) a refused connection is tried
            again, and so is a lost one when the request is ``idempotent`` (a query).
        """
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = urlencode(params).encode("utf-8")
        headers = {
            **self.headers,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": accept,
        }
        if self.digest is not None:
            return self._post_digest(url, body, headers, timeout=timeout, what=what, max_bytes=max_bytes)
        deadline: float | None = None  # retry_s after the first failure
        resent = 0
        if not idempotent:  # an update goes on a new connection: one found closed could not be retried
            self._drop(parts.scheme, parts.netloc)
        while True:
            conn = self._connection(parts.scheme, parts.netloc, timeout)
            reused = conn.sock is not None
            try:
                conn.request("POST", target, body, headers)
                response = conn.getresponse()
                data = _read(response, max_bytes)
            except LimitError:
                self._drop(parts.scheme, parts.netloc)  # the engine sees the connection go and stops
                raise
            except TimeoutError as exc:
                self._drop(parts.scheme, parts.netloc)
                raise QueryTimeoutError(f"{url} did not answer within {timeout:g} s") from exc
            except _LOST as exc:
                self._drop(parts.scheme, parts.netloc)
                deadline = deadline or time.monotonic() + retry_s
                if idempotent and reused and not resent:
                    resent += 1  # the engine had closed the idle connection: once more, on a new one
                    continue
                if idempotent and resent < _RESENDS and time.monotonic() < deadline:
                    resent += 1  # the engine went away (restarting): a query is sent again
                    time.sleep(0.05)
                    continue
                raise StoreError(f"cannot reach {url}: {exc}") from exc
            except ConnectionRefusedError as exc:
                self._drop(parts.scheme, parts.netloc)
                deadline = deadline or time.monotonic() + retry_s
                if time.monotonic() < deadline:  # it never reached the engine: sent again, update or not
                    time.sleep(0.05)
                    continue
                raise StoreError(f"cannot reach {url}: {exc}") from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop(parts.scheme, parts.netloc)
                raise StoreError(f"cannot reach {url}: {exc}") from exc
            if response.will_close:
                self._drop(parts.scheme, parts.netloc)
            if 200 <= response.status < 300:
                return data
            detail = data.decode("utf-8", "replace")[:500]
            if response.status == 400:
                raise QueryError(f"invalid {what}, the engine said: {detail}")
            raise StoreError(f"{url} answered {response.status}: {detail}")

    def _post_digest(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        *,
        timeout: float,
        what: str,
        max_bytes: int | None,
    ) -> bytes:
        """The same POST through a urllib opener that answers Digest challenges (one per thread)."""
        opener: urllib.request.OpenerDirector | None = self._local.__dict__.get("opener")
        if opener is None:
            assert self.digest is not None
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, url, *self.digest)
            opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
            self._local.opener = opener
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with opener.open(request, timeout=timeout) as response:
                return _read(response, max_bytes)
        except urllib.error.HTTPError as exc:
            with exc:
                detail = exc.read().decode("utf-8", "replace")[:500]
            if exc.code == 400:
                raise QueryError(f"invalid {what}, the engine said: {detail}") from exc
            raise StoreError(f"{url} answered {exc.code}: {detail}") from exc
        except TimeoutError as exc:
            raise QueryTimeoutError(f"{url} did not answer within {timeout:g} s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise QueryTimeoutError(f"{url} did not answer within {timeout:g} s") from exc
            raise StoreError(f"cannot reach {url}: {exc.reason}") from exc
        except OSError as exc:
            raise StoreError(f"cannot reach {url}: {exc}") from exc


def _read(response: http.client.HTTPResponse, max_bytes: int | None) -> bytes:
    if max_bytes is None:
        return response.read()
    chunks, size = [], 0
    while chunk := response.read(_CHUNK):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise LimitError(f"the result is larger than {max_bytes:,} bytes")
    return b"".join(chunks)
