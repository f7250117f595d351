"""A deterministic generator of synthetic data shaped like the real domain, for benchmarks and
tests: countries, regions and settlements; protected areas with areas and polygon geometries;
corridors (some transboundary); taxa with Red List assessments; animals and their transfers;
organisations, people, posts, tenures, events, projects and portfolios; labels in en, ru and
ky; every statement in the named graph of a described source. It conforms to the shapes.

All IRIs live under ``https://example.org/synthetic/``, never under the Ilbirs base: synthetic
data must never pass for real data.

>>> lines = list(generate(2_000, seed=1))
>>> len(lines) >= 2_000 and lines == list(generate(2_000, seed=1))
True
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import product
from string import ascii_uppercase

__all__ = ["SYNTHETIC_BASE", "generate"]

SYNTHETIC_BASE = "https://example.org/synthetic/"
_ID = SYNTHETIC_BASE + "id/"
_KG = "https://w3id.org/ilbirs/def/"
_VOCAB = "https://w3id.org/ilbirs/vocab/"
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_P = {
    "pref": "<http://www.w3.org/2004/02/skos/core#prefLabel>",
    "alt": "<http://www.w3.org/2004/02/skos/core#altLabel>",
    "in": "<https://schema.org/containedInPlace>",
    "unit": "<https://schema.org/unitCode>",
    "value": "<https://schema.org/value>",
    "geom": "<http://www.opengis.net/ont/geosparql#hasDefaultGeometry>",
    "wkt": "<http://www.opengis.net/ont/geosparql#asWKT>",
    "object": "<https://schema.org/object>",
    "agent": "<https://schema.org/agent>",
    "recipient": "<https://schema.org/recipient>",
    "from": "<https://schema.org/fromLocation>",
    "to": "<https://schema.org/toLocation>",
    "start": "<https://schema.org/startDate>",
    "end": "<https://schema.org/endDate>",
    "location": "<https://schema.org/location>",
    "attendee": "<https://schema.org/attendee>",
    "primary": "<http://www.w3.org/ns/prov#hadPrimarySource>",
    "generated": "<http://www.w3.org/ns/prov#generatedAtTime>",
    "url": "<https://schema.org/url>",
    "published": "<https://schema.org/datePublished>",
    "publisher": "<https://schema.org/publisher>",
    "sciname": "<http://rs.tdwg.org/dwc/terms/scientificName>",
    "vernacular": "<http://rs.tdwg.org/dwc/terms/vernacularName>",
    "rank": "<http://rs.tdwg.org/dwc/terms/taxonRank>",
    "orgname": "<http://rs.tdwg.org/dwc/terms/organismName>",
    "sex": "<http://rs.tdwg.org/dwc/iri/sex>",
    "date": "<http://purl.org/dc/terms/date>",
    "member": "<http://www.w3.org/ns/org#member>",
    "postIn": "<http://www.w3.org/ns/org#postIn>",
    "holds": "<http://www.w3.org/ns/org#holds>",
    "actDate": "<https://schema.org/legislationDate>",
    "actId": "<https://schema.org/legislationIdentifier>",
    "passedBy": "<https://schema.org/legislationPassedBy>",
}
_SYLLABLES = [
    "ak",
    "bar",
    "chat",
    "dor",
    "er",
    "kal",
    "tash",
    "nar",
    "sar",
    "ul",
    "yn",
    "tor",
    "bel",
    "khan",
    "ten",
    "gri",
]
_CYRILLIC = {"ak": "ак", "bar": "бар", "chat": "чат", "dor": "дор", "er": "эр", "kal": "кал", "tash": "таш", "nar": "нар",
             "sar": "сар", "ul": "ул", "yn": "ын", "tor": "тор", "bel": "бел", "khan": "хан", "ten": "тен", "gri": "гри"}  # fmt: skip


def _kg(name: str) -> str:
    return f"<{_KG}{name}>"


def _vocab(scheme: str, code: str) -> str:
    return f"<{_VOCAB}{scheme}/{code}>"


def _lit(text: str, *, lang: str | None = None, dtype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    if lang:
        return f'"{escaped}"@{lang}'
    if dtype:
        return f'"{escaped}"^^<{_XSD}{dtype}>'
    return f'"{escaped}"'


class _Writer:
    """Accumulates N-Quads lines for the current source graph."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.graph = ""
        self.lines: list[str] = []
        self.count = 0

    def q(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o} {self.graph} .")

    def name(self, words: int = 2) -> tuple[str, str]:
        parts = [self.rng.choice(_SYLLABLES) + self.rng.choice(_SYLLABLES) for _ in range(words)]
        latin = "-".join(p.capitalize() for p in parts)
        cyr = "-".join(_CYRILLIC_WORD(p) for p in parts)
        return latin, cyr

    def labels(self, node: str, en: str, ru: str, *, ky: str | None = None) -> None:
        self.q(node, _P["pref"], _lit(en, lang="en"))
        self.q(node, _P["pref"], _lit(ru, lang="ru"))
        if ky:
            self.q(node, _P["pref"], _lit(ky, lang="ky"))


