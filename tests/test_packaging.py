"""The wheel (a non-editable install) carries the ontology, shapes, data and queries, and the
installed package finds them at run time, without the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        timeout=300,
        cwd=out,
    )
    [built] = out.glob("ilbirs-*.whl")
    return built


def test_wheel_carries_every_shipped_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in [
        ("ontology", "**/*.ttl"),
        ("ontology", "checks/*.rq"),
        ("data", "**/*.trig"),
        ("graph", "queries/*.rq"),
    ]:
        expected = {
            f"ilbirs/{folder}/{p.relative_to(ROOT / folder).as_posix()}"
            for p in (ROOT / folder).glob(pattern)
        }
        assert expected and expected <= names, expected - names
    assert {"ilbirs/graph/py.typed", "ilbirs/api/py.typed", "ilbirs/ontology/README.md"} <= names
    assert not any(n.startswith(("tests/", "graph/", "api/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "ilbirs = ilbirs.api.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_non_editable_install_finds_ontology_and_data(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
    )
    # -S: no site processing, so the editable install's import hook (a .pth file) is not
    # active; dependencies come from this environment's site-packages, Ilbirs from the wheel.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])}
    result = subprocess.run(
        [sys.executable, "-S", "-m", "ilbirs.api.cli", "info", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert Path(doc["ontology_dir"]).is_relative_to(target)
    assert Path(doc["data_dir"]).is_relative_to(target)
    assert doc["ontology_version"] == "0.1.0"
    assert len(doc["graphs"]) >= 40
