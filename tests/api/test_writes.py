"""Writes as stewards make them, through a real ``ilbirs serve``: SPARQL Update and the Graph
Store Protocol, with tokens and roles, and validation before anything is written.

The Graph Store cases follow the W3C Graph Store Protocol manifest
(w3c/rdf-tests, sparql/sparql11/http-rdf-update), written here for this service.
"""

from __future__ import annotations

import subprocess
import threading
import urllib.error
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from .test_cli import ILBIRS
from .test_serve import start, stop

UMAI = "https://w3id.org/ilbirs/id/animal/umai"
DWC_NAME = "http://rs.tdwg.org/dwc/terms/organismName"
DWCIRI_SEX = rdflib.URIRef("http://rs.tdwg.org/dwc/iri/sex")
EN_GRAPH = "https://w3id.org/ilbirs/graph/24kg-en-337535"
VALID = f'PREFIX dwc: <http://rs.tdwg.org/dwc/terms/> INSERT DATA {{ GRAPH <{EN_GRAPH}> {{ <{UMAI}> dwc:organismName "Umai (test)" }} }}'
#: dwciri:sex must be a concept of the sex scheme: this breaks shapes:Animal-sex.
INVALID = (
    f"PREFIX dwciri: <http://rs.tdwg.org/dwc/iri/> PREFIX dwc: <http://rs.tdwg.org/dwc/terms/> "
    f"INSERT DATA {{ GRAPH <{EN_GRAPH}> {{ <{UMAI}> dwciri:sex <https://w3id.org/ilbirs/vocab/sex/other> . "
    f'<{UMAI}> dwc:organismName "half of an invalid change" }} }}'
)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """(base URL, tokens by role) of a running ``ilbirs serve`` with two workers."""
    data_dir = tmp_path_factory.mktemp("writes") / "data"
    tokens = {}
    assert ILBIRS
    for role in ("reader", "steward"):
        done = subprocess.run(
            [ILBIRS, "token", "create", f"test-{role}", "--role", role, "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            check=True,
        )
        tokens[role] = done.stdout.strip()
        assert tokens[role].startswith("ilb_") and "shown this once" in done.stderr
    process, port = start(data_dir, "--workers", "2")
    try:
        yield f"http://127.0.0.1:{port}", tokens
    finally:
        stop(process)
    listed = subprocess.run(
        [ILBIRS, "token", "list", "--data-dir", str(data_dir)], capture_output=True, text=True, check=True
    )
    assert "test-steward" in listed.stdout and tokens["steward"] not in listed.stdout
    stored = (data_dir / "tokens.json").read_text()
    assert tokens["steward"] not in stored  # kept hashed


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def count(base: str, query: str) -> int:
    response = httpx.get(base + "/sparql", params={"query": query})
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


ALL = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def ask(base: str, query: str) -> bool:
    return bool(httpx.get(base + "/sparql", params={"query": query}).json()["boolean"])


def test_a_write_needs_a_steward_token(service: tuple[str, dict[str, str]]) -> None:
    base, tokens = service
    before = count(base, ALL)
    response = httpx.post(base + "/sparql", data={"update": VALID})
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    response = httpx.post(base + "/sparql", data={"update": VALID}, headers=bearer(tokens["reader"]))
    assert response.status_code == 403 and "steward" in response.json()["detail"]
    response = httpx.post(base + "/sparql", data={"update": VALID}, headers=bearer("ilb_not-a-token"))
    assert response.status_code == 401
    assert count(base, ALL) == before
    # A reader token may query.
    response = httpx.get(base + "/sparql", params={"query": "ASK {}"}, headers=bearer(tokens["reader"]))
    assert response.status_code == 200


def test_a_valid_update_lands_and_is_logged(service: tuple[str, dict[str, str]]) -> None:
    base, tokens = service
    response = httpx.post(
        base + "/sparql",
        data={
            "update": VALID,
            "reason": "spelling seen in a report",
            "source": "https://24.kg/english/337535/",
        },
        headers=bearer(tokens["steward"]),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["added"] == 1 and body["removed"] == 0 and body["version"] >= 1
    logged = httpx.get(
        base + "/sparql",
        params={
            "query": "SELECT ?actor ?reason ?source WHERE { GRAPH <https://w3id.org/ilbirs/graph/system> { "
            f"<{body['change']}> <https://w3id.org/ilbirs/def/actor> ?actor ; <https://w3id.org/ilbirs/def/reason> ?reason ; "
            "<https://w3id.org/ilbirs/def/fromSource> ?source } }"
        },
    ).json()["results"]["bindings"]
    assert [(r["actor"]["value"], r["reason"]["value"], r["source"]["value"]) for r in logged] == [
        ("test-steward", "spelling seen in a report", "https://24.kg/english/337535/")
    ]
    ask = f'ASK {{ GRAPH <{EN_GRAPH}> {{ <{UMAI}> ?p "Umai (test)" }} }}'
    assert httpx.get(base + "/sparql", params={"query": ask}).json()["boolean"] is True


@pytest.mark.parametrize("accept", ["application/json", "text/turtle"])
def test_an_invalid_update_is_refused_whole_with_the_report(
    service: tuple[str, dict[str, str]], accept: str
) -> None:
    base, tokens = service
    before = count(base, ALL)
    response = httpx.post(
        base + "/sparql",
        content=INVALID,
        headers={**bearer(tokens["steward"]), "Content-Type": "application/sparql-update", "Accept": accept},
    )
    assert response.status_code == 422
    if accept == "text/turtle":
        report = [q.triple for q in ox.parse(response.content, format=ox.RdfFormat.TURTLE)]
        shapes = {
            t.object.value for t in report if t.predicate.value == "http://www.w3.org/ns/shacl#sourceShape"
        }
        assert "https://w3id.org/ilbirs/shapes/Animal-sex" in shapes
    else:
        report = response.json()["report"]
        assert report["conforms"] is False
        [violation] = [r for r in report["results"] if r["severity"] == "Violation"]
        assert violation["focus_node"] == UMAI and violation["shape"].endswith("Animal-sex")
        assert "sex scheme" in violation["message"]
    assert count(base, ALL) == before  # nothing half-written: the valid half is not there either
    ask = 'ASK { ?s ?p "half of an invalid change" }'
    assert httpx.get(base + "/sparql", params={"query": ask}).json()["boolean"] is False


def test_updates_that_reach_out_or_touch_the_log_are_refused(service: tuple[str, dict[str, str]]) -> None:
    base, tokens = service
    steward = {**bearer(tokens["steward"]), "Content-Type": "application/sparql-update"}
    for update in (
        "LOAD <http://127.0.0.1:1/data.ttl>",
        "LOAD SILENT <http://127.0.0.1:1/data.ttl> INTO GRAPH <https://example.org/g>",
        "INSERT DATA { GRAPH <https://w3id.org/ilbirs/graph/system> { <https://example.org/a> <https://example.org/b> 1 } }",
        "DROP GRAPH <https://w3id.org/ilbirs/graph/system>",
        "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    ):
        response = httpx.post(base + "/sparql", content=update, headers=steward)
        assert response.status_code == 400, (update, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    response = httpx.post(base + "/sparql", content="INSERT DATA { <a> }", headers=steward)
    assert response.status_code == 400


def test_a_where_update_with_the_protocol_dataset(service: tuple[str, dict[str, str]]) -> None:
    """update_dataset_default_graph: CLEAR, INSERT DATA, then INSERT … WHERE reading using-graph-uri."""
    base, tokens = service
    update = """PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
CLEAR SILENT GRAPH <https://example.org/protocol-update-dataset-test/> ;
INSERT DATA { GRAPH <https://example.org/data1> { <https://example.org/doc1> a foaf:Document } } ;
INSERT { GRAPH <https://example.org/protocol-update-dataset-test/> { ?s a dc:BibliographicResource } }
WHERE { ?s a foaf:Document }"""
    response = httpx.post(
        base + "/sparql",
        params={"using-graph-uri": "https://example.org/data1"},
        content=update,
        headers={**bearer(tokens["steward"]), "Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 200, response.text
    ask = "ASK { GRAPH <https://example.org/protocol-update-dataset-test/> { <https://example.org/doc1> a <http://purl.org/dc/terms/BibliographicResource> } }"
    assert httpx.get(base + "/sparql", params={"query": ask}).json()["boolean"] is True
    # bad_update_dataset_conflict: the dataset given twice.
    response = httpx.post(
        base + "/sparql",
        params={"using-graph-uri": "https://example.org/data1"},
        content="INSERT { GRAPH <https://example.org/x> { ?s ?p ?o } } USING <https://example.org/data1> WHERE { ?s ?p ?o }",
        headers={**bearer(tokens["steward"]), "Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 400


GSP_GRAPH = "https://example.org/person/1"
PERSON = '@prefix foaf: <http://xmlns.com/foaf/0.1/> . <https://example.org/person/1#me> a foaf:Person ; foaf:name "Jane Doe" .'
PERSON_2 = "@prefix foaf: <http://xmlns.com/foaf/0.1/> . <https://example.org/person/1#me> foaf:businessCard [ a <http://www.w3.org/2006/vcard/ns#Work> ] ."


def test_graph_store_protocol(service: tuple[str, dict[str, str]]) -> None:
    base, tokens = service
    url = base + "/graphs"
    steward = bearer(tokens["steward"])
    turtle = {**steward, "Content-Type": "text/turtle"}
    # PUT - Initial state: 201; GET of it
    response = httpx.put(url, params={"graph": GSP_GRAPH}, content=PERSON, headers=turtle)
    assert response.status_code == 201, response.text
    got = httpx.get(url, params={"graph": GSP_GRAPH})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/turtle")
    assert len(list(ox.parse(got.content, format=ox.RdfFormat.TURTLE))) == 2
    # PUT - graph already in store: 204
    response = httpx.put(url, params={"graph": GSP_GRAPH}, content=PERSON, headers=turtle)
    assert response.status_code == 204 and response.content == b""
    # HEAD on an existing graph: 200, no body; on a missing one: 404
    head = httpx.head(url, params={"graph": GSP_GRAPH})
    assert (
        head.status_code == 200
        and head.content == b""
        and head.headers["content-type"].startswith("text/turtle")
    )
    assert httpx.head(url, params={"graph": "https://example.org/missing"}).status_code == 404
    # POST - existing graph: 204; GET of it has both
    response = httpx.post(url, params={"graph": GSP_GRAPH}, content=PERSON_2, headers=turtle)
    assert response.status_code == 204
    got = httpx.get(url, params={"graph": GSP_GRAPH}, headers={"Accept": "application/n-triples"})
    assert len(got.text.strip().splitlines()) == 4
    # POST - multipart/form-data: two files, one request
    files = {
        "a": (
            "a.ttl",
            b'<https://example.org/person/2> <http://xmlns.com/foaf/0.1/name> "Alice" .',
            "text/turtle",
        ),
        "b": (
            "b.nt",
            b'<https://example.org/person/3> <http://xmlns.com/foaf/0.1/name> "Bob" .\n',
            "application/n-triples",
        ),
    }
    response = httpx.post(url, params={"graph": "https://example.org/people"}, files=files, headers=steward)
    assert response.status_code == 201, response.text
    got = httpx.get(
        url, params={"graph": "https://example.org/people"}, headers={"Accept": "application/n-triples"}
    )
    assert sorted(line.split()[0] for line in got.text.strip().splitlines()) == [
        "<https://example.org/person/2>",
        "<https://example.org/person/3>",
    ]
    # PUT - default graph, GET of it
    response = httpx.put(url, params={"default": ""}, content=PERSON, headers=turtle)
    assert response.status_code == 204
    got = httpx.get(url, params={"default": ""}, headers={"Accept": "application/ld+json"})
    assert got.status_code == 200 and "Jane Doe" in got.text
    # PUT - mismatched payload: 400; an unsupported type: 415; a relative graph IRI: 400
    response = httpx.put(url, params={"graph": GSP_GRAPH}, content=b"<rdf:RDF", headers=turtle)
    assert response.status_code == 400 and "request body" in response.json()["detail"]
    response = httpx.put(
        url, params={"graph": GSP_GRAPH}, content=PERSON, headers={**steward, "Content-Type": "image/png"}
    )
    assert response.status_code == 415
    response = httpx.put(url, params={"graph": "person/1"}, content=PERSON, headers=turtle)
    assert response.status_code == 400
    assert httpx.get(url, params={"graph": "person/1"}).status_code == 400
    # a write without a token
    assert (
        httpx.put(
            url, params={"graph": GSP_GRAPH}, content=PERSON, headers={"Content-Type": "text/turtle"}
        ).status_code
        == 401
    )
    # DELETE - existing graph: 204, then GET: 404; DELETE - non-existent graph: 404
    assert httpx.delete(url, params={"graph": GSP_GRAPH}, headers=steward).status_code == 204
    assert httpx.get(url, params={"graph": GSP_GRAPH}).status_code == 404
    assert httpx.delete(url, params={"graph": GSP_GRAPH}, headers=steward).status_code == 404


def test_a_graph_store_write_is_validated(service: tuple[str, dict[str, str]]) -> None:
    base, tokens = service
    body = (
        "@prefix kg: <https://w3id.org/ilbirs/def/> . @prefix dwciri: <http://rs.tdwg.org/dwc/iri/> .\n"
        f"<{UMAI}> dwciri:sex <https://w3id.org/ilbirs/vocab/sex/other> ."
    )
    response = httpx.post(
        base + "/graphs",
        params={"graph": "https://example.org/wrong-sex"},
        content=body,
        headers={**bearer(tokens["steward"]), "Content-Type": "text/turtle"},
    )
    assert response.status_code == 422
    assert response.json()["report"]["counts"]["Violation"] == 1
    assert httpx.get(base + "/graphs", params={"graph": "https://example.org/wrong-sex"}).status_code == 404


def test_sparqlwrapper_queries_in_every_format_and_updates_with_a_token(
    service: tuple[str, dict[str, str]],
) -> None:
    base, tokens = service
    client = SPARQLWrapper(base + "/sparql")
    client.setQuery(f"SELECT ?name WHERE {{ <{UMAI}> <http://rs.tdwg.org/dwc/terms/organismName> ?name }}")
    for fmt in ("json", "xml", "csv", "tsv"):
        client.setReturnFormat(fmt)
        result = client.query()
        assert result.response.status == 200
        converted = result.convert()
        text = (
            converted
            if isinstance(converted, bytes | str)
            else str(converted.toxml() if fmt == "xml" else converted)
        )
        assert "Umai" in (text.decode() if isinstance(text, bytes) else text)
    writer = SPARQLWrapper(base + "/sparql", updateEndpoint=base + "/sparql")
    writer.addCustomHttpHeader("Authorization", f"Bearer {tokens['steward']}")
    writer.setMethod(POST)
    writer.setQuery(
        'INSERT DATA { GRAPH <https://example.org/wrapper> { <https://example.org/w> <https://example.org/p> "via SPARQLWrapper" } }'
    )
    assert writer.query().response.status == 200
    client.setQuery('ASK { ?s ?p "via SPARQLWrapper" }')
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


def test_an_accepted_write_changes_the_etag_and_empties_the_cache(
    service: tuple[str, dict[str, str]],
) -> None:
    base, tokens = service
    query = "SELECT ?o WHERE { <https://example.org/etag> <https://example.org/p> ?o }"
    first = httpx.get(base + "/sparql", params={"query": query})
    for _ in range(3):
        httpx.get(base + "/sparql", params={"query": query})
    update = 'INSERT DATA { GRAPH <https://example.org/etag-test> { <https://example.org/etag> <https://example.org/p> "new" } }'
    assert (
        httpx.post(base + "/sparql", data={"update": update}, headers=bearer(tokens["steward"])).status_code
        == 200
    )
    for _ in range(12):  # every worker, at once (they tell each other through the hint file)
        after = httpx.get(
            base + "/sparql", params={"query": query}, headers={"If-None-Match": first.headers["etag"]}
        )
        assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
        assert after.json()["results"]["bindings"][0]["o"]["value"] == "new"


def test_rdflib_sparqlstore_reads_and_sparqlupdatestore_writes_with_a_token(
    service: tuple[str, dict[str, str]],
) -> None:
    """rdflib's own SPARQL stores, as a partner's Python code would use them; the token goes
    as the password of HTTP Basic (rdflib's ``auth=``), the only scheme rdflib sends."""
    base, tokens = service
    reader = rdflib.Graph(SPARQLStore(base + "/sparql", returnFormat="json"))
    names = {str(o) for o in reader.objects(rdflib.URIRef(UMAI), rdflib.URIRef(DWC_NAME))}
    assert "Umai" in names
    rows = list(reader.query(f"SELECT ?name WHERE {{ <{UMAI}> <{DWC_NAME}> ?name }}"))
    assert any(str(row[0]) == "Umai" for row in rows)
    graph = rdflib.URIRef("https://example.org/rdflib-store")
    store = SPARQLUpdateStore(base + "/sparql", base + "/sparql", auth=("steward", tokens["steward"]))
    written = rdflib.Graph(store, identifier=graph)
    written.add(
        (rdflib.URIRef("https://example.org/r"), rdflib.RDFS.label, rdflib.Literal("via rdflib", lang="en"))
    )
    assert ask(base, 'ASK { GRAPH <https://example.org/rdflib-store> { ?s ?p "via rdflib"@en } }')
    # an invalid write through rdflib is refused whole, and rdflib says so
    invalid = rdflib.Graph(store, identifier=rdflib.URIRef(EN_GRAPH))
    with pytest.raises(urllib.error.HTTPError) as refused:
        invalid.add(
            (rdflib.URIRef(UMAI), DWCIRI_SEX, rdflib.URIRef("https://w3id.org/ilbirs/vocab/sex/other"))
        )
    refused.value.close()  # urllib keeps the socket of an error response open
    assert refused.value.code == 422
    # a wrong password is a 401, a reader's token a 403
    for auth, status in ((("x", "ilb_wrong"), 401), (("reader", tokens["reader"]), 403)):
        other = rdflib.Graph(
            SPARQLUpdateStore(base + "/sparql", base + "/sparql", auth=auth), identifier=graph
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            other.add((rdflib.URIRef("https://example.org/r"), rdflib.RDFS.comment, rdflib.Literal("no")))
        caught.value.close()
        assert caught.value.code == status


def test_curl_as_the_protocol_documents_it(service: tuple[str, dict[str, str]]) -> None:
    """The curl lines of the README: query by GET with Accept, update with a token, Graph
    Store PUT of a file, and a failing request's status (``--fail-with-body``)."""
    base, tokens = service

    def curl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, timeout=60)

    done = curl(
        "-G", base + "/sparql", "-H", "Accept: text/csv", "--data-urlencode",
        f"query=SELECT ?name WHERE {{ <{UMAI}> <{DWC_NAME}> ?name }} ORDER BY ?name",
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.splitlines()[0] == "name" and "Umai" in done.stdout
    done = curl(
        "-X", "POST", base + "/sparql", "-H", f"Authorization: Bearer {tokens['steward']}",
        "--data-urlencode", 'update=INSERT DATA { GRAPH <https://example.org/curl> { <https://example.org/c> <https://example.org/p> "via curl" } }',
        "-w", "%{http_code}",
    )  # fmt: skip
    assert done.stdout.endswith("200"), done.stdout
    done = curl(
        "-X", "PUT", base + "/graphs?graph=https://example.org/curl-file", "-u", f"steward:{tokens['steward']}",
        "-H", "Content-Type: text/turtle", "--data-binary", '<https://example.org/f> <https://example.org/p> "file" .',
        "-w", "%{http_code}",
    )  # fmt: skip
    assert done.stdout.endswith("201"), done.stdout
    assert ask(base, 'ASK { GRAPH <https://example.org/curl-file> { ?s ?p "file" } }')
    done = curl("--fail-with-body", "-G", base + "/sparql", "--data-urlencode", "query=SELECT * {")
    assert done.returncode == 22 and '"status":400' in done.stdout


def test_a_write_to_an_entity_with_a_blank_node_value_is_validated_with_it(
    service: tuple[str, dict[str, str]],
) -> None:
    """Regression: validation could not read a blank-node value (Khan-Tengri's area, a
    quantity with its unit) by value, took the unit for missing, and refused every write that
    touched such an entity with three false Violations."""
    base, tokens = service
    update = (
        "INSERT DATA { GRAPH <https://w3id.org/ilbirs/graph/enwiki-khan-tengri> { "
        '<https://w3id.org/ilbirs/id/protected-area/khan-tengri> <http://www.w3.org/2004/02/skos/core#altLabel> "Khan Tengri park"@en } }'
    )
    response = httpx.post(
        base + "/sparql",
        content=update,
        headers={**bearer(tokens["steward"]), "Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 200, response.text


def test_the_stored_default_graph_can_be_replaced_and_emptied_with_blank_nodes(
    service: tuple[str, dict[str, str]],
) -> None:
    """Regression: once the default graph held blank nodes, nothing could replace or empty it:
    PUT/DELETE ?default, DROP DEFAULT, CLEAR DEFAULT and DELETE WHERE all answered 400 "a blank
    node cannot be removed by value" (the W3C GSP cases default_get, default_post_merge and
    default_delete failed on it). Writes name the stored default graph; queries see the union."""
    base, tokens = service
    steward = {**bearer(tokens["steward"]), "Ilbirs-Reason": "the default graph"}
    turtle = {**steward, "Content-Type": "text/turtle"}
    alice = '@prefix foaf: <http://xmlns.com/foaf/0.1/> . [] a foaf:Person ; foaf:name "Alice" .'
    bob = '@prefix foaf: <http://xmlns.com/foaf/0.1/> . [] a foaf:Person ; foaf:name "Bob" .'
    default_triples = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }"

    def stored() -> rdflib.Graph:
        response = httpx.get(base + "/graphs", params={"default": ""}, headers={"Accept": "text/turtle"})
        assert response.status_code == 200
        return rdflib.Graph().parse(data=response.text, format="turtle")

    for body in (alice, bob):  # the second PUT replaces a default graph holding a blank node
        assert httpx.put(base + "/graphs", params={"default": ""}, headers=turtle, content=body).status_code in (200, 201, 204)  # fmt: skip
        assert sorted(
            str(o) for o in stored().objects(None, rdflib.URIRef("http://xmlns.com/foaf/0.1/name"))
        ) == ["Alice" if body is alice else "Bob"]
    assert httpx.post(base + "/graphs", params={"default": ""}, headers=turtle, content=alice).status_code in (200, 204)  # fmt: skip
    assert len(stored()) == 4  # merged: two people
    assert httpx.delete(base + "/graphs", params={"default": ""}, headers=steward).status_code in (200, 204)
    assert len(stored()) == 0
    for emptying in ("DROP DEFAULT", "CLEAR DEFAULT", "DELETE WHERE { ?s ?p ?o }"):
        insert = 'INSERT DATA { [] <http://xmlns.com/foaf/0.1/name> "Carol" }'
        headers = {**steward, "Content-Type": "application/sparql-update"}
        assert httpx.post(base + "/sparql", headers=headers, content=insert).status_code == 200
        assert len(stored()) == 1
        response = httpx.post(base + "/sparql", headers=headers, content=emptying)
        assert response.status_code == 200, (emptying, response.text)
        assert len(stored()) == 0, emptying
    assert count(base, ALL) > 3000  # the named graphs are untouched
    assert count(base, default_triples) == 0


def test_concurrent_writes_of_different_quads_are_all_accepted(service: tuple[str, dict[str, str]]) -> None:
    """Regression (hardening #16, item 7): writes that do not conflict were refused. Four
    stewards' clients sending INSERT DATA of distinct triples at once through two workers got
    409 "other writers kept changing the store" for 38 % of them: each write read the version,
    validated, then lost the race to apply. Writes now take turns from the version read to the
    apply, so every one lands."""
    base, tokens = service
    writers, each = 8, 5
    graph = "https://w3id.org/ilbirs/graph/enwiki-sary-chelek"
    area = "https://w3id.org/ilbirs/id/protected-area/sary-chelek"
    gate = threading.Barrier(writers)

    def writer(k: int) -> list[httpx.Response]:
        got = []
        with httpx.Client(
            headers={**bearer(tokens["steward"]), "Content-Type": "application/sparql-update"}
        ) as http:
            gate.wait()
            for n in range(each):
                update = (
                    f"INSERT DATA {{ GRAPH <{graph}> {{ <{area}> <http://www.w3.org/2004/02/skos/core#altLabel> "
                    f'"concurrent {k}-{n}"@en }} }}'
                )
                got.append(http.post(base + "/sparql", content=update, timeout=120))
        return got

    with ThreadPoolExecutor(writers) as pool:
        responses = [r for done in pool.map(writer, range(writers)) for r in done]
    assert [r.status_code for r in responses if r.status_code != 200] == [], [
        r.text for r in responses if r.status_code != 200
    ]
    versions = [r.json()["version"] for r in responses]
    assert len(set(versions)) == writers * each  # each write moved the store on by one
    landed = count(
        base, f'SELECT (COUNT(*) AS ?n) WHERE {{ <{area}> ?p ?o FILTER STRSTARTS(?o, "concurrent ") }}'
    )
    assert landed == writers * each
