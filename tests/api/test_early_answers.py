"""``v1.early_answer``: the answers to plain detail, list and search requests made before
routing, from the index (a real embedded store holding the shipped data, and its index),
equal what the store gives (a detail made from the store; a page listed by SPARQL); and every
other request is left to the routes. (That they equal the routes' answers byte for byte is
tested over HTTP: ``test_v1``.)"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, quote

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from rdflib import URIRef

from ilbirs.api.cache import AnswerFromCache, ResponseCache, VersionClock
from ilbirs.api.sparql import early_query
from ilbirs.api.v1 import BY_LANGUAGE, EntityModel, PageModel, SearchModel, early_answer
from ilbirs.graph import StoreError
from ilbirs.graph.entities import COLLECTIONS, entity, entity_json, page
from ilbirs.graph.search import Search
from ilbirs.graph.service import Limits
from ilbirs.graph.store import Auth, EmbeddedStore, RemoteStore
from ilbirs.graph.store.search_index import LabelIndex

UMAI = "https://w3id.org/ilbirs/id/animal/umai"


@pytest.fixture(scope="module")
def app(bundle_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """What ``early_answer`` reads of the app: the store, its index (at version 1) and the
    version clock."""
    search = Search(LabelIndex(Path(tmp_path_factory.mktemp("early")) / "index.sqlite"))
    search.rebuild(bundle_store, version=1)
    clock = VersionClock(ttl_s=3600)
    clock.wrote(1)
    return SimpleNamespace(state=SimpleNamespace(search=search, version_clock=clock, store=bundle_store))


def scope(app: SimpleNamespace, path: str, query: bytes = b"", **headers: str) -> dict[str, object]:
    return {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "query_string": query,
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
        "app": app,
    }


def early_answer_of(app: SimpleNamespace, asked: dict[str, object]) -> Response | None:
    """``early_answer`` as ``AnswerFromCache`` calls it: with the version the app's clock knows."""
    return early_answer(asked, app.state.version_clock.known())


@pytest.mark.parametrize(
    ("path", "query", "languages"),
    [
        ("/api/v1/animals/umai", b"", []),
        ("/api/v1/animals/umai", b"lang=ru", ["ru"]),
        ("/api/v1/protected-areas/khan-tengri", b"lang=ky%2Cru", ["ky", "ru"]),
        ("/api/v1/corridors/ak-ilbirs", b"", []),
        ("/api/v1/corridors/https://w3id.org/ilbirs/id/corridor/ak-ilbirs", b"", []),  # by its IRI
    ],
)
def test_an_early_answer_is_the_detail_the_store_gives(
    bundle_store: EmbeddedStore, app: SimpleNamespace, path: str, query: bytes, languages: list[str]
) -> None:
    answer = early_answer_of(app, scope(app, path, query, accept="application/json"))
    assert answer is not None
    segment, id = path.removeprefix("/api/v1/").split("/", 1)
    id = id.rsplit("/", 1)[-1]
    iri = URIRef({"animals": "https://w3id.org/ilbirs/id/animal/", "protected-areas": "https://w3id.org/ilbirs/id/protected-area/", "corridors": "https://w3id.org/ilbirs/id/corridor/"}[segment] + id)  # fmt: skip
    made = entity_json(entity(bundle_store, iri, languages=languages))
    assert answer.body == JSONResponse(made, headers=BY_LANGUAGE).body  # what the stdlib writes
    assert dict(answer.headers) == dict(JSONResponse(made, headers=BY_LANGUAGE).headers)
    assert EntityModel.model_validate(made).model_dump(mode="json") == made  # the documented schema


