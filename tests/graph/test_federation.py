"""SERVICE to an allowed endpoint: Ilbirs makes the call itself, within the call's own time
limit, and joins the answer; the remote endpoint is a real Oxigraph server process."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ilbirs.graph.errors import RefusedError, ServiceError, ServiceTimeoutError
from ilbirs.graph.service import Limits, run_query
from ilbirs.graph.store import EmbeddedStore, OxigraphServer, RemoteStore

LOCAL = 'INSERT DATA { <https://example.org/umai> <https://example.org/name> "Umai" }'
#: What the remote holds: a label for Umai, and enough triples to make a 4-way join run long.
REMOTE = (
    'INSERT DATA { <https://example.org/umai> <https://example.org/label> "Умай"@ru . '
    + " ".join(f"<https://example.org/n{i}> <https://example.org/p> {i} ." for i in range(300))
    + " }"
)
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?t ?h }"


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The query URL of a real Oxigraph server holding ``REMOTE``."""
    with OxigraphServer(tmp_path_factory.mktemp("remote") / "db") as server:
        RemoteStore(server.query_url, server.update_url).update(REMOTE)
        yield server.query_url


@pytest.fixture
def local() -> EmbeddedStore:
    store = EmbeddedStore()
    store.update(LOCAL)
    return store


def rows(body: bytes) -> list[dict[str, str]]:
    doc = json.loads(body)
    return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]


def test_an_allowed_call_is_joined_with_the_local_data(local: EmbeddedStore, remote: str) -> None:
    query = f"""PREFIX ex: <https://example.org/>
        SELECT ?name ?label WHERE {{ ?a ex:name ?name SERVICE <{remote}> {{ ?a ex:label ?label }} }}"""
    result = run_query(local, query, limits=Limits(services=frozenset({remote})))
    assert rows(result.body) == [{"name": "Umai", "label": "Умай"}]
    doc = json.loads(result.body)
    assert doc["results"]["bindings"][0]["label"]["xml:lang"] == "ru"


def test_an_endpoint_not_on_the_list_is_never_called(local: EmbeddedStore, remote: str) -> None:
    with pytest.raises(RefusedError, match="allow-list"):
        run_query(local, f"SELECT * {{ SERVICE <{remote}> {{ ?s ?p ?o }} }}", limits=Limits())


def test_a_slow_call_is_stopped_at_its_own_limit(local: EmbeddedStore, remote: str) -> None:
    limits = Limits(services=frozenset({remote}), service_timeout_s=1.0, timeout_s=30)
    with pytest.raises(ServiceTimeoutError, match="within 1 s"):
        run_query(local, f"SELECT * {{ SERVICE <{remote}> {{ {SLOW} }} }}", limits=limits)
    # SILENT: the failed call is one empty solution, and the local pattern still answers.
    query = (
        f"SELECT ?name WHERE {{ ?a <https://example.org/name> ?name SERVICE SILENT <{remote}> {{ {SLOW} }} }}"
    )
    assert rows(run_query(local, query, limits=limits).body) == [{"name": "Umai"}]


def test_a_failing_or_unreadable_call_names_the_endpoint(local: EmbeddedStore, remote: str) -> None:
    bad = remote.replace("/query", "/no-such-path")
    with pytest.raises(ServiceError, match="no-such-path"):
        run_query(
            local, f"SELECT * {{ SERVICE <{bad}> {{ ?s ?p ?o }} }}", limits=Limits(services=frozenset({bad}))
        )
    blank = f"SELECT * {{ SERVICE <{remote}> {{ SELECT (BNODE() AS ?b) {{}} }} }}"
    with pytest.raises(ServiceError, match="blank nodes"):
        run_query(local, blank, limits=Limits(services=frozenset({remote})))


def test_a_call_past_the_row_limit_is_an_error(local: EmbeddedStore, remote: str) -> None:
    limits = Limits(services=frozenset({remote}), max_rows=100)
    with pytest.raises(ServiceError, match="more than this service's limit of 100"):
        run_query(local, f"SELECT * {{ SERVICE <{remote}> {{ ?s ?p ?o }} }}", limits=limits)


def test_prefixes_and_escapes_reach_the_endpoint(local: EmbeddedStore, remote: str) -> None:
    """The call is found however SERVICE is written, and the query's prefixes go with it."""
    query = (
        f"PREFIX ex: <https://example.org/> PREFIX remote: <{remote.rsplit('/', 1)[0]}/> "
        "SELECT ?label WHERE { \\u0053ervice remote:query { ex:umai ex:label ?label } }"
    )
    assert rows(run_query(local, query, limits=Limits(services=frozenset({remote}))).body) == [
        {"label": "Умай"}
    ]
