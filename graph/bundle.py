"""Loading the shipped bundle (ontology, vocabularies, alignments, shapes, data) into a store."""

from __future__ import annotations

from dataclasses import dataclass

from .resources import BundleFile, bundle_files
from .sparql import load_query
from .store import Store

__all__ = ["VALIDATED_KINDS", "LoadedFile", "bundle_loaded", "ensure_bundle", "load_bundle"]

#: What validation reads: everything but the shapes themselves (ontology and vocabularies
#: let sh:class follow rdfs:subClassOf).
VALIDATED_KINDS = frozenset({"ontology", "vocabulary", "alignment", "data"})


@dataclass(frozen=True)
class LoadedFile:
    """One file of the bundle after loading: where it came from and how many quads it added."""

    file: BundleFile
    quads: int


def load_bundle(store: Store, *, kinds: frozenset[str] | None = None) -> list[LoadedFile]:
    """Load every shipped RDF file into ``store`` and report what each added.

    ``kinds`` restricts the load to some kinds (``"ontology"``, ``"vocabulary"``,
    ``"alignment"``, ``"shapes"``, ``"data"``).

    >>> from ilbirs.graph.store import EmbeddedStore
    >>> loaded = load_bundle(EmbeddedStore(), kinds=frozenset({"vocabulary"}))
    >>> all(f.quads > 0 for f in loaded)
    True

    :raises ParseError: a shipped file is not valid RDF.
    """
    loaded: list[LoadedFile] = []
    for bundle_file in bundle_files():
        if kinds is not None and bundle_file.kind not in kinds:
            continue
        quads = store.load_file(bundle_file.path, graph=bundle_file.graph)
        loaded.append(LoadedFile(bundle_file, quads))
    return loaded


def bundle_loaded(store: Store) -> bool:
    """Whether ``store`` holds the shipped bundle (its umbrella ontology header).

    :raises StoreError: the store cannot be reached.
    """
    return store.ask(load_query("ask_bundle_loaded"))


def ensure_bundle(store: Store) -> list[LoadedFile]:
    """Load the shipped bundle into ``store`` unless it is there already; return what loaded."""
    return [] if bundle_loaded(store) else load_bundle(store)