@pytest.mark.parametrize(
    ("path", "query", "headers"),
    [
        ("/api/v1/animals/umai", b"", {"accept": "application/ld+json"}),  # JSON-LD: the route
        ("/api/v1/animals/umai", b"", {"accept": "application/geo+json"}),
        ("/api/v1/animals/umai", b"", {"accept": "text/csv"}),  # 406: the route says it
        ("/api/v1/animals/umai", b"limit=3", {}),  # an unknown parameter: the route's 400
        ("/api/v1/animals/umai", b"lang=ru&lang=en", {}),
        ("/api/v1/animals/nobody", b"", {}),  # not a member: the route's 404
        ("/api/v1/beasts/umai", b"", {}),
        ("/api/v1/animals/urn:x/y", b"", {}),  # no IRI has such an id
        ("/api/v1/animals", b"after=nope", {}),  # not an IRI: the route's 400
        ("/api/v1/animals", b"limit=0", {}),
        ("/api/v1/animals", b"limit=201", {}),
        ("/api/v1/animals", b"limit=%EF%BC%92", {}),  # a digit, not an ASCII one
        ("/api/v1/animals", b"sort=weight", {}),  # no such order
        ("/api/v1/animals", b"colour=grey", {}),
        ("/api/v1/animals", b"sex=female", {}),  # a concept: read in the store, by the route
        ("/api/v1/events", b"kind=AnimalTransfer", {}),
        ("/api/v1/protected-areas", b"", {"accept": "application/geo+json"}),
        ("/api/v1/protected-areas", b"min_area_ha=lots", {}),
        ("/api/v1/search", b"", {}),  # no q
        ("/api/v1/search", b"q=%3F%3F", {}),  # no word
        ("/api/v1/search", b"q=umai&type=beasts", {}),
        ("/api/v1/search", b"q=umai&limit=51", {}),
        ("/api/v1/search", b"q=" + b"a" * 201, {}),
        ("/api/v1", b"", {}),
        ("/api/v1/context.jsonld", b"", {}),
    ],
)
def test_every_other_request_goes_to_the_route(
    app: SimpleNamespace, path: str, query: bytes, headers: dict[str, str]
) -> None:
    assert early_answer_of(app, scope(app, path, query, **headers)) is None


def test_an_index_behind_the_store_leaves_details_to_the_route(app: SimpleNamespace) -> None:
    behind = SimpleNamespace(
        state=SimpleNamespace(search=app.state.search, version_clock=VersionClock(ttl_s=3600))
    )
    behind.state.version_clock.wrote(2)  # a write this index has not seen
    assert early_answer_of(behind, scope(behind, "/api/v1/animals/umai")) is None
    assert early_answer_of(app, scope(app, "/api/v1/animals/umai")) is not None


@pytest.mark.parametrize(
    ("name", "query", "filters"),
    [
        ("animals", b"", {}),
        ("protected-areas", b"country=kg&limit=3", {"place": "https://w3id.org/ilbirs/id/country/kg"}),
        ("animals", b"place=ru&lang=ru", {"place": "https://w3id.org/ilbirs/id/country/ru"}),
    ],
)
def test_an_early_page_is_the_page_sparql_lists(
    bundle_store: EmbeddedStore, app: SimpleNamespace, name: str, query: bytes, filters: dict[str, str]
) -> None:
    answer = early_answer_of(app, scope(app, f"/api/v1/{name}", query, host="example.org"))
    assert answer is not None
    document = orjson.loads(answer.body)
    PageModel.model_validate(document)  # the documented schema
    limit = int(dict(parse_qsl(query.decode())).get("limit", 50))
    languages = ["ru"] if b"lang=ru" in query else []
    bound = {k: URIRef(v) for k, v in filters.items()}
    expected = page(bundle_store, COLLECTIONS[name], limit=limit, filters=bound, languages=languages)
    assert [(i["id"], i["label"]) for i in document["items"]] == [(r.id, r.label) for r in expected.items]
    assert document["total"] == {"value": expected.total, "exact": expected.total_exact}
    assert (document["next"] is None) == (expected.next_after is None)
    if document["next"]:
        assert document["next"].startswith(f"http://example.org/api/v1/{name}?")


