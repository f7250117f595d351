"""SERVICE through ``/sparql`` with an allow-list (``ILBIRS_SERVICE_ALLOW``): a real
``ilbirs serve`` calls a real Oxigraph server, each call within ``ILBIRS_SERVICE_TIMEOUT_S``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ilbirs.graph.store import OxigraphServer, RemoteStore

from .test_serve import start, stop

UMAI = "https://w3id.org/ilbirs/id/animal/umai"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?t ?h }"


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(Ilbirs' /sparql, the allowed remote endpoint)."""
    with OxigraphServer(tmp_path_factory.mktemp("remote") / "db") as remote:
        RemoteStore(remote.query_url, remote.update_url).update(
            f'INSERT DATA {{ <{UMAI}> <https://example.org/keeper> "Altai zoo team" . '
            + " ".join(f"<https://example.org/n{i}> <https://example.org/p> {i} ." for i in range(300))
            + " }"
        )
        env = {"ILBIRS_SERVICE_ALLOW": remote.query_url, "ILBIRS_SERVICE_TIMEOUT_S": "1"}
        process, port = start(tmp_path_factory.mktemp("federated") / "data", env=env)
        try:
            yield f"http://127.0.0.1:{port}/sparql", remote.query_url
        finally:
            stop(process)


def test_an_allowed_call_joins_remote_and_local_facts(endpoints: tuple[str, str]) -> None:
    sparql, remote = endpoints
    query = (
        "SELECT ?name ?keeper WHERE { ?umai <http://rs.tdwg.org/dwc/terms/organismName> ?name "
        f'FILTER (?umai = <{UMAI}> && LANG(?name) = "") SERVICE <{remote}> {{ ?umai <https://example.org/keeper> ?keeper }} }}'
    )
    response = httpx.get(sparql, params={"query": query})
    assert response.status_code == 200, response.text
    assert "ETag" not in response.headers  # another endpoint's data is not this store's to tag
    rows = [(b["name"]["value"], b["keeper"]["value"]) for b in response.json()["results"]["bindings"]]
    assert ("Umai", "Altai zoo team") in rows


def test_a_slow_call_is_a_504_naming_the_endpoint(endpoints: tuple[str, str]) -> None:
    sparql, remote = endpoints
    response = httpx.get(
        sparql, params={"query": f"SELECT * {{ SERVICE <{remote}> {{ {SLOW} }} }}"}, timeout=30
    )
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("application/problem+json")
    assert remote in response.json()["detail"] and "1 s" in response.json()["detail"]
    # other endpoints stay refused
    other = httpx.get(
        sparql, params={"query": "SELECT * { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"}
    )
    assert other.status_code == 400 and remote in other.json()["detail"]


def test_the_service_description_names_the_allowed_endpoint(endpoints: tuple[str, str]) -> None:
    sparql, remote = endpoints
    description = httpx.get(sparql, headers={"Accept": "text/turtle"}).text
    assert "BasicFederatedQuery" in description and remote in description and "1 s per call" in description