def _CYRILLIC_WORD(word: str) -> str:  # noqa: N802 - a table lookup, named like the constant it reads
    out, rest = "", word
    while rest:
        for size in (4, 3, 2):
            head = rest[:size]
            if head in _CYRILLIC:
                out += _CYRILLIC[head]
                rest = rest[size:]
                break
        else:
            out += rest[0]
            rest = rest[1:]
    return out.capitalize()


def _polygon(rng: random.Random) -> str:
    lon, lat = rng.uniform(60, 110), rng.uniform(30, 55)
    d = rng.uniform(0.05, 0.6)
    ring = [(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d), (lon, lat)]
    return "POLYGON ((" + ", ".join(f"{x:.4f} {y:.4f}" for x, y in ring) + "))"


def _date(rng: random.Random, start: int = 1950, end: int = 2025) -> str:
    return f"{rng.randint(start, end)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def generate(triples: int, *, seed: int = 0) -> Iterator[str]:
    """N-Quads lines of about ``triples`` quads (at least that many), the same for the same seed.

    :raises ValueError: ``triples`` is not positive.
    """
    if triples <= 0:
        raise ValueError("triples must be positive")
    rng = random.Random(seed)
    w = _Writer(rng)
    codes = ["".join(p) for p in product(ascii_uppercase, repeat=2)]
    rng.shuffle(codes)
    n_countries = max(6, min(200, triples // 20_000))

    # The reference graph: countries, regions, taxa, shared organisations.
    w.graph = f"<{SYNTHETIC_BASE}graph/reference>"
    source = f"<{_ID}source/reference>"
    w.q(w.graph, _RDF_TYPE, _kg("SourceGraph"))
    w.q(w.graph, _P["primary"], source)
    w.q(source, _RDF_TYPE, _kg("ReferenceWork"))
    w.q(source, _P["pref"], _lit("Synthetic reference data", lang="en"))
    w.q(source, _P["url"], f"<{SYNTHETIC_BASE}reference>")
    countries, regions = [], []
    for i in range(n_countries):
        c = f"<{_ID}country/c{i}>"
        en, ru = w.name(1)
        w.q(c, _RDF_TYPE, _kg("Country"))
        w.labels(c, en + "stan", ru + "стан", ky=ru + "стан")
        w.q(c, _kg("isoAlpha2Code"), _lit(codes[i]))
        countries.append(c)
        for j in range(4):
            r = f"<{_ID}region/c{i}-r{j}>"
            ren, rru = w.name(1)
            w.q(r, _RDF_TYPE, _kg("AdministrativeRegion"))
            w.labels(r, ren + " Region", rru + " область")
            w.q(r, _kg("isoSubdivisionCode"), _lit(f"{codes[i]}-{j + 1}"))
            w.q(r, _P["in"], c)
            regions.append((r, c))
    taxa = []
    for i in range(40):
        t = f"<{_ID}taxon/t{i}>"
        en, ru = w.name(1)
        w.q(t, _RDF_TYPE, _kg("Taxon"))
        w.labels(t, en.lower() + " cat", ru.lower() + " кошка")
        w.q(t, _P["sciname"], _lit(f"Felis {en.lower().replace('-', '')}"))
        w.q(t, _P["rank"], _lit("species"))
        w.q(t, _P["vernacular"], _lit(en.lower() + " cat", lang="en"))
        a = f"<{_ID}assessment/t{i}>"
        w.q(t, _kg("redListAssessment"), a)
        w.q(a, _RDF_TYPE, _kg("RedListAssessment"))
        w.q(a, _P["pref"], _lit(f"Red List assessment of Felis {en.lower()}", lang="en"))
        w.q(
            a, _kg("redListCategory"), _vocab("red-list-category", rng.choice(["LC", "NT", "VU", "EN", "CR"]))
        )
        w.q(a, _P["date"], _lit(str(rng.randint(2000, 2024)), dtype="gYear"))
        taxa.append(t)
    yield from w.lines
    produced = len(w.lines)
    w.lines = []

    block = 0
    while produced < triples:
        yield from _block(w, block, countries, regions, taxa)
        produced += len(w.lines)
        w.lines = []
        block += 1


def _block(
    w: _Writer, b: int, countries: list[str], regions: list[tuple[str, str]], taxa: list[str]
) -> list[str]:
    """One source graph: about 750 quads of protected areas, corridors, animals, events, projects."""
    rng = w.rng
    w.graph = f"<{SYNTHETIC_BASE}graph/source-{b}>"
    source = f"<{_ID}source/s{b}>"
    publisher = f"<{_ID}organization/publisher-{b % 50}>"
    w.q(w.graph, _RDF_TYPE, _kg("SourceGraph"))
    w.q(w.graph, _P["primary"], source)
    w.q(w.graph, _kg("confidence"), _vocab("confidence", rng.choice(["high", "medium"])))
    w.q(w.graph, _P["generated"], _lit("2026-11-24T00:00:00Z", dtype="dateTime"))
    w.q(source, _RDF_TYPE, _kg("NewsArticle"))
    w.q(source, _P["pref"], _lit(f"Synthetic report {b}", lang="en"))
    w.q(source, _P["url"], f"<{SYNTHETIC_BASE}report/{b}>")
    w.q(source, _P["published"], _lit(_date(rng, 2000, 2025), dtype="date"))
    w.q(source, _P["publisher"], publisher)
    w.q(publisher, _RDF_TYPE, _kg("MediaOrganization"))
    w.q(publisher, _P["pref"], _lit(f"Synthetic News {b % 50}", lang="en"))

    org = f"<{_ID}organization/o{b}>"
    en, ru = w.name()
    w.q(org, _RDF_TYPE, _kg(rng.choice(["GovernmentBody", "ConservationCentre", "Organization"])))
    w.labels(org, f"{en} Nature Agency", f"Агентство природы {ru}")
    region, country = rng.choice(regions)
    w.q(org, _P["location"], region)
    act = f"<{_ID}legal-act/a{b}>"
    w.q(act, _RDF_TYPE, _kg("LegalAct"))
    w.q(act, _P["pref"], _lit(f"Decree No. {b}", lang="en"))
    w.q(act, _P["actId"], _lit(str(b)))
    w.q(act, _P["actDate"], _lit(_date(rng), dtype="date"))
    w.q(act, _P["passedBy"], org)

    areas = []
    for i in range(16):
        pa = f"<{_ID}protected-area/b{b}-{i}>"
        en, ru = w.name()
        region, country = rng.choice(regions)
        w.q(pa, _RDF_TYPE, _kg("ProtectedArea"))
        w.labels(pa, f"{en} Reserve", f"Заповедник {ru}", ky=f"{ru} коругу")
        w.q(pa, _P["alt"], _lit(f"{en} State Nature Reserve", lang="en"))
        w.q(
            pa,
            _kg("designation"),
            _vocab("pa-designation", rng.choice(["state-nature-reserve", "nature-park", "national-park"])),
        )
        w.q(pa, _kg("iucnCategory"), _vocab("iucn-pa-category", rng.choice(["Ia", "Ib", "II", "IV", "VI"])))
        w.q(pa, _kg("establishmentDate"), _lit(_date(rng), dtype="date"))
        w.q(pa, _kg("establishedBy"), act)
        w.q(pa, _P["in"], region)
        qv = f"<{_ID}quantity/b{b}-{i}-area>"
        w.q(pa, _kg("area"), qv)
        w.q(qv, _RDF_TYPE, "<https://schema.org/QuantitativeValue>")
        w.q(qv, _P["value"], _lit(f"{rng.uniform(1000, 900000):.1f}", dtype="decimal"))
        w.q(qv, _P["unit"], _lit("HAR"))
        g = f"<{_ID}geometry/b{b}-{i}>"
        w.q(pa, _P["geom"], g)
        w.q(g, _RDF_TYPE, "<http://www.opengis.net/ont/geosparql#Geometry>")
        w.q(g, _P["wkt"], f'"{_polygon(rng)}"^^<http://www.opengis.net/ont/geosparql#wktLiteral>')
        areas.append((pa, country))

    for i in range(2):
        corridor = f"<{_ID}corridor/b{b}-{i}>"
        en, ru = w.name()
        linked = rng.sample(areas, rng.randint(2, 4))
        w.q(corridor, _RDF_TYPE, _kg("EcologicalCorridor"))
        w.labels(corridor, f"{en} Corridor", f"Коридор {ru}")
        w.q(
            corridor,
            _kg("corridorStatus"),
            _vocab("corridor-status", rng.choice(["proposed", "in-preparation", "established"])),
        )
        for pa, _ in linked:
            w.q(corridor, _kg("connects"), pa)
        in_countries = sorted({c for _, c in linked})
        for c in in_countries:
            w.q(corridor, _P["in"], c)
        w.q(
            corridor,
            _kg("transboundary"),
            _lit("true" if len(in_countries) > 1 else "false", dtype="boolean"),
        )

    animals = []
    for i in range(5):
        animal = f"<{_ID}animal/b{b}-{i}>"
        en, ru = w.name(1)
        w.q(animal, _RDF_TYPE, _kg("Animal"))
        w.labels(animal, en, ru)
        w.q(animal, _P["orgname"], _lit(en))
        w.q(animal, _P["sex"], _vocab("sex", rng.choice(["male", "female"])))
        w.q(animal, _kg("ofTaxon"), rng.choice(taxa))
        w.q(animal, _kg("keptBy"), org)
        animals.append(animal)
    giver, receiver = rng.sample(countries, 2)
    transfer = f"<{_ID}event/transfer-{b}>"
    w.q(transfer, _RDF_TYPE, _kg("AnimalTransfer"))
    w.q(transfer, _P["pref"], _lit(f"Transfer of animals {b}", lang="en"))
    w.q(
        transfer,
        _kg("transferType"),
        _vocab("transfer-type", rng.choice(["physical-relocation", "ceremonial-handover"])),
    )
    for animal in rng.sample(animals, 3):
        w.q(transfer, _P["object"], animal)
    w.q(transfer, _P["agent"], giver)
    w.q(transfer, _P["recipient"], receiver)
    w.q(transfer, _P["from"], giver)
    w.q(transfer, _P["to"], receiver)
    w.q(transfer, _P["start"], _lit(_date(rng, 2019, 2025), dtype="date"))

    person = f"<{_ID}person/p{b}>"
    en, ru = w.name()
    w.q(person, _RDF_TYPE, _kg("Person"))
    w.labels(person, en.replace("-", " "), ru.replace("-", " "))
    post = f"<{_ID}post/p{b}>"
    w.q(post, _RDF_TYPE, _kg("Post"))
    w.q(post, _P["pref"], _lit(f"Director of {en} Nature Agency", lang="en"))
    w.q(post, _P["postIn"], org)
    w.q(person, _P["holds"], post)
    tenure = f"<{_ID}tenure/p{b}>"
    w.q(tenure, _RDF_TYPE, _kg("Membership"))
    w.q(tenure, _P["pref"], _lit(f"{en} as director", lang="en"))
    w.q(tenure, _P["member"], person)
    w.q(tenure, _kg("post"), post)
    w.q(tenure, _P["start"], _lit(str(rng.randint(2000, 2015)), dtype="gYear"))
    w.q(tenure, _P["end"], _lit(str(rng.randint(2016, 2025)), dtype="gYear"))

    event = f"<{_ID}event/conference-{b}>"
    w.q(event, _RDF_TYPE, _kg("Conference"))
    w.q(event, _P["pref"], _lit(f"Synthetic conference {b}", lang="en"))
    day = _date(rng, 2019, 2025)
    w.q(event, _P["start"], _lit(day, dtype="date"))
    w.q(event, _P["end"], _lit(day, dtype="date"))
    w.q(event, _P["location"], region)
    w.q(event, _P["attendee"], person)

    project = f"<{_ID}project/p{b}>"
    w.q(project, _RDF_TYPE, _kg("JointProject"))
    w.q(project, _P["pref"], _lit(f"Joint project {b}", lang="en"))
    w.q(project, _kg("partner"), org)
    w.q(project, _kg("partner"), giver)
    w.q(
        project,
        _kg("theme"),
        _vocab(
            "project-theme",
            rng.choice(
                [
                    "biodiversity-protection",
                    "ecological-trails",
                    "scientific-expeditions",
                    "ecological-corridors",
                ]
            ),
        ),
    )
    w.q(project, _P["start"], _lit(f"{rng.randint(2019, 2022)}", dtype="gYear"))
    w.q(project, _P["end"], _lit(f"{rng.randint(2023, 2025)}", dtype="gYear"))
    w.q(project, _kg("concernsPlace"), rng.choice(areas)[0])
    w.q(project, _kg("concernsTaxon"), rng.choice(taxa))
    return w.lines
