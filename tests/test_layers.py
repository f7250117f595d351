"""One-way calls: api -> graph -> graph/store. Only graph/store imports a store driver; only
api imports FastAPI; graph never imports api."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DRIVERS = {"pyoxigraph", "SPARQLWrapper", "httpx", "requests"}
SOURCES = sorted([*(ROOT / "graph").rglob("*.py"), *(ROOT / "api").rglob("*.py")])


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_one_way(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    tops = {m.split(".")[0] for m in imported_modules(path)}
    modules = imported_modules(path)
    if not rel.startswith("graph/store/"):
        assert not tops & DRIVERS, f"{rel} imports a store driver: only graph/store/ may"
    if not rel.startswith("api/"):
        assert "fastapi" not in tops, f"{rel} imports FastAPI: only api/ may"
    if rel.startswith("graph/"):
        assert not any(m.startswith("ilbirs.api") for m in modules), f"{rel} imports ilbirs.api"


def test_the_layer_rule_can_see_imports() -> None:
    store = ROOT / "graph" / "store" / "embedded.py"
    assert "pyoxigraph" in imported_modules(store)
