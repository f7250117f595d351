"""Pages for people, and the dereferencing of every Ilbirs IRI.

``https://w3id.org/ilbirs/<path>`` resolves to ``/<path>`` here (``id/``, ``def/``,
``vocab/``, ``graph/``, ``shapes/``, ``ontology/``): a browser gets an HTML page (label,
types, every statement with its sources, links to the pages of linked resources, the
geometry drawn when there is one); a program gets Turtle, N-Triples or JSON-LD by content
negotiation, or a 303 to the ``/api/v1`` JSON. Server-rendered (Jinja2), no JavaScript, no
file fetched from another host.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from rdflib import URIRef
from starlette.concurrency import run_in_threadpool

from ilbirs.graph.catalogue import ontology_terms, shapes
from ilbirs.graph.entities import (
    COLLECTIONS,
    ID_BASE,
    Entity,
    EntityNotFoundError,
    Page,
    PropertyValues,
    Value,
    entity,
)
from ilbirs.graph.geometry import geometries
from ilbirs.graph.jsonld import entity_document
from ilbirs.graph.namespace import BASE as NAMESPACE_BASE
from ilbirs.graph.sparql import load_query
from ilbirs.graph.store import Store
from ilbirs.graph.store.base import RawResult, bind_values
from ilbirs.graph.store.results import convert

from .auth import require
from .errors import ProblemError
from .sparql import choose, content_type
from .v1 import BY_LANGUAGE, api_href_of, current_lookups, current_search, languages

__all__ = ["BASE", "TEMPLATES", "local_href", "router"]

router = APIRouter(include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
BASE = str(NAMESPACE_BASE)
#: The path of an IRI: RFC 3987 characters, no control character, space or ``<>"{}|\\^```.
_IRI_PATH = re.compile(r"[^\x00-\x20<>\"{}|\\^`\x7f-\x9f]+")
_RDF = {"text/turtle": "Turtle", "application/n-triples": "N-Triples", "application/ld+json": "JSON-LD"}


def local_href(iri: str) -> str:
    """The page of an IRI here: Ilbirs IRIs on this host, others as they are."""
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) else iri


def _text(value: Value) -> str:
    if value.ref is not None:
        return value.ref.label or value.ref.id
    return value.value or ""


def _properties(found: Entity, sources: dict[str, int]) -> list[dict[str, Any]]:
    def values(prop: PropertyValues) -> list[dict[str, Any]]:
        return [
            {
                "text": _text(v),
                "href": local_href(v.ref.id) if v.ref else None,
                "lang": v.lang,
                "sources": sorted(sources[g] for g in v.sources if g in sources),
                "fields": [
                    {
                        "label": f.property.label or f.property.id.rsplit("/", 1)[-1],
                        "text": ", ".join(_text(x) for x in f.values),
                    }
                    for f in v.fields
                ],
            }
            for v in prop.values
        ]

    return [
        {
            "id": p.property.id,
            "label": p.property.label or p.property.id.rsplit("/", 1)[-1].rsplit("#", 1)[-1],
            "href": local_href(p.property.id),
            "values": values(p),
        }
        for p in found.properties
    ]


def _geometry(store: Store, iri: URIRef) -> dict[str, str] | None:
    """An SVG path of the entity's default geometry (``graph.geometry``) when it has polygons:
    one closed subpath per polygon's outer ring, in a view box around them (y flipped by the
    template, as SVG's y grows downwards)."""
    shape = geometries(store, [iri]).get(iri)
    if shape is None:
        return None
    rings = [poly.exterior.coords for poly in getattr(shape, "geoms", [shape]) if poly.geom_type == "Polygon"]
    if not rings:
        return None
    path = " ".join("M " + " L ".join(f"{x:.5f} {y:.5f}" for x, y in ring) + " Z" for ring in rings)
    minx, miny, maxx, maxy = shape.bounds
    pad = max(maxx - minx, maxy - miny) * 0.05 or 0.01
    viewbox = f"{minx - pad:.5f} {-maxy - pad:.5f} {maxx - minx + 2 * pad:.5f} {maxy - miny + 2 * pad:.5f}"
    return {"path": path, "viewbox": viewbox, "wkt": shape.wkt}


def _collection_of(iri: str) -> str | None:
    for collection in COLLECTIONS.values():
        if iri.startswith(f"{ID_BASE}{collection.segment}/"):
            return collection.name
    return None


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    """The collections, with their sizes and first members."""
    require(request, "reader")
    store: Store = request.app.state.store
    asked = languages(request, None)

    def rows() -> list[dict[str, Any]]:
        searcher = current_search(request)
        out = []
        for c in COLLECTIONS.values():
            found = searcher.page(store, c, limit=5, languages=asked)
            items = [{"href": local_href(r.id), "label": r.label, "id": r.id} for r in found.items]
            out.append(
                {
                    "name": c.name,
                    "title": c.title,
                    "total": found.total,
                    "exact": found.total_exact,
                    "members": items,
                }
            )
        return out

    collections = await run_in_threadpool(rows)
    return TEMPLATES.TemplateResponse(request, "home.html", {"collections": collections}, headers=BY_LANGUAGE)


