"""``/api/v1``: the graph as typed JSON resources for web clients (``ilbirs.graph.entities``).

``GET /api/v1`` lists the collections; ``GET /api/v1/{collection}`` pages through one
(``limit``, ``after``: keyset pages in IRI order, with a ``next`` link and a total that is exact
up to 10,000); ``GET /api/v1/{collection}/{id}`` is one entity with every statement, the
source of each value and its links as ``{id, type, label}``. Labels follow ``lang=`` or
``Accept-Language``. An unknown parameter, collection or entity is a 400 or 404 that names
what exists.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from rdflib import URIRef
from shapely.geometry.base import BaseGeometry
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from ilbirs.graph.changes import current_version
from ilbirs.graph.entities import (
    COLLECTIONS,
    ID_BASE,
    Collection,
    EntityNotFoundError,
    Lookups,
    Page,
    Ref,
    entity,
    entity_json,
    filter_value,
    ref_document,
    refs,
)
from ilbirs.graph.errors import InvalidValueError
from ilbirs.graph.geometry import geometries, to_geojson
from ilbirs.graph.jsonld import CONTEXT, entity_document
from ilbirs.graph.search import Search, SearchHit
from ilbirs.graph.store import Store

from .auth import require
from .cache import VersionClock
from .docs import (
    CONTEXT_FORMATS,
    ENTITY_EXAMPLE,
    ENTITY_FORMATS,
    GEOJSON_PAGE,
    INDEX_EXAMPLE,
    PAGE_EXAMPLE,
    SEARCH_EXAMPLE,
    problems,
)
from .errors import ProblemError
from .sparql import ABSOLUTE_IRI, choose

__all__ = ["early_answer", "page_json", "router", "search_json"]

router = APIRouter(prefix="/api/v1", tags=["JSON API"])

MAX_LIMIT = 200
GEOJSON = "application/geo+json"
#: Labels are chosen by ``lang=`` or ``Accept-Language``: answers that show them vary by both
#: headers (a shared cache must not give one client's Russian labels to another).
BY_LANGUAGE: Mapping[str, str] = MappingProxyType({"Vary": "Accept, Accept-Language"})
#: An id as Ilbirs IRIs have them: one path segment of IRI characters (RFC 3987 iunreserved,
#: sub-delims, ``:``, ``@``, ``%``), no control character, space or ``<>"{}|\^```.
_ID = re.compile(r"[^\x00-\x20<>\"{}|\\^`/?#\x7f-\x9f]+")


class RefModel(BaseModel):
    """A linked node: its IRI, its types (IRIs) and its label."""

    id: str = Field(examples=["https://w3id.org/ilbirs/id/animal/umai"])
    type: list[str] = Field(examples=[["https://w3id.org/ilbirs/def/Animal"]])
    label: str | None = Field(examples=["Umai"])


class ValueModel(BaseModel):
    """One value: a literal (value, lang, datatype), a link (ref) or a nested node (fields),
    with the named graphs of the sources that state it."""

    value: str | None = None
    lang: str | None = None
    datatype: str | None = None
    ref: RefModel | None = None
    fields: list[PropertyModel] = []
    sources: list[str] = Field(examples=[["https://w3id.org/ilbirs/graph/24kg-en-337535"]])


class PropertyModel(BaseModel):
    """A property and all its values."""

    property: RefModel
    values: list[ValueModel]


class SourceModel(BaseModel):
    """A named graph and the source it records."""

    graph: str
    id: str | None
    label: str | None
    url: str | None


class EntityModel(BaseModel):
    """Everything the graph states about one entity."""

    model_config = ConfigDict(json_schema_extra={"examples": [ENTITY_EXAMPLE]})

    id: str
    type: list[RefModel]
    label: str | None
    properties: list[PropertyModel]
    sources: list[SourceModel]


class TotalModel(BaseModel):
    """How many members the collection has: exact, or "more than" ``value`` when not."""

    value: int
    exact: bool


class PageModel(BaseModel):
    """One page of a collection."""

    model_config = ConfigDict(json_schema_extra={"examples": [PAGE_EXAMPLE]})

    collection: str
    items: list[RefModel]
    limit: int
    total: TotalModel
    next: str | None = Field(description="The URL of the next page; null on the last one")


class FilterModel(BaseModel):
    """A parameter a collection can be filtered by."""

    name: str
    description: str


class SortModel(BaseModel):
    """An order a collection's list can take (``sort=<name>``; ``sort=-<name>``: descending)."""

    name: str = Field(examples=["area_ha"])
    description: str


