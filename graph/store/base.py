"""The store interface that every implementation meets."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from rdflib.term import Identifier, URIRef

__all__ = ["Bindings", "Row", "Store"]

#: Values for query variables, by variable name without ``?``.
Bindings = Mapping[str, Identifier]
#: One solution of a SELECT query: variable name -> bound term (unbound variables are absent).
Row = dict[str, Identifier]


@runtime_checkable
class Store(Protocol):
    """A quad store that Ilbirs can load into and query.

    Capabilities are attributes, so callers can ask instead of guessing:

    ``kind``
        a short name for reports (``"embedded-memory"``, ``"embedded-disk"``).
    ``persistent``
        whether what is written survives the process.
    """

    kind: str
    persistent: bool

    def load_file(self, path: Path, *, graph: URIRef | None = None) -> int:
        """Load an RDF file atomically and return the number of quads it added.

        Turtle and N-Triples go into ``graph`` (required for them); TriG and N-Quads name
        their own graphs, and ``graph`` must be ``None``.

        :raises ParseError: the file is not valid RDF; the error names the file and line.
        :raises StoreError: the store failed.
        """
        ...

    def select(self, query: str, *, bindings: Bindings | None = None, union: bool = True) -> list[Row]:
        """Run a SPARQL SELECT query and return its rows.

        ``union`` makes the default graph the union of all graphs (the graph *as a whole*);
        ``GRAPH`` clauses still see each named graph.

        :raises QueryError: the store refused the query.
        """
        ...

    def ask(self, query: str, *, bindings: Bindings | None = None, union: bool = True) -> bool:
        """Run a SPARQL ASK query.

        :raises QueryError: the store refused the query.
        """
        ...

    def __len__(self) -> int:
        """The number of quads in the store, all graphs together."""
        ...
