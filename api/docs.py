"""What the OpenAPI document (``/openapi.json``) says beyond the routes' signatures: the
parameters and bodies of the SPARQL 1.1 Protocol and Graph Store routes (which read their
requests themselves, as the protocols define them), the media types of each answer, and an
example of each answer.

The examples are answers of the shipped data, copied from a running service (the example
request is named beside each); ``tests/api/test_openapi_docs.py`` asks the running service
the same and checks each example still holds, so no example states what the graph does not.
"""

from __future__ import annotations

from typing import Any

from ilbirs.graph.jsonld import CONTEXT
from ilbirs.graph.store.formats import GRAPH_UPLOAD_TYPES
from ilbirs.graph.store.results import GRAPH_TYPES, RESULT_TYPES

__all__ = [
    "CHANGE_EXAMPLE",
    "CONSTRUCT_EXAMPLE",
    "DELETE_RESPONSES",
    "ENTITY_EXAMPLE",
    "EXAMPLE_QUERY",
    "EXAMPLE_UPDATE",
    "GRAPH_LINE",
    "GRAPH_PARAMETERS",
    "GRAPH_READ_RESPONSES",
    "GRAPH_WRITE_BODY",
    "INDEX_EXAMPLE",
    "PAGE_EXAMPLE",
    "PROBLEM",
    "RESULT_EXAMPLES",
    "SEARCH_EXAMPLE",
    "SEND_RESPONSES",
    "SPARQL_GET_PARAMETERS",
    "SPARQL_POST_BODY",
    "SPARQL_RESPONSES",
    "problems",
]

UMAI = "https://w3id.org/ilbirs/id/animal/umai"
ANIMAL = "https://w3id.org/ilbirs/def/Animal"
EN_337535 = "https://w3id.org/ilbirs/graph/24kg-en-337535"
RU_337503 = "https://w3id.org/ilbirs/graph/24kg-ru-337503"

# -- /api/v1 --------------------------------------------------------------------------------

#: ``GET /api/v1`` (one of the collections).
INDEX_EXAMPLE: dict[str, Any] = {
    "collections": [
        {
            "name": "animals",
            "title": "Individual animals",
            "type": ANIMAL,
            "href": "/api/v1/animals",
            "filters": [
                {"name": "species", "description": "a taxon, e.g. `panthera-uncia`"},
                {"name": "sex", "description": "`male` or `female`"},
                {
                    "name": "place",
                    "description": "kept in a place: `kg` (a country code), `region/kg-y`, or an IRI",
                },
            ],
            "sorts": [
                {"name": "id", "description": "by IRI (the default)"},
                {"name": "label", "description": "by the English label (else another), case-insensitively"},
            ],
        }
    ]
}

#: ``GET /api/v1/animals?limit=2``.
PAGE_EXAMPLE: dict[str, Any] = {
    "collection": "animals",
    "items": [
        {"id": "https://w3id.org/ilbirs/id/animal/batyr", "type": [ANIMAL], "label": "Batyr"},
        {"id": "https://w3id.org/ilbirs/id/animal/janish", "type": [ANIMAL], "label": "Janish"},
    ],
    "limit": 2,
    "total": {"value": 3, "exact": True},
    "next": "http://127.0.0.1:8000/api/v1/animals?limit=2&after=https%3A%2F%2Fw3id.org%2Filbirs%2Fid%2Fanimal%2Fjanish",
}

#: ``GET /api/v1/animals/umai`` (one of its properties and two of its sources).
ENTITY_EXAMPLE: dict[str, Any] = {
    "id": UMAI,
    "type": [{"id": ANIMAL, "type": ["http://www.w3.org/2002/07/owl#Class"], "label": "animal"}],
    "label": "Umai",
    "properties": [
        {
            "property": {
                "id": "http://rs.tdwg.org/dwc/iri/sex",
                "type": ["http://www.w3.org/1999/02/22-rdf-syntax-ns#Property"],
                "label": None,
            },
            "values": [
                {
                    "value": None,
                    "lang": None,
                    "datatype": None,
                    "ref": {
                        "id": "https://w3id.org/ilbirs/vocab/sex/female",
                        "type": ["http://www.w3.org/2004/02/skos/core#Concept"],
                        "label": "female",
                    },
                    "fields": [],
                    "sources": [
                        EN_337535,
                        RU_337503,
                        "https://w3id.org/ilbirs/graph/caspian-post-snow-leopards",
                        "https://w3id.org/ilbirs/graph/eco-tatarstan-2395642",
                        "https://w3id.org/ilbirs/graph/tatar-inform-first-snow-leopards",
                    ],
                }
            ],
        },
    ],
    "sources": [
        {
            "graph": EN_337535,
            "id": "https://w3id.org/ilbirs/id/source/24kg-en-337535",
            "label": "24.kg: Chairman of Kyrgyzstan's Cabinet presents snow leopards to the Altai Republic",
            "url": "https://24.kg/english/337535/",
        },
        {
            "graph": RU_337503,
            "id": "https://w3id.org/ilbirs/id/source/24kg-ru-337503",
            "label": "24.kg (Russian): the head of the Cabinet presented snow leopards to the Altai Republic",
            "url": None,
        },
    ],
}

