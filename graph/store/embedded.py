"""The embedded store: pyoxigraph, in memory or on disk.

On disk, pyoxigraph's RocksDB store can be opened by one process at a time; the serving
model that lets several workers share one store is the store issue's (see README).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Identifier

from ilbirs.graph.errors import LimitError, ParseError, QueryError, StoreError

from .base import Bindings, QueryDataset, RawResult, Row, Triple, bind_update, bind_values
from .formats import EXPORT_FORMATS, QUAD_FORMATS, format_of, graphs_in
from .lock import WriteLock
from .results import read_graph, read_solutions
from .terms import from_oxigraph

__all__ = ["EmbeddedStore"]


class EmbeddedStore:
    """A pyoxigraph store in memory (``path=None``) or in the directory ``path``.

    >>> store = EmbeddedStore()
    >>> len(store), store.kind, store.persistent
    (0, 'embedded-memory', False)
    """

    def __init__(self, path: Path | None = None) -> None:
        try:
            self._store = ox.Store(str(path)) if path is not None else ox.Store()
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        self.path = path
        self.kind = "embedded-disk" if path is not None else "embedded-memory"
        self.persistent = path is not None
        self.write_lock = WriteLock()  # one process owns an embedded store

    def load_file(
        self, path: Path, *, graph: URIRef | None = None, replace: bool = False, bulk: bool = False
    ) -> int:
        """Load an RDF file; see :meth:`Store.load_file`.

        By default one transaction (all or nothing, even under kill -9). With ``bulk``, the
        file is parse-checked first (a broken file loads nothing) and then written by
        pyoxigraph's bulk loader, about 2.8x faster on 1M quads but not one transaction: a crash
        part-way leaves part of the file (load it again with ``replace``).

        :raises ParseError: the file is not valid RDF (the message names file and line).
        :raises ValueError: the file type is unknown, or ``graph`` does not fit the format.
        """
        fmt = format_of(path)
        if (fmt in QUAD_FORMATS) != (graph is None):
            raise ValueError(
                f"{path}: {'TriG/N-Quads name their own graphs' if graph else 'a graph is required (--graph IRI)'}"
            )
        if replace:
            for name in graphs_in(path, fmt, graph):
                self._store.update(f"DROP SILENT GRAPH {URIRef(name).n3()}")  # n3(): a checked IRI
        before = len(self._store)
        try:
            if bulk:
                for _ in ox.parse(path=str(path), format=fmt):  # the syntax check, before any write
                    pass
            loader = self._store.bulk_load if bulk else self._store.load
            if graph is None:
                loader(path=str(path), format=fmt)
            else:
                loader(path=str(path), format=fmt, to_graph=ox.NamedNode(str(graph)))
        except SyntaxError as exc:
            raise ParseError(path, _reason(exc), line=exc.lineno) from exc
        except OSError as exc:
            raise StoreError(f"cannot load {path}: {exc}") from exc
        return len(self._store) - before

    def select(self, query: str, *, bindings: Bindings | None = None, union: bool = True) -> list[Row]:
        """Run a SELECT query; see :meth:`Store.select`."""
        result = self._query(query, bindings, union)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("not a SELECT query")
        names = [v.value for v in result.variables]
        rows: list[Row] = []
        for solution in result:
            row: Row = {}
            for name in names:
                term = solution[name]
                if term is not None:
                    row[name] = from_oxigraph(term)
            rows.append(row)
        return rows

    def ask(self, query: str, *, bindings: Bindings | None = None, union: bool = True) -> bool:
        """Run an ASK query; see :meth:`Store.ask`."""
        result = self._query(query, bindings, union)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("not an ASK query")
        return bool(result)

    def update(self, update: str, *, bindings: Bindings | None = None) -> None:
        """Run a SPARQL Update atomically; see :meth:`Store.update`."""
        try:
            self._store.update(bind_update(update, bindings))
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL Update: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store failed: {exc}") from exc

    def triples(self) -> Iterator[Triple]:
        """Every distinct triple, all graphs together; see :meth:`Store.triples`."""
        seen: set[tuple[object, object, object]] = set()
        iris: dict[str, URIRef] = {}  # IRIs repeat a lot: convert each once

        def term(node: Any) -> Identifier:
            if isinstance(node, ox.NamedNode):
                iri = iris.get(node.value)
                if iri is None:
                    iri = iris[node.value] = URIRef(node.value)
                return iri
            return from_oxigraph(node)

        for quad in self._store.quads_for_pattern(None, None, None, None):
            key = (quad.subject, quad.predicate, quad.object)
            if key in seen:
                continue
            seen.add(key)
            yield term(quad.subject), term(quad.predicate), term(quad.object)  # type: ignore[misc]

    def dump(self, output: BinaryIO, *, fmt: str = "nquads", graph: URIRef | None = None) -> None:
        """Write every quad (or the triples of ``graph``) to ``output``; see :meth:`Store.dump`."""
        rdf_format = EXPORT_FORMATS[fmt]
        if rdf_format in QUAD_FORMATS and graph is None:
            self._store.dump(output, format=rdf_format)
        elif graph is not None:
            if rdf_format in QUAD_FORMATS:
                quads = self._store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph)))
                ox.serialize(quads, output, format=rdf_format)
            else:
                self._store.dump(output, format=rdf_format, from_graph=ox.NamedNode(str(graph)))
        else:
            raise ValueError(f"{fmt} holds one graph: give the graph to export")

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
        """Run a client's query; see :meth:`Store.execute`. pyoxigraph cannot stop a query, so
        ``timeout_s`` is not applied here: the HTTP service always runs on an engine process
        that can (see README, serving model)."""
        options: dict[str, Any] = {} if own_dataset else {"use_default_graph_as_union": True}
        try:
            if dataset is not None:
                options = {
                    "default_graph": [ox.NamedNode(g) for g in dataset.default],
                    "named_graphs": [ox.NamedNode(g) for g in dataset.named],
                }
            result = self._store.query(query, **options)
            if isinstance(result, ox.QueryTriples):
                body = result.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
            else:
                body = result.serialize(format=ox.QueryResultsFormat.JSON) or b""
        except (SyntaxError, ValueError) as exc:
            raise QueryError(f"invalid SPARQL: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store failed: {exc}") from exc
        if max_bytes is not None and len(body) > max_bytes:
            raise LimitError(f"the result is larger than {max_bytes:,} bytes")
        if isinstance(result, ox.QueryTriples):
            return read_graph(body, what="the embedded store")
        return read_solutions(body, what="the embedded store")

    def __len__(self) -> int:
        return len(self._store)

    def _query(self, query: str, bindings: Bindings | None, union: bool) -> Any:
        try:
            return self._store.query(bind_values(query, bindings), use_default_graph_as_union=union)
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store failed: {exc}") from exc


def _reason(exc: SyntaxError) -> str:
    """The parser's message without the position prefix, which ParseError adds itself."""
    msg = str(exc.msg)
    if msg.startswith("Parser error at line") and ": " in msg:
        return msg.split(": ", 1)[1]
    return msg
