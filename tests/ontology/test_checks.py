"""The quality checks: clean on what Ilbirs ships, and each one fires on a fixture built to break it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ilbirs.graph import load_bundle, run_checks
from ilbirs.graph.resources import check_files
from ilbirs.graph.store import EmbeddedStore

FIXTURES = Path(__file__).parents[1] / "data" / "checks"
TEST_PREFIXES = (
    "https://w3id.org/ilbirs/id/test/",
    "https://w3id.org/ilbirs/def/Test",
    "https://w3id.org/ilbirs/def/test",
    "https://w3id.org/ilbirs/vocab/test/",
    "https://w3id.org/ilbirs/vocab/sex/mail",
    "https://w3id.org/ilbirs/id/animal/umia",
    "https://w3id.org/ilbirs/graph/test",
    "http://rs.tdwg.org/dwc/terms/organismname",
)


def test_every_check_passes_on_the_shipped_bundle(bundle_store: EmbeddedStore) -> None:
    results = run_checks(bundle_store)
    assert len(results) == len(check_files()) >= 10
    failures = {r.name: r.rows for r in results if not r.passed}
    assert failures == {}


def test_every_check_opens_with_its_purpose() -> None:
    for path in check_files():
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and len(first) > 20, path.name


@pytest.mark.parametrize("check", check_files(), ids=lambda p: p.name.removesuffix("-violation.rq"))
def test_check_fires_on_its_invalid_fixture(check: Path) -> None:
    name = check.name.removesuffix("-violation.rq")
    fixture = FIXTURES / f"{name}-invalid.trig"
    assert fixture.is_file(), f"add {fixture.name}: every check needs a fixture that makes it fire"
    store = EmbeddedStore()
    load_bundle(store)
    store.load_file(fixture)
    [result] = run_checks(store, files=[check])
    assert not result.passed
    flagged = {str(term) for row in result.rows for term in row.values()}
    assert any(term.startswith(TEST_PREFIXES) for term in flagged), flagged
