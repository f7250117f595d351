"""What the ontology and the shapes in the store say about themselves, for their pages: the
classes and properties with their labels and definitions, the shapes with their targets and
messages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rdflib import Literal

from .entities import pick_label
from .sparql import load_query
from .store import Store

__all__ = ["ShapeInfo", "TermInfo", "ontology_terms", "shapes"]

_KINDS = {
    "http://www.w3.org/2002/07/owl#Class": "Classes",
    "http://www.w3.org/2002/07/owl#ObjectProperty": "Object properties",
    "http://www.w3.org/2002/07/owl#DatatypeProperty": "Datatype properties",
}


@dataclass(frozen=True)
class TermInfo:
    """A class or property: IRI, kind (``Classes`` …), label and definition."""

    id: str
    kind: str
    label: str | None
    definition: str | None


@dataclass(frozen=True)
class ShapeInfo:
    """A node shape: IRI, target class, and (path, message) of each property shape."""

    id: str
    target: str | None
    properties: tuple[tuple[str | None, str | None], ...]


def ontology_terms(store: Store, languages: Sequence[str] = ()) -> list[TermInfo]:
    """Every class and property of the ontology, by kind then label."""
    labels: dict[tuple[str, str], list[Literal]] = defaultdict(list)
    definitions: dict[tuple[str, str], list[Literal]] = defaultdict(list)
    for row in store.select(load_query("select_ontology_terms")):
        key = (str(row["term"]), _KINDS[str(row["kind"])])
        labels.setdefault(key, [])
        definitions.setdefault(key, [])
        if isinstance(row.get("label"), Literal):
            labels[key].append(row["label"])  # type: ignore[arg-type]
        if isinstance(row.get("definition"), Literal):
            definitions[key].append(row["definition"])  # type: ignore[arg-type]
    terms = [
        TermInfo(
            iri,
            kind,
            pick_label(labels[(iri, kind)], languages),
            pick_label(definitions[(iri, kind)], languages),
        )
        for iri, kind in labels
    ]
    order = list(_KINDS.values())
    return sorted(terms, key=lambda t: (order.index(t.kind), (t.label or t.id).lower()))


def shapes(store: Store) -> list[ShapeInfo]:
    """Every node shape, by IRI."""
    targets: dict[str, str | None] = {}
    properties: dict[str, set[tuple[str | None, str | None]]] = defaultdict(set)
    for row in store.select(load_query("select_shapes")):
        shape = str(row["shape"])
        targets[shape] = str(row["target"]) if row.get("target") is not None else targets.get(shape)
        if row.get("property") is not None:
            path = str(row["path"]) if row.get("path") is not None else None
            message = str(row["message"]) if row.get("message") is not None else None
            properties[shape].add((path, message))
    return [
        ShapeInfo(
            shape, targets[shape], tuple(sorted(properties[shape], key=lambda pm: (pm[0] or "", pm[1] or "")))
        )
        for shape in sorted(targets)
    ]