class CollectionModel(BaseModel):
    name: str
    title: str
    type: str
    href: str
    filters: list[FilterModel]
    sorts: list[SortModel]


class IndexModel(BaseModel):
    """The collections of the API."""

    model_config = ConfigDict(json_schema_extra={"examples": [INDEX_EXAMPLE]})

    collections: list[CollectionModel]


ValueModel.model_rebuild()


def _ref(ref: Ref) -> RefModel:
    return RefModel(id=ref.id, type=list(ref.types), label=ref.label)


def current_search(request: Request) -> Search:
    """The app's index (search and lists), brought up to the store's version first (a
    rebuild after a load). Blocking: call it in a worker thread."""
    searcher: Search = request.app.state.search
    store: Store = request.app.state.store
    clock: VersionClock = request.app.state.version_clock
    searcher.ensure_current(store, clock.version(lambda: current_version(store)))
    return searcher


def current_lookups(request: Request) -> Lookups:
    """The app's cache of references and sources, for the store's current version. Blocking:
    call it in a worker thread."""
    store: Store = request.app.state.store
    clock: VersionClock = request.app.state.version_clock
    lookups: Lookups = request.app.state.lookups
    return lookups.at(clock.version(lambda: current_version(store)))


def languages(request: Request, lang: str | None) -> list[str]:
    """The languages asked for: ``lang=`` (comma-separated), else ``Accept-Language`` by q."""
    if lang:
        return [part.strip() for part in lang.split(",") if part.strip()]
    ranked: list[tuple[float, int, str]] = []
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*" and q > 0:
            ranked.append((-q, len(ranked), tag))
    return [tag for _, _, tag in sorted(ranked)]


def _collection(name: str) -> Collection:
    found = COLLECTIONS.get(name)
    if found is None:
        raise ProblemError(
            404, "Not found", f"no collection {name[:60]!r}; there are: {', '.join(COLLECTIONS)}"
        )
    return found