@router.get("/collections/{name}", response_class=HTMLResponse)
async def collection_page(request: Request, name: str, after: str | None = None) -> Response:
    """One collection, 50 at a time."""
    require(request, "reader")
    chosen = COLLECTIONS.get(name)
    if chosen is None:
        raise ProblemError(
            404, "Not found", f"no collection {name[:60]!r}; there are: {', '.join(COLLECTIONS)}"
        )
    store: Store = request.app.state.store
    asked = languages(request, None)

    def run() -> Page:
        return current_search(request).page(store, chosen, limit=50, after=after or "", languages=asked)

    found = await run_in_threadpool(run)
    items = [{"href": local_href(r.id), "label": r.label, "id": r.id} for r in found.items]
    next_url = str(request.url.replace_query_params(after=found.next_after)) if found.next_after else None
    context = {
        "name": name,
        "title": chosen.title,
        "items": items,
        "total": found.total,
        "exact": found.total_exact,
        "next": next_url,
    }
    return TEMPLATES.TemplateResponse(request, "collection.html", context, headers=BY_LANGUAGE)


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, q: str = "") -> Response:
    """Search by label or name, as ``/api/v1/search`` does."""
    require(request, "reader")
    hits: list[dict[str, Any]] = []
    if q.strip():
        from .v1 import search  # the same search, shaped for the page

        found = await search(request, q[:200], collection=None, limit=20, lang=None)
        hits = [
            {
                "href": local_href(h.ref.id),
                "id": h.ref.id,
                "label": h.ref.label,
                "matched": h.matched,
                "lang": h.lang or None,
                "collection": h.collection,
            }
            for h in found
        ]
    return TEMPLATES.TemplateResponse(request, "search.html", {"q": q, "hits": hits}, headers=BY_LANGUAGE)


@router.get("/def/", response_class=HTMLResponse)
async def ontology_page(request: Request) -> Response:
    """The classes and properties of the ontology, with their definitions."""
    require(request, "reader")
    store: Store = request.app.state.store
    terms = await run_in_threadpool(ontology_terms, store, languages(request, None))
    groups: dict[str, list[dict[str, str]]] = {}
    for t in terms:
        local = t.id.rsplit("/", 1)[-1]
        groups.setdefault(t.kind, []).append(
            {
                "id": t.id,
                "anchor": local,
                "href": local_href(t.id),
                "label": t.label or local,
                "text": t.definition or "",
            }
        )
    context = {
        "title": "The Ilbirs ontology",
        "intro": "Every class and property, with its definition; each name leads to its own page.",
        "groups": [{"name": k, "terms": v} for k, v in groups.items()],
    }
    return TEMPLATES.TemplateResponse(request, "terms.html", context, headers=BY_LANGUAGE)


@router.get("/shapes/", response_class=HTMLResponse)
async def shapes_page(request: Request) -> Response:
    """The SHACL shapes every write is validated against."""
    require(request, "reader")
    store: Store = request.app.state.store
    found = await run_in_threadpool(shapes, store)
    terms = [
        {
            "id": s.id,
            "anchor": s.id.rsplit("/", 1)[-1],
            "href": local_href(s.id),
            "label": s.id.rsplit("/", 1)[-1],
            "text": (f"Targets {s.target.rsplit('/', 1)[-1]}. " if s.target else "")
            + " ".join(m for _, m in s.properties if m),
        }
        for s in found
    ]
    context = {
        "title": "The Ilbirs shapes",
        "intro": "Every write is validated against these SHACL shapes; a change that would break one is refused whole.",
        "groups": [{"name": "Node shapes", "terms": terms}],
    }
    return TEMPLATES.TemplateResponse(request, "terms.html", context)


