"""The OpenAPI document as a client developer reads it: every route has its parameters, the
media types of its answers and an example of each, errors are problem+json; and every example
(``api/docs.py``) is what the running service answers for the request it names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from ilbirs.api import docs
from ilbirs.graph.jsonld import CONTEXT

from .test_serve import create_token, start, stop


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(the service's URL, a steward token) of a running ``ilbirs serve``."""
    data_dir: Path = tmp_path_factory.mktemp("openapi") / "data"
    token = create_token(data_dir, "docs")
    process, port = start(data_dir)
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        stop(process)


@pytest.fixture(scope="module")
def base(served: tuple[str, str]) -> str:
    return served[0]


@pytest.fixture(scope="module")
def openapi(base: str) -> dict[str, Any]:
    response = httpx.get(base + "/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def get(url: str, **kwargs: Any) -> httpx.Response:
    response = httpx.get(url, **kwargs)
    assert response.status_code == 200, response.text
    return response


def test_every_route_documents_its_answers_with_examples(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    operations = [(path, method, op) for path, ops in openapi["paths"].items() for method, op in ops.items()]
    assert len(operations) == 14
    ids = [op["operationId"] for _, _, op in operations]
    assert len(ids) == len(set(ids)), "operation ids must be unique (client generators name methods by them)"
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        answers = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert answers, where
        for code, response in op["responses"].items():
            for media_type, body in response.get("content", {}).items():
                schema = schemas.get(body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1], {})
                assert "example" in body or "examples" in schema, f"{where} {code} {media_type}: no example"
            if code.startswith("4"):
                assert list(response["content"]) == ["application/problem+json"], f"{where} {code}"
        assert "422" not in op["responses"] or "shape" in op["responses"]["422"]["description"], where
    sparql_get = openapi["paths"]["/sparql"]["get"]
    assert [p["name"] for p in sparql_get["parameters"]] == ["query", "default-graph-uri", "named-graph-uri"]
    sparql_post = openapi["paths"]["/sparql"]["post"]["requestBody"]["content"]
    assert set(sparql_post) == {
        "application/x-www-form-urlencoded",
        "application/sparql-query",
        "application/sparql-update",
    }
    answers = openapi["paths"]["/sparql"]["get"]["responses"]["200"]["content"]
    assert {"application/sparql-results+json", "text/csv", "text/turtle", "application/ld+json"} <= set(
        answers
    )
    assert [p["name"] for p in openapi["paths"]["/graphs"]["put"]["parameters"]] == ["graph", "default"]
    graphs = openapi["paths"]["/graphs"]
    assert {"201", "204", "422"} <= set(graphs["put"]["responses"]) and "404" not in graphs["put"][
        "responses"
    ]
    assert {"204", "404"} <= set(graphs["delete"]["responses"]) and "201" not in graphs["delete"]["responses"]


def test_the_api_examples_are_what_the_service_answers(base: str) -> None:
    api = base + "/api/v1"
    [animals] = docs.INDEX_EXAMPLE["collections"]
    assert animals in get(api).json()["collections"]

    page = get(api + "/animals", params={"limit": 2}).json()
    assert {**page, "next": None} == {**docs.PAGE_EXAMPLE, "next": None}
    assert _path(page["next"]) == _path(docs.PAGE_EXAMPLE["next"])

    umai = get(api + "/animals/umai").json()
    for key in ("id", "type", "label"):
        assert umai[key] == docs.ENTITY_EXAMPLE[key]
    for shown in docs.ENTITY_EXAMPLE["properties"]:
        [actual] = [p for p in umai["properties"] if p["property"] == shown["property"]]
        assert all(value in actual["values"] for value in shown["values"])
    assert all(source in umai["sources"] for source in docs.ENTITY_EXAMPLE["sources"])

    assert get(api + "/search", params={"q": "umai", "limit": 1}).json() == docs.SEARCH_EXAMPLE
    geo = {"Accept": "application/geo+json"}
    listed = get(api + "/protected-areas", params={"country": "kg", "iucn": "II"}, headers=geo).json()
    assert listed == docs.GEOJSON_PAGE_EXAMPLE
    assert get(api + "/corridors/ak-ilbirs", headers=geo).json() == docs.GEOJSON_FEATURE_EXAMPLE
    document = get(api + "/animals/umai", headers={"Accept": "application/ld+json"}).json()
    [graph] = docs.JSONLD_EXAMPLE["@graph"]
    assert graph in document["@graph"]
    assert get(api + "/context.jsonld").json() == CONTEXT

    missing = httpx.get(api + "/beasts")
    assert missing.status_code == 404 and missing.json() == docs.PROBLEM_EXAMPLE
    assert get(base + "/health").json() == {"status": "alive"}
    assert get(base + "/ready").json() == {"status": "ready", "store": "sparql-http"}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.parametrize("media_type", list(docs.RESULT_EXAMPLES))
def test_the_sparql_examples_are_what_the_service_answers(base: str, media_type: str) -> None:
    response = get(base + "/sparql", params={"query": docs.EXAMPLE_QUERY}, headers={"Accept": media_type})
    example = docs.RESULT_EXAMPLES[media_type]
    assert (response.json() if isinstance(example, dict) else response.text) == example
    constructed = get(
        base + "/sparql",
        params={"query": f"CONSTRUCT WHERE {{ <{docs.UMAI}> <http://rs.tdwg.org/dwc/iri/sex> ?o }}"},
        headers={"Accept": "application/n-triples"},
    )
    assert constructed.text == docs.CONSTRUCT_EXAMPLE
    graph = get(
        base + "/graphs", params={"graph": docs.EN_337535}, headers={"Accept": "application/n-triples"}
    )
    assert docs.GRAPH_LINE in graph.text


def test_the_write_examples_are_what_the_service_answers(served: tuple[str, str]) -> None:
    base, token = served
    auth = {"Authorization": f"Bearer {token}"}
    response = httpx.put(
        base + "/graphs",
        params={"graph": "https://example.org/g"},
        content=docs.GRAPH_LINE,
        headers={**auth, "Content-Type": "text/turtle"},
    )
    assert response.status_code == 201, response.text
    change = response.json()
    assert set(change) == set(docs.CHANGE_EXAMPLE)
    assert change["warnings"] == docs.CHANGE_EXAMPLE["warnings"]
    assert (change["added"], change["removed"]) == (1, 0)
    update = httpx.post(
        base + "/sparql",
        content=docs.EXAMPLE_UPDATE,
        headers={**auth, "Content-Type": "application/sparql-update"},
    )
    assert update.status_code == 200, update.text
