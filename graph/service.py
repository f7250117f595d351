"""The SPARQL service, without HTTP: what a query may do, and its result within the limits.

``run_query`` reads the request's text first (``sparql_text.analyse``): an update sent as a
query, a ``SERVICE`` call to an endpoint not on the allow-list, are refused before any engine
sees them. Calls to allowed endpoints are made by Ilbirs, each within its own time limit, and
their solutions take their place (``federation``). The engine then runs the query under what
is left of the time limit, its result is read whole and checked (``Store.execute``), and a
result past the row limit is an error, never cut short.

>>> from ilbirs.graph.store import EmbeddedStore
>>> run_query(EmbeddedStore(), "ASK { ?s ?p ?o }", limits=Limits()).body
b'{"head":{},"boolean":false}'
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from .errors import LimitError, QueryError, RefusedError
from .federation import resolve_services
from .sparql_parsed import needs_parse
from .sparql_text import SparqlInfo, analyse, check_local, with_base
from .store import RemoteStore, Store
from .store.base import QueryDataset, RawResult
from .store.results import GRAPH_TYPES, RESULT_TYPES

__all__ = ["Limits", "run_query", "run_query_async", "runs_async", "service_description"]

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
_FORMATS = Namespace("http://www.w3.org/ns/formats/")


@dataclass(frozen=True)
class Limits:
    """The bounds on one query.

    ``timeout_s``: time limit; ``max_rows``: solutions or triples in a result; ``max_bytes``:
    size of a result as the engine writes it; ``max_depth``: how deeply brackets may nest in a
    request (deeper, the engine's parser overflows its stack); ``services``: endpoint IRIs
    that ``SERVICE`` may call (none by default); ``service_timeout_s``: the time limit of each
    such call (within the query's own).
    """

    timeout_s: float = 30.0
    max_rows: int = 100_000
    max_depth: int = 100
    max_bytes: int = 64 * 1024 * 1024
    services: frozenset[str] = field(default_factory=frozenset)
    service_timeout_s: float = 10.0


def check_services(services: tuple[str, ...], limits: Limits) -> None:
    """Refuse ``SERVICE`` calls to endpoints not on the allow-list.

    :raises RefusedError: naming the endpoint and how to allow it.
    """
    for endpoint in services:
        if endpoint.startswith(("?", "$")):
            raise RefusedError(
                f"SERVICE with a variable endpoint ({endpoint}) is not allowed: this service calls "
                "only endpoints named in its allow-list (ILBIRS_SERVICE_ALLOW)"
            )
        if endpoint not in limits.services:
            allowed = ", ".join(sorted(limits.services)) or "none"
            raise RefusedError(
                f"SERVICE <{endpoint}> is not allowed: federated queries reach other hosts, and this "
                f"service calls only endpoints on its allow-list (ILBIRS_SERVICE_ALLOW; now: {allowed})"
            )


def check_depth(depth: int, limits: Limits) -> None:
    """:raises LimitError: brackets nest deeper than ``limits.max_depth``."""
    if depth > limits.max_depth:
        raise LimitError(
            f"the request nests brackets {depth} deep; this service accepts at most {limits.max_depth}"
        )


def run_query(
    store: Store,
    text: str,
    *,
    limits: Limits,
    dataset: QueryDataset | None = None,
    info: SparqlInfo | None = None,
    base: str | None = None,
) -> RawResult:
    """Run the SPARQL query ``text`` on ``store`` within ``limits``.

    ``dataset`` is the protocol's dataset (``default-graph-uri`` / ``named-graph-uri``);
    without it, the default graph is the union of all graphs. ``base``: the IRI relative IRIs
    resolve against when the query declares no BASE (the endpoint's URL).

    :raises QueryError: not a query (an update, or no query at all), or the engine refused it.
    :raises RefusedError: a SERVICE call the allow-list does not name.
    :raises ServiceError, ServiceTimeoutError: an allowed SERVICE call (not SILENT) failed or
        ran past its own time limit.
    :raises QueryTimeoutError: it ran past the time limit and was stopped.
    :raises LimitError: the result has more than ``max_rows`` rows or ``max_bytes`` bytes.
    """
    info = info or analyse(text, max_depth=limits.max_depth)  # the caller may have read it already
    check_depth(info.depth, limits)
    if info.is_update:
        raise QueryError("this is a SPARQL Update: send it as `update=` or as application/sparql-update")
    check_services(info.services, limits)
    deadline = time.monotonic() + limits.timeout_s
    if info.services:
        text = resolve_services(
            text,
            timeout_s=limits.service_timeout_s,
            deadline=deadline,
            max_rows=limits.max_rows,
            max_bytes=limits.max_bytes,
        )
    text = with_base(text, info, base)
    check_local(text, update=False)  # what the engine is given reaches no other host
    result = store.execute(
        text,
        form=info.form,
        dataset=dataset,
        own_dataset=info.dataset,  # FROM / FROM NAMED in the text: the protocol's dataset overrides them
        timeout_s=max(1.0, deadline - time.monotonic()),
        max_bytes=limits.max_bytes,
    )
    return _within_rows(result, limits)


def _within_rows(result: RawResult, limits: Limits) -> RawResult:
    """:raises LimitError: the result has more than ``max_rows`` rows (or triples)."""
    if result.size > limits.max_rows:
        unit = "triples" if result.kind == "graph" else "rows"
        raise LimitError(
            f"the result has {result.size:,} {unit}, more than this service's limit of "
            f"{limits.max_rows:,}: add LIMIT (and OFFSET to page through it)"
        )
    return result


def runs_async(store: Store, info: SparqlInfo, limits: Limits, text: str) -> bool:
    """Whether :func:`run_query_async` runs this query (read by ``analyse``) on ``store``: a
    SELECT or ASK the store runs on the event loop (``RemoteStore.executes_async``), with no
    SERVICE call, not an update, within the nesting limit, and spelling none of the words
    that make :func:`check_local` parse it (``text``). Everything else goes through
    :func:`run_query` (its refusals and errors included)."""
    return (
        isinstance(store, RemoteStore)
        and store.executes_async(info.form)
        and not info.is_update
        and not info.dataset  # FROM / FROM NAMED: run_query gives the engine the query's dataset
        and not info.services
        and info.depth <= limits.max_depth
        and not needs_parse(text)  # the parser's check is no work for the event loop
    )


async def run_query_async(
    store: Store, text: str, *, limits: Limits, info: SparqlInfo, base: str | None
) -> RawResult:
    """:func:`run_query` on the event loop, for a query :func:`runs_async` allows (no dataset):
    the same request to the engine, the same result and errors, without a thread.

    :raises QueryError, QueryTimeoutError, LimitError, StoreError: as :func:`run_query`.
    """
    assert isinstance(store, RemoteStore) and runs_async(store, info, limits, text)
    text = with_base(text, info, base)
    assert not needs_parse(text)  # runs_async leaves texts that need the parser to run_query
    result = await store.execute_async(
        text, form=info.form, timeout_s=limits.timeout_s, max_bytes=limits.max_bytes
    )
    return _within_rows(result, limits)


def service_description(endpoint: str, limits: Limits) -> Graph:
    """The SPARQL 1.1 Service Description of the endpoint at ``endpoint``."""
    graph = Graph(bind_namespaces="core")
    graph.bind("sd", SD)
    service = URIRef(endpoint + "#service")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, URIRef(endpoint)))
    for language in (SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update):
        graph.add((service, SD.supportedLanguage, language))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    if limits.services:
        graph.add((service, SD.feature, SD.BasicFederatedQuery))
    names = {
        "application/sparql-results+json": "SPARQL_Results_JSON",
        "application/sparql-results+xml": "SPARQL_Results_XML",
        "text/csv": "SPARQL_Results_CSV",
        "text/tab-separated-values": "SPARQL_Results_TSV",
        "text/turtle": "Turtle",
        "application/n-triples": "N-Triples",
        "application/ld+json": "JSON-LD",
        "application/rdf+xml": "RDF_XML",
    }
    for media_type in [*RESULT_TYPES, *GRAPH_TYPES]:
        if media_type in names:
            graph.add((service, SD.resultFormat, _FORMATS[names[media_type]]))
    limits_text = (
        f"Default graph: the union of all graphs. Limits: {limits.timeout_s:g} s per query, "
        f"{limits.max_rows:,} result rows. SERVICE allowed to: "
        + (", ".join(sorted(limits.services)) or "no endpoint")
        + (f" ({limits.service_timeout_s:g} s per call)" if limits.services else "")
    )
    graph.add((service, RDFS.comment, Literal(limits_text, lang="en")))
    return graph
