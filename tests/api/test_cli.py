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


SHAPE_FIXTURES = FIXTURES / "shapes"


def test_validate_passes_on_the_shipped_dataset() -> None:
    result = run("validate")
    assert result.returncode == 0, result.stdout
    assert "conforms: 0 violations" in result.stdout


def test_validate_groups_results_by_entity_with_labels() -> None:
    result = run("validate", str(SHAPE_FIXTURES / "Animal-ofTaxon-invalid-01.ttl"))
    assert result.returncode == 1
    out = result.stdout
    assert "Testy  id:test/animal" in out  # the entity: label, then IRI
    assert "Violation kg:ofTaxon" in out
    assert "An animal belongs to exactly one taxon" in out
    assert "shape shapes:Animal-ofTaxon" in out
    assert "does not conform: 1 violations" in out


def test_validate_json_names_shape_focus_and_severity() -> None:
    result = run(
        "validate",
        "--format",
        "json",
        str(SHAPE_FIXTURES / "EcologicalCorridor-twoProtectedAreas-invalid-01.ttl"),
    )
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["conforms"] is False
    [hit] = [r for r in doc["results"] if r["shape"].endswith("/EcologicalCorridor-twoProtectedAreas")]
    assert hit["focus_node"] == "https://w3id.org/ilbirs/id/test/corridor2"
    assert hit["focus_label"] == "Half Corridor"
    assert hit["severity"] == "Violation"
    assert "connects 1" in hit["message"]


def test_validate_turtle_is_a_shacl_report() -> None:
    from rdflib import Graph
    from rdflib.namespace import SH

    result = run("validate", "--format", "turtle", str(SHAPE_FIXTURES / "Animal-sex-invalid-01.ttl"))
    assert result.returncode == 1
    report = Graph().parse(data=result.stdout, format="turtle")
    assert len(list(report.subjects(SH.resultSeverity, SH.Violation))) == 1


def test_validate_warnings_alone_conform(tmp_path: Path) -> None:
    result = run("validate", str(SHAPE_FIXTURES / "NamedGraph-describedSource-invalid-01.trig"))
    assert result.returncode == 0, result.stdout
    assert "Warning" in result.stdout and "does not say where its statements come from" in result.stdout


def test_validate_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.trig"
    bad.write_text(
        "<https://example.org/g> {\n  <https://example.org/a> <https://example.org/b> .\n}\n",
        encoding="utf-8",
    )
    result = run("validate", str(bad))
    assert result.returncode == 2
    assert "bad.trig, line 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_generate_is_deterministic_and_valid(tmp_path: Path) -> None:
    first, second = tmp_path / "a.nq", tmp_path / "b.nq"
    assert run("generate", "--triples", "3000", "--seed", "5", "-o", str(first)).returncode == 0
    assert run("generate", "--triples", "3000", "--seed", "5", "-o", str(second)).returncode == 0
    assert first.read_bytes() == second.read_bytes()
    assert len(first.read_text(encoding="utf-8").splitlines()) >= 3000
    result = run("validate", str(first))
    assert result.returncode == 0, result.stdout[-2000:]
