"""``v1.early_detail``: the answer to a plain detail request made before routing, from the
detail index (a real embedded store holding the shipped data, and its index), equals the
route's way of making it from the store; and every other request is left to the route."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.responses import JSONResponse
from rdflib import URIRef

from ilbirs.api.cache import VersionClock
from ilbirs.api.v1 import BY_LANGUAGE, EntityModel, early_detail, entity_json
from ilbirs.graph.entities import entity
from ilbirs.graph.search import Search
from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.store.search_index import LabelIndex

UMAI = "https://w3id.org/ilbirs/id/animal/umai"


@pytest.fixture(scope="module")
def app(bundle_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """What ``early_detail`` reads of the app: its index (at version 1) and version clock."""
    search = Search(LabelIndex(Path(tmp_path_factory.mktemp("early")) / "index.sqlite"))
    search.rebuild(bundle_store, version=1)
    clock = VersionClock(ttl_s=3600)
    clock.wrote(1)
    return SimpleNamespace(state=SimpleNamespace(search=search, version_clock=clock))


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
    answer = early_detail(scope(app, path, query, accept="application/json"))
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
        ("/api/v1/animals", b"", {}),
    ],
)
def test_every_other_request_goes_to_the_route(
    app: SimpleNamespace, path: str, query: bytes, headers: dict[str, str]
) -> None:
    assert early_detail(scope(app, path, query, **headers)) is None


def test_an_index_behind_the_store_leaves_details_to_the_route(app: SimpleNamespace) -> None:
    behind = SimpleNamespace(
        state=SimpleNamespace(search=app.state.search, version_clock=VersionClock(ttl_s=3600))
    )
    behind.state.version_clock.wrote(2)  # a write this index has not seen
    assert early_detail(scope(behind, "/api/v1/animals/umai")) is None
    assert early_detail(scope(app, "/api/v1/animals/umai")) is not None
