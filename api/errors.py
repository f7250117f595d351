"""HTTP errors: the one place that knows status codes. Every error is an RFC 9457
``application/problem+json`` body."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from ilbirs.graph.errors import IlbirsError, QueryError, StoreError

__all__ = ["STATUS", "problem", "status_for"]

#: Exception -> HTTP status, most specific first.
STATUS: list[tuple[type[IlbirsError], int]] = [
    (QueryError, 400),
    (StoreError, 503),
    (IlbirsError, 500),
]


def status_for(exc: IlbirsError) -> int:
    """The HTTP status of an Ilbirs error.

    >>> status_for(QueryError("bad"))
    400
    """
    return next(status for kind, status in STATUS if isinstance(exc, kind))


def problem(status: int, title: str, detail: str, *, retry_after: int | None = None) -> JSONResponse:
    """An RFC 9457 problem response."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )
