"""Serializers for the request media types schemathesis cannot send by itself (loaded by
``test_openapi_run.py`` through ``SCHEMATHESIS_HOOKS``): SPARQL queries and updates and RDF
documents are text, so the documented examples and the generated strings go as UTF-8 bytes.
(Not media-type strategies: with one registered, schemathesis refuses the text examples.)"""

from __future__ import annotations

import schemathesis


@schemathesis.serializer(
    "application/sparql-query",
    "application/sparql-update",
    "text/turtle",
    "application/x-turtle",
    "application/n-triples",
)
def as_text(ctx: schemathesis.SerializationContext, value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")