def test_an_early_search_finds_what_the_index_finds(app: SimpleNamespace) -> None:
    for query, first in [
        (b"q=umai", "umai"),
        (b"q=%D0%96%D0%B0%D0%BD%D1%8B%D1%88", "janish"),
        (b"q=snow+leop", "panthera-uncia"),
    ]:
        answer = early_answer_of(app, scope(app, "/api/v1/search", query))
        assert answer is not None
        document = orjson.loads(answer.body)
        SearchModel.model_validate(document)
        assert document["items"][0]["id"].rsplit("/", 1)[1] == first, query


def test_a_detail_document_is_the_json_of_the_detail(
    bundle_store: EmbeddedStore, app: SimpleNamespace
) -> None:
    """The JSON document of a detail made in one pass (``entities.assemble_document``, what
    the API answers from the index) is, byte for byte, the API's JSON of the detail made from
    the store, for every member of the shipped data, in three choices of language."""
    search: Search = app.state.search
    with sqlite3.connect(search.index.path) as db:
        members = sorted({i for (i,) in db.execute("SELECT id FROM members")})
    for iri in members:
        for languages in ((), ("ru",), ("ky", "ru")):
            document = search.detail_document(URIRef(iri), languages)
            assert document is not None
            made = entity_json(entity(bundle_store, URIRef(iri), languages=languages))
            assert orjson.dumps(document) == orjson.dumps(made), (iri, languages)


def test_a_failing_early_answer_leaves_the_request_to_the_route(caplog: pytest.LogCaptureFixture) -> None:
    """A bug in an early answer is logged, and the route answers (not a 500)."""
    inner = FastAPI()

    @inner.get("/api/v1/animals")
    def listed() -> dict[str, str]:
        return {"from": "route"}

    inner.state.settings = SimpleNamespace(anonymous_queries=True)
    inner.state.cache = ResponseCache()
    inner.state.version_clock = VersionClock(ttl_s=3600)
    inner.state.version_clock.wrote(1)

    def broken(asked: object, known: int | None) -> Response | None:
        raise RuntimeError("a bug")

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=AnswerFromCache(inner, early=broken))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/api/v1/animals")

    with caplog.at_level(logging.ERROR, logger="ilbirs.api"):
        response = asyncio.run(get())
    assert response.status_code == 200 and response.json() == {"from": "route"}
    assert "the early answer to /api/v1/animals failed" in caplog.text


def test_a_plain_get_query_is_run_on_the_event_loop() -> None:
    """``sparql.early_query`` takes a plain SELECT or ASK asked for in SPARQL JSON results on a
    remote engine, and leaves everything else to the route. (It decides without the engine:
    that its answers are the route's, errors and time limit included, is tested over HTTP in
    ``test_sparql``.)"""
    state = SimpleNamespace(
        store=RemoteStore("http://127.0.0.1:9/query"),
        settings=SimpleNamespace(limits=Limits()),
        cache=ResponseCache(),
    )
    app = SimpleNamespace(state=state)
    json_results = {"accept": "application/sparql-results+json"}

    def asked(query: str, extra: str = "", **headers: str) -> dict[str, object]:
        return scope(app, "/sparql", f"query={quote(query)}{extra}".encode(), host="example.org", **headers)

    assert early_query(asked("SELECT * WHERE { ?s ?p ?o }", **json_results), 1) is not None
    assert early_query(asked("ASK { ?s ?p ?o }"), 1) is not None  # */*: JSON results first
    for query, extra, headers, known in [
        ("SELECT * WHERE { ?s ?p ?o }", "", json_results, None),  # the version is not known
        ("SELECT * WHERE { ?s ?p ?o }", "&default-graph-uri=https%3A%2F%2Fe%2Fg", json_results, 1),
        ("SELECT * WHERE { ?s ?p ?o }", "", {"accept": "text/csv"}, 1),
        ("SELECT * WHERE { ?s ?p ?o }", "", {"accept": "text/html"}, 1),  # a browser: the page
        ("SELECT * WHERE { ?s ?p ?o }", "", {**json_results, "if_none_match": '"v1-x"'}, 1),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "", {}, 1),
        ("SELECT * WHERE { SERVICE <https://e/sparql> { ?s ?p ?o } }", "", json_results, 1),
        ("INSERT DATA { <https://e/a> <https://e/b> <https://e/c> }", "", json_results, 1),
        ("SELECT * WHERE " + "{ " * 150 + "}" * 150, "", json_results, 1),  # nested past the limit
    ]:
        assert early_query(asked(query, extra, **headers), known) is None, (query, extra, headers)
    state.store = RemoteStore("http://127.0.0.1:9/query", auth=Auth(kind="digest", user="u", password="p"))
    assert early_query(asked("ASK { ?s ?p ?o }", **json_results), 1) is None