#: ``GET /api/v1/search?q=umai&limit=1``.
SEARCH_EXAMPLE: dict[str, Any] = {
    "query": "umai",
    "items": [
        {
            "id": UMAI,
            "type": [ANIMAL],
            "label": "Umai",
            "matched": "Umai",
            "matched_lang": None,
            "collection": "animals",
            "href": "/api/v1/animals/umai",
        }
    ],
    "limit": 1,
}

#: ``GET /api/v1/protected-areas?country=kg&iucn=II`` with ``Accept: application/geo+json``.
GEOJSON_PAGE_EXAMPLE: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": "https://w3id.org/ilbirs/id/protected-area/alatai",
            "geometry": None,  # no source loaded gives a point or a boundary
            "properties": {
                "label": "Alatai State Nature Park",
                "type": ["https://w3id.org/ilbirs/def/ProtectedArea"],
                "href": "/api/v1/protected-areas/alatai",
            },
        },
        {
            "type": "Feature",
            "id": "https://w3id.org/ilbirs/id/protected-area/khan-tengri",
            "geometry": {"type": "Point", "coordinates": [79.916667, 42.166667]},  # Wikipedia's point
            "properties": {
                "label": "Khan-Tengri State Nature Park",
                "type": ["https://w3id.org/ilbirs/def/ProtectedArea"],
                "href": "/api/v1/protected-areas/khan-tengri",
            },
        },
    ],
    "numberMatched": 2,
    "links": [],
}

#: ``GET /api/v1/animals/umai`` with ``Accept: application/ld+json`` (one of its graphs).
JSONLD_EXAMPLE: dict[str, Any] = {
    "@context": "http://127.0.0.1:8000/api/v1/context.jsonld",
    "@graph": [
        {
            "@id": "graph:24kg-en-337535",
            "@graph": [
                {
                    "@id": "id:animal/umai",
                    "dwciri:sex": [{"@id": "vocab:sex/female"}],
                    "dwc:organismName": [{"@value": "Umai"}],
                }
            ],
        }
    ],
}

#: ``GET /api/v1/corridors/ak-ilbirs`` with ``Accept: application/geo+json``.
GEOJSON_FEATURE_EXAMPLE: dict[str, Any] = {
    "type": "Feature",
    "id": "https://w3id.org/ilbirs/id/corridor/ak-ilbirs",
    "geometry": None,
    "properties": {
        "label": "Ak Ilbirs ecological corridor",
        "type": ["https://w3id.org/ilbirs/def/EcologicalCorridor"],
        "href": "/api/v1/corridors/ak-ilbirs",
    },
}

GEOJSON_PAGE = {"application/geo+json": {"schema": {"type": "object"}, "example": GEOJSON_PAGE_EXAMPLE}}
ENTITY_FORMATS = {
    "application/ld+json": {"schema": {"type": "object"}, "example": JSONLD_EXAMPLE},
    "application/geo+json": {"schema": {"type": "object"}, "example": GEOJSON_FEATURE_EXAMPLE},
}
CONTEXT_FORMATS = {"application/ld+json": {"schema": {"type": "object"}, "example": CONTEXT}}

# -- errors ---------------------------------------------------------------------------------

#: ``GET /api/v1/beasts``.
PROBLEM_EXAMPLE = {
    "type": "about:blank",
    "title": "Not found",
    "status": 404,
    "detail": "no collection 'beasts'; there are: countries, regions, protected-areas, corridors, "
    "ecoregions, species, animals, people, organizations, events, projects, portfolios, sources",
}
PROBLEM = {
    "application/problem+json": {
        "schema": {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "report": {"type": "object", "description": "422: the SHACL validation report"},
            },
        },
        "example": PROBLEM_EXAMPLE,
    }
}


