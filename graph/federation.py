"""``SERVICE`` calls to allowed endpoints, made by Ilbirs itself, each within its own limits.

SPARQL 1.1 Federated Query evaluates ``SERVICE <endpoint> { P }`` by sending ``P`` to the
endpoint and joining the solutions it returns. Ilbirs does exactly that before the engine sees
the query: each call to an endpoint on the allow-list is sent with its own time limit (and the
row and byte limits of the query), and its solutions replace the call as a ``VALUES`` block.
So the engine never reaches another host, whichever engine it is; a slow endpoint costs at
most its time limit; and an endpoint not on the list is never called (``service.check_services``
refuses it first).

``SERVICE SILENT``: a call that fails or runs out of time gives one empty solution, as the
specification says. Without SILENT, a failure is a ``ServiceError`` (502) and a time-out a
``ServiceTimeoutError`` (504), naming the endpoint.

Solutions with blank nodes cannot be written as ``VALUES``: such a call is refused (502),
saying so. A call nested in another call's pattern is sent on with it (the remote endpoint
decides); only top-level calls are made here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rdflib import Literal, URIRef

from .errors import ServiceError, ServiceTimeoutError
from .sparql_text import decode_escapes, read_prologue, tokens
from .store.endpoint import fetch_solutions

__all__ = ["ServiceCall", "resolve_services", "service_calls"]


@dataclass(frozen=True)
class ServiceCall:
    """One top-level ``SERVICE`` call in a (decoded) query text: its span ``start``–``end``
    (from the keyword to the closing brace), the endpoint IRI, SILENT or not, and the text of
    its group pattern (braces included)."""

    start: int
    end: int
    endpoint: str
    silent: bool
    pattern: str


def service_calls(text: str) -> list[ServiceCall]:
    """The top-level ``SERVICE`` calls of the decoded query ``text``.

    >>> q = "PREFIX ex: <https://example.org/> SELECT * { ?s ?p ?o SERVICE SILENT ex:sparql { ?s a ?t } }"
    >>> [(c.endpoint, c.silent, c.pattern) for c in service_calls(q)]
    [('https://example.org/sparql', True, '{ ?s a ?t }')]
    """
    toks = tokens(text)
    prologue = read_prologue(toks)
    found: list[ServiceCall] = []
    j = 0
    while j < len(toks):
        if not (toks[j].kind == "word" and toks[j].text.upper() == "SERVICE"):
            j += 1
            continue
        k = j + 1
        silent = k < len(toks) and toks[k].kind == "word" and toks[k].text.upper() == "SILENT"
        k += silent
        if k + 1 >= len(toks) or toks[k + 1].text != "{":
            j += 1
            continue
        endpoint = prologue.resolve(toks[k])
        depth, m = 0, k + 1
        while m < len(toks):
            if toks[m].kind == "other" and toks[m].text == "{":
                depth += 1
            elif toks[m].kind == "other" and toks[m].text == "}":
                depth -= 1
                if depth == 0:
                    break
            m += 1
        if m >= len(toks):
            break  # unbalanced: the engine will say so
        end = toks[m].start + 1
        found.append(ServiceCall(toks[j].start, end, endpoint, silent, text[toks[k + 1].start : end]))
        j = m + 1
    return found


def _values(doc: dict[str, object], endpoint: str) -> str:
    """The solutions of a SPARQL JSON result as a ``VALUES`` block."""
    head = doc.get("head")
    results = doc.get("results")
    if not isinstance(head, dict) or not isinstance(results, dict):
        raise ServiceError(f"SERVICE <{endpoint}> did not answer with SPARQL JSON results")
    names = [str(v) for v in head.get("vars", [])]
    rows = []
    for binding in results.get("bindings", []):
        cells = []
        for name in names:
            value = binding.get(name)
            if value is None:
                cells.append("UNDEF")
            elif value["type"] == "uri":
                cells.append(URIRef(value["value"]).n3())
            elif value["type"] in ("literal", "typed-literal"):
                literal = Literal(
                    value["value"],
                    lang=value.get("xml:lang"),
                    datatype=URIRef(value["datatype"]) if value.get("datatype") else None,
                )
                cells.append(literal.n3())
            else:
                raise ServiceError(
                    f"SERVICE <{endpoint}> answered with blank nodes, which cannot be joined "
                    "with this store's data; project IRIs or literals instead"
                )
        rows.append("(" + " ".join(cells) + ")")
    variables = " ".join(f"?{n}" for n in names)
    return f"{{ VALUES ({variables}) {{ {' '.join(rows)} }} }}"


def _call(call: ServiceCall, prologue: str, *, timeout_s: float, max_rows: int, max_bytes: int) -> str:
    """Send one call's pattern to its endpoint; its solutions as a group with a ``VALUES`` block."""
    query = f"{prologue}\nSELECT * WHERE {call.pattern}"
    doc = fetch_solutions(call.endpoint, query, timeout_s=timeout_s, max_bytes=max_bytes)
    results = doc.get("results")
    rows = results.get("bindings", []) if isinstance(results, dict) else []
    if len(rows) > max_rows:
        raise ServiceError(
            f"SERVICE <{call.endpoint}> answered {len(rows):,} rows, more than this service's limit of {max_rows:,}"
        )
    return _values(doc, call.endpoint)


def resolve_services(
    text: str,
    *,
    timeout_s: float,
    deadline: float,
    max_rows: int,
    max_bytes: int,
) -> str:
    """``text`` with each top-level ``SERVICE`` call replaced by the solutions its endpoint
    returned. Each call may take ``timeout_s``, and all together no later than ``deadline``
    (``time.monotonic()``; the query's own time limit).

    :raises ServiceTimeoutError: a call (not SILENT) ran out of time.
    :raises ServiceError: a call (not SILENT) failed, or answered past the limits.
    """
    decoded = decode_escapes(text)
    calls = service_calls(decoded)
    if not calls:
        return text
    prologue = read_prologue(tokens(decoded)).text
    out, last = [], 0
    for call in calls:
        budget = min(timeout_s, deadline - time.monotonic())
        try:
            if budget <= 0:
                raise ServiceTimeoutError(f"SERVICE <{call.endpoint}>: the query's time limit was used up")
            replacement = _call(call, prologue, timeout_s=budget, max_rows=max_rows, max_bytes=max_bytes)
        except ServiceError:  # a time-out too
            if not call.silent:
                raise
            replacement = "{ VALUES () { () } }"  # SILENT: one empty solution
        out.append(decoded[last : call.start])
        out.append(replacement)
        last = call.end
    out.append(decoded[last:])
    return "".join(out)
