"""The W3C test suites for the SPARQL 1.1 Protocol and the Graph Store HTTP Protocol, run
against a real ``ilbirs serve`` of its own (these cases drop everything the store holds).

Written here from the manifests of w3c/rdf-tests (``sparql/sparql11/protocol/manifest.ttl``
and ``sparql/sparql11/graph-store-protocol/manifest-indirect.ttl``; Ilbirs identifies graphs
indirectly, by ``?graph=``); each test names its manifest entry. Protocol cases that need
no dropped store are in ``test_sparql.py`` (queries, content types, ``bad_query_*``) and
``test_writes.py`` (``update_dataset_default_graph``, ``bad_update_dataset_conflict``).
Expected statuses are the manifests' (where they allow several, the ones Ilbirs gives).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from .test_serve import create_token, start, stop

KASEI = "http://kasei.us/2009/09/sparql/data/"
FOAF_V = "@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix v: <http://www.w3.org/2006/vcard/ns#> .\n"
JOHN = (
    FOAF_V
    + '<http://www.example/gsp/person/1> a foaf:Person; foaf:businessCard [ a v:VCard; v:fn "John Doe" ].'
)
JANE = (
    FOAF_V
    + '<http://www.example/gsp/person/1> a foaf:Person; foaf:businessCard [ a v:VCard; v:fn "Jane Doe" ].'
)
ALICE = FOAF_V + '[] a foaf:Person; foaf:businessCard [ a v:VCard; v:given-name "Alice" ] .'
PERSON_1 = "http://www.example/gsp/person/1.ttl"
TURTLE = {"Content-Type": "text/turtle; charset=utf-8"}


class Client:
    """One steward's view of the service under test."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.auth = base, {"Authorization": f"Bearer {token}"}

    def update(self, text: str, **params: list[str]) -> httpx.Response:
        headers = {**self.auth, "Content-Type": "application/sparql-update"}
        return httpx.post(self.base + "/sparql", params=params, content=text, headers=headers)

    def ask(self, text: str, **params: list[str]) -> bool:
        headers = {"Content-Type": "application/sparql-query"}
        response = httpx.post(self.base + "/sparql", params=params, content=text, headers=headers)
        assert response.status_code == 200, response.text
        return bool(response.json()["boolean"])

    def gsp(self, method: str, headers: dict[str, str] | None = None, **kwargs: object) -> httpx.Response:
        return httpx.request(
            method, self.base + "/graphs", headers={**self.auth, **(headers or {})}, **kwargs
        )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    data_dir = tmp_path_factory.mktemp("w3c") / "data"
    token = create_token(data_dir, "w3c")
    process, port = start(data_dir, "--workers", "2")
    try:
        yield Client(f"http://127.0.0.1:{port}", token)
    finally:
        stop(process)


def same_graph(response: httpx.Response, turtle: str) -> bool:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    got = Graph().parse(data=response.text, format="turtle")
    return isomorphic(got, Graph().parse(data=turtle, format="turtle"))


# -- SPARQL 1.1 Protocol -----------------------------------------------------------------------


def load_kasei(client: Client) -> None:
    """The suite's data1/2/3 graphs: each holds ``<dataN.rdf> a foaf:Document``."""
    graphs = " ".join(
        f"GRAPH <{KASEI}data{n}.rdf> {{ <{KASEI}data{n}.rdf> a <http://xmlns.com/foaf/0.1/Document> }}"
        for n in (1, 2, 3)
    )
    assert client.update(f"INSERT DATA {{ {graphs} }}").status_code == 200


def test_query_multiple_dataset(client: Client) -> None:
    """The protocol's dataset wins over the query's own FROM."""
    load_kasei(client)
    query = (
        f"ASK FROM <{KASEI}data3.rdf> {{ GRAPH ?g1 {{ <{KASEI}data1.rdf> a ?type }} "
        f"GRAPH ?g2 {{ <{KASEI}data2.rdf> a ?type }} }}"
    )
    assert client.ask(query, **{"named-graph-uri": [f"{KASEI}data1.rdf", f"{KASEI}data2.rdf"]})
    assert not client.ask(query, **{"named-graph-uri": [f"{KASEI}data1.rdf"]})


