"""Geometries as web maps read them: GeoSPARQL WKT literals (``geo:hasDefaultGeometry`` /
``geo:asWKT``) turned into GeoJSON geometries and bounding boxes, with shapely.

>>> geometry = parse_wkt("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT (74.5 42.9)")
>>> to_geojson(geometry), geometry.bounds
({'type': 'Point', 'coordinates': [74.5, 42.9]}, (74.5, 42.9, 74.5, 42.9))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import shapely.wkt
from rdflib import URIRef
from rdflib.term import Identifier
from shapely.errors import ShapelyError
from shapely.geometry.base import BaseGeometry

from .sparql import load_query
from .store import Store
from .store.base import bind_rows

__all__ = ["geometries", "parse_wkt", "to_geojson"]

_BATCH = 500


def parse_wkt(text: str) -> BaseGeometry | None:
    """The geometry of a WKT literal (an optional leading ``<CRS IRI>`` is dropped: GeoSPARQL's
    default, CRS84, is longitude-latitude as GeoJSON is); ``None`` for text that is not WKT."""
    text = text.strip()
    if text.startswith("<"):
        text = text[text.find(">") + 1 :].strip()
    try:
        geometry = shapely.wkt.loads(text)
    except (ShapelyError, ValueError):
        return None
    return None if geometry.is_empty else geometry


def _lists(value: Any) -> Any:
    return [_lists(v) for v in value] if isinstance(value, tuple | list) else value


def to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """The GeoJSON geometry object (RFC 7946) of ``geometry``, with lists, not tuples."""
    mapping = dict(geometry.__geo_interface__)
    return {"type": mapping["type"], "coordinates": _lists(mapping["coordinates"])}


def geometries(store: Store, nodes: Iterable[Identifier] | None) -> dict[URIRef, BaseGeometry]:
    """The geometry of each node that has one (every node with ``nodes=None``): its default
    geometry, else a centroid a source gives; read in batched queries."""
    query = load_query("select_geometries")
    wanted = None if nodes is None else sorted({n for n in nodes if isinstance(n, URIRef)})
    texts = (
        [query]
        if wanted is None
        else [
            bind_rows(query, ["s"], [(n,) for n in wanted[i : i + _BATCH]])
            for i in range(0, len(wanted), _BATCH)
        ]
    )
    found: dict[URIRef, BaseGeometry] = {}
    for text in texts:
        for row in store.select(text):
            geometry = parse_wkt(str(row["wkt"]))
            if geometry is not None and isinstance(row["s"], URIRef):
                found.setdefault(row["s"], geometry)
    return found
