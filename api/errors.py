"""HTTP errors: the one place that knows status codes. Every error is an RFC 9457
``application/problem+json`` body: ``type``, ``title``, ``status``, ``detail``."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from ilbirs.graph.errors import (
    IlbirsError,
    InvalidValueError,
    LimitError,
    ParseError,
    QueryError,
    QueryTimeoutError,
    RefusedError,
    ServiceError,
    ServiceTimeoutError,
    StoreError,
)

__all__ = ["STATUS", "ProblemError", "problem", "problem_for", "status_for"]

#: Exception -> (HTTP status, title, Retry-After seconds), most specific first.
STATUS: list[tuple[type[IlbirsError], int, str, int | None]] = [
    (ServiceTimeoutError, 504, "SERVICE call timed out", None),
    (ServiceError, 502, "SERVICE call failed", None),
    (QueryTimeoutError, 503, "Query timed out", 5),
    (QueryError, 400, "Invalid query", None),
    (RefusedError, 400, "Not allowed", None),
    (LimitError, 400, "Limit exceeded", None),
    (InvalidValueError, 400, "Invalid request", None),
    (ParseError, 400, "Invalid RDF", None),
    (StoreError, 503, "Store unavailable", 5),
    (IlbirsError, 500, "Internal error", None),
]


class ProblemError(Exception):
    """Raised by routes for errors of the HTTP layer itself (a missing parameter, a body too
    large, an unsupported media type); the app turns it into a problem response."""

    def __init__(
        self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers = status, title, detail, headers or {}


def status_for(exc: IlbirsError) -> int:
    """The HTTP status of an Ilbirs error.

    >>> status_for(QueryError("bad")), status_for(QueryTimeoutError("slow"))
    (400, 503)
    """
    return next(status for kind, status, _, _ in STATUS if isinstance(exc, kind))


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    retry_after: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An RFC 9457 problem response."""
    all_headers = dict(headers or {})
    if retry_after is not None:
        all_headers["Retry-After"] = str(retry_after)
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
        headers=all_headers,
    )


def internal_error() -> JSONResponse:
    """The answer to a bug (never a client's fault): the same shape as every other error; the
    bug itself is logged by whoever caught it."""
    # Connection: close: the server closes the connection after a bug (uvicorn does once the
    # app has raised), so a client must not send its next request on it (it would be reset).
    headers = {"Connection": "close"}
    return problem(500, "Internal error", "an unexpected error; it has been logged", headers=headers)


def invalid_http(detail: str) -> JSONResponse:
    """The answer to a request the HTTP parser refuses; the connection then closes."""
    return problem(400, "Invalid HTTP request", detail, headers={"Connection": "close"})


def request_timeout(detail: str) -> JSONResponse:
    """The answer to a client too slow to send its request; the connection then closes."""
    return problem(408, "Request timeout", detail, headers={"Connection": "close"})


def problem_for(exc: IlbirsError) -> JSONResponse:
    """The problem response of an Ilbirs error."""
    status, title, retry_after = next((s, t, r) for kind, s, t, r in STATUS if isinstance(exc, kind))
    return problem(status, title, str(exc), retry_after=retry_after)
