"""A store reached over HTTP: any SPARQL 1.1 engine (Oxigraph server, Fuseki, GraphDB,
Virtuoso, ...). Query and update are SPARQL Protocol POSTs over connections kept open
(``store.http``); files are parsed
locally first (so that a broken file sends nothing) and sent through the engine's Graph Store
endpoint, or as SPARQL ``INSERT`` in batches.

Engines differ in a few ways, stated as attributes rather than guessed at run time:
``union_parameter`` (how to ask for the union of all graphs as default graph; ``None`` when
the engine does so by itself, as Virtuoso does).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from typing import Literal as TypingLiteral
from urllib.parse import quote_plus

import httpx
import orjson
import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier

from ilbirs.graph.errors import ParseError, QueryError, QueryTimeoutError, StoreError

from .aio_http import EngineClient
from .base import Bindings, QueryDataset, RawResult, Row, Triple, bind_update, bind_values, with_dataset
from .formats import EXPORT_FORMATS, QUAD_FORMATS, format_of
from .http import SparqlHttp
from .isolation import engine_connector
from .lock import WriteLock
from .results import read_graph, read_solutions
from .server import stop_engine
from .terms import from_oxigraph, to_oxigraph

__all__ = ["Auth", "RemoteStore"]

_BATCH = 5_000  # quads per INSERT DATA request
_RESENDS = 3  # how many times a query whose connection was lost is sent again while the engine restarts
_NO_GRAPH = "urn:ilbirs:no-graph"  # names an empty graph, for an empty default graph or dataset


@dataclass(frozen=True)
class Auth:
    """How to authenticate: ``none``, ``basic`` or ``digest`` (user, password), or ``bearer`` (token)."""

    kind: TypingLiteral["none", "basic", "digest", "bearer"] = "none"
    user: str | None = None
    password: str | None = None
    token: str | None = None


#: What the Oxigraph server appends to a result it stops at its time limit (after a 200).
_CANCELLED = b"operation has been cancelled"


def _loads(text: str | bytes) -> Any:
    """A JSON document, read by orjson (several times faster than ``json``, which reads what
    orjson refuses: a lone surrogate escape, say).

    :raises ValueError: not JSON.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _term(binding: dict[str, str]) -> Identifier:
    """An rdflib term from one SPARQL 1.1 JSON results binding.

    >>> _term({"type": "literal", "value": "Umai", "xml:lang": "en"})
    rdflib.term.Literal('Umai', lang='en')
    """
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":  # Virtuoso names them nodeID://b123, not a valid blank node label
        return BNode(re.sub(r"[^A-Za-z0-9]", "_", value))
    if "xml:lang" in binding:
        return Literal(value, lang=binding["xml:lang"])
    datatype = binding.get("datatype")
    if datatype and datatype != "http://www.w3.org/2001/XMLSchema#string":
        return Literal(value, datatype=URIRef(datatype), normalize=False)  # keep the lexical form
    return Literal(value)


