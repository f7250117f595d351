"""A real SPARQL parser's view of a request: where its ``SERVICE`` calls and ``LOAD``
operations lead. The service's gate on what may reach the network.

:mod:`.sparql_text` reads requests with a fast lexer; a lexer that takes part of a name for a
comment (``ex:a\\#b SERVICE …`` once did) lets a call through unseen. So every request that
*could* reach another host is also read by rdflib's SPARQL 1.1 parser, and the calls it finds
are what the allow-list is checked against (:func:`outbound`). Which requests could: only
``SERVICE`` and ``LOAD`` make an engine fetch (and Virtuoso's ``DEFINE`` pragmas, which this
service does not accept), and each needs its keyword in the text, so a text whose letters do
not spell one of them anywhere (in any case, after ``\\u`` escapes and Unicode compatibility
folding) cannot reach out, and is not parsed (rdflib's parser takes ~10 ms per query).

A request the parser cannot read (a syntax it lacks, or brackets nested deeper than its
recursion allows: about 40) is refused when it could reach out, never let through unread.

>>> outbound("SELECT * { SERVICE <https://example.org/sparql> { ?s ?p ?o } }", update=False)
Outbound(services=('https://example.org/sparql',), loads=())
>>> needs_parse("SELECT * { ?s ?p 'no calls here' }")
False
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from pyparsing import ParseResults
from pyparsing.exceptions import ParseBaseException
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Identifier, URIRef, Variable

from .errors import QueryError

__all__ = [
    "OUTBOUND_WORDS",
    "Outbound",
    "QuadPattern",
    "Templates",
    "modify_templates",
    "needs_parse",
    "outbound",
]

# The keywords by which an engine fetches from another host. DEFINE: Virtuoso's pragmas
# (``get:soft``, ``input:grab-…``) dereference IRIs; no standard request holds it as a keyword.
OUTBOUND_WORDS = ("service", "load", "define")


@dataclass(frozen=True)
class Outbound:
    """The endpoints of a request's ``SERVICE`` calls (an IRI, or ``?var``) and the URLs of
    its ``LOAD`` operations, as the parser read them."""

    services: tuple[str, ...]
    loads: tuple[str, ...]


def needs_parse(*texts: str) -> bool:
    """Whether any of ``texts`` spells a keyword in :data:`OUTBOUND_WORDS` anywhere (case and
    Unicode compatibility forms folded: ``ſervice`` counts), so that only a parser can tell
    whether it is a call."""
    for text in texts:
        folded = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
        if any(word in folded for word in OUTBOUND_WORDS):
            return True
    return False


def outbound(decoded: str, *, update: bool) -> Outbound:
    """The ``SERVICE`` and ``LOAD`` targets of the (escape-decoded) request, read by rdflib's
    SPARQL 1.1 parser; prefixed names and relative IRIs resolved by the request's prologue.

    :raises QueryError: the parser cannot read the request (its message says where), or it
        nests too deeply for the parser.
    """
    return _outbound(decoded, update)


@lru_cache(maxsize=512)  # the same request checked by the route, the service and the writer
def _outbound(decoded: str, update: bool) -> Outbound:
    # rdflib 7 finds a SERVICE pattern's text again by searching the whole request, a search
    # that takes the ``#`` of an escaped ``\#`` in a name for a comment and fails. ``\_`` keeps
    # the structure (``\#`` opens no comment in any valid request); a name read differently
    # here can only make the allow-list refuse a call, as the lexer's reading is checked too.
    text = decoded.replace("\\#", "\\_")
    try:
        tree = parseUpdate(text) if update else parseQuery(text)
    except ParseBaseException as exc:
        raise QueryError(
            "this request names SERVICE, LOAD or DEFINE, so it is read by a SPARQL 1.1 parser "
            f"before any engine sees it, and that parser could not read it: {exc}"
        ) from None
    except RecursionError:
        raise QueryError(
            "this request names SERVICE, LOAD or DEFINE and nests too deeply for the SPARQL "
            "parser that checks where such calls lead: nest less deeply"
        ) from None
    prefixes: dict[str, set[str]] = {}
    bases: set[str] = set()
    found: list[CompValue] = []
    stack: list[object] = [tree]
    while stack:  # iterative: the tree may be deep
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "PrefixDecl":
                prefixes.setdefault(str(node.get("prefix") or ""), set()).add(str(node["iri"]))
            elif node.name == "Base":
                bases.add(str(node["iri"]))
            elif node.name in ("ServiceGraphPattern", "Load"):
                found.append(node)
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple | ParseResults):
            stack.extend(node)
    services: list[str] = []
    loads: list[str] = []
    for node in reversed(found):
        term = node.get("term") if node.name == "ServiceGraphPattern" else node.get("iri")
        targets = _targets(term, prefixes, bases)
        (services if node.name == "ServiceGraphPattern" else loads).extend(targets)
    return Outbound(tuple(services), tuple(loads))


def _targets(term: object, prefixes: dict[str, set[str]], bases: set[str]) -> list[str]:
    """Every IRI ``term`` may name: a prefix declared twice (in two operations of an update)
    or several BASEs give several candidates, each of which must pass the allow-list."""
    if isinstance(term, Variable):
        return [f"?{term}"]
    if isinstance(term, CompValue) and term.name == "pname":
        prefix, local = str(term.get("prefix") or ""), str(term.get("localname") or "")
        local = _unescape_local(local)
        return sorted(iri + local for iri in prefixes.get(prefix, {f"{prefix}:"}))
    if isinstance(term, URIRef):
        return sorted({urljoin(base, str(term)) for base in bases} | {str(term)})
    return [str(term)]


def _unescape_local(local: str) -> str:
    r"""A prefixed name's local part without its ``\`` escapes (``a\#b`` names ``a#b``)."""
    out, i = [], 0
    while i < len(local):
        if local[i] == "\\" and i + 1 < len(local):
            i += 1
        out.append(local[i])
        i += 1
    return "".join(out)


