"""The ``ilbirs`` command, run as a user runs it: the installed console script in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ILBIRS = shutil.which("ilbirs", path=str(Path(sys.executable).parent))
FIXTURES = Path(__file__).parents[1] / "data"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    assert ILBIRS, "the ilbirs console script is not installed next to this Python"
    return subprocess.run([ILBIRS, *args], capture_output=True, text=True, timeout=120, check=False)


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "info" in result.stdout and "check" in result.stdout


@pytest.mark.parametrize("command", ["info", "check"])
def test_every_subcommand_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout and len(result.stdout) > 200


def test_info_reports_versions_locations_and_quads_per_graph() -> None:
    result = run("info", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["package_version"] == "0.1.0"
    assert doc["ontology_version"] == "0.1.0"
    assert Path(doc["ontology_dir"], "ilbirs.ttl").is_file()
    graphs = {g["graph"]: g for g in doc["graphs"]}
    article = graphs["https://w3id.org/ilbirs/graph/caspian-post-snow-leopards"]
    assert article["quads"] > 50
    assert article["source"].startswith("The Caspian Post")
    assert None not in graphs, "the default graph must stay empty"
    assert doc["total_quads"] == sum(g["quads"] for g in doc["graphs"])


def test_info_text_is_a_table_for_people() -> None:
    result = run("info")
    assert result.returncode == 0, result.stderr
    assert "ontology 0.1.0" in result.stdout
    assert "graph:caspian-post-snow-leopards" in result.stdout


def test_check_is_clean_on_the_shipped_graph() -> None:
    result = run("check")
    assert result.returncode == 0, result.stdout
    assert "checks passed" in result.stdout


def test_check_exits_1_and_says_what_to_fix(tmp_path: Path) -> None:
    result = run("check", str(FIXTURES / "checks" / "undeclared-term-invalid.trig"))
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "undeclared-term" in result.stdout
    assert "dwc:organismname" in result.stdout
    assert "Fix:" in result.stdout


def test_check_exits_2_on_a_broken_file_naming_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text('@prefix ex: <https://example.org/> .\nex:a ex:b "unterminated .\n', encoding="utf-8")
    result = run("check", str(bad))
    assert result.returncode == 2
    assert "broken.ttl, line" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_check_exits_2_on_a_missing_file(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "nope.ttl"))
    assert result.returncode == 2
    assert "no such file" in result.stderr
