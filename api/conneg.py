"""Content negotiation (RFC 9110, section 12.5.1): the ``Accept`` header with q-values and
wildcards, against the media types a route offers. No HTTP framework here."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["NotAcceptableHeaderError", "negotiate"]

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_RANGE = re.compile(rf"^\s*({_TOKEN})/({_TOKEN})\s*((?:;\s*{_TOKEN}\s*=\s*(?:{_TOKEN}|\"[^\"]*\")\s*)*)$")
_PARAM = re.compile(rf";\s*({_TOKEN})\s*=\s*({_TOKEN}|\"[^\"]*\")")


class NotAcceptableHeaderError(ValueError):
    """The ``Accept`` header does not follow the syntax of RFC 9110."""


def _ranges(header: str) -> list[tuple[str, str, float]]:
    ranges = []
    for part in header.split(","):
        if not part.strip():
            continue
        match = _RANGE.match(part)
        if match is None:
            raise NotAcceptableHeaderError(f"cannot read the Accept header at {part.strip()[:60]!r}")
        q = 1.0
        for name, value in _PARAM.findall(match.group(3)):
            if name.lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    raise NotAcceptableHeaderError(f"not a q-value: {value[:20]!r}") from None
                if not 0 <= q <= 1:
                    raise NotAcceptableHeaderError(f"a q-value is between 0 and 1, not {value[:20]!r}")
        ranges.append((match.group(1).lower(), match.group(2).lower(), q))
    return ranges


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client prefers, or ``None`` if it accepts none of them.

    The most specific range that matches a type gives its q-value; among equal q-values the
    order of ``offered`` decides (the route's default first). No header means ``*/*``.

    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", ["application/sparql-results+json", "text/csv", "application/sparql-results+xml"])
    'application/sparql-results+xml'
    >>> negotiate("text/*, */*;q=0.1", ["application/json", "text/csv"])
    'text/csv'
    >>> negotiate("image/png", ["text/csv"]) is None
    True

    :raises NotAcceptableHeaderError: the header cannot be read.
    """
    if accept is None or not accept.strip():
        return offered[0] if offered else None
    ranges = _ranges(accept)
    best: tuple[float, int] | None = None
    chosen = None
    for index, media_type in enumerate(offered):
        kind, _, sub = media_type.lower().partition("/")
        quality, specificity = 0.0, -1
        for r_kind, r_sub, q in ranges:
            if r_kind == kind and r_sub == sub:
                level = 2
            elif r_kind == kind and r_sub == "*":
                level = 1
            elif r_kind == "*" and r_sub == "*":
                level = 0
            else:
                continue
            if level > specificity:
                quality, specificity = q, level
        if quality > 0 and (best is None or quality > best[0]):
            best, chosen = (quality, -index), media_type
    return chosen
