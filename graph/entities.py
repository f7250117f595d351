"""The entities of the graph as web clients read them: typed collections, pages, and one
entity with every statement, the source of each value, and its links resolved to
``{id, type, label}`` in one batched query.

Collections are named for what they hold (``animals``, ``protected-areas`` …); each is an
ontology class and its subclasses. Pages are keyset pages in IRI order: ``after`` is the last
IRI of the previous page, so a deep page costs what the first one does.

Labels come in the language asked for, with fallback (the languages asked for in order,
then English, then a label without language, then any), never invented.

>>> pick_label([Literal("Умай", lang="ru"), Literal("Umai", lang="en")], ["ky", "ru"])
'Умай'
>>> pick_label([Literal("Умай", lang="ru"), Literal("Umai", lang="en")], ["ky"])
'Umai'
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from .errors import IlbirsError, InvalidValueError
from .namespace import KG
from .sparql import load_query
from .sparql_text import read_prologue, tokens
from .store import Store
from .store.base import bind_rows

__all__ = [
    "COLLECTIONS",
    "Collection",
    "Entity",
    "EntityNotFoundError",
    "Filter",
    "Lookups",
    "Page",
    "PropertyValues",
    "Ref",
    "Sort",
    "Source",
    "Statements",
    "Text",
    "Value",
    "assemble",
    "assemble_document",
    "classes_of",
    "entity",
    "entity_json",
    "filter_value",
    "graphs_of",
    "indexed_detail",
    "linked_nodes",
    "page",
    "pick_label",
    "pick_text",
    "ref_document",
    "refs",
    "shown_label",
    "source_document",
    "sources_of",
    "statements_of",
    "text_of",
    "texts",
]

ID_BASE = "https://w3id.org/ilbirs/id/"
VOCAB_BASE = "https://w3id.org/ilbirs/vocab/"
_LOCAL = re.compile(r"[a-z][a-z-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
#: A year filter's value: what the index's integer columns compare against (no overflow).
_YEAR = re.compile(r"-?[0-9]{1,4}")
COUNT_CAP = 10_000
_BATCH = 500


class EntityNotFoundError(IlbirsError):
    """No statement in the graph is about this IRI."""


@dataclass(frozen=True)
class Filter:
    """A filter of a collection: the request parameter, the query variable it binds, and how
    its text becomes an RDF term (``kind``: ``place``, ``entity`` (of ``target``, an IRI
    segment), ``concept`` (of the scheme ``target``), ``date``, ``decimal``, ``year``,
    ``kind`` (a subclass of ``target``, a class name))."""

    param: str
    variable: str
    kind: str
    target: str = ""
    description: str = ""

    def conditions(self, term: Identifier) -> list[tuple[str, str, object, bool]]:
        """The conditions of the member index (``LabelIndex.members_page``) that this filter
        sets for ``term``: the facet it reads (``graph/queries/select_facets_*.rq``), how it
        compares, the value, and whether the condition is negated."""
        if self.kind == "bbox":
            return [("", "bbox", tuple(float(x) for x in str(term).split(",")), False)]
        facet, op = _FACETS.get(self.variable, (self.variable, "eq"))
        if op == "active":  # started by that year, and not ended before it
            year = int(str(term))
            return [("start", "year_le", year, False), ("end", "year_lt", year, True)]
        return [(facet, op, float(str(term)) if op == "num_ge" else str(term), False)]


#: Filters whose facet or comparison is not "the variable's name, equal".
_FACETS = {
    "before": ("established", "lt"),
    "since": ("established", "ge"),
    "minArea": ("area_ha", "num_ge"),
    "from": ("start", "ge"),
    "to": ("start", "le"),
    "year": ("", "active"),
}


@dataclass(frozen=True)
class Sort:
    """An order of a collection's list (``sort=<name>``, ``sort=-<name>`` descending): by the
    member-index facet ``facet`` (an entity with several values sorts by its least), compared
    as numbers when ``numeric``; an entity without a value comes last either way."""

    name: str
    facet: str
    numeric: bool = False
    description: str = ""


#: The orders of every collection: by IRI (the default), and by the label shown by default.
BY_ID = Sort("id", "", description="by IRI (the default)")
BY_LABEL = Sort("label", "", description="by the English label (else another), case-insensitively")


@dataclass(frozen=True)
class Collection:
    """A collection of the API: its name in URLs, its class, the IRI segment of its members
    (``https://w3id.org/ilbirs/id/<segment>/<id>``), and, for collections with filters, the
    query that lists them (``graph/queries/<query>.rq``), its filters, and the orders it
    offers beyond :data:`BY_ID` and :data:`BY_LABEL`."""

    name: str
    cls: URIRef
    segment: str
    title: str
    query: str | None = None
    filters: tuple[Filter, ...] = ()
    sorts: tuple[Sort, ...] = ()

    @property
    def orders(self) -> dict[str, Sort]:
        """Every order of the list, by name."""
        return {s.name: s for s in (BY_ID, BY_LABEL, *self.sorts)}


_BBOX = "a bounding box `minLon,minLat,maxLon,maxLat` (WGS 84) that its geometry meets"
_PLACE = "a place: `kg` (a country code), `region/kg-y`, or an IRI"
COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in [
        Collection("countries", KG.Country, "country", "Countries"),
        Collection("regions", KG.AdministrativeRegion, "region", "Administrative regions"),
        Collection(
            "protected-areas",
            KG.ProtectedArea,
            "protected-area",
            "Protected areas",
            "select_protected_areas",
            (
                Filter("country", "place", "place", description=f"lies in {_PLACE}"),
                Filter("bbox", "bbox", "bbox", description=_BBOX),
                Filter("iucn", "iucn", "concept", "iucn-pa-category", "IUCN category code, e.g. `II`"),
                Filter("established_before", "before", "date", description="established before (YYYY-MM-DD)"),
                Filter(
                    "established_since", "since", "date", description="established on or after (YYYY-MM-DD)"
                ),
                Filter(
                    "min_area_ha",
                    "minArea",
                    "decimal",
                    description="area (or its stated lower bound) at least, ha",
                ),
            ),
            (
                Sort("established", "established", description="by date of establishment"),
                Sort(
                    "area_ha", "area_ha", numeric=True, description="by area (or its stated lower bound), ha"
                ),
            ),
        ),
        Collection(
            "corridors",
            KG.EcologicalCorridor,
            "corridor",
            "Ecological corridors",
            "select_corridors",
            (
                Filter("country", "place", "place", description=f"lies in {_PLACE}"),
                Filter("status", "status", "concept", "corridor-status", "status code, e.g. `established`"),
                Filter("connects", "connects", "entity", "protected-area", "a protected area it connects"),
                Filter("bbox", "bbox", "bbox", description=_BBOX),
            ),
        ),
        Collection("ecoregions", KG.Ecoregion, "ecoregion", "Ecoregions"),
        Collection("species", KG.Taxon, "taxon", "Species and other taxa"),
        Collection(
            "animals",
            KG.Animal,
            "animal",
            "Individual animals",
            "select_animals",
            (
                Filter("species", "species", "entity", "taxon", "a taxon, e.g. `panthera-uncia`"),
                Filter("sex", "sex", "concept", "sex", "`male` or `female`"),
                Filter("place", "place", "place", description=f"kept in {_PLACE}"),
            ),
        ),
        Collection("people", KG.Person, "person", "People"),
        Collection("organizations", KG.Organization, "organization", "Organizations"),
        Collection(
            "events",
            KG.Event,
            "event",
            "Events",
            "select_events",
            (
                Filter("kind", "kind", "kind", "Event", "an event class, e.g. `AnimalTransfer`"),
                Filter("from", "from", "date", description="starts on or after (YYYY-MM-DD)"),
                Filter("to", "to", "date", description="starts on or before (YYYY-MM-DD)"),
                Filter("place", "place", "place", description=f"happened in, or went from or to, {_PLACE}"),
            ),
            (Sort("start", "start", description="by start date"),),
        ),
        Collection(
            "projects",
            KG.JointProject,
            "project",
            "Joint projects",
            "select_projects",
            (
                Filter("theme", "theme", "concept", "project-theme", "theme code, e.g. `ecological-trails`"),
                Filter(
                    "partner", "partner", "place", description="a partner: `kg`, `organization/…`, or an IRI"
                ),
                Filter(
                    "country", "country", "place", description=f"a partner, or concerns a place in, {_PLACE}"
                ),
                Filter("active_in", "year", "year", description="active in this year"),
            ),
            (
                Sort("start", "start", description="by start (a date or a year)"),
                Sort("end", "end", description="by end (a date or a year)"),
            ),
        ),
        Collection("portfolios", KG.ProjectPortfolio, "portfolio", "Portfolios of joint projects"),
        Collection("sources", KG.Source, "source", "Sources"),
    ]
}


@dataclass(frozen=True)
class Ref:
    """A reference to a node: its IRI, its types, and its label in the language asked for."""

    id: str
    types: tuple[str, ...]
    label: str | None


@dataclass(frozen=True)
class Source:
    """Where statements come from: the named graph, and the source it describes."""

    graph: str
    id: str | None
    label: str | None
    url: str | None


@dataclass(frozen=True)
class Value:
    """One value of a property: a literal (``value``, ``lang``, ``datatype``), a link (``ref``)
    or a nested node (``fields``, for a blank node such as a quantity); with the source graphs
    that state it."""

    sources: tuple[str, ...]
    value: str | None = None
    lang: str | None = None
    datatype: str | None = None
    ref: Ref | None = None
    fields: tuple[PropertyValues, ...] = ()


@dataclass(frozen=True)
class PropertyValues:
    """A property (as a reference, labelled from the ontology) and all its values."""

    property: Ref
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Entity:
    """One entity: everything the graph states about it, and from where."""

    id: str
    types: tuple[Ref, ...]
    label: str | None
    properties: tuple[PropertyValues, ...]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Page:
    """One page of a collection: ``items``, the cursor of the next page (``None`` on the last),
    and the total (exact when ``total_exact``, else "more than ``total``")."""

    items: tuple[Ref, ...]
    next_after: str | None
    total: int
    total_exact: bool


#: A label as (text, language tag or ""): how references keep their labels (cheaper than a
#: ``Literal``, and what the member index stores).
Text = tuple[str, str]


#: What a reference to a node shows, before a language is chosen: its types, its preferred
#: labels and its other labels.
_Shown = tuple[tuple[str, ...], list[Text], list[Text]]


def text_of(label: Literal) -> Text:
    """A label as (text, language tag or "")."""
    return str(label), label.language or ""


def texts(labels: Iterable[Literal]) -> list[Text]:
    """Labels as (text, language tag or ""), sorted."""
    return sorted(text_of(label) for label in labels)


def pick_text(labels: Iterable[Text], languages: Sequence[str]) -> str | None:
    """The label (text, language) in the first of ``languages`` that has one (or a subtag of
    it: ``en-GB`` for ``en``, the least subtag first), else English, else one without a
    language, else the first (in a stable order); ``None`` when there is none."""
    by_lang: dict[str, list[str]] = {}
    for text, lang in labels:
        by_lang.setdefault(lang.lower(), []).append(text)
    if not by_lang:
        return None
    tags: list[str] | None = None  # sorted once, when a subtag is looked for
    for lang in [*(language.lower() for language in languages), "en", ""]:
        found = by_lang.get(lang)
        if found:
            return min(found)
        if lang:
            tags = sorted(by_lang) if tags is None else tags
            for tag in tags:
                if tag.startswith(lang + "-"):
                    return min(by_lang[tag])
    return min(by_lang[min(by_lang)])


def pick_label(labels: Iterable[Literal], languages: Sequence[str]) -> str | None:
    """:func:`pick_text` of literals."""
    return pick_text((text_of(label) for label in labels), languages)


def shown_label(prefs: Sequence[Text], fallback: Sequence[Text], languages: Sequence[str]) -> str | None:
    """The label a reference to a node shows: its skos:prefLabel, else its rdfs:label (as
    ``select_node_labels.rq`` and ``select_shown_labels.rq`` read them), in the language asked for."""
    return pick_text(prefs or fallback, languages)


def classes_of(store: Store, cls: URIRef) -> list[URIRef]:
    """``cls`` and its subclasses at any depth, as the ontology in the store states them."""
    rows = store.select(load_query("select_subclasses"), bindings={"class": cls})
    found = {row["sub"] for row in rows if isinstance(row["sub"], URIRef)}
    return sorted(found | {cls})


class Lookups:
    """What entity details resolve again and again (the references of classes, properties,
    concepts and places they link to, and the sources of graphs), kept for one version of the
    store: :meth:`at` a new version empties it. Bounded; safe across threads."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self.version: int | None = None
        self.shown: dict[URIRef, _Shown] = {}
        self.sources: dict[str, Source] = {}

    def at(self, version: int) -> Lookups:
        """This cache, emptied if it was filled at another version."""
        if version != self.version:
            self.shown, self.sources, self.version = {}, {}, version
        return self

    def keep(self, shown: dict[URIRef, _Shown], sources: dict[str, Source]) -> None:
        if len(self.shown) + len(shown) > self.max_entries:
            self.shown, self.sources = {}, {}  # full: start again rather than track use
        self.shown.update(shown)
        self.sources.update(sources)


def refs(
    store: Store, nodes: Iterable[URIRef], languages: Sequence[str], lookups: Lookups | None = None
) -> dict[URIRef, Ref]:
    """``{id, type, label}`` of every node, in batched queries (500 nodes per query); with
    ``lookups``, only for the nodes it does not hold yet."""
    shown = _shown_of(store, nodes, lookups)
    return {n: Ref(str(n), s[0], shown_label(s[1], s[2], languages)) for n, s in shown.items()}


def _shown_of(store: Store, nodes: Iterable[URIRef], lookups: Lookups | None) -> dict[URIRef, _Shown]:
    """What a reference to each node shows (types, preferred labels, other labels)."""
    wanted = sorted(set(nodes))
    known = lookups.shown if lookups is not None else {}
    missing = [n for n in wanted if n not in known]
    labels: dict[URIRef, list[Text]] = defaultdict(list)
    fallback: dict[URIRef, list[Text]] = defaultdict(list)
    types: dict[URIRef, set[str]] = defaultdict(set)
    for start in range(0, len(missing), _BATCH):
        batch: list[tuple[Identifier, ...]] = [(n,) for n in missing[start : start + _BATCH]]
        for row in store.select(bind_rows(load_query("select_node_labels"), ["s"], batch)):
            node = row["s"]
            assert isinstance(node, URIRef)
            pref, label = row.get("pref"), row.get("label")
            if isinstance(pref, Literal):
                labels[node].append(text_of(pref))
            if isinstance(label, Literal):
                fallback[node].append(text_of(label))
            if isinstance(row.get("type"), URIRef):
                types[node].add(str(row["type"]))
    found = {n: (tuple(sorted(types[n])), labels[n], fallback[n]) for n in missing}
    if lookups is not None:
        lookups.keep(found, {})
    return {**{n: known[n] for n in wanted if n in known}, **found}


def filter_value(store: Store, flt: Filter, text: str) -> Identifier:
    """The RDF term a filter's text stands for.

    :raises InvalidValueError: the text is not a value of the filter's kind (the message
        names the valid ones where there are few).
    """
    text = text.strip()
    if flt.kind in ("place", "entity"):
        if "://" in text:
            if any(c in text for c in '<>"{}|^`\\ '):
                raise InvalidValueError(f"`{flt.param}`: not an IRI: {text[:60]!r}")
            return URIRef(text)
        # an entity: its id; a place: a country code, or <segment>/<id>
        local = f"{flt.target}/{text}" if flt.kind == "entity" else text if "/" in text else f"country/{text}"
        if not _LOCAL.fullmatch(local):
            raise InvalidValueError(f"`{flt.param}`: not an id: {text[:60]!r}")
        return URIRef(ID_BASE + local)
    if flt.kind == "concept":
        scheme = URIRef(f"{VOCAB_BASE}{flt.target}")
        rows = store.select(load_query("select_scheme_concepts"), bindings={"scheme": scheme})
        codes = {str(r["concept"]).rsplit("/", 1)[-1]: r["concept"] for r in rows}
        if text not in codes:
            raise InvalidValueError(f"`{flt.param}` is one of: {', '.join(sorted(codes))}; not {text[:60]!r}")
        return codes[text]
    if flt.kind == "kind":
        classes = {str(c).rsplit("/", 1)[-1]: c for c in classes_of(store, KG[flt.target])}
        if text not in classes:
            raise InvalidValueError(
                f"`{flt.param}` is one of: {', '.join(sorted(classes))}; not {text[:60]!r}"
            )
        return classes[text]
    if flt.kind == "bbox":
        try:
            minx, miny, maxx, maxy = (float(x) for x in text.split(","))
        except ValueError:
            return _bad(flt, text)
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            return _bad(flt, text)
        return Literal(f"{minx},{miny},{maxx},{maxy}")
    try:
        if flt.kind == "date":
            return Literal(date.fromisoformat(text).isoformat(), datatype=XSD.date)
        if flt.kind == "decimal":
            return (
                Literal(Decimal(text), datatype=XSD.decimal) if Decimal(text).is_finite() else _bad(flt, text)
            )
        if flt.kind == "year":  # ASCII digits, four at most: int() reads "２" and 26-digit years
            return Literal(int(text), datatype=XSD.integer) if _YEAR.fullmatch(text) else _bad(flt, text)
    except (ValueError, ArithmeticError):
        return _bad(flt, text)
    raise AssertionError(f"unknown filter kind {flt.kind}")


def _bad(flt: Filter, text: str) -> Identifier:
    raise InvalidValueError(f"`{flt.param}` is {flt.description}; not {text[:60]!r}")


def page(
    store: Store,
    collection: Collection,
    *,
    limit: int,
    after: str = "",
    languages: Sequence[str] = (),
    filters: Mapping[str, Identifier] | None = None,
) -> Page:
    """A page of ``collection``: up to ``limit`` members after the IRI ``after``, narrowed by
    ``filters`` (query variable -> term; see :func:`filter_value`)."""
    bound = dict(filters or {})
    if collection.query is None:
        classes = classes_of(store, collection.cls)
        listing = bind_rows(
            load_query("select_entities"), ["class", "after"], [(c, Literal(after)) for c in classes]
        )
        counting = bind_rows(load_query("count_entities"), ["class"], [(c,) for c in classes])
    else:
        names = sorted(bound)
        listing = bind_rows(
            load_query(collection.query), [*names, "after"], [(*(bound[n] for n in names), Literal(after))]
        )
        counting = _counting(load_query(collection.query), names, bound)
    # LIMIT is an integer checked here, not a value from a request's text.
    rows = store.select(listing + f"\nLIMIT {int(limit) + 1}")
    members = [row["s"] for row in rows if isinstance(row["s"], URIRef)]
    more = len(members) > limit
    members = members[:limit]
    resolved = refs(store, members, languages)
    counted = store.select(counting)
    total = int(str(counted[0]["n"])) if counted else 0
    return Page(
        tuple(resolved[m] for m in members),
        str(members[-1]) if more and members else None,
        min(total, COUNT_CAP),
        total <= COUNT_CAP,
    )


def _counting(listing: str, names: list[str], bound: Mapping[str, Identifier]) -> str:
    """The count (up to 10,001) of what a listing query selects: the query, its prologue moved
    out, as a sub-select, with the filters bound inside it."""
    toks = tokens(listing)
    prologue = read_prologue(toks)
    body = listing[toks[prologue.end].start :]
    text = f"{prologue.text}\nSELECT (COUNT(?s) AS ?n)\n{{\n  {{ {body}\n  LIMIT {COUNT_CAP + 1} }}\n}}"
    return bind_rows(text, names, [tuple(bound[n] for n in names)]) if names else text


#: An entity's statements as details are made from them, and as the detail index keeps them
#: (JSON): one row per (property, value), in order (property, text, language, datatype, kind):
#: ``[property IRI, kind ("i" an IRI, "l" a literal, "b" a blank node), text, language,
#: datatype, source graphs, nested rows]``; the nested rows are a blank node's own statements
#: (a quantity, say), in the same shape, without further nesting.
Statements = list[list[Any]]


def _encoded(term: Identifier) -> tuple[str, str, str | None, str | None]:
    if isinstance(term, URIRef):
        return "i", str(term), None, None
    if isinstance(term, Literal):
        return "l", str(term), term.language, str(term.datatype) if term.datatype else None
    return "b", str(term), None, None


def _order(item: tuple[tuple[str, str, str, str | None, str | None], set[str]]) -> tuple[str, ...]:
    p, kind, text, lang, datatype = item[0]
    return p, text, lang or "", datatype or "", kind


def statements_of(rows: Iterable[Mapping[str, Identifier]]) -> Statements:
    """The statements of one entity from the rows of ``select_entity_statements.rq`` (``p``,
    ``o``, ``g``, ``bp``, ``bo``), each value with every graph that states it."""
    top: dict[tuple[str, str, str, str | None, str | None], set[str]] = defaultdict(set)
    nested: dict[str, dict[tuple[str, str, str, str | None, str | None], set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for row in rows:
        o, g = row["o"], str(row["g"])
        top[(str(row["p"]), *_encoded(o))].add(g)
        if isinstance(o, BNode) and row.get("bp") is not None:
            nested[str(o)][(str(row["bp"]), *_encoded(row["bo"]))].add(g)
    return [
        [p, kind, text, lang, datatype, sorted(graphs), _nested(nested.get(text, {})) if kind == "b" else []]
        for (p, kind, text, lang, datatype), graphs in sorted(top.items(), key=_order)
    ]


def _nested(pairs: Mapping[tuple[str, str, str, str | None, str | None], set[str]]) -> Statements:
    return [[*key, sorted(graphs), []] for key, graphs in sorted(pairs.items(), key=_order)]


def linked_nodes(iri: str, statements: Statements) -> list[str]:
    """The IRIs a detail of ``iri`` shows as references (its properties and the IRIs among
    their values, nested ones too), ``iri`` itself left out (its reference comes from its own
    statements)."""
    found: set[str] = set()
    for p, kind, text, *_, fields in statements:
        found.add(p)
        if kind == "i":
            found.add(text)
        for q, inner_kind, inner, *_ in fields:
            found.add(q)
            if inner_kind == "i":
                found.add(inner)
    found.discard(iri)
    return sorted(found)


def graphs_of(statements: Statements) -> list[str]:
    """The named graphs that state something of ``statements``."""
    return sorted({g for row in statements for g in row[5]})


#: An entity's own types, and its labels a reference shows: (types, skos:prefLabels,
#: rdfs:labels), the labels as (text, language tag or "").
Own = tuple[list[str], list[Text], list[Text]]


def own_of(statements: Statements) -> Own:
    """An entity's own types and labels, from its statements (as ``select_node_labels.rq``
    reads a node's: skos:prefLabel, else rdfs:label): no query."""
    prefs = sorted((text, lang or "") for p, kind, text, lang, *_ in statements if p == _PREF and kind == "l")
    fallback = sorted(
        (text, lang or "") for p, kind, text, lang, *_ in statements if p == _LAB and kind == "l"
    )
    types = sorted(text for p, kind, text, *_ in statements if p == _TYPE and kind == "i")
    return types, prefs, fallback


def _own(statements: Statements, languages: Sequence[str]) -> tuple[list[str], str | None]:
    """An entity's own types and label, in ``languages``."""
    types, prefs, fallback = own_of(statements)
    return types, shown_label(prefs, fallback, languages)


def indexed_detail(iri: str, statements: Statements) -> list[Any]:
    """What the member index keeps of a member for its detail: its own types and labels
    (:func:`own_of`), the nodes it links to (:func:`linked_nodes`), its graphs
    (:func:`graphs_of`) and its statements, read from them once when indexed rather than on
    every detail (:func:`assemble_document` takes them back)."""
    return [*own_of(statements), linked_nodes(iri, statements), graphs_of(statements), statements]


def assemble(
    iri: str,
    statements: Statements,
    languages: Sequence[str],
    linked: Mapping[str, Ref],
    sources: Mapping[str, Source],
) -> Entity:
    """The detail of ``iri`` from its statements, the references of the nodes it links to
    (``linked``, for :func:`linked_nodes`, labelled in ``languages``; a node missing there
    has no type and no label) and the source of each graph (for :func:`graphs_of`; a graph
    missing there records none): the one way a detail is made, from the store
    (:func:`entity`); :func:`assemble_document` is its one-pass twin for the index."""
    own_types, label = _own(statements, languages)
    me = Ref(iri, tuple(own_types), label)

    def ref(node: str) -> Ref:
        return me if node == iri else linked.get(node) or Ref(node, (), None)

    def grouped(rows: Statements) -> tuple[PropertyValues, ...]:
        by_property: dict[str, list[Value]] = {}
        for p, kind, text, lang, datatype, graphs, fields in rows:
            found = tuple(graphs)
            if kind == "i":
                value = Value(found, ref=ref(text))
            elif kind == "l":
                value = Value(found, value=text, lang=lang, datatype=datatype)
            else:
                value = Value(found, fields=grouped(fields))
            by_property.setdefault(p, []).append(value)
        return tuple(PropertyValues(ref(p), tuple(values)) for p, values in by_property.items())

    return Entity(
        iri,
        tuple(ref(t) for t in own_types),
        me.label,
        grouped(statements),
        tuple(sources.get(g) or Source(g, None, None, None) for g in graphs_of(statements)),
    )


def ref_document(ref: Ref) -> dict[str, Any]:
    """A reference as the API's JSON has it: ``{id, type, label}``."""
    return {"id": ref.id, "type": list(ref.types), "label": ref.label}


def source_document(source: Source) -> dict[str, Any]:
    """A source as the API's JSON has it: ``{graph, id, label, url}``."""
    return {"graph": source.graph, "id": source.id, "label": source.label, "url": source.url}


def entity_json(found: Entity) -> dict[str, Any]:
    """An entity as the API's JSON has it (its ``EntityModel``: tested equal)."""
    return {
        "id": found.id,
        "type": [ref_document(t) for t in found.types],
        "label": found.label,
        "properties": _properties_document(found.properties),
        "sources": [source_document(s) for s in found.sources],
    }


def _properties_document(properties: tuple[PropertyValues, ...]) -> list[dict[str, Any]]:
    return [
        {
            "property": ref_document(p.property),
            "values": [
                {
                    "value": v.value,
                    "lang": v.lang,
                    "datatype": v.datatype,
                    "ref": ref_document(v.ref) if v.ref else None,
                    "fields": _properties_document(v.fields),
                    "sources": list(v.sources),
                }
                for v in p.values
            ],
        }
        for p in properties
    ]


def assemble_document(
    iri: str,
    statements: Statements,
    languages: Sequence[str],
    linked: Mapping[str, dict[str, Any]],
    sources: Mapping[str, dict[str, Any]],
    *,
    own: Own | None = None,
    graphs: Sequence[str] | None = None,
) -> dict[str, Any]:
    """``entity_json(assemble(...))`` made in one pass, from the documents of the
    references (:func:`ref_document`) and sources (:func:`source_document`), which a caller
    can keep: the detail the API serves most, made from the index (tested byte for byte equal
    to the document of the detail made from the store, for every member of the shipped data,
    in three languages). Measured at 1M triples: 92 -> 87-90 us per document with the kept
    documents, 248 -> 164 us per early detail through the app against the two-pass way."""
    own_types, prefs, fallback = own_of(statements) if own is None else own
    label = shown_label(prefs, fallback, languages)
    me = {"id": iri, "type": own_types, "label": label}

    def ref(node: str) -> dict[str, Any]:
        if node == iri:
            return me
        return linked.get(node) or {"id": node, "type": [], "label": None}

    def grouped(rows: Statements) -> list[dict[str, Any]]:
        by_property: dict[str, list[dict[str, Any]]] = {}
        for p, kind, text, lang, datatype, graphs, fields in rows:
            if kind == "i":
                value = {
                    "value": None,
                    "lang": None,
                    "datatype": None,
                    "ref": ref(text),
                    "fields": [],
                    "sources": graphs,
                }
            elif kind == "l":
                value = {
                    "value": text,
                    "lang": lang,
                    "datatype": datatype,
                    "ref": None,
                    "fields": [],
                    "sources": graphs,
                }
            else:
                value = {"value": None, "lang": None, "datatype": None, "ref": None, "fields": grouped(fields), "sources": graphs}  # fmt: skip
            by_property.setdefault(p, []).append(value)
        return [{"property": ref(p), "values": values} for p, values in by_property.items()]

    return {
        "id": iri,
        "type": [ref(t) for t in own_types],
        "label": label,
        "properties": grouped(statements),
        "sources": [
            sources.get(g) or {"graph": g, "id": None, "label": None, "url": None}
            for g in (graphs_of(statements) if graphs is None else graphs)
        ],
    }


def entity(
    store: Store, iri: URIRef, *, languages: Sequence[str] = (), lookups: Lookups | None = None
) -> Entity:
    """Everything the graph states about ``iri``, grouped by property, each value with the
    source graphs that state it (conflicting values are all kept, each with its sources).
    With ``lookups`` (for the store's current version), the references and sources it holds
    are not asked again: a detail is then its statements' query, plus one for the references
    of nodes no cache holds yet, such as a protected area's own geometry (measured at 1M
    triples: 2.9 queries per detail with a fresh cache, 2.2 after 3,600 details). (The API
    answers members' details from the detail index instead: ``search.Search.detail_document``.)

    :raises EntityNotFoundError: the graph states nothing about ``iri``.
    """
    rows = store.select(load_query("select_entity_statements"), bindings={"s": iri}, union=False)
    if not rows:
        raise EntityNotFoundError(f"the graph states nothing about <{iri}>")
    found = statements_of(rows)
    linked = refs(store, [URIRef(n) for n in linked_nodes(str(iri), found)], languages, lookups)
    sources = _sources(store, [URIRef(g) for g in graphs_of(found)], lookups)
    return assemble(str(iri), found, languages, {str(n): r for n, r in linked.items()}, sources)


_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
_LAB = "http://www.w3.org/2000/01/rdf-schema#label"


def sources_of(rows: Iterable[Mapping[str, Identifier]]) -> dict[str, Source]:
    """The source of each graph from rows of ``select_graph_sources.rq`` (``g``, ``source``,
    ``label``, ``url``): of several (a source with labels in two languages, say), the least
    row, so that every reading of the store gives the same."""
    found: dict[str, Source] = {}
    for row in rows:
        label, url = row.get("label"), row.get("url")
        graph = str(row["g"])
        source = Source(graph, str(row["source"]), str(label) if label else None, str(url) if url else None)
        kept = found.get(graph)
        if kept is None or (source.id or "", source.label or "", source.url or "") < (
            kept.id or "",
            kept.label or "",
            kept.url or "",
        ):
            found[graph] = source
    return found


def _sources(store: Store, graphs: Iterable[URIRef], lookups: Lookups | None) -> dict[str, Source]:
    """The source each graph records (``None`` fields where it records none)."""
    known = lookups.sources if lookups is not None else {}
    missing = sorted(g for g in set(graphs) if str(g) not in known)
    found: dict[str, Source] = {}
    if missing:
        rows = store.select(bind_rows(load_query("select_graph_sources"), ["g"], [(g,) for g in missing]))
        found = sources_of(rows)
        for graph in missing:
            found.setdefault(str(graph), Source(str(graph), None, None, None))
        if lookups is not None:
            lookups.keep({}, found)
    return {str(g): known.get(str(g)) or found[str(g)] for g in set(graphs)}
