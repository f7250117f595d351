"""Uploads that would exhaust a worker, refused with a reason (hardening issue, item 3), and one
charset rule for ``/graphs`` and ``/sparql`` (item 13): the real app in-process, on a real
embedded store, with a steward token; and a real ``ilbirs serve`` that survives the uploads
that used to kill it."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ilbirs.api.cache import ResponseCache, VersionClock
from ilbirs.api.settings import Settings
from ilbirs.graph import load_bundle
from ilbirs.graph.changes import current_version
from ilbirs.graph.search import Search
from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.store.search_index import LabelIndex

from .test_serve import create_token, get, start, stop

GRAPH = "https://example.org/upload-test"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def deep_jsonld(depth: int) -> bytes:
    """A node whose one property holds a node, and so on ``depth`` levels down."""
    doc = '"leaf"'
    for _ in range(depth):
        doc = '{"https://example.org/p": ' + doc + "}"
    return doc.encode()


def laughs(levels: int, *, in_attribute: bool = False) -> bytes:
    """RDF/XML with "billion laughs" entities: each level ten references to the one below, so
    the last expands to 3 x 10^levels characters."""
    decls = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, levels + 1)
    )
    use = f"&l{levels};"
    about = use if in_attribute else "https://example.org/s"
    text = "x" if in_attribute else use
    return (
        f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{decls}]>'
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:e="https://example.org/">'
        f'<rdf:Description rdf:about="{about}"><e:p>{text}</e:p></rdf:Description></rdf:RDF>'
    ).encode()


def deep_rdf_xml(depth: int) -> bytes:
    nested = "<e:p><rdf:Description>" * depth + "</rdf:Description></e:p>" * depth
    return (
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:e="https://example.org/">'
        f'<rdf:Description rdf:about="https://example.org/s">{nested}</rdf:Description></rdf:RDF>'
    ).encode()


def many_triples(media_type: str, n: int) -> bytes:
    """``n`` distinct triples in ``media_type``, written as compactly as the format allows."""
    if media_type == "text/turtle":  # a collection: one byte of `(` per two triples
        return ("<https://example.org/s> <https://example.org/p> " + "( " * n + ")" * n + " .").encode()
    if media_type == "application/n-triples":
        return "".join(
            f'<https://example.org/s> <https://example.org/p> "{i}" .\n' for i in range(n)
        ).encode()
    if media_type == "application/ld+json":
        values = ", ".join(str(i) for i in range(n))
        return f'{{"@id": "https://example.org/s", "https://example.org/p": [{values}]}}'.encode()
    items = "".join(f"<e:p>{i}</e:p>" for i in range(n))
    return (
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:e="https://example.org/">'
        f'<rdf:Description rdf:about="https://example.org/s">{items}</rdf:Description></rdf:RDF>'
    ).encode()


@pytest.fixture(scope="module")
def app_and_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    """The app on an embedded store holding the bundle, limits small enough to reach
    in a test: 1,000 triples, 100 kB of entity expansion; a steward's token."""
    from ilbirs.api.app import create_app
    from ilbirs.api.tokens import TokenStore

    tmp = tmp_path_factory.mktemp("uploads")
    settings = Settings(data_dir=tmp, max_upload_triples=1000, max_entity_bytes=100_000)
    app = create_app(settings)
    store = EmbeddedStore()
    load_bundle(store)
    tokens = TokenStore(settings.tokens_path)
    secret = tokens.create("steward", "steward")
    search = Search(LabelIndex(settings.search_index_path))
    search.rebuild(store, version=current_version(store))
    for name, value in dict(settings=settings, store=store, tokens=tokens, cache=ResponseCache(), search=search,
                            version_clock=VersionClock(ttl_s=0)).items():  # fmt: skip
        setattr(app.state, name, value)
    yield app, secret


