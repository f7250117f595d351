"""The ontology quality checks: ``ontology/checks/*-violation.rq``, each of which must return
zero rows over the whole bundle (ontology, vocabularies, alignments, shapes, data).

Each file opens with comment lines: the first says what a row means, the rest how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .resources import check_files
from .store import Row, Store

__all__ = ["CheckResult", "run_checks"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one quality check: its name, what it looks for, and the offending rows."""

    name: str
    description: str
    rows: list[Row] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when the check found nothing."""
        return not self.rows


def _description(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    return " ".join(lines)


def run_checks(store: Store, *, files: list[Path] | None = None) -> list[CheckResult]:
    """Run every quality check (or those in ``files``) over ``store``, default graph as union.

    :raises QueryError: a check file is not valid SPARQL.
    """
    results = []
    for path in files if files is not None else check_files():
        text = path.read_text(encoding="utf-8")
        name = path.name.removesuffix("-violation.rq")
        results.append(CheckResult(name, _description(text), store.select(text)))
    return results
