"""Conversion between rdflib terms (used everywhere in ``ilbirs.graph``) and pyoxigraph terms."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Identifier

__all__ = ["from_oxigraph", "to_oxigraph"]

_XSD_STRING = str(XSD.string)
_LANG_STRING = str(RDF.langString)


def from_oxigraph(term: object) -> Identifier:
    """An rdflib term equal to the pyoxigraph ``term``.

    >>> from_oxigraph(ox.Literal("Umai", language="en"))
    rdflib.term.Literal('Umai', lang='en')
    >>> from_oxigraph(ox.Literal("x")) == Literal("x")
    True
    """
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        # normalize=False: keep the lexical form the store holds ("...Z" stays "...Z").
        return Literal(term.value, datatype=URIRef(datatype), normalize=False)
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Identifier) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term equal to the rdflib ``term``.

    >>> to_oxigraph(URIRef("https://w3id.org/ilbirs/id/animal/umai"))
    <NamedNode value=https://w3id.org/ilbirs/id/animal/umai>
    """
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) != _LANG_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")