def send(
    app_and_token: tuple[object, str],
    body: bytes,
    content_type: str,
    path: str = "/graphs",
    method: str = "PUT",
) -> httpx.Response:
    app, secret = app_and_token

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = {"Content-Type": content_type, "Authorization": f"Bearer {secret}"}
            params = {"graph": GRAPH} if path == "/graphs" else {}
            return await client.request(method, path, params=params, content=body, headers=headers)

    return asyncio.run(go())


def refused(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    for word in words:
        assert word in detail, detail


def test_deeply_nested_jsonld_is_refused(app_and_token: tuple[object, str]) -> None:
    """Regression (hardening item 3): JSON-LD nested 4,000-5,000 deep made the worker segfault
    (Oxigraph's expansion recurses per level; from 3,500 levels the stack overflows, and below
    that memory grows with the square of the depth: 1,000 levels took 213 MB). 500 levels is
    safe to send to the old code, which accepted it; now past 64 levels is a 400 that says so."""
    refused(send(app_and_token, deep_jsonld(500), "application/ld+json"), 400, "nested 500 levels", "64")
    refused(send(app_and_token, deep_jsonld(4000), "application/ld+json"), 400, "nested 4,000 levels")
    assert send(app_and_token, deep_jsonld(60), "application/ld+json").status_code in (201, 204)


@pytest.mark.parametrize("in_attribute", [False, True], ids=["in-text", "in-attribute"])
def test_rdf_xml_entity_expansion_is_refused(app_and_token: tuple[object, str], in_attribute: bool) -> None:
    """Regression (hardening item 3): RDF/XML "billion laughs" (535 bytes, 9 levels of DTD
    entities) drove a worker to 22.8 GB until the kernel killed it. The expansion is now
    computed from the declarations before anything expands: past the budget (100 kB here), a
    400 that says so, at 6 levels (3 MB, which the old code accepted) as at 9 (3 GB)."""
    for levels in (6, 9):
        response = send(app_and_token, laughs(levels, in_attribute=in_attribute), "application/rdf+xml")
        refused(response, 400, "DTD entities expand to more than 100,000 characters")


def test_rdf_xml_entities_within_the_budget_still_work(app_and_token: tuple[object, str]) -> None:
    """Entities as ontology editors write them (a namespace, used in attributes) still load."""
    body = (
        '<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY ex "https://example.org/">]>'
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:e="https://example.org/">'
        '<rdf:Description rdf:about="&ex;s"><e:p rdf:resource="&ex;o"/></rdf:Description></rdf:RDF>'
    ).encode()
    assert send(app_and_token, body, "application/rdf+xml").status_code in (201, 204)
    assert send(app_and_token, laughs(3), "application/rdf+xml").status_code in (201, 204)  # 3,000 characters


@pytest.mark.parametrize(
    ("decl", "kind"),
    [('<!ENTITY % p "x">', "parameter"), ('<!ENTITY x SYSTEM "file:///etc/passwd">', "external")],
)
def test_rdf_xml_parameter_and_external_entities_are_refused(
    app_and_token: tuple[object, str], decl: str, kind: str
) -> None:
    body = f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{decl}]><rdf:RDF xmlns:rdf="{RDF}"/>'.encode()
    refused(send(app_and_token, body, "application/rdf+xml"), 400, f"the {kind} entity")


def test_deeply_nested_rdf_xml_is_refused(app_and_token: tuple[object, str]) -> None:
    """Regression (hardening item 3): RDF/XML parse time grew faster than the square of its
    element depth (20,000 levels: 3 s, 40,000: 60 s; a 10 MiB body holds 200,000): past 64
    elements deep is a 400."""
    refused(send(app_and_token, deep_rdf_xml(2000), "application/rdf+xml"), 400, "nested more than 64 deep")
    assert send(app_and_token, deep_rdf_xml(20), "application/rdf+xml").status_code in (201, 204)