@router.get("/{area}/{path:path}")
async def dereference(request: Request, area: str, path: str) -> Response:
    """An Ilbirs IRI: its page, its RDF, or a 303 to its JSON."""
    if area not in ("id", "def", "vocab", "graph", "shapes", "ontology") or not path:
        raise ProblemError(404, "Not found", f"nothing at /{area[:40]}/{path[:80]}")
    if not _IRI_PATH.fullmatch(path):  # rdflib and the engines refuse such an IRI: it names nothing
        raise ProblemError(
            404,
            "Not found",
            f"no IRI has the path {f'/{area}/{path}'[:80]!r}: it holds a character IRIs forbid",
        )
    require(request, "reader")
    iri = URIRef(f"{BASE}{area}/{path}")
    collection = _collection_of(str(iri))
    offered = ["text/html", *_RDF, *(["application/json"] if collection else [])]
    asked = request.query_params.get("format")  # a link can ask for a format, as Accept does
    chosen = asked if asked in offered else choose(request, offered)
    store: Store = request.app.state.store
    api_href = api_href_of(collection, str(iri)) if collection else None
    if chosen == "application/json" and api_href:
        return RedirectResponse(api_href, status_code=303, headers={"Vary": "Accept"})
    try:
        if chosen == "application/ld+json":
            document = await run_in_threadpool(
                entity_document, store, iri, context_url=str(request.url_for("context"))
            )
            return JSONResponse(document, media_type="application/ld+json", headers={"Vary": "Accept"})
        if chosen in _RDF:
            query = bind_values(load_query("construct_entity"), {"s": iri})
            result: RawResult = await run_in_threadpool(store.execute, query, form="CONSTRUCT")
            if result.size == 0:
                raise EntityNotFoundError(f"the graph states nothing about <{iri}>")
            body = await run_in_threadpool(convert, result, chosen)
            return Response(body, media_type=content_type(chosen), headers={"Vary": "Accept"})
        wanted = languages(request, None)
        found = await run_in_threadpool(
            lambda: entity(store, iri, languages=wanted, lookups=current_lookups(request))
        )
    except EntityNotFoundError as exc:
        raise ProblemError(404, "Not found", str(exc)) from exc
    sources = {s.graph: n for n, s in enumerate(found.sources, start=1)}
    alternates = [
        {"name": name, "type": media_type, "href": f"{request.url.path}?format={media_type}"}
        for media_type, name in _RDF.items()
    ]
    if api_href:
        alternates.append({"name": "JSON (API)", "type": "application/json", "href": api_href})
    context = {
        "iri": str(iri),
        "label": found.label,
        "types": [{"id": t.id, "label": t.label, "href": local_href(t.id)} for t in found.types],
        "properties": _properties(found, sources),
        "sources": [{**s.__dict__, "graph_href": local_href(s.graph)} for s in found.sources],
        "alternates": alternates,
        "geometry": await run_in_threadpool(_geometry, store, iri),
    }
    response = TEMPLATES.TemplateResponse(request, "resource.html", context)
    response.headers["Vary"] = BY_LANGUAGE["Vary"]
    if api_href:
        response.headers["Link"] = f'<{api_href}>; rel="alternate"; type="application/json"'
    return response


EXAMPLES = [
    (
        "The three snow leopards and their names",
        "SELECT ?animal ?name WHERE {\n  ?animal a <https://w3id.org/ilbirs/def/Animal> ;\n    <http://rs.tdwg.org/dwc/terms/organismName> ?name .\n}\nORDER BY ?animal ?name",
    ),
    (
        "Protected areas of Kyrgyzstan",
        'PREFIX kg: <https://w3id.org/ilbirs/def/>\nPREFIX schema: <https://schema.org/>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\nSELECT ?area ?label WHERE {\n  ?area a kg:ProtectedArea ; skos:prefLabel ?label ;\n    schema:containedInPlace+ <https://w3id.org/ilbirs/id/country/kg> .\n  FILTER (LANG(?label) = "en")\n}\nORDER BY ?label',
    ),
    (
        "Statements per source graph",
        "SELECT ?graph (COUNT(*) AS ?statements) WHERE {\n  GRAPH ?graph { ?s ?p ?o }\n}\nGROUP BY ?graph\nORDER BY DESC(?statements)",
    ),
]


def sparql_page(
    request: Request, query: str = "", result: RawResult | None = None, error: dict[str, str] | None = None
) -> Response:
    """The SPARQL page: an editor (a form), the examples, and a result as a table."""
    head: list[str] = []
    rows: list[list[dict[str, str | None]]] = []
    if result is not None and result.kind == "graph":
        head = ["subject", "predicate", "object"]
        for line in result.body.decode("utf-8").splitlines():
            parts = line.rstrip(" .").split(" ", 2)
            if len(parts) == 3:
                rows.append([_cell_nt(part) for part in parts])
    elif result is not None:
        doc = json.loads(result.body)
        if "boolean" in doc:
            head, rows = ["boolean"], [[{"text": str(doc["boolean"]).lower(), "href": None}]]
        else:
            head = list(doc["head"].get("vars", []))
            for binding in doc["results"]["bindings"]:
                rows.append([_cell(binding.get(name)) for name in head])
    examples = [{"title": title, "query": text} for title, text in EXAMPLES]
    context = {
        "query": query or EXAMPLES[0][1],
        "examples": examples,
        "head": head,
        "rows": rows,
        "error": error,
    }
    return TEMPLATES.TemplateResponse(
        request, "sparql.html", context, status_code=int(error["status"]) if error else 200
    )


def _cell(term: dict[str, str] | None) -> dict[str, str | None]:
    if term is None:
        return {"text": "", "href": None}
    if term["type"] == "uri":
        return {"text": term["value"], "href": local_href(term["value"])}
    suffix = f" @{term['xml:lang']}" if term.get("xml:lang") else ""
    return {"text": term["value"] + suffix, "href": None}


def _cell_nt(part: str) -> dict[str, str | None]:
    if part.startswith("<") and part.endswith(">"):
        return {"text": part[1:-1], "href": local_href(part[1:-1])}
    return {"text": part, "href": None}