class RemoteStore:
    """A SPARQL 1.1 Query + Update endpoint pair, with optional authentication.

    ``timeout`` is the client-side limit in seconds for one request; ``lock_path`` the file
    that several writing processes on one host lock in turn. ``engine_pid_file`` names a
    supervised Oxigraph server (``ilbirs serve``): a query still running when the socket gives
    up is stopped by killing that process, which its supervisor restarts (see
    :func:`~ilbirs.graph.store.server.stop_engine`); meanwhile requests that cannot connect
    are tried again for ``retry_s`` seconds. ``graph_store_url``, the engine's Graph Store
    Protocol endpoint, is how files load when it is given (one request per graph), else by
    ``INSERT`` batches. ``engine_socket`` names the broker of an engine in its own network
    namespace (:mod:`~ilbirs.graph.store.isolation`): every connection is opened through it.
    """

    kind = "sparql-http"
    persistent = True

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        *,
        auth: Auth | None = None,
        union_parameter: str | None = "union-default-graph",
        timeout: float = 60.0,
        lock_path: Path | None = None,
        dataset_by_protocol: bool = False,
        hidden_graphs: frozenset[str] = frozenset(),
        engine_pid_file: Path | None = None,
        retry_s: float = 0.0,
        graph_store_url: str | None = None,
        engine_socket: Path | None = None,
    ) -> None:
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.auth = auth or Auth()
        self.union_parameter = union_parameter
        self.timeout = timeout
        # Several processes writing to one engine must share lock_path (same host).
        self.write_lock = WriteLock(lock_path)
        # Engines whose default graph is the union of every graph, system graphs included
        # (Virtuoso), get the dataset of each query spelled out as FROM / FROM NAMED clauses,
        # from the graphs that are not hidden. (As protocol parameters, Virtuoso answers with
        # a header per graph, past what Python's HTTP client accepts.)
        self.dataset_by_protocol = dataset_by_protocol
        self.hidden_graphs = hidden_graphs
        self._graphs: list[str] | None = None
        self.engine_pid_file = engine_pid_file
        self.retry_s = retry_s
        # The engine's Graph Store Protocol endpoint: files load through it when it is given.
        self.graph_store_url = graph_store_url
        headers = {}
        if self.auth.kind == "basic":
            secret = f"{self.auth.user or ''}:{self.auth.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(secret).decode("ascii")
        elif self.auth.kind == "bearer":
            headers["Authorization"] = f"Bearer {self.auth.token}"
        digest = (self.auth.user or "", self.auth.password or "") if self.auth.kind == "digest" else None
        if engine_socket is not None and graph_store_url is not None:
            raise ValueError("an isolated engine loads files by INSERT: no graph_store_url")
        self._connect = engine_connector(engine_socket) if engine_socket is not None else None
        self._http = SparqlHttp(headers, digest=digest, connect=self._connect)
        self._clients: dict[asyncio.AbstractEventLoop, EngineClient] = {}

    # -- plumbing ---------------------------------------------------------------------------

    def _post(
        self,
        url: str,
        params: list[tuple[str, str]],
        *,
        accept: str,
        what: str,
        timeout: float | None = None,
        max_bytes: int | None = None,
        update: bool = False,
    ) -> bytes:
        """POST a query or an update (``params``: the form) and read the answer; errors as
        :meth:`SparqlHttp.post` raises them."""
        return self._http.post(
            url,
            params,
            accept=accept,
            timeout=timeout or self.timeout,
            what=what,
            max_bytes=max_bytes,
            retry_s=self.retry_s,
            idempotent=not update,
        )

    def _query(self, query: str, bindings: Bindings | None, union: bool) -> Any:
        text = bind_values(query, bindings)
        if self.dataset_by_protocol:
            graphs = self._user_graphs() or [_NO_GRAPH]
            text = with_dataset(text, graphs if union else [_NO_GRAPH], graphs)
        params = [("query", text)]
        if union and self.union_parameter:
            params.append((self.union_parameter, "true"))
        response = self._post(self.query_url, params, accept="application/sparql-results+json", what="SPARQL")
        try:
            return _loads(response)
        except ValueError as exc:  # e.g. a result cut off by a server-side timeout
            raise StoreError(f"{self.query_url} sent an unreadable result: {exc}") from exc

    def _user_graphs(self) -> list[str]:
        """The named graphs that are not hidden (cached until the next update)."""
        if self._graphs is None:
            query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
            answer = self._post(
                self.query_url, [("query", query)], accept="application/sparql-results+json", what="SPARQL"
            )
            try:
                doc = _loads(answer)
            except ValueError as exc:
                raise StoreError(f"cannot list the graphs of {self.query_url}: {exc}") from exc
            names = {b["g"]["value"] for b in doc["results"]["bindings"]}
            self._graphs = sorted(names - self.hidden_graphs)
        return self._graphs

    def update(self, update: str, *, bindings: Bindings | None = None) -> None:
        """Run a SPARQL 1.1 Update; the engine applies one request atomically.

        :raises QueryError: the engine refused the update.
        :raises StoreError: the engine cannot be reached or failed.
        """
        self._graphs = None
        params = [("update", bind_update(update, bindings))]
        self._post(self.update_url, params, accept="*/*", what="SPARQL Update", update=True)

    # -- the Store interface ----------------------------------------------------------------

    def execute(
        self,
        query: str,
        *,
        form: str,
        dataset: QueryDataset | None = None,
        timeout_s: float | None = None,
        max_bytes: int | None = None,
        own_dataset: bool = False,
    ) -> RawResult:
        """Run a client's query as sent; see :meth:`Store.execute`.

        The engine enforces the time limit where it has one (an Oxigraph server started with
        ``--timeout-s`` appends a cancellation notice to a 200 answer, which is read as
        :class:`QueryTimeoutError`; ``ilbirs serve`` starts its own without: README, "Stopping
        a runaway query"); the socket gives up 2 s after ``timeout_s`` in any case.
        """
        graph = form in ("CONSTRUCT", "DESCRIBE")
        timeout = (timeout_s + 2) if timeout_s is not None else None
        accept = "application/n-triples" if graph else "application/sparql-results+json"
        params = [("query", query)]
        if dataset is None and own_dataset:
            pass  # the engine reads the query's FROM / FROM NAMED itself
        elif dataset is None:
            if self.dataset_by_protocol:
                graphs = self._user_graphs() or [_NO_GRAPH]
                params = [("query", with_dataset(query, graphs, graphs))]
            elif self.union_parameter:
                params.append((self.union_parameter, "true"))
        else:
            params += [("default-graph-uri", name) for name in dataset.default]
            params += [("named-graph-uri", name) for name in dataset.named]
        started = time.monotonic()
        try:
            body = self._post(
                self.query_url, params, accept=accept, what="SPARQL", timeout=timeout, max_bytes=max_bytes
            )
        except QueryTimeoutError as exc:
            raise QueryTimeoutError(self._timed_out(timeout_s, stopped=self._stop_runaway())) from exc
        return self._result(body, graph=graph, started=started, timeout_s=timeout_s)

    def _stop_runaway(self) -> bool:
        """Stop a query past its time limit: kill the supervised engine (its supervisor
        restarts it), under the write lock so that no write of Ilbirs is cut. ``False`` when
        there is no supervised engine (the query was only given up)."""
        if self.engine_pid_file is None:
            return False
        with self.write_lock():
            return stop_engine(self.engine_pid_file)

    def _timed_out(self, timeout_s: float | None, *, stopped: bool) -> str:
        what = "was stopped" if stopped else "was given up"
        return f"the query ran past the time limit of {timeout_s or self.timeout:g} s and {what}"

    def _result(self, body: bytes, *, graph: bool, started: float, timeout_s: float | None) -> RawResult:
        """A client's query's result from the engine's answer (an answer cut by the engine's
        own time limit is a :class:`QueryTimeoutError`)."""
        try:
            return (
                read_graph(body, what=self.query_url) if graph else read_solutions(body, what=self.query_url)
            )
        except StoreError as exc:
            if body.rstrip().endswith(_CANCELLED) or (
                timeout_s is not None and time.monotonic() - started >= timeout_s
            ):
                raise QueryTimeoutError(
                    f"the query ran past its time limit of {timeout_s or self.timeout:g} s and was stopped"
                ) from exc
            raise

    def executes_async(self, form: str) -> bool:
        """Whether :meth:`execute_async` runs a client's query of this form without a dataset:
        a SELECT or ASK, on an engine reached without HTTP Digest, whose union default graph
        is a parameter (not spelled out as FROM clauses)."""
        return form in ("SELECT", "ASK") and self.auth.kind != "digest" and not self.dataset_by_protocol

    async def execute_async(self, query: str, *, form: str, timeout_s: float, max_bytes: int) -> RawResult:
        """:meth:`execute` on the event loop, for what :meth:`executes_async` allows: the same
        request to the engine, the same result and the same errors, without a thread (an
        ``aio_http.EngineClient`` per event loop, its connections kept open). A query past
        ``timeout_s`` is given up 2 s later and stopped as :meth:`execute` stops it (in a
        thread); while the engine restarts, a refused connection is tried again for
        ``retry_s`` seconds, and so is one whose connection was lost (a query may be sent
        again; never an update)."""
        assert self.executes_async(form)
        # The form urlencode writes (quote_plus), written directly: urlencode cost 18 us a query.
        union = f"&{quote_plus(self.union_parameter)}=true" if self.union_parameter else ""
        body = f"query={quote_plus(query, safe='')}{union}".encode("ascii")
        client = self._client()
        started = time.monotonic()
        retry_until: float | None = None  # retry_s after the first failure
        resent = 0
        while True:
            try:
                async with asyncio.timeout(timeout_s + 2):
                    status, data = await client.post(
                        body, accept="application/sparql-results+json", max_bytes=max_bytes
                    )
                break
            except TimeoutError as exc:
                stopped = await asyncio.to_thread(self._stop_runaway)
                raise QueryTimeoutError(self._timed_out(timeout_s, stopped=stopped)) from exc
            except ConnectionError as exc:  # refused, reset, closed before a whole answer
                retry_until = retry_until or time.monotonic() + self.retry_s
                lost = not isinstance(exc, ConnectionRefusedError)
                if time.monotonic() < retry_until and (not lost or resent < _RESENDS):
                    resent += 1 if lost else 0  # the engine is restarting: a query is sent again
                    client.close()
                    await asyncio.sleep(0.05)
                    continue
                raise StoreError(f"cannot reach {self.query_url}: {exc}") from exc
            except OSError as exc:
                raise StoreError(f"cannot reach {self.query_url}: {exc}") from exc
        if not 200 <= status < 300:
            detail = data.decode("utf-8", "replace")[:500]
            if status == 400:
                raise QueryError(f"invalid SPARQL, the engine said: {detail}")
            raise StoreError(f"{self.query_url} answered {status}: {detail}")
        return self._result(data, graph=False, started=started, timeout_s=timeout_s)

    def _client(self) -> EngineClient:
        """This event loop's client (made on first use; :meth:`aclose` closes it)."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = EngineClient(
                self.query_url, self._http.headers, connect=self._connect
            )
        return client

    async def aclose(self) -> None:
        """Close this event loop's connections of :meth:`execute_async`."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            client.close()

    def select(self, query: str, *, bindings: Bindings | None = None, union: bool = True) -> list[Row]:
        """Run a SELECT query; see :meth:`Store.select`."""
        doc = self._query(query, bindings, union)
        if "results" not in doc:
            raise QueryError("not a SELECT query")
        made: dict[str, Identifier] = {}  # one URIRef per IRI of the result (rows repeat them)

        def term(binding: dict[str, str]) -> Identifier:
            if binding["type"] != "uri":
                return _term(binding)
            found = made.get(binding["value"])
            if found is None:
                found = made[binding["value"]] = URIRef(binding["value"])
            return found

        return [{k: term(v) for k, v in b.items()} for b in doc["results"]["bindings"]]

    def ask(self, query: str, *, bindings: Bindings | None = None, union: bool = True) -> bool:
        """Run an ASK query; see :meth:`Store.ask`."""
        doc = self._query(query, bindings, union)
        if "boolean" in doc:
            return bool(doc["boolean"])
        # Virtuoso answers ASK as a table: one row __ASK_RETVAL = 1 when true, no row when false.
        if doc.get("head", {}).get("vars") == ["__ASK_RETVAL"]:
            rows = doc.get("results", {}).get("bindings", [])
            return bool(rows) and str(rows[0]["__ASK_RETVAL"]["value"]) not in ("0", "false")
        raise QueryError("not an ASK query")

    def load_file(
        self, path: Path, *, graph: URIRef | None = None, replace: bool = False, bulk: bool = False
    ) -> int:
        """Parse ``path`` locally, then send it in ``INSERT`` batches; see :meth:`Store.load_file`.

        A file that does not parse sends nothing. Batches are not one transaction: a failure
        part-way leaves the batches already sent. Returns the number of quads sent (quads the
        store already held count too).
        """
        fmt = format_of(path)
        quad_format = fmt in QUAD_FORMATS
        if quad_format != (graph is None):
            raise ValueError(
                f"{path}: {'TriG/N-Quads name their own graphs' if graph else 'a graph is required (--graph IRI)'}"
            )
        try:
            quads = list(ox.parse(path=str(path), format=fmt))
        except SyntaxError as exc:
            raise ParseError(path, str(exc.msg), line=exc.lineno) from exc
        if self.graph_store_url is not None:
            self._graph_store_load(quads, graph, replace=replace)
            return len(quads)
        if replace:
            for name in (
                {graph}
                if graph is not None
                else {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
            ):
                self.update(f"DROP SILENT GRAPH {URIRef(name).n3()}")  # n3(): a checked IRI
        for start in range(0, len(quads), _BATCH):
            # INSERT ... WHERE {} rather than INSERT DATA: Virtuoso refuses blank nodes in DATA.
            self.update("INSERT {\n" + _quad_block(quads[start : start + _BATCH], graph) + "\n} WHERE {}")
        return len(quads)  # what was sent: counting the store before and after is slow on large engines

    def _graph_store_load(self, quads: list[Any], graph: URIRef | None, *, replace: bool) -> None:
        """Send each graph of ``quads`` as N-Triples to the Graph Store Protocol endpoint: POST
        adds, PUT (``replace``) replaces; one request per graph, atomic in the engine."""
        by_graph: dict[str | None, list[Any]] = {}
        for quad in quads:
            name = str(graph) if graph is not None else None
            if name is None and isinstance(quad.graph_name, ox.NamedNode):
                name = quad.graph_name.value
            by_graph.setdefault(name, []).append(quad.triple)
        auth: httpx.Auth | None = None
        headers = {"Content-Type": "application/n-triples"}
        if self.auth.kind == "basic":
            auth = httpx.BasicAuth(self.auth.user or "", self.auth.password or "")
        elif self.auth.kind == "digest":
            auth = httpx.DigestAuth(self.auth.user or "", self.auth.password or "")
        elif self.auth.kind == "bearer":
            headers["Authorization"] = f"Bearer {self.auth.token}"
        self._graphs = None
        url = str(self.graph_store_url)
        with httpx.Client(auth=auth, timeout=self.timeout) as client:
            for name, triples in by_graph.items():
                body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
                params = {"graph": name} if name is not None else {"default": ""}
                try:
                    response = client.request(
                        "PUT" if replace else "POST", url, params=params, content=body, headers=headers
                    )
                except httpx.HTTPError as exc:
                    raise StoreError(f"cannot reach {url}: {exc}") from exc
                if response.status_code >= 300:
                    raise StoreError(f"{url} answered {response.status_code}: {response.text[:300]}")

    def triples(self) -> Iterator[Triple]:
        """Every distinct triple of all graphs; see :meth:`Store.triples`."""
        rows = self.select(
            "SELECT DISTINCT ?s ?p ?o WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }", union=False
        )
        for row in rows:
            yield row["s"], row["p"], row["o"]  # type: ignore[misc]

    def dump(self, output: BinaryIO, *, fmt: str = "nquads", graph: URIRef | None = None) -> None:
        """Write every quad of the named graphs (or the triples of ``graph``); see :meth:`Store.dump`."""
        rdf_format = EXPORT_FORMATS[fmt]
        if graph is None and rdf_format not in QUAD_FORMATS:
            raise ValueError(f"{fmt} holds one graph: give the graph to export")
        query = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
        rows = self.select(query, bindings={"g": graph} if graph is not None else None, union=False)
        quads = [
            ox.Quad(to_oxigraph(r["s"]), to_oxigraph(r["p"]), to_oxigraph(r["o"]), to_oxigraph(r["g"]))  # type: ignore[arg-type]
            for r in rows
        ]
        if rdf_format in QUAD_FORMATS:
            ox.serialize(quads, output, format=rdf_format)
        else:
            ox.serialize([q.triple for q in quads], output, format=rdf_format)

    def __len__(self) -> int:
        rows = self.select(
            "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }", union=False
        )
        return int(str(rows[0]["n"]))


def _quad_block(quads: list[Any], graph: URIRef | None) -> str:
    """``GRAPH <g> { s p o . }`` blocks in N-Triples term syntax, grouped by graph."""
    by_graph: dict[str, list[str]] = {}
    for quad in quads:
        name = str(graph) if graph is not None else None
        if name is None and isinstance(quad.graph_name, ox.NamedNode):
            name = quad.graph_name.value
        line = (
            f"{from_oxigraph(quad.subject).n3()} <{quad.predicate.value}> {from_oxigraph(quad.object).n3()} ."
        )
        by_graph.setdefault(name or "", []).append(line)
    blocks = []
    for name, lines in by_graph.items():
        body = "\n".join(lines)
        blocks.append(f"GRAPH <{name}> {{\n{body}\n}}" if name else body)
    return "\n".join(blocks)
