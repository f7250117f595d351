"""The exceptions of ``ilbirs.graph``: one tree, no HTTP in it.

::

    IlbirsError                      anything this package raises on purpose
    ├── ResourceMissingError         a shipped file (ontology, shapes, data, query) is not installed
    ├── QueryNotFoundError           no SPARQL file of that name in graph/queries/
    ├── StoreError                   the store failed; raised ``from`` the driver's exception
    │   ├── QueryError               the store refused a query (syntax, unsupported feature)
    │   └── QueryTimeoutError             the query ran past its time limit and was stopped
    ├── LimitError                   a request or its result is past a limit of the service
    ├── RefusedError                 the request asks for something the service does not allow
    └── ParseError                   an RDF file cannot be read; says which file and where

``api/errors.py`` maps these to HTTP statuses; the command line maps them to exit codes.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "IlbirsError",
    "InvalidValueError",
    "LimitError",
    "ParseError",
    "QueryError",
    "QueryNotFoundError",
    "QueryTimeoutError",
    "RefusedError",
    "ResourceMissingError",
    "ServiceError",
    "ServiceTimeoutError",
    "StoreError",
]


class IlbirsError(Exception):
    """Base class of every error ``ilbirs.graph`` raises on purpose."""


class ResourceMissingError(IlbirsError):
    """A file that ships with Ilbirs (ontology, shapes, data, query) is not where it should be."""


class QueryNotFoundError(IlbirsError):
    """No SPARQL file of the requested name exists in ``graph/queries/``."""


class StoreError(IlbirsError):
    """The store failed to do what was asked. The driver's exception is the ``__cause__``."""


class QueryError(StoreError):
    """The store refused a query: a syntax error, or a feature it does not support."""


class QueryTimeoutError(StoreError):
    """The query ran past its time limit; the engine was told to stop it (or it stopped itself)."""


class ServiceError(IlbirsError):
    """A ``SERVICE`` call to an allowed endpoint failed: unreachable, an error status, an
    unreadable or oversized answer (the endpoint is named)."""


class ServiceTimeoutError(ServiceError):
    """A ``SERVICE`` call ran past its own time limit."""


class InvalidValueError(IlbirsError):
    """A value a request gives (a filter, a code) is not one this service knows; the message
    names the valid ones."""


class LimitError(IlbirsError):
    """A request, or the result it asks for, is past a limit of the service (rows, bytes)."""


class RefusedError(IlbirsError):
    """The request asks for something this service does not allow (a SERVICE call, a LOAD)."""


class ParseError(IlbirsError):
    """An RDF file could not be parsed.

    >>> print(ParseError(Path("a.ttl"), "unexpected end of file", line=3))
    a.ttl, line 3: unexpected end of file
    """

    def __init__(self, path: Path, reason: str, *, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
