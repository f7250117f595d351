"""The HTTP app. ``create_app(settings)`` builds the FastAPI app; the store opens in the
lifespan, lives on ``app.state`` and reaches routes through the ``StoreDep`` dependency. Routes
are thin; their store work runs in FastAPI's thread pool, off the event loop.
``serving_app(settings)`` is what uvicorn serves: that app behind ``cache.AnswerFromCache``,
which answers before FastAPI what needs no route (cache hits; plain details, pages and
searches from the index; plain GET queries, sent to the engine on the event loop).

Routes: ``/health`` (the process is alive), ``/ready`` (the store answers and holds the
Ilbirs data), ``/sparql`` (``api/sparql.py``), ``/graphs`` (``api/graphs.py``), ``/api/v1``
(``api/v1.py``) and the pages (``api/pages.py``). Every error, the framework's own included,
is an ``application/problem+json`` body (``api/errors.py``).

CORS is Starlette's ``CORSMiddleware``, configured by ``ILBIRS_CORS_*`` (``api/settings.py``;
by default any origin, without credentials): it answers every route's preflight and adds the
headers to the routes' answers. A request with an ``Origin`` header is not answered before
FastAPI (``cache.cross_origin``): the middleware sees every cross-origin request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path
from starlette.types import ASGIApp, Scope

from ilbirs.graph import IlbirsError, bundle_loaded
from ilbirs.graph.changes import current_version
from ilbirs.graph.entities import Lookups
from ilbirs.graph.search import Search
from ilbirs.graph.store import RemoteStore, Store
from ilbirs.graph.store.search_index import LabelIndex

from . import graphs, pages, sparql, v1
from .cache import AnswerFromCache, ResponseCache, VersionClock
from .docs import problems
from .errors import ProblemError, internal_error, problem, problem_for
from .settings import Settings
from .stores import build_remote_store
from .tokens import TokenStore

__all__ = ["app_from_env", "create_app", "serving_app"]


def build_store(settings: Settings) -> Store:
    """The store the API processes use: always a SPARQL 1.1 engine over HTTP (``ilbirs serve``
    points ``ILBIRS_STORE_URL`` at the Oxigraph server it supervises)."""
    return build_remote_store(settings)


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]


_log = logging.getLogger("ilbirs.api")


def create_app(settings: Settings) -> FastAPI:
    """The Ilbirs HTTP app for ``settings``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.store = build_store(settings)
        app.state.tokens = TokenStore(settings.tokens_path)
        app.state.cache = ResponseCache()
        app.state.lookups = Lookups()
        app.state.search = Search(LabelIndex(settings.search_index_path))
        clock = app.state.version_clock = VersionClock(
            ttl_s=settings.version_ttl_s, hint=settings.version_hint_path
        )
        store = app.state.store
        reading = asyncio.create_task(clock.keep_known(lambda: current_version(store)))
        yield
        reading.cancel()
        if isinstance(app.state.store, RemoteStore):
            await app.state.store.aclose()  # the session of queries run on the event loop

    # No /docs or /redoc: FastAPI's pages load Swagger UI and ReDoc from a CDN at run time.
    app = FastAPI(title="Ilbirs", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(sparql.router)
    app.include_router(v1.router)
    app.include_router(graphs.router)
    app.mount("/static", StaticFiles(directory=Path(pages.__file__).with_name("static")), name="static")
    app.include_router(pages.router)  # last: it dereferences /id/…, /def/… and the rest
    origins = settings.cors_origin_list
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=settings.cors_credentials,  # never with "*": Settings refuses it
            allow_methods=sorted(_methods_of(app)),
            allow_headers=_CORS_REQUEST_HEADERS,
            expose_headers=_CORS_EXPOSED_HEADERS,
            max_age=settings.cors_max_age_s,
        )

    @app.exception_handler(ProblemError)
    async def http_problem(request: Request, exc: ProblemError) -> Response:
        return problem(exc.status, exc.title, exc.detail, headers=exc.headers)

    @app.exception_handler(IlbirsError)
    async def ilbirs_error(request: Request, exc: IlbirsError) -> Response:
        return problem_for(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names the first route's methods, not every route's
            headers["Allow"] = ", ".join(sorted(_methods_of(app, request.url.path)))
        return problem(exc.status_code, str(exc.detail), str(exc.detail), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return problem(400, "Invalid request", reasons)

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client left (or was cut off as too slow: ``http_protocol``) before its body was
        # read: nobody to answer, and no bug to log.
        return problem(400, "Client disconnected", "the connection closed before the request was read")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # A bug, never a client's fault: logged with its traceback by uvicorn, and answered in
        # the same shape as every other error.
        _log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return internal_error()

    @app.get(
        "/health",
        summary="The process is alive",
        responses={200: {"content": {"application/json": {"example": {"status": "alive"}}}}},
    )
    def health() -> dict[str, str]:
        return {"status": "alive"}

    @app.get(
        "/ready",
        summary="The store answers and holds the Ilbirs data",
        responses={
            200: {"content": {"application/json": {"example": {"status": "ready", "store": "sparql-http"}}}},
            **problems(
                s503="Not ready: the store does not answer, or holds no Ilbirs data yet (Retry-After)"
            ),
        },
    )
    def ready(store: StoreDep) -> JSONResponse:
        try:
            loaded = bundle_loaded(store)
        except IlbirsError as exc:
            return problem(503, "Store unreachable", str(exc), retry_after=5)
        if not loaded:
            detail = "the store answers but does not hold the Ilbirs ontology and data yet"
            return problem(503, "Data not loaded", detail, retry_after=5)
        return JSONResponse({"status": "ready", "store": store.kind})

    return app


#: Request headers a cross-origin script may send besides the CORS-safelisted ones: a token,
#: a body's type (a SPARQL query or update, RDF), revalidation.
_CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "If-None-Match",
    "Cache-Control",
]
#: Response headers its script may read besides the safelisted ones.
_CORS_EXPOSED_HEADERS = ["ETag", "Location", "Link", "Retry-After", "Ilbirs-Cache"]


def _methods_of(app: FastAPI, path: str | None = None) -> set[str]:
    """The methods the app's routes take (for ``path``: the routes that match it)."""
    methods: set[str] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        if path is None or compile_path(context.path or route.path)[0].match(path):
            methods |= route.methods or set()
    return methods


def serving_app(settings: Settings) -> AnswerFromCache:
    """The app as served: :func:`create_app`'s behind ``cache.AnswerFromCache`` (GET
    ``/sparql`` and ``/api/v1``: ETags, 304s, repeats answered from the cache; plain details,
    pages and searches answered from the index, ``v1.early_answer``), both before FastAPI."""
    return AnswerFromCache(create_app(settings), early=early_answer)


def early_answer(scope: Scope, known: int | None) -> ASGIApp | None:
    """What is answered before FastAPI: plain queries (``sparql.early_query``), plain
    details, pages and searches (``v1.early_answer``)."""
    if scope["path"] == "/sparql":
        return sparql.early_query(scope, known)
    return v1.early_answer(scope, known)


def app_from_env() -> AnswerFromCache:
    """The app factory uvicorn's workers call (``ilbirs.api.app:app_from_env``)."""
    return serving_app(Settings())