def problems(**described: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for error statuses (``s404="No such graph"``), each a problem+json,
    and "4XX": every other client error is one too (a malformed parameter is a 400 here, never
    FastAPI's 422 validation error)."""
    responses: dict[int | str, dict[str, Any]] = {
        int(code[1:]): {"description": text, "content": PROBLEM} for code, text in described.items()
    }
    responses["4XX"] = {"description": "Any other client error", "content": PROBLEM}
    return responses


# -- /sparql --------------------------------------------------------------------------------

_DATASET = {
    "default-graph-uri": "A graph of the default graph (repeatable); without any: the union of all graphs",
    "named-graph-uri": "A named graph of the dataset (repeatable)",
}
_USING = {
    "using-graph-uri": "A graph of the update's default graph (repeatable)",
    "using-named-graph-uri": "A named graph of the update's dataset (repeatable)",
}
_IRIS = {"type": "array", "items": {"type": "string", "format": "uri"}}
EXAMPLE_QUERY = (
    f"SELECT DISTINCT ?name WHERE {{ <{UMAI}> <http://rs.tdwg.org/dwc/terms/organismName> ?name }}"
)
EXAMPLE_UPDATE = f'INSERT DATA {{ GRAPH <{EN_337535}> {{ <{UMAI}> <http://www.w3.org/2004/02/skos/core#altLabel> "Umai"@en }} }}'

#: ``GET /sparql``: a query (or, without one, the service description).
SPARQL_GET_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "query",
        "in": "query",
        "description": "A SPARQL 1.1 query; without it, the service description (an HTML page for browsers)",
        "schema": {"type": "string"},
        "example": EXAMPLE_QUERY,
    },
    *(
        {"name": name, "in": "query", "description": text, "schema": _IRIS, "explode": True}
        for name, text in _DATASET.items()
    ),
]

_WRITE_NOTE = (
    "Updates need a steward token (`Authorization: Bearer …`, or as the password of HTTP Basic); "
    "`reason` and `source` (parameters, or the headers `Ilbirs-Reason` and `Ilbirs-Source`) "
    "are recorded with the change."
)

#: ``POST /sparql``: a query or an update, as a form or directly.
SPARQL_POST_BODY: dict[str, Any] = {
    "description": "A query or an update: as a form, or directly as the body. " + _WRITE_NOTE,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "A SPARQL 1.1 query"},
                    "update": {"type": "string", "description": "A SPARQL 1.1 update (not with `query`)"},
                    **{name: {**_IRIS, "description": text} for name, text in {**_DATASET, **_USING}.items()},
                    "reason": {"type": "string", "description": "Why (an update; recorded)"},
                    "source": {
                        "type": "string",
                        "format": "uri",
                        "description": "From which source (recorded)",
                    },
                },
            },
            "example": {"query": EXAMPLE_QUERY},
        },
        "application/sparql-query": {"schema": {"type": "string"}, "example": EXAMPLE_QUERY},
        "application/sparql-update": {"schema": {"type": "string"}, "example": EXAMPLE_UPDATE},
    },
}

RESULT_EXAMPLES = {
    "application/sparql-results+json": {
        "head": {"vars": ["name"]},
        "results": {
            "bindings": [
                {"name": {"type": "literal", "value": "Umai"}},
                {"name": {"type": "literal", "value": "Умай"}},
            ]
        },
    },
    "application/sparql-results+xml": (
        '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
        '<variable name="name"/></head><results><result><binding name="name"><literal>Umai</literal>'
        '</binding></result><result><binding name="name"><literal>Умай</literal></binding></result>'
        "</results></sparql>"
    ),
    "text/csv": "name\r\nUmai\r\nУмай\r\n",
    "text/tab-separated-values": '?name\n"Umai"\n"Умай"\n',
}
CONSTRUCT_EXAMPLE = (
    f"<{UMAI}> <http://rs.tdwg.org/dwc/iri/sex> <https://w3id.org/ilbirs/vocab/sex/female> .\n"  # CONSTRUCT
)
_JSON_TYPES = ("application/sparql-results+json", "application/json")


