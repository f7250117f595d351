"""Every external term in ontology/alignments/reused-terms.ttl exists in its vocabulary, so the
undeclared-term check cannot be satisfied by listing a typo."""

from __future__ import annotations

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS, GEO, ORG, OWL, PROV, SDO, SH, SKOS, VANN, XSD, DefinedNamespace

from ilbirs.graph.resources import ontology_dir

CLOSED: list[type[DefinedNamespace]] = [DCTERMS, GEO, ORG, OWL, PROV, SDO, SH, SKOS, VANN, XSD]
# Darwin Core is not in rdflib: the terms Ilbirs may use, from the TDWG term list.
DWC = "http://rs.tdwg.org/dwc/terms/"
DWCIRI = "http://rs.tdwg.org/dwc/iri/"
DWC_TERMS = {
    "Organism", "Taxon", "Occurrence", "Identification", "organismName", "organismID", "organismRemarks",
    "scientificName", "scientificNameAuthorship", "taxonRank", "vernacularName", "taxonID", "sex",
    "acceptedNameUsage", "taxonomicStatus",
}  # fmt: skip
DWCIRI_TERMS = {"sex", "toTaxon", "inDataset"}


def exists(term: URIRef) -> bool:
    text = str(term)
    if text.startswith(DWC):
        return text[len(DWC) :] in DWC_TERMS
    if text.startswith(DWCIRI):
        return text[len(DWCIRI) :] in DWCIRI_TERMS
    if text.startswith(str(RDF)) or text.startswith(str(RDFS)):
        return term in {RDF.type, RDF.Property, RDF.langString, RDF.first, RDF.rest, RDFS.Class, RDFS.Datatype, RDFS.label, RDFS.comment,
                        RDFS.domain, RDFS.range, RDFS.subClassOf, RDFS.subPropertyOf, RDFS.isDefinedBy}  # fmt: skip
    for ns in CLOSED:
        base = str(ns._NS)
        if text.startswith(base):
            return text[len(base) :] in ns.__annotations__ or text[len(base) :] in getattr(ns, "_extras", [])
    raise AssertionError(f"{term}: no known vocabulary; add it to this test")


def test_every_reused_term_exists_in_its_vocabulary() -> None:
    path = ontology_dir() / "alignments" / "reused-terms.ttl"
    graph = Graph().parse(data=path.read_text(encoding="utf-8"), format="turtle")
    terms = {s for s in graph.subjects(RDFS.isDefinedBy, None) if isinstance(s, URIRef)}
    assert len(terms) > 50
    assert sorted(str(t) for t in terms if not exists(t)) == []


def test_the_test_knows_a_typo_when_it_sees_one() -> None:
    assert not exists(URIRef("https://schema.org/containedInPlacee"))
    assert not exists(URIRef(DWC + "organismname"))