def test_a_write_stands_when_the_index_cannot_follow_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An accepted write answers 200 even when its index refresh fails (another worker holding
    the index file's write lock past the busy timeout): the write is in the store, the index
    stays behind its version, so it is rebuilt before it answers again."""
    from ilbirs.api.app import create_app
    from ilbirs.api.settings import Settings
    from ilbirs.api.tokens import TokenStore
    from ilbirs.graph import load_bundle
    from ilbirs.graph.changes import current_version

    settings = Settings(data_dir=tmp_path)
    app = create_app(settings)
    store = EmbeddedStore()
    load_bundle(store)
    tokens = TokenStore(settings.tokens_path)
    secret = tokens.create("steward", "steward")
    search = Search(LabelIndex(settings.search_index_path))
    search.rebuild(store, version=current_version(store))

    def locked(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    search.refresh = locked  # type: ignore[method-assign]
    for name, value in dict(settings=settings, store=store, tokens=tokens, cache=ResponseCache(), search=search,
                            version_clock=VersionClock(ttl_s=0)).items():  # fmt: skip
        setattr(app.state, name, value)
    update = 'INSERT DATA { GRAPH <https://w3id.org/ilbirs/graph/24kg-en-337535> { <https://w3id.org/ilbirs/id/animal/umai> <http://www.w3.org/2004/02/skos/core#altLabel> "Ilbirsbek"@ky } }'  # fmt: skip

    async def write() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(
                "/sparql",
                content=update,
                headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {secret}"},
            )

    with caplog.at_level(logging.ERROR, logger="ilbirs.api"):
        response = asyncio.run(write())
    assert response.status_code == 200, response.text
    assert "the index was not refreshed" in caplog.text
    assert store.ask('ASK { ?s <http://www.w3.org/2004/02/skos/core#altLabel> "Ilbirsbek"@ky }')
    assert search.index.version is not None and search.index.version < current_version(store)


def test_the_version_stays_known_while_the_store_answers() -> None:
    """``VersionClock.keep_known`` reads the version every half TTL: a worker under load
    never finds it expired (which sends requests the slow way, through the routes) while the
    store answers; a store that stops answering lets it expire within the TTL, and a write
    it learns of is not undone by a reading begun before it."""
    clock = VersionClock(ttl_s=0.4)
    clock.wrote(1)
    answers: list[int | Exception] = []

    def read() -> int:
        answer = answers.pop(0) if answers else 2
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def run() -> tuple[list[int | None], list[int | None]]:
        reading = asyncio.create_task(clock.keep_known(read))
        seen = []
        for _ in range(40):  # 1.2 s: three TTLs (read every 0.2 s; 0.2 s of slack)
            await asyncio.sleep(0.03)
            seen.append(clock.known())
        answers.extend([StoreError("down")] * 100)
        await asyncio.sleep(0.7)  # past the TTL after the last good read
        after = [clock.known()]
        reading.cancel()
        return seen, after

    seen, after = asyncio.run(run())
    assert None not in seen and seen[-1] == 2, seen
    assert after == [None]
    started = time.monotonic()
    clock.wrote(5)
    clock.read_ahead(3, started)
    assert clock.known() == 5
