"""A SELECT sent to another SPARQL endpoint (for ``SERVICE``, see ``ilbirs.graph.federation``):
one HTTP request, bounded in time and size, redirects not followed (a redirect could lead off
the allow-list)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from ilbirs.graph.errors import ServiceError, ServiceTimeoutError

__all__ = ["fetch_solutions"]

_RESULTS = "application/sparql-results+json"


def fetch_solutions(endpoint: str, query: str, *, timeout_s: float, max_bytes: int) -> dict[str, Any]:
    """The SPARQL JSON results of ``query`` at ``endpoint``, read within ``timeout_s`` in all.

    :raises ServiceTimeoutError: no whole answer within ``timeout_s``.
    :raises ServiceError: unreachable, an error status, more than ``max_bytes``, or not JSON.
    """
    started = time.monotonic()
    body = bytearray()
    try:
        with httpx.stream(
            "POST",
            endpoint,
            data={"query": query},
            headers={"Accept": _RESULTS},
            timeout=timeout_s,
            follow_redirects=False,
        ) as response:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise ServiceError(f"SERVICE <{endpoint}> sent more than {max_bytes:,} bytes")
                if time.monotonic() - started > timeout_s:
                    raise httpx.ReadTimeout("the whole answer took too long")
            if response.status_code != 200:
                raise ServiceError(
                    f"SERVICE <{endpoint}> answered {response.status_code}: "
                    + bytes(body[:300]).decode("utf-8", "replace")
                )
    except httpx.TimeoutException as exc:
        raise ServiceTimeoutError(f"SERVICE <{endpoint}> did not answer within {timeout_s:g} s") from exc
    except httpx.HTTPError as exc:
        raise ServiceError(f"SERVICE <{endpoint}> cannot be reached: {exc}") from exc
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise ServiceError(f"SERVICE <{endpoint}> sent an unreadable result") from exc
    if not isinstance(doc, dict):
        raise ServiceError(f"SERVICE <{endpoint}> did not answer with SPARQL JSON results")
    return doc
