"""Checks an uploaded RDF document passes before a parser sees it: what a client can send that
would make the parser (Oxigraph's) exhaust the process, refused with a reason instead.

* **JSON-LD nesting.** Oxigraph's JSON-LD expansion recurses once per level of nested objects
  or arrays: 3,500 levels (a 56 KB body) overflow the stack and the process dies of SIGSEGV;
  below that, memory grows with the square of the depth (3,000 levels: 1.7 GB).
* **RDF/XML nesting.** Time grows faster than the square of the element depth (20,000 levels:
  3 s; 40,000: 60 s; 60,000: over 2 min), and a 10 MiB body holds 200,000.
* **RDF/XML entities.** Oxigraph expands the internal entities of a DTD: 9 levels of ten
  references each (535 bytes, "billion laughs") ask for a 3 GB string and its copies (the
  process was killed at 22.8 GB). Here an entity's expansion is computed from the declarations,
  and the references in the document are counted, before anything is expanded; parameter and
  external entities are refused (Oxigraph reads neither).

Turtle, N-Triples (and TriG, N-Quads, N3) are parsed without recursion: 3,000,000 nested
collections or 600,000 nested ``[ … ]`` parse in linear time; what bounds them, and every other
format, is the number of triples (:attr:`ParseLimits.max_triples`, counted by ``parse_triples``).
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from pyexpat import ExpatError, ParserCreate, XMLParserType

from ilbirs.graph.errors import LimitError, ParseError, RefusedError

__all__ = ["ParseLimits", "check_json_depth", "check_rdf_xml", "json_depth"]


@dataclass(frozen=True)
class ParseLimits:
    """Bounds on one uploaded RDF document.

    ``max_triples``: most triples (a 10 MiB body of N-Triples holds ~100,000; compact Turtle
    such as ``( ( ( …`` or ``1,1,1,…`` would hold 5,000,000, over 1 GB in the parser alone).
    ``max_depth``: most levels of nested JSON objects and arrays (JSON-LD) or XML elements
    (RDF/XML). ``max_entity_bytes``: most characters the DTD entities of an RDF/XML document
    may expand to, all references together.
    """

    max_triples: int = 200_000
    max_depth: int = 64
    max_entity_bytes: int = 10 * 1024 * 1024


# A JSON string, escapes included (the unrolled form: linear, no backtracking).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 opens, -1 (as a signed byte) closes


def json_depth(data: bytes) -> int:
    """The deepest nesting of objects and arrays in a JSON document, read without parsing it
    (brackets inside strings do not count).

    >>> json_depth(b'{"a": [1, {"b": "[[[["}]}'), json_depth(b'"x"')
    (3, 0)
    """
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(array("b", brackets.translate(_STEPS))), default=0)


def check_json_depth(data: bytes, max_depth: int, what: str) -> None:
    """:raises LimitError: ``data`` nests objects and arrays deeper than ``max_depth``."""
    depth = json_depth(data)
    if depth > max_depth:
        raise LimitError(
            f"{what}: JSON-LD nested {depth:,} levels deep; the limit is {max_depth} "
            "(give deep nodes an @id and write them at the top level)"
        )


_PREDEFINED = {"lt": 1, "gt": 1, "amp": 1, "apos": 1, "quot": 1}
_REFERENCE = re.compile(rb"&([^\s&;#<>\"']+);")


def _expanded_sizes(values: dict[str, str], budget: int) -> dict[str, int]:
    """How many characters each entity expands to (capped just past ``budget``), following the
    references in its value without expanding anything.

    :raises RefusedError: an entity refers to itself, directly or not.
    """
    refs = {name: Counter(_REFERENCE.findall(value.encode())) for name, value in values.items()}
    sizes: dict[str, int] = {}
    for root in values:
        stack, visiting = [root], {root}
        while stack:
            name = stack[-1]
            pending = [r.decode() for r in refs[name] if r.decode() in values and r.decode() not in sizes]
            if pending:
                for ref in pending:
                    if ref in visiting:
                        raise RefusedError(f"the DTD entity &{ref}; refers to itself")
                ref = pending[0]
                visiting.add(ref)
                stack.append(ref)
                continue
            size = len(_REFERENCE.sub(b"", values[name].encode()).decode())
            for ref_bytes, times in refs[name].items():
                ref = ref_bytes.decode()
                size += times * sizes.get(ref, _PREDEFINED.get(ref, len(ref) + 2))
            sizes[name] = min(size, budget + 1)
            visiting.discard(name)
            stack.pop()
    return sizes


def check_rdf_xml(data: bytes, limits: ParseLimits, what: str) -> None:
    """Read an RDF/XML document once with expat, expanding nothing until its entities are
    known to stay within ``limits.max_entity_bytes``, and check its element depth.

    :raises ParseError: it is not well-formed XML.
    :raises RefusedError: its DTD declares a parameter or external entity.
    :raises LimitError: its entities expand past the budget, or elements nest past ``max_depth``.
    """
    parser: XMLParserType = ParserCreate()
    values: dict[str, str] = {}
    depth = 0

    def entity(name: str, parameter: int, value: str | None, *_: object) -> None:
        if parameter or value is None:
            kind = "parameter" if parameter else "external"
            raise RefusedError(f"{what}: the DTD declares the {kind} entity {name!r}; Ilbirs reads neither")
        values[name] = value

    def end_doctype() -> None:
        if not values:
            return
        budget = limits.max_entity_bytes
        sizes = _expanded_sizes(values, budget)
        used = Counter(_REFERENCE.findall(data[parser.CurrentByteIndex :]))
        total = sum(times * sizes.get(name.decode(), 0) for name, times in used.items())
        if total > budget:
            raise LimitError(
                f"{what}: its DTD entities expand to more than {budget:,} characters; "
                "write the values out instead of declaring entities"
            )

    def start(*_: object) -> None:
        nonlocal depth
        depth += 1
        if depth > limits.max_depth:
            raise LimitError(
                f"{what}: XML elements nested more than {limits.max_depth} deep; "
                "give nested nodes an rdf:about or rdf:nodeID and write them at the top level"
            )

    def end(*_: object) -> None:
        nonlocal depth
        depth -= 1

    parser.EntityDeclHandler = entity
    parser.EndDoctypeDeclHandler = end_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except ExpatError as exc:
        raise ParseError(Path(what), f"not well-formed XML: {exc}", line=exc.lineno) from exc