def _only(request: Request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ProblemError(
            400,
            "Invalid request",
            f"unknown parameter(s) {', '.join(unknown)}; this route takes: {', '.join(sorted(allowed))}",
        )


@router.get("", response_model=IndexModel, summary="The collections", responses=problems())
async def index(request: Request) -> IndexModel:
    """Every collection, with the class of its members and its URL."""
    require(request, "reader")
    return IndexModel(
        collections=[
            CollectionModel(
                name=c.name,
                title=c.title,
                type=str(c.cls),
                href=f"/api/v1/{c.name}",
                filters=[FilterModel(name=f.param, description=f.description) for f in c.filters],
                sorts=[SortModel(name=o.name, description=o.description) for o in c.orders.values()],
            )
            for c in COLLECTIONS.values()
        ]
    )


@router.get(
    "/context.jsonld",
    summary="The JSON-LD context of every Ilbirs document",
    response_class=Response,
    responses={200: {"content": CONTEXT_FORMATS}},
)
async def context() -> Response:
    """The prefixes every JSON-LD document of Ilbirs uses; a stable URL to cite as ``@context``."""
    return JSONResponse(
        CONTEXT, media_type="application/ld+json", headers={"Cache-Control": "public, max-age=86400"}
    )


class HitModel(BaseModel):
    """An entity search found: the entity, the label or name that matched, and its collection."""

    id: str
    type: list[str]
    label: str | None = Field(description="In the language asked for (may differ from `matched`)")
    matched: str = Field(examples=["Жаныш"])
    matched_lang: str | None
    collection: str = Field(examples=["animals"])
    href: str = Field(examples=["/api/v1/animals/janish"])


class SearchModel(BaseModel):
    """The entities a search found, best first."""

    model_config = ConfigDict(json_schema_extra={"examples": [SEARCH_EXAMPLE]})

    query: str
    items: list[HitModel]
    limit: int


@router.get(
    "/search",
    response_model=SearchModel,
    summary="Search entities by label or name",
    responses=problems(s400="No word in `q`, an unknown `type` or parameter"),
)
async def search_entities(
    request: Request,
    q: Annotated[str, Query(max_length=200, description="Words, each matched as a prefix: `snow leop`")],
    type: Annotated[str | None, Query(description="A collection: `animals`, `protected-areas` …")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    lang: Annotated[str | None, Query(description="Label languages, e.g. `ky,ru`")] = None,
) -> Response:
    """Entities whose labels or names (in any language: en, ru, ky …) start with the words of
    ``q``; case and diacritics do not matter; best first."""
    _only(request, {"q", "type", "limit", "lang"})
    hits = await search(request, q, collection=type, limit=limit, lang=lang)
    return json_answer(search_json(hits, q, limit))


async def search(
    request: Request, q: str, *, collection: str | None, limit: int, lang: str | None
) -> list[SearchHit]:
    """The search of ``/api/v1/search`` (and of the search page)."""
    require(request, "reader")
    store: Store = request.app.state.store
    asked = languages(request, lang)

    def run() -> list[SearchHit]:
        return current_search(request).find(store, q, collection=collection, limit=limit, languages=asked)

    return await run_in_threadpool(run)


def search_json(hits: list[SearchHit], q: str, limit: int) -> dict[str, object]:
    """A search's answer, as ``SearchModel`` serialises it (tested equal)."""
    return {
        "query": q,
        "items": [
            {
                "id": h.ref.id,
                "type": list(h.ref.types),
                "label": h.ref.label,
                "matched": h.matched,
                "matched_lang": h.lang or None,
                "collection": h.collection,
                "href": api_href_of(h.collection, h.ref.id),
            }
            for h in hits
        ],
        "limit": limit,
    }


def api_href_of(collection: str, iri: str) -> str:
    """The ``/api/v1`` URL of an entity of ``collection``: by its id, or by its IRI when it is
    not an Ilbirs one."""
    prefix = f"{ID_BASE}{COLLECTIONS[collection].segment}/"
    return f"/api/v1/{collection}/{iri[len(prefix) :] if iri.startswith(prefix) else iri}"


@router.get(
    "/{collection}",
    response_model=PageModel,
    summary="A page of a collection (JSON, or GeoJSON with Accept: application/geo+json)",
    responses={
        200: {"content": GEOJSON_PAGE},
        **problems(
            s400="Unknown parameter or bad value (the detail names the valid ones)",
            s404="No such collection",
            s406="Neither JSON nor GeoJSON is acceptable",
        ),
    },
)
async def list_collection(
    request: Request,
    collection: str,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Members per page")] = 50,
    after: Annotated[str | None, Query(description="The last IRI of the previous page (from `next`)")] = None,
    lang: Annotated[str | None, Query(description="Label languages, e.g. `ky,ru`")] = None,
    sort: Annotated[
        str,
        Query(
            max_length=60,
            description="The order: `id` (IRI, the default), `label`, or one of the collection's "
            "(`GET /api/v1` lists them, e.g. `area_ha`); `-` before it: descending",
        ),
    ] = "id",
) -> Response:
    """Members in IRI order, ``limit`` at a time; follow ``next`` for the rest. Collections with
    filters take them as parameters (``GET /api/v1`` lists them): protected areas by
    ``country``, ``iucn``, ``established_before``, ``established_since``, ``min_area_ha``;
    corridors by ``country``, ``status``, ``connects``; animals by ``species``, ``sex``,
    ``place``; events by ``kind``, ``from``, ``to``, ``place``; projects by ``theme``,
    ``partner``, ``country``, ``active_in``; protected areas and corridors also by ``bbox``.
    ``sort`` orders the list (by IRI, label, and per collection: protected areas by
    ``established`` and ``area_ha``, events by ``start``, projects by ``start`` and ``end``;
    ``-`` before it: descending; members without the key come last). JSON (default) or, with ``Accept: application/geo+json``, a GeoJSON FeatureCollection."""
    require(request, "reader")
    chosen = _collection(collection)
    kind = choose(request, ["application/json", GEOJSON])
    filters = {f.param: f for f in chosen.filters}
    _only(request, {"limit", "after", "lang", "sort", *filters})
    if after is not None and not ABSOLUTE_IRI.match(after):
        raise ProblemError(
            400, "Invalid request", f"`after` is an IRI from a `next` link, not {after[:60]!r}"
        )
    store: Store = request.app.state.store
    given = {name: request.query_params[name] for name in filters if name in request.query_params}
    asked = languages(request, lang)

    def run() -> Page:
        bound = [(filters[n], filter_value(store, filters[n], text)) for n, text in given.items()]
        index = current_search(request)
        return index.page(
            store, chosen, limit=limit, after=after or "", languages=asked, filters=bound, sort=sort
        )

    found = await run_in_threadpool(run)
    next_url = _next_url(request, given, limit, found, lang, sort)
    if kind == GEOJSON:
        shapes = await run_in_threadpool(geometries, store, [URIRef(r.id) for r in found.items])
        collection_document = {
            "type": "FeatureCollection",
            "features": [_feature(chosen.name, r, shapes.get(URIRef(r.id))) for r in found.items],
            "numberMatched": found.total if found.total_exact else None,
            "links": [{"rel": "next", "href": next_url, "type": GEOJSON}] if next_url else [],
        }
        return JSONResponse(collection_document, media_type=GEOJSON, headers=BY_LANGUAGE)
    return json_answer(page_json(chosen, found, limit, next_url))


def _next_url(
    request: Request, given: Mapping[str, str], limit: int, found: Page, lang: str | None, sort: str
) -> str | None:
    """The URL of the page after ``found`` (``None`` after the last)."""
    if found.next_after is None:
        return None
    query = {
        **given,
        "limit": str(limit),
        "after": found.next_after,
        **({"lang": lang} if lang else {}),
        **({"sort": sort} if sort != "id" else {}),
    }
    return str(request.url.replace_query_params(**query))


def page_json(chosen: Collection, found: Page, limit: int, next_url: str | None) -> dict[str, object]:
    """A page of a collection, as ``PageModel`` serialises it (tested equal)."""
    return {
        "collection": chosen.name,
        "items": [ref_document(r) for r in found.items],
        "limit": limit,
        "total": {"value": found.total, "exact": found.total_exact},
        "next": next_url,
    }


def _feature(collection: str, ref: Ref, shape: BaseGeometry | None) -> dict[str, object]:
    """A GeoJSON Feature of an entity: its geometry (``null`` without one) and what names it."""
    return {
        "type": "Feature",
        "id": ref.id,
        "geometry": to_geojson(shape) if shape is not None else None,
        "properties": {"label": ref.label, "type": list(ref.types), "href": api_href_of(collection, ref.id)},
    }


@router.get(
    "/{collection}/{id:path}",
    response_model=EntityModel,
    summary="One entity",
    responses={
        200: {"content": ENTITY_FORMATS},
        **problems(
            s400="Unknown parameter",
            s404="No such entity in this collection",
            s406="Neither JSON, JSON-LD nor GeoJSON is acceptable",
        ),
    },
)
async def get_entity(
    request: Request,
    collection: str,
    id: str,
    lang: Annotated[str | None, Query(description="Label languages, e.g. `ky,ru`")] = None,
) -> Response:
    """Every statement about the entity ``https://w3id.org/ilbirs/id/<segment>/<id>`` (or, for
    a member with another IRI, the IRI itself in place of ``id``): JSON (default), JSON-LD
    with ``Accept: application/ld+json`` (one named graph per source; its ``@context`` is
    ``/api/v1/context.jsonld``), or a GeoJSON Feature with ``Accept: application/geo+json``."""
    require(request, "reader")
    _only(request, {"lang"})
    chosen = _collection(collection)
    kind = choose(request, ["application/json", "application/ld+json", GEOJSON])
    iri = _iri_of(chosen, id)
    if iri is None:  # no IRI has such a segment: nothing to look up
        raise ProblemError(404, "Not found", f"no {chosen.segment} has the id {id[:60]!r}")
    store: Store = request.app.state.store
    try:
        if kind == GEOJSON:
            found_ref = (await run_in_threadpool(refs, store, [iri], languages(request, lang)))[iri]
            shape = (await run_in_threadpool(geometries, store, [iri])).get(iri)
            if not found_ref.types:
                raise EntityNotFoundError(f"the graph states nothing about <{iri}>")
            feature = _feature(chosen.name, found_ref, shape)
            return JSONResponse(feature, media_type=GEOJSON, headers=BY_LANGUAGE)
        if kind == "application/ld+json":
            context_url = str(request.url_for("context"))
            document = await run_in_threadpool(entity_document, store, iri, context_url=context_url)
            return JSONResponse(document, media_type="application/ld+json", headers={"Vary": "Accept"})
        asked = languages(request, lang)

        def detail() -> dict[str, object]:
            searcher: Search = request.app.state.search
            clock: VersionClock = request.app.state.version_clock
            version = clock.version(lambda: current_version(store))
            if searcher.in_step(version):
                indexed = searcher.detail_document(iri, asked, version=version)
                if indexed is not None:
                    return indexed
            return entity_json(entity(store, iri, languages=asked, lookups=current_lookups(request)))

        found = await run_in_threadpool(detail)
    except EntityNotFoundError as exc:
        raise ProblemError(404, "Not found", str(exc)) from exc
    return json_answer(found)


def json_answer(content: object) -> Response:
    """A JSON answer whose labels follow the languages asked for, written by orjson (compact,
    UTF-8: what ``JSONResponse`` writes, in a tenth of the time)."""
    return Response(orjson.dumps(content), media_type="application/json", headers=BY_LANGUAGE)


def _iri_of(collection: Collection, id: str) -> URIRef | None:
    """The IRI a detail's path names: ``https://w3id.org/ilbirs/id/<segment>/<id>``, or the IRI
    itself in place of the id; ``None`` when no IRI has such an id."""
    if id.startswith(("http://", "https://")) and ABSOLUTE_IRI.match(id):
        return URIRef(id)  # a member whose IRI is not an Ilbirs one (imported, or synthetic data)
    if _ID.fullmatch(id):
        return URIRef(f"{ID_BASE}{collection.segment}/{id}")
    return None


#: The path of an entity: ``/api/v1/<collection>/<id or IRI>``.
_DETAIL_PATH = re.compile(r"/api/v1/([a-z-]+)/(.+)", re.DOTALL)


#: The path of a collection: ``/api/v1/<collection>``.
_LIST_PATH = re.compile(r"/api/v1/([a-z-]+)")
#: A ``limit`` as FastAPI reads it, in ASCII digits.
_DIGITS = re.compile(r"[0-9]{1,4}")
#: Filters whose values are read in the store (a concept scheme's codes, an event class's
#: subclasses): lists with them go to the route, which runs off the event loop.
_READ_IN_STORE = ("concept", "kind")


def early_answer(scope: Scope, known: int | None) -> Response | None:
    """The answer to a plain anonymous ``GET`` of a detail, a page of a collection or a
    search, made from the index before routing: what the routes answer (tested byte for
    byte), without FastAPI's routing and parameters or the thread hop (measured: see the
    README's JSON API benchmark). ``None`` for every other request (other parameters, values
    the route refuses or must read in the store, GeoJSON or JSON-LD), and whenever the index
    is not at the store's version as this worker knows it (``known``; ``None``: not known
    without asking the store): the routes answer those. Called by
    ``cache.AnswerFromCache`` for requests without credentials while anonymous reading is on
    (the routes' own check would pass). Runs on the event loop: the index's reads are B-tree
    walks and bounded FTS5 reads (a search at 1M triples: ~0.3 ms)."""
    path = scope["path"]
    state = scope["app"].state
    searcher: Search = state.search
    query_string = scope["query_string"]
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True) if query_string else []
    params = dict(pairs)
    if len(params) != len(pairs):
        return None  # a parameter given twice: the route decides
    try:
        if known is None or not searcher.in_step(known):
            return None
        if path == "/api/v1/search":
            return _early_search(scope, searcher, params, known)
        listed = _LIST_PATH.fullmatch(path)
        if listed is not None:
            return _early_list(scope, searcher, listed[1], params)
        return _early_detail(scope, searcher, params, known)
    except (sqlite3.Error, InvalidValueError):
        return None  # the route answers (from the store, or with the error)


def _early_search(scope: Scope, searcher: Search, params: dict[str, str], version: int) -> Response | None:
    q, limit = params.get("q"), params.get("limit", "20")
    if set(params) - {"q", "type", "limit", "lang"} or q is None or len(q) > 200:
        return None
    if not _DIGITS.fullmatch(limit) or not 1 <= int(limit) <= 50:
        return None
    asked = languages(Request(scope), params.get("lang"))
    store: Store = scope["app"].state.store
    hits = searcher.find(
        store, q, collection=params.get("type"), limit=int(limit), languages=asked, version=version
    )
    return json_answer(search_json(hits, q, int(limit)))


def _early_list(scope: Scope, searcher: Search, name: str, params: dict[str, str]) -> Response | None:
    chosen = COLLECTIONS.get(name)
    if chosen is None:
        return None
    filters = {f.param: f for f in chosen.filters}
    limit, after, sort = params.get("limit", "50"), params.get("after"), params.get("sort", "id")
    if set(params) - {"limit", "after", "lang", "sort", *filters} or len(sort) > 60:
        return None
    if not _DIGITS.fullmatch(limit) or not 1 <= int(limit) <= MAX_LIMIT:
        return None
    if after is not None and not ABSOLUTE_IRI.match(after):
        return None
    given = {n: params[n] for n in filters if n in params}
    if any(filters[n].kind in _READ_IN_STORE for n in given):
        return None
    request = Request(scope)
    if not _plain_json(request, ["application/json", GEOJSON]):
        return None
    store: Store = scope["app"].state.store
    bound = [(filters[n], filter_value(store, filters[n], text)) for n, text in given.items()]
    lang = params.get("lang")
    found = searcher.page(
        store,
        chosen,
        limit=int(limit),
        after=after or "",
        languages=languages(request, lang),
        filters=bound,
        sort=sort,
    )
    next_url = _next_url(request, given, int(limit), found, lang, sort)
    return json_answer(page_json(chosen, found, int(limit), next_url))


def _early_detail(scope: Scope, searcher: Search, params: dict[str, str], version: int) -> Response | None:
    match = _DETAIL_PATH.fullmatch(scope["path"])
    collection = COLLECTIONS.get(match[1]) if match is not None else None
    iri = _iri_of(collection, match[2]) if match is not None and collection is not None else None
    if iri is None or set(params) - {"lang"}:
        return None
    request = Request(scope)
    if not _plain_json(request, ["application/json", "application/ld+json", GEOJSON]):
        return None
    found = searcher.detail_document(iri, languages(request, params.get("lang")), version=version)
    return None if found is None else json_answer(found)


#: ``Accept`` headers that choose the JSON among every offer (the first offered), at once.
_JSON_FIRST = frozenset([None, "*/*", "application/json"])


def _plain_json(request: Request, offered: list[str]) -> bool:
    """The answer negotiated is the JSON (not GeoJSON or JSON-LD, not an error)."""
    if request.headers.get("accept") in _JSON_FIRST:
        return True
    try:
        return choose(request, offered) == "application/json"
    except ProblemError:
        return False