UPDATE_PROLOGUE = "PREFIX dc: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
DROP_AND_LOAD = (
    UPDATE_PROLOGUE
    + "DROP ALL ;\nINSERT DATA {\n"
    + "\n".join(f"  GRAPH <{KASEI}data{n}.rdf> {{ <{KASEI}data{n}.rdf> a foaf:Document }}" for n in (1, 2, 3))
    + "\n} ;\n"
)


@pytest.mark.parametrize(
    ("target", "where", "dataset"),
    [
        # update_dataset_default_graphs: using-graph-uri makes data1 and data2 the default graph
        ("protocol-update-dataset-graphs-test/", "?s a foaf:Document", "using-graph-uri"),
        # update_dataset_named_graphs: using-named-graph-uri makes them the only named graphs
        (
            "protocol-update-dataset-named-graphs-test/",
            "GRAPH ?g { ?s a foaf:Document }",
            "using-named-graph-uri",
        ),
    ],
)
def test_update_dataset_graphs(client: Client, target: str, where: str, dataset: str) -> None:
    target = "http://example.org/" + target
    update = (
        DROP_AND_LOAD
        + f"INSERT {{ GRAPH <{target}> {{ ?s a dc:BibliographicResource }} }} WHERE {{ {where} }}"
    )
    response = client.update(update, **{dataset: [f"{KASEI}data1.rdf", f"{KASEI}data2.rdf"]})
    assert response.status_code == 200, response.text
    assert client.ask(
        f"ASK {{ GRAPH <{target}> {{ <{KASEI}data1.rdf> a <http://purl.org/dc/terms/BibliographicResource> . "
        f"<{KASEI}data2.rdf> a <http://purl.org/dc/terms/BibliographicResource> }} "
        f"FILTER NOT EXISTS {{ GRAPH <{target}> {{ <{KASEI}data3.rdf> ?p ?o }} }} }}"
    )


def test_update_dataset_full(client: Client) -> None:
    target = "http://example.org/protocol-update-dataset-full-test/"
    update = DROP_AND_LOAD + (
        f"INSERT {{ GRAPH <{target}> {{ ?s <http://example.org/in> ?in }} }}\n"
        "WHERE { { GRAPH ?g { ?s a foaf:Document } BIND (?g AS ?in) } "
        'UNION { ?s a foaf:Document . BIND ("default" AS ?in) } }'
    )
    response = client.update(
        update, **{"using-graph-uri": [f"{KASEI}data1.rdf"], "using-named-graph-uri": [f"{KASEI}data2.rdf"]}
    )
    assert response.status_code == 200, response.text
    assert client.ask(
        f'ASK {{ GRAPH <{target}> {{ <{KASEI}data1.rdf> <http://example.org/in> "default" . '
        f"<{KASEI}data2.rdf> <http://example.org/in> <{KASEI}data2.rdf> }} "
        f"FILTER NOT EXISTS {{ GRAPH <{target}> {{ <{KASEI}data3.rdf> ?p ?o }} }} }}"
    )


def test_update_post_form_and_post_direct(client: Client) -> None:
    """update_post_form, update_post_direct: CLEAR ALL empties the data, never the change log."""
    load_kasei(client)
    form = {**client.auth, "Content-Type": "application/x-www-form-urlencoded"}
    response = httpx.post(client.base + "/sparql", content="update=CLEAR+ALL", headers=form)
    assert response.status_code == 200, response.text
    assert not client.ask(f"ASK {{ GRAPH ?g {{ <{KASEI}data1.rdf> ?p ?o }} }}")
    assert client.update("CLEAR ALL").status_code == 200
    log = "ASK { GRAPH <https://w3id.org/ilbirs/graph/system> { ?change a <https://w3id.org/ilbirs/def/Change> } }"
    assert client.ask(log)


