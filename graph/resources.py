"""Where the files that ship with Ilbirs live, in editable and non-editable installs alike.

The folders ``ontology/``, ``shapes/`` and ``data/`` are installed as the packages
``ilbirs.ontology``, ``ilbirs.shapes`` and ``ilbirs.data`` (see ``pyproject.toml``), so
``importlib.resources`` finds them wherever pip put them.

>>> (ontology_dir() / "ilbirs.ttl").is_file()
True
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rdflib import URIRef

from .errors import ResourceMissingError

__all__ = [
    "BundleFile",
    "bundle_files",
    "check_files",
    "data_dir",
    "ontology_dir",
    "query_dir",
    "shapes_dir",
]

_ONTOLOGY_BASE = "https://w3id.org/ilbirs/ontology/"


def _package_dir(package: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:  # pragma: no cover - only in a broken install
        raise ResourceMissingError(f"the package {package} is not installed") from exc
    path = Path(str(root))
    if not path.is_dir():  # pragma: no cover - zipped installs are not supported
        raise ResourceMissingError(f"{package} is not a folder on disk: {path}")
    return path


def ontology_dir() -> Path:
    """The installed ``ontology/`` folder."""
    return _package_dir("ilbirs.ontology")


def shapes_dir() -> Path:
    """The installed ``shapes/`` folder."""
    return _package_dir("ilbirs.shapes")


def data_dir() -> Path:
    """The installed ``data/`` folder: the shipped, curated dataset."""
    return _package_dir("ilbirs.data")


def query_dir() -> Path:
    """The folder of the SPARQL files that ``ilbirs.graph`` runs."""
    return Path(__file__).parent / "queries"


def check_files() -> list[Path]:
    """The ontology quality checks, ``ontology/checks/*-violation.rq``, sorted by name."""
    return sorted((ontology_dir() / "checks").glob("*-violation.rq"))


@dataclass(frozen=True)
class BundleFile:
    """One RDF file of the shipped bundle and the named graph it loads into.

    ``graph`` is ``None`` for TriG files, which name their own graphs.
    """

    path: Path
    kind: str
    graph: URIRef | None


def _ontology_graph(path: Path, root: Path) -> URIRef:
    """The graph of an ontology file is its ontology IRI, derived from its path.

    >>> _ontology_graph(Path("/x/vocab/sex.ttl"), Path("/x"))
    rdflib.term.URIRef('https://w3id.org/ilbirs/ontology/vocab/sex')
    >>> _ontology_graph(Path("/x/ilbirs.ttl"), Path("/x"))
    rdflib.term.URIRef('https://w3id.org/ilbirs/ontology')
    """
    rel = path.relative_to(root).with_suffix("").as_posix()
    return URIRef(_ONTOLOGY_BASE.rstrip("/") if rel == "ilbirs" else _ONTOLOGY_BASE + rel)


def bundle_files() -> list[BundleFile]:
    """Every RDF file that ships with Ilbirs, in load order: ontology, vocabularies,
    alignments, shapes, then the data. Ontology files load into the graph named by their
    ontology IRI; data files are TriG and name their own graphs.
    """
    onto = ontology_dir()
    files: list[BundleFile] = []
    for kind, pattern in (
        ("ontology", "*.ttl"),
        ("vocabulary", "vocab/*.ttl"),
        ("alignment", "alignments/*.ttl"),
    ):
        files += [BundleFile(p, kind, _ontology_graph(p, onto)) for p in sorted(onto.glob(pattern))]
    shapes = shapes_dir()
    files += [
        BundleFile(p, "shapes", URIRef("https://w3id.org/ilbirs/shapes/" + p.stem))
        for p in sorted(shapes.glob("*.ttl"))
    ]
    files += [BundleFile(p, "data", None) for p in sorted((data_dir() / "sources").glob("*.trig"))]
    return files
