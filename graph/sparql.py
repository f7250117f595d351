"""SPARQL files, loaded by name from ``graph/queries/`` (one query per file, ``verb_noun.rq``).

>>> "SELECT" in load_query("count_quads_per_graph")
True
"""

from __future__ import annotations

from functools import cache

from .errors import QueryNotFoundError
from .resources import query_dir

__all__ = ["load_query", "query_names"]


@cache
def load_query(name: str) -> str:
    """The text of ``graph/queries/<name>.rq``.

    :raises QueryNotFoundError: there is no such file.
    """
    path = query_dir() / f"{name}.rq"
    if not path.is_file():
        raise QueryNotFoundError(f"no query named {name!r} in {query_dir()}")
    return path.read_text(encoding="utf-8")


def query_names() -> list[str]:
    """The names of every shipped query, sorted."""
    return sorted(p.stem for p in query_dir().glob("*.rq"))