#: One quad pattern of an update template: subject, predicate, object, graph (``None``: the
#: default graph); each an rdflib term or a ``Variable``.
QuadPattern = tuple[Identifier, Identifier, Identifier, Identifier | None]


@dataclass(frozen=True)
class Templates:
    """The DELETE and INSERT templates of one ``DELETE/INSERT … WHERE`` or ``DELETE WHERE``
    operation, as rdflib's parser reads them (prefixed names resolved)."""

    delete: tuple[QuadPattern, ...]
    insert: tuple[QuadPattern, ...]


def modify_templates(text: str) -> Templates | None:
    """The templates of ``text`` when it is one ``DELETE/INSERT … WHERE`` operation without
    ``WITH`` or ``USING``, or one ``DELETE WHERE``; ``None`` for any other request, or one
    the parser cannot read (the caller then evaluates it another way).

    >>> t = modify_templates("PREFIX ex: <https://e/> DELETE { ?s ex:p ?o } INSERT { GRAPH ex:g { ?s ex:q ?o } } WHERE { ?s ex:p ?o }")
    >>> [str(x) for x in t.insert[0]]
    ['s', 'https://e/q', 'o', 'https://e/g']
    """
    try:
        [operation] = translateUpdate(parseUpdate(text.replace("\\#", "\\_"))).algebra
    except Exception:  # rdflib's parser and algebra raise many kinds; any means "not this way"
        return None
    if operation.name == "DeleteWhere":
        return Templates(_patterns(operation), ())
    if operation.name != "Modify" or "using" in operation or "withClause" in operation:
        return None
    return Templates(_patterns(_item(operation, "delete")), _patterns(_item(operation, "insert")))


def _patterns(clause: CompValue | None) -> tuple[QuadPattern, ...]:
    if clause is None:
        return ()
    found: list[QuadPattern] = [(s, p, o, None) for s, p, o in _item(clause, "triples") or ()]
    for graph, triples in (_item(clause, "quads") or {}).items():
        found += [(s, p, o, graph) for s, p, o in triples]
    return tuple(found)


def _item(node: CompValue, key: str) -> Any:
    """``node[key]``, or ``None`` (``CompValue.get`` answers a missing key with its name)."""
    return node[key] if key in node else None  # noqa: SIM401 (CompValue.get is not dict.get)
