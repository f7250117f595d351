"""What a SPARQL request asks for, read from its text before any engine sees it.

A small lexer (comments, strings and IRIs are skipped as units, so a keyword inside them does
not count) tells the service: whether the text is a query or an update, the query form, the
endpoints of its ``SERVICE`` calls, the URLs of its ``LOAD`` operations, and whether it names
its own dataset (``FROM``, ``USING``, ``WITH``). ``\\u`` and ``\\U`` escapes are decoded first,
as the SPARQL grammar does (section 19.2), so ``\\u0053ERVICE`` is ``SERVICE``.

This is not a parser: the engine parses and reports syntax errors. No library offers these
facts without the cost of a full parse (rdflib's parser takes milliseconds per query).

>>> info = analyse("PREFIX ex: <https://example.org/> SELECT * { SERVICE ex:remote { ?s ?p ?o } }")
>>> info.form, info.services
('SELECT', ('https://example.org/remote',))
>>> analyse("# SERVICE in a comment\\nASK { ?s ?p 'SERVICE' }").services
()
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from .errors import LimitError, QueryError, RefusedError
from .sparql_parsed import needs_parse, outbound

__all__ = [
    "QUERY_FORMS",
    "UPDATE_KEYWORDS",
    "Prologue",
    "SparqlInfo",
    "Token",
    "analyse",
    "check_local",
    "decode_escapes",
    "read_prologue",
    "tokens",
    "with_base",
]

QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)

_PLAIN_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^<>\"{}|^`\\\x00-\x20]*")
_LOCAL_ESCAPE = re.compile(r"\\(.)")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                 |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
    | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
    | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w\-.\u00B7-\uFFFF]*)?:
                (?:(?:[\w\-.:%\u00B7-\uFFFF]|\\[_~.\-!$&'()*+,;=/?#@%])*
                   (?:[\w\-:%\u00B7-\uFFFF]|\\[_~.\-!$&'()*+,;=/?#@%]))?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # iri, string, var, pname, word, other
    text: str
    start: int


@dataclass(frozen=True)
class SparqlInfo:
    """What :func:`analyse` found.

    ``services`` holds the endpoint of each ``SERVICE`` call, an IRI or ``?var`` for a variable
    endpoint; ``loads`` the URLs of ``LOAD`` operations; ``dataset`` whether the text has its
    own ``FROM`` / ``FROM NAMED`` (query) or ``USING`` / ``WITH`` (update) clauses; ``depth``
    how deeply its brackets nest (engines' recursive parsers crash on very deep nesting);
    ``iris`` every IRI the text names (written whole or as a prefixed name of the first prologue;
    prefixes declared after a ``;`` in an update are not resolved), ``base`` whether it
    declares a ``BASE``.
    """

    form: str  # SELECT, CONSTRUCT, DESCRIBE, ASK, or UPDATE
    services: tuple[str, ...]
    loads: tuple[str, ...]
    dataset: bool
    depth: int = 0
    iris: frozenset[str] = frozenset()
    base: bool = False

    @property
    def is_update(self) -> bool:
        return self.form == "UPDATE"


def decode_escapes(text: str) -> str:
    """``text`` with ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes replaced by their characters.

    >>> decode_escapes(r"\\u0053ERVICE")
    'SERVICE'
    """

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise QueryError(f"invalid escape {match.group(0)!r}: not a Unicode character")
        return chr(code)

    return _ESCAPE.sub(char, text)


def tokens(text: str) -> list[Token]:
    """The tokens of ``text``, without white space and comments."""
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("ws", "comment"):
            found.append(Token(kind, match.group(), match.start()))
    return found


@lru_cache(maxsize=4096)  # a request names the same IRIs again and again; urljoin is slow
def _joined(base: str, iri: str) -> str:
    return urljoin(base, iri)


@dataclass(frozen=True)
class Prologue:
    """The BASE and PREFIX declarations that open a request: ``end`` is the index of the
    first token after them, ``text`` the declarations as written."""

    base: str
    prefixes: dict[str, str]
    end: int
    text: str

    def resolve(self, tok: Token) -> str:
        """The IRI a token names (an IRI, or a prefixed name declared here); else its text."""
        if tok.kind == "iri":
            return _joined(self.base, tok.text[1:-1])
        if tok.kind == "pname":
            prefix, _, local = tok.text.partition(":")
            local = _LOCAL_ESCAPE.sub(r"\1", local)  # ex:a\#b names …a#b
            return self.prefixes[prefix] + local if prefix in self.prefixes else tok.text
        return tok.text


def read_prologue(toks: list[Token]) -> Prologue:
    """The prologue of a tokenised request: BASE <iri> and PREFIX p: <iri>, in any order."""
    base = ""
    prefixes: dict[str, str] = {}
    i = 0
    while i < len(toks) and toks[i].kind == "word" and toks[i].text.upper() in ("BASE", "PREFIX"):
        if toks[i].text.upper() == "BASE" and i + 1 < len(toks) and toks[i + 1].kind == "iri":
            base = urljoin(base, toks[i + 1].text[1:-1])
            i += 2
        elif i + 2 < len(toks) and toks[i + 1].kind == "pname" and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text[:-1]] = urljoin(base, toks[i + 2].text[1:-1])
            i += 3
        else:
            break
    text = " ".join(t.text for t in toks[:i])
    return Prologue(base, prefixes, i, text)


def analyse(text: str, *, max_depth: int = 100) -> SparqlInfo:
    """Read what ``text`` asks for; see the module docstring.

    A text whose brackets inside strings, IRIs and comments could take its nesting past
    ``max_depth`` unseen by the lexer is also read by a real SPARQL parser. What this reports
    serves the allow-list and the messages; the gate on what an engine may fetch is
    :func:`check_local`, on the exact text the engine is given.

    :raises QueryError: the text is neither a query nor an update (named in the message), or
        it must be parsed and the parser cannot read it.
    :raises LimitError: its brackets nest deeper than ``max_depth`` (engines' recursive parsers
        overflow their stacks on deep nesting).
    """
    decoded = decode_escapes(text)
    toks = tokens(decoded)
    prologue = read_prologue(toks)
    i = prologue.end
    first = toks[i].text.upper() if i < len(toks) and toks[i].kind == "word" else ""
    if first in QUERY_FORMS:
        form = first
    elif first in UPDATE_KEYWORDS:
        form = "UPDATE"
    elif i >= len(toks):
        raise QueryError("the request holds no SPARQL query or update")
    else:
        word = toks[i].text[:40]
        raise QueryError(
            f"expected a query (SELECT, CONSTRUCT, DESCRIBE, ASK) or an update (INSERT, DELETE, …), found {word!r}"
        )

    resolve = prologue.resolve
    services: list[str] = []
    loads: list[str] = []
    iris: set[str] = set()
    dataset = False
    depth = deepest = 0
    for j in range(i, len(toks)):
        if toks[j].kind in ("iri", "pname"):
            iris.add(resolve(toks[j]))
        if toks[j].kind == "other":
            if toks[j].text in "([{":
                depth += 1
                deepest = max(deepest, depth)
            elif toks[j].text in ")]}":
                depth -= 1
        if toks[j].kind != "word":
            continue
        word = toks[j].text.upper()
        if word in ("SERVICE", "LOAD"):
            k = j + 1
            if k < len(toks) and toks[k].kind == "word" and toks[k].text.upper() == "SILENT":
                k += 1
            target = resolve(toks[k]) if k < len(toks) else "?"
            (services if word == "SERVICE" else loads).append(target)
        elif word in ("FROM", "USING") or (word == "WITH" and form == "UPDATE"):
            dataset = True
    declares_base = any(t.kind == "word" and t.text.upper() == "BASE" for t in toks)
    if deepest > max_depth:
        raise LimitError(
            f"the request nests brackets {deepest} deep; this service accepts at most {max_depth}"
        )
    # Brackets the lexer did not count (inside what it took for a string, an IRI or a comment)
    # could be structure to the engine: past the limit with them, the parser decides.
    seen = sum(1 for t in toks if t.kind == "other" and t.text in "([{")
    unseen = sum(decoded.count(c) for c in "([{") - seen
    if deepest <= max_depth < deepest + unseen:
        parsed = outbound(decoded, update=form == "UPDATE")  # raises if too deep to read
        services += [s for s in parsed.services if s not in services]
        loads += [u for u in parsed.loads if u not in loads]
    return SparqlInfo(form, tuple(services), tuple(loads), dataset, deepest, frozenset(iris), declares_base)


#: The largest request that names SERVICE, LOAD or DEFINE this service parses to check it
#: (rdflib's parser reads about 10-30 KB a second).
MAX_CHECKED_CHARS = 64 * 1024


def check_local(text: str, *, update: bool) -> None:
    """Refuse ``text`` unless the engine it is about to be given can run it without reaching
    another host: no ``SERVICE`` call, no ``LOAD``, as a real SPARQL parser reads it (calls to
    allowed endpoints were made by Ilbirs and replaced before this). A text that spells none of
    those keywords anywhere is passed without parsing (:func:`.sparql_parsed.needs_parse`).

    >>> check_local("SELECT * { ?s ?p 'a service' }", update=False)
    >>> check_local("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", update=False)
    Traceback (most recent call last):
    ...
    ilbirs.graph.errors.RefusedError: SERVICE <http://x/> is not allowed: ...

    :raises RefusedError: the parser finds a ``SERVICE`` call or a ``LOAD``.
    :raises QueryError: the text needs parsing and the parser cannot read it.
    :raises LimitError: the text needs parsing and is longer than :data:`MAX_CHECKED_CHARS`.
    """
    decoded = decode_escapes(text)
    if not needs_parse(text, decoded):
        return
    if len(decoded) > MAX_CHECKED_CHARS:
        raise LimitError(
            f"this request names SERVICE, LOAD or DEFINE (perhaps only in a string), so it is "
            f"parsed before any engine sees it, and it is longer than the {MAX_CHECKED_CHARS:,} "
            "characters this service parses: send data through the Graph Store Protocol "
            "(/graphs), or split the request"
        )
    found = outbound(decoded, update=update)
    if found.services:
        raise RefusedError(
            f"SERVICE {_shown(found.services[0])} is not allowed: federated queries reach other "
            "hosts, and this service calls only endpoints on its allow-list (ILBIRS_SERVICE_ALLOW)"
        )
    if found.loads:
        raise RefusedError(
            f"LOAD {_shown(found.loads[0])} is not allowed: it fetches from another host. "
            "Send the data itself (INSERT DATA, or PUT/POST to /graphs)"
        )


def _shown(target: str) -> str:
    return target if target.startswith(("?", "$")) else f"<{target}>"


def with_base(text: str, info: SparqlInfo, base: str | None) -> str:
    """``text`` with ``BASE <base>`` before it, unless it declares its own BASE (or ``base`` is
    ``None``, or not a plain IRI): relative IRIs then resolve against the service (the SPARQL
    1.1 Protocol lets the service define the base IRI, which "MAY be the service endpoint").

    >>> with_base("SELECT * { <a> ?p ?o }", analyse("SELECT * { <a> ?p ?o }"), "https://example.org/sparql")
    'BASE <https://example.org/sparql>\\nSELECT * { <a> ?p ?o }'
    """
    if base is None or info.base or not _PLAIN_IRI.fullmatch(base):
        return text
    return f"BASE <{base}>\n{text}"


@dataclass(frozen=True)
class Operation:
    """One operation of a SPARQL Update request: ``kind`` (``INSERT DATA``, ``DELETE DATA``,
    ``DELETE WHERE``, ``MODIFY`` for DELETE/INSERT … WHERE, or the keyword: ``CLEAR``,
    ``DROP``, ``CREATE``, ``ADD``, ``MOVE``, ``COPY``, ``LOAD``), its ``text``, the ``prologue``
    in force (PREFIX and BASE declarations so far), and for MODIFY the offset in ``text`` of
    its ``WHERE`` keyword (``where``)."""

    kind: str
    text: str
    prologue: str
    where: int | None = None


def operations(text: str) -> list[Operation]:
    """The operations of an update request, in order (``;`` separates them).

    >>> [op.kind for op in operations("PREFIX ex: <https://e/> INSERT DATA { ex:a ex:b 1 } ; DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")]
    ['INSERT DATA', 'MODIFY']
    """
    decoded = decode_escapes(text)
    toks = tokens(decoded)
    found: list[Operation] = []
    prologue: list[str] = []
    i = 0
    while i < len(toks):
        while i < len(toks) and toks[i].kind == "word" and toks[i].text.upper() in ("BASE", "PREFIX"):
            width = 2 if toks[i].text.upper() == "BASE" else 3
            prologue.append(" ".join(t.text for t in toks[i : i + width]))
            i += width
        if i >= len(toks):
            break
        start, depth, j, where = toks[i].start, 0, i, None
        while j < len(toks) and not (depth == 0 and toks[j].text == ";"):
            if toks[j].kind == "other" and toks[j].text in "([{":
                depth += 1
            elif toks[j].kind == "other" and toks[j].text in ")]}":
                depth -= 1
            elif depth == 0 and toks[j].kind == "word" and toks[j].text.upper() == "WHERE" and where is None:
                where = toks[j].start - start
            j += 1
        end = toks[j].start if j < len(toks) else len(decoded)
        first = toks[i].text.upper()
        second = toks[i + 1].text.upper() if i + 1 < len(toks) and toks[i + 1].kind == "word" else ""
        if first in ("INSERT", "DELETE") and second in ("DATA", "WHERE"):
            kind = f"{first} {second}"
        elif first in ("INSERT", "DELETE", "WITH"):
            kind = "MODIFY"
        else:
            kind = first
        found.append(
            Operation(kind, decoded[start:end], "\n".join(prologue), where if kind == "MODIFY" else None)
        )
        i = j + 1
    return found