def test_update_base_uri(client: Client) -> None:
    """A relative IRI resolves against the service: the endpoint's URL."""
    graph = "http://example.org/protocol-base-test/"
    update = f"CLEAR GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/s> <http://example.org/p> <test> }} }}"
    assert client.update(update).status_code == 200
    response = httpx.post(
        client.base + "/sparql",
        content=f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ <http://example.org/s> <http://example.org/p> ?o }} }}",
        headers={"Content-Type": "application/sparql-query"},
    )
    [row] = response.json()["results"]["bindings"]
    assert row["o"]["type"] == "uri" and row["o"]["value"] == client.base + "/test"


def test_bad_updates(client: Client) -> None:
    """bad_update_wrong_media_type, bad_update_missing_form_type, bad_update_non_utf8,
    bad_update_syntax: 4xx, and nothing written."""
    url = client.base + "/sparql"
    update = "INSERT DATA { <http://example.org/bad> <http://example.org/p> <http://example.org/o> }"
    cases = [
        (415, update.encode(), "text/plain"),
        (415, b"update=" + update.encode(), None),
        (
            415,
            "INSERT DATA { <http://example.org/bad> <http://example.org/p> 'é' }".encode("utf-16"),
            "application/sparql-update; charset=UTF-16",
        ),
        (400, b"INSERT DATA { <http://example.org/bad> <http://example.org/p> ", "application/sparql-update"),
    ]
    for status, body, media_type in cases:
        headers = {**client.auth, **({"Content-Type": media_type} if media_type else {})}
        response = httpx.post(url, content=body, headers=headers)
        assert response.status_code == status, (media_type, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert not client.ask("ASK { <http://example.org/bad> ?p ?o }")
    # Not in the manifest: moving a graph that does not exist fails (without SILENT).
    response = client.update("MOVE <http://example.org/missing> TO <http://example.org/bad>")
    assert response.status_code == 400 and "does not exist" in response.json()["detail"]
    assert (
        client.update("MOVE SILENT <http://example.org/missing> TO <http://example.org/bad>").status_code
        == 200
    )


# -- Graph Store HTTP Protocol (indirect graph identification) ---------------------------------


def test_put_get_repeat_and_pct_encoded(client: Client) -> None:
    """put_get_repeat_indirect, put_get_uri_pct_encoded_indirect, put_get_uri_pct_encoded_twice."""
    client.gsp("DELETE", params={"graph": PERSON_1})
    assert client.gsp("PUT", TURTLE, params={"graph": PERSON_1}, content=JOHN).status_code == 201
    assert same_graph(client.gsp("GET", {"Accept": "text/turtle"}, params={"graph": PERSON_1}), JOHN)
    # the same IRI percent-encoded in the query string: decoded once
    url = client.base + "/graphs?graph=http://www.example/gsp/person/%31.ttl"
    assert same_graph(httpx.get(url, headers={"Accept": "text/turtle"}), JOHN)
    assert httpx.get(client.base + "/graphs?graph=http://www.example/gsp/person/%2531.ttl").status_code == 404
    assert client.gsp("PUT", TURTLE, params={"graph": PERSON_1}, content=JANE).status_code == 204
    assert same_graph(client.gsp("GET", {"Accept": "text/turtle"}, params={"graph": PERSON_1}), JANE)


def test_put_get_default(client: Client) -> None:
    assert client.gsp("PUT", TURTLE, params={"default": ""}, content=ALICE).status_code == 204
    assert same_graph(client.gsp("GET", {"Accept": "text/turtle"}, params={"default": ""}), ALICE)


def test_default_graph_put_post_merge_and_delete(client: Client) -> None:
    """default_get (a PUT of the default graph over one holding blank nodes, then GET),
    default_post_merge (POST merges into it), default_delete (DELETE empties it): each failed
    with "a blank node cannot be removed by value" while the default graph held blank nodes."""
    default = {"default": ""}
    assert client.gsp("PUT", TURTLE, params=default, content=ALICE).status_code == 204
    assert client.gsp("PUT", TURTLE, params=default, content=JANE).status_code == 204  # replaces
    assert same_graph(client.gsp("GET", {"Accept": "text/turtle"}, params=default), JANE)
    assert client.gsp("POST", TURTLE, params=default, content=ALICE).status_code == 204
    merged = Graph().parse(data=JANE, format="turtle") + Graph().parse(data=ALICE, format="turtle")
    got = client.gsp("GET", {"Accept": "text/turtle"}, params=default)
    assert isomorphic(Graph().parse(data=got.text, format="turtle"), merged)
    assert client.gsp("DELETE", params=default).status_code == 204
    emptied = client.gsp("GET", {"Accept": "text/turtle"}, params=default)
    assert emptied.status_code == 200 and len(Graph().parse(data=emptied.text, format="turtle")) == 0


def test_put_delete_get_delete(client: Client) -> None:
    graph = {"graph": "http://www.example/gsp/person/2.ttl"}
    assert client.gsp("PUT", TURTLE, params=graph, content=ALICE).status_code == 201
    assert client.gsp("DELETE", params=graph).status_code == 204
    assert client.gsp("GET", params=graph).status_code == 404
    assert client.gsp("DELETE", params=graph).status_code == 404


def test_post_get_post_get(client: Client) -> None:
    """POST, then POST as multipart/form-data (the manifest's own body, boundary and all)."""
    client.gsp("DELETE", params={"graph": PERSON_1})
    assert client.gsp("POST", TURTLE, params={"graph": PERSON_1}, content=JANE).status_code == 201
    assert same_graph(client.gsp("GET", {"Accept": "text/turtle"}, params={"graph": PERSON_1}), JANE)
    boundary = "a6fe4cd636164618814be9f8d3d1a0de"
    parts = [
        ("lastName.ttl", '<http://www.example/gsp/person/1> foaf:familyName "Doe" .'),
        ("firstName.ttl", '<http://www.example/gsp/person/1> foaf:givenName "Jane" .'),
    ]
    body = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
            f"Content-Type: text/turtle; charset=utf-8\r\n\r\n"
            f"@prefix foaf: <http://xmlns.com/foaf/0.1/> .\r\n{triple}\r\n\r\n"
            for name, triple in parts
        )
        + f"--{boundary}--\r\n"
    )
    multipart = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = client.gsp("POST", multipart, params={"graph": PERSON_1}, content=body.encode())
    assert response.status_code == 204, response.text
    expected = JANE + '\n<http://www.example/gsp/person/1> foaf:givenName "Jane"; foaf:familyName "Doe" .'
    assert same_graph(client.gsp("GET", {"Accept": "text/turtle"}, params={"graph": PERSON_1}), expected)


def test_post_get_new_graph(client: Client) -> None:
    """A POST to the graph store itself creates a graph: 201, its IRI in Location."""
    response = client.gsp("POST", TURTLE, content=ALICE)
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.startswith("https://w3id.org/ilbirs/graph/upload/")
    assert same_graph(client.gsp("GET", {"Accept": "text/turtle"}, params={"graph": location}), ALICE)


def test_head_existing_and_non_existing(client: Client) -> None:
    """head_existing_indirect, head_non_existing_indirect."""
    assert client.gsp("PUT", TURTLE, params={"graph": PERSON_1}, content=JOHN).status_code in (201, 204)
    head = client.gsp("HEAD", {"Accept": "text/turtle; charset=utf-8"}, params={"graph": PERSON_1})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == "text/turtle; charset=utf-8"
    missing = {"graph": "http://www.example/gsp/person/4.ttl"}
    assert client.gsp("HEAD", {"Accept": "text/turtle; charset=utf-8"}, params=missing).status_code == 404