@pytest.mark.parametrize(
    "media_type", ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
)
def test_uploads_past_the_triple_budget_are_refused(
    app_and_token: tuple[object, str], media_type: str
) -> None:
    """Regression (hardening item 3): no format had a budget per parse; a 10 MiB body of
    Turtle collections held 6,000,000 triples (1 GB in the parser, 13 s, before validation).
    Every format now stops at the triple budget (1,000 here) with a 400 that says so."""
    refused(send(app_and_token, many_triples(media_type, 1500), media_type), 400, "more than 1,000 triples")
    assert send(app_and_token, many_triples(media_type, 400), media_type).status_code in (201, 204)


def test_a_multipart_upload_is_held_to_the_same_limits(app_and_token: tuple[object, str]) -> None:
    boundary = "ilbirs-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="deep.jsonld"\r\n'
            f"Content-Type: application/ld+json\r\n\r\n"
        ).encode()
        + deep_jsonld(500)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = send(app_and_token, body, f"multipart/form-data; boundary={boundary}", method="POST")
    refused(response, 400, "deep.jsonld: JSON-LD nested 500 levels")


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/graphs", "text/turtle; charset=utf-16", "<https://example.org/s> <https://example.org/p> 1 ."),
        (
            "/sparql",
            "application/sparql-update; charset=UTF-16",
            "INSERT DATA { <https://e/s> <https://e/p> 1 }",
        ),
        ("/sparql", "application/sparql-query; charset=utf-16", "ASK { ?s ?p ?o }"),
    ],
)
def test_one_charset_rule_for_graphs_and_sparql(
    app_and_token: tuple[object, str], path: str, content_type: str, body: str
) -> None:
    """Regression (hardening item 13): ``/graphs`` accepted ``charset=utf-16`` (and read the
    body as UTF-8) while ``/sparql`` refused it; both now answer 415 by one rule."""
    response = send(
        app_and_token,
        body.encode("utf-16"),
        content_type,
        path=path,
        method="PUT" if path == "/graphs" else "POST",
    )
    refused(response, 415, "must be UTF-8, not utf-16")


def test_a_multipart_part_in_utf16_is_refused(app_and_token: tuple[object, str]) -> None:
    """Regression (hardening item 13): the charset of each part of a multipart upload is held to
    the same rule as a whole body's."""
    boundary = "ilbirs-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.ttl"\r\n'
            f"Content-Type: text/turtle; charset=utf-16\r\n\r\n"
        ).encode()
        + "<https://example.org/s> <https://example.org/p> 1 .".encode("utf-16")
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = send(app_and_token, body, f"multipart/form-data; boundary={boundary}", method="POST")
    refused(response, 415, "a.ttl must be UTF-8, not utf-16")


def test_serve_survives_the_uploads_that_killed_it(tmp_path: Path) -> None:
    """Regression (hardening item 3): with the default single worker, a deep JSON-LD upload made
    ``ilbirs serve`` die of SIGSEGV and a billion-laughs RDF/XML one grow to 22.8 GB. Both are
    now a 400, and the same server answers ``/health`` after each."""
    data_dir = tmp_path / "data"
    token = create_token(data_dir, "uploader")
    process, port = start(data_dir)
    base = f"http://127.0.0.1:{port}"
    try:
        for body, media_type in [
            (deep_jsonld(4500), "application/ld+json"),
            (laughs(9), "application/rdf+xml"),
        ]:
            try:
                response = httpx.put(
                    base + "/graphs",
                    params={"graph": GRAPH},
                    content=body,
                    headers={"Content-Type": media_type, "Authorization": f"Bearer {token}"},
                    timeout=60,
                )
            except httpx.TransportError as exc:
                raise AssertionError(
                    f"the server dropped the connection ({exc}); exit {process.poll()}"
                ) from exc
            refused(response, 400, "limit" if media_type == "application/ld+json" else "expand")
            assert process.poll() is None, "ilbirs serve died"
            assert get(base + "/health") == (200, {"status": "alive"})
    finally:
        if process.poll() is None:
            stop(process, signal.SIGTERM)
        else:
            process.wait()