def _answer(media_type: str) -> dict[str, Any]:
    if media_type in _JSON_TYPES:
        return {"schema": {"type": "object"}, "example": RESULT_EXAMPLES["application/sparql-results+json"]}
    example = RESULT_EXAMPLES.get(media_type, CONSTRUCT_EXAMPLE)
    return {"schema": {"type": "string"}, "example": example}


#: What ``/sparql`` answers: results of SELECT/ASK (examples: the query above), graphs of
#: CONSTRUCT/DESCRIBE (example: ``CONSTRUCT WHERE { <…umai> dwciri:sex ?o }``) by ``Accept``.
SPARQL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Query results (SELECT, ASK: SPARQL JSON by default; CONSTRUCT, DESCRIBE: "
        "Turtle by default), the service description, or the change an update made",
        "content": {media_type: _answer(media_type) for media_type in [*RESULT_TYPES, *GRAPH_TYPES]},
    },
    **problems(
        s400="Invalid query, or refused (SERVICE, limits)",
        s401="An update without a token",
        s403="An update with a token that may not write",
        s405="An update sent by GET",
        s406="No acceptable result format",
        s413="Request body too large",
        s415="Unsupported request media type",
        s422="The update would break a shape: nothing was written (the report says why)",
        s503="Query timed out (Retry-After), or the store is unavailable",
    ),
}

# -- /graphs --------------------------------------------------------------------------------

#: ``?graph=IRI`` or ``?default`` (Graph Store Protocol).
GRAPH_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "graph",
        "in": "query",
        "description": "The graph's IRI (absolute, or relative to this URL)",
        "schema": {"type": "string"},
        "example": EN_337535,
    },
    {
        "name": "default",
        "in": "query",
        "description": "The default graph (present, without a value)",
        "schema": {"type": "string"},
        "allowEmptyValue": True,
    },
]

#: ``GET /graphs?graph=https://w3id.org/ilbirs/graph/24kg-en-337535`` as N-Triples (one line of it).
GRAPH_LINE = f'<{UMAI}> <http://rs.tdwg.org/dwc/terms/organismName> "Umai" .\n'

GRAPH_READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The graph (Turtle by default); HEAD: the same headers, no body",
        "content": {t: {"schema": {"type": "string"}, "example": GRAPH_LINE} for t in GRAPH_TYPES},
    },
    **problems(
        s400="A relative or malformed graph IRI",
        s404="No such graph",
        s406="No acceptable format",
    ),
}

#: A graph sent by PUT or POST: an RDF document, or several as multipart/form-data.
GRAPH_WRITE_BODY: dict[str, Any] = {
    "description": "The triples: one RDF document, or RDF files as the parts of a form. " + _WRITE_NOTE,
    "content": {
        **{t: {"schema": {"type": "string"}, "example": GRAPH_LINE} for t in GRAPH_UPLOAD_TYPES},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"}}},
            }
        },
    },
}

#: ``PUT /graphs?graph=https://example.org/g`` (a new graph) with a steward token.
CHANGE_EXAMPLE = {
    "version": 2,
    "change": "urn:uuid:8d876119-69c9-4f96-983f-c7b59a4006e9",
    "added": 1,
    "removed": 0,
    "warnings": [
        "The graph https://example.org/g does not say where its statements come from: add "
        "https://example.org/g a kg:SourceGraph ; prov:hadPrimarySource <a described kg:Source>."
    ],
}

_WRITE_REFUSALS = {
    "s401": "No token",
    "s403": "A token that may not write",
    "s422": "The change would break a shape: nothing was written (the report says why)",
}

#: What PUT and POST on ``/graphs`` answer.
SEND_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "A new graph: the change recorded (POST without `graph`: `Location` names the graph)",
        "content": {"application/json": {"schema": {"type": "object"}, "example": CHANGE_EXAMPLE}},
    },
    204: {"description": "The graph existed and was changed"},
    **problems(
        s400="A relative or malformed graph IRI, or a body that does not parse",
        s413="Request body too large",
        s415="Not an RDF type Ilbirs reads",
        **_WRITE_REFUSALS,
    ),
}

#: What DELETE on ``/graphs`` answers.
DELETE_RESPONSES: dict[int | str, dict[str, Any]] = {
    204: {"description": "The graph was deleted"},
    **problems(s400="A relative or malformed graph IRI", s404="No such graph", **_WRITE_REFUSALS),
}
