"""Places and names in the shipped dataset (issue 19): statements an audit found filed under a
source that does not state them stay out of that source's graph, the Russian protected areas
carry their region, names in Russian and Kyrgyz sit in the graph of the page that gives them,
and every point a source gives for a place is a well-formed GeoSPARQL geometry."""

from __future__ import annotations

import re

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from ilbirs.graph.namespace import GRAPH, ID, VOCAB
from ilbirs.graph.store import EmbeddedStore

PREFIXES = """
PREFIX kg: <https://w3id.org/ilbirs/def/>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
POINT = re.compile(
    rf"^\s*(?:{re.escape(CRS84)}\s*)?POINT\s*\(\s*({NUMBER})\s+({NUMBER})\s*\)\s*$", re.IGNORECASE
)


def select(store: EmbeddedStore, query: str, **bindings: URIRef | Literal) -> list[dict[str, object]]:
    return [dict(row) for row in store.select(PREFIXES + query, bindings=bindings)]


def ask(store: EmbeddedStore, query: str, **bindings: URIRef | Literal) -> bool:
    return bool(store.ask(PREFIXES + query, bindings=bindings))


def labels_in(
    store: EmbeddedStore, graph: str, entity: str, prop: str = "skos:prefLabel|skos:altLabel"
) -> set[Literal]:
    rows = select(store, f"SELECT ?l WHERE {{ GRAPH ?g {{ ?e {prop} ?l }} }}", g=GRAPH[graph], e=ID[entity])
    return {r["l"] for r in rows if isinstance(r["l"], Literal)}


# --- The audit of issue 19: each corrected statement stays out of the graph it was filed under


def test_the_ak_ilbirs_report_date_is_a_latest_date_not_an_establishment_date(
    bundle_store: EmbeddedStore,
) -> None:
    """Audit 1: 24.kg's "has been created" on 18 April 2025 bounds the creation; it is no establishment date."""
    assert not ask(
        bundle_store,
        "ASK { GRAPH ?g { ?c kg:establishmentDate ?d } }",
        g=GRAPH["24kg-en-326560"],
        c=ID["corridor/ak-ilbirs"],
    )
    assert not ask(bundle_store, "ASK { ?c kg:establishmentDate ?d }", c=ID["corridor/ak-ilbirs"])
    [row] = select(
        bundle_store,
        "SELECT ?date WHERE { GRAPH ?g { ?e kg:concernsPlace ?c ; kg:latestDate ?date } }",
        g=GRAPH["24kg-en-326560"],
        c=ID["corridor/ak-ilbirs"],
    )
    assert row["date"] == Literal("2025-04-18", datatype=XSD.date)


def test_the_ak_ilbirs_unveiling_day_is_in_the_graph_of_the_report_that_gives_it(
    bundle_store: EmbeddedStore,
) -> None:
    rows = select(
        bundle_store,
        "SELECT ?g ?date WHERE { GRAPH ?g { ?e kg:concernsPlace ?c ; schema:startDate ?date } }",
        c=ID["corridor/ak-ilbirs"],
    )
    assert {(str(r["g"]).rsplit("/", 1)[1], str(r["date"])) for r in rows} == {
        ("camca-ak-ilbirs-unveiling", "2025-04-30")
    }


def test_the_forum_start_is_not_the_press_release_today(bundle_store: EmbeddedStore) -> None:
    """Audit 2: the World Bank release of 23 October says "today"; the forum ran 22–23 October."""
    forum = ID["event/2013-global-snow-leopard-forum-bishkek"]
    rows = select(bundle_store, "SELECT ?g ?date WHERE { GRAPH ?g { ?e schema:startDate ?date } }", e=forum)
    assert {(str(r["g"]).rsplit("/", 1)[1], str(r["date"])) for r in rows} == {
        ("kremlin-leopard-24648", "2013-10-22")
    }
    assert not ask(
        bundle_store,
        "ASK { ?e schema:startDate '2013-10-23'^^<http://www.w3.org/2001/XMLSchema#date> }",
        e=forum,
    )


def test_sary_chelek_facts_are_filed_under_the_article_that_states_them(bundle_store: EmbeddedStore) -> None:
    """Audit 3: the day of establishment is in the list, the year and the Ia in the reserve's own article."""
    area = ID["protected-area/sary-chelek"]

    def facts(graph: str) -> set[tuple[str, str]]:
        rows = select(
            bundle_store,
            """SELECT ?p ?o WHERE { GRAPH ?g { ?a ?p ?o }
                 FILTER (?p IN (kg:establishmentDate, kg:iucnCategory)) }""",
            g=GRAPH[graph],
            a=area,
        )
        return {(str(r["p"]).rsplit("/", 1)[1], str(r["o"]).rsplit("/", 1)[-1]) for r in rows}

    assert facts("enwiki-sary-chelek") == {("establishmentDate", "1959"), ("iucnCategory", "Ia")}
    assert facts("enwiki-protected-areas-kg") == {("establishmentDate", "1959-03-05")}
    assert not ask(
        bundle_store,
        "ASK { GRAPH ?g { ?a kg:iucnCategory ?c } }",
        g=GRAPH["enwiki-protected-areas-kg"],
        a=area,
    )


def test_the_iucn_record_names_the_areas_in_its_own_words(bundle_store: EmbeddedStore) -> None:
    """Audit 4: "Alatai State Nature Park" and "Sary-Chelek State Reserve", not names of our making."""
    graph = "iucn-contribution-10119"
    alatai, sary_chelek = (
        labels_in(bundle_store, graph, "protected-area/alatai"),
        labels_in(bundle_store, graph, "protected-area/sary-chelek"),
    )
    assert Literal("Alatai State Nature Park", lang="en") in alatai
    assert Literal("Sary-Chelek State Reserve", lang="en") in sary_chelek
    assert Literal("Alatai National Park", lang="en") not in alatai
    assert Literal("Sary-Chelek Nature Reserve", lang="en") not in sary_chelek
    assert not ask(
        bundle_store,
        "ASK { ?a skos:prefLabel|skos:altLabel 'Alatai National Park'@en }",
        a=ID["protected-area/alatai"],
    )


def test_the_snow_leopard_centre_is_named_as_the_tatarstan_page_words_it(bundle_store: EmbeddedStore) -> None:
    """Audit 5."""
    labels = labels_in(bundle_store, "eco-tatarstan-2395642", "organization/snow-leopard-centre")
    assert labels == {
        Literal('Center for the Conservation of Biological Diversity "Snow Leopard"', lang="en")
    }
    assert not ask(
        bundle_store,
        """ASK { ?c skos:prefLabel|skos:altLabel ?l FILTER (STR(?l) = '"Snow Leopard" Biodiversity Conservation Centre') }""",
        c=ID["organization/snow-leopard-centre"],
    )


def test_pycountry_names_are_pycountrys_own(bundle_store: EmbeddedStore) -> None:
    """Audit 6: "Republic of Tatarstan" and "Bishkek" are not pycountry's names for RU-TA and KG-GB."""
    tatarstan = labels_in(bundle_store, "pycountry-26-2-16", "region/ru-ta")
    bishkek = labels_in(bundle_store, "pycountry-26-2-16", "region/kg-gb")
    assert Literal("Tatarstan, Respublika", lang="en") in tatarstan
    assert Literal("Republic of Tatarstan", lang="en") not in tatarstan
    assert bishkek == {Literal("Bishkek Shaary", lang="en")}


def test_every_pycountry_label_is_a_name_pycountry_gives(bundle_store: EmbeddedStore) -> None:
    """Audit 6, checked against the package itself where it is installed."""
    pycountry = pytest.importorskip("pycountry")
    import gettext

    def translate(domain: str, lang: str, name: str) -> str:
        return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang]).gettext(name)

    rows = select(
        bundle_store,
        """SELECT ?e ?l ?code WHERE { GRAPH ?g { ?e skos:prefLabel|skos:altLabel ?l .
             OPTIONAL { ?e kg:isoAlpha2Code ?code } OPTIONAL { ?e kg:isoSubdivisionCode ?code } } }""",
        g=GRAPH["pycountry-26-2-16"],
    )
    checked = 0
    for row in rows:
        code, label = str(row.get("code") or ""), row["l"]
        if not code:
            continue
        assert isinstance(label, Literal)
        if "-" in code:
            names = {pycountry.subdivisions.get(code=code).name}
            domain = "iso3166-2"
        else:
            country = pycountry.countries.get(alpha_2=code)
            names = {country.name, getattr(country, "official_name", country.name)}
            domain = "iso3166-1"
        allowed = (
            names if label.language == "en" else {translate(domain, str(label.language), n) for n in names}
        )
        assert str(label) in allowed, (code, label)
        checked += 1
    assert checked >= 30


def test_the_first_deputy_chairman_year_is_only_in_the_report_that_gives_it(
    bundle_store: EmbeddedStore,
) -> None:
    """Audit 7: none of the December 2024 appointment reports that could be read says 2022."""
    rows = select(
        bundle_store,
        "SELECT ?g ?start WHERE { GRAPH ?g { ?t schema:startDate ?start } }",
        t=ID["tenure/kasymaliev-first-deputy-chairman"],
    )
    assert {(str(r["g"]).rsplit("/", 1)[1], str(r["start"])) for r in rows} == {
        ("aa-kasymaliev-acting-chairman", "2022")
    }


def test_gslep_is_not_said_to_be_established_by_the_bishkek_declaration(bundle_store: EmbeddedStore) -> None:
    """Audit 8: the declaration and the programme were adopted together."""
    assert not ask(bundle_store, "ASK { ?p kg:establishedBy ?act }", p=ID["organization/gslep"])


def test_the_altai_sayan_identity_claim_carries_medium_confidence(bundle_store: EmbeddedStore) -> None:
    """Audit 9: the seed article's "Altai-Sayan region" taken to be the WWF ecoregion is a doubtful identity."""
    graph = GRAPH["caspian-post-snow-leopards"]
    [row] = select(
        bundle_store,
        "SELECT ?c ?d WHERE { GRAPH ?g { ?g kg:confidence ?c ; dcterms:description ?d } }",
        g=graph,
    )
    assert row["c"] == VOCAB["confidence/medium"]
    assert "Altai-Sayan" in str(row["d"])
    assert ask(
        bundle_store, "ASK { GRAPH ?g { ?h kg:concernsPlace ?e } }", g=graph, e=ID["ecoregion/altai-sayan"]
    )


# --- Places of the Russian side


@pytest.mark.parametrize("area", ["saylyugemsky", "katunsky", "altaisky"])
def test_the_altai_protected_areas_lie_in_the_altai_republic(bundle_store: EmbeddedStore, area: str) -> None:
    assert ask(
        bundle_store,
        "ASK { ?a a kg:ProtectedArea ; schema:containedInPlace+ ?r . ?r kg:isoSubdivisionCode 'RU-AL' }",
        a=ID[f"protected-area/{area}"],
    )


def test_every_protected_area_says_where_it_lies(bundle_store: EmbeddedStore) -> None:
    rows = select(
        bundle_store,
        """SELECT DISTINCT ?a WHERE { ?a a kg:ProtectedArea
             FILTER NOT EXISTS { ?a schema:containedInPlace+ ?c . ?c a kg:Country } }""",
    )
    assert rows == []


# --- Names in Russian and Kyrgyz, each in the graph of the page that gives it


@pytest.mark.parametrize(
    ("graph", "entity", "label"),
    [
        (
            "kywiki-sary-chelek",
            "protected-area/sary-chelek",
            Literal("Сары-Челек биочөйрөлүк коругу", lang="ky"),
        ),
        (
            "ruwiki-sary-chelek",
            "protected-area/sary-chelek",
            Literal("Сары-Челекский государственный биосферный заповедник", lang="ru"),
        ),
        ("kywiki-naryn", "protected-area/naryn", Literal("Нарын мамлекеттик коругу", lang="ky")),
        (
            "kogart-padysha-ata",
            "protected-area/padysha-ata",
            Literal("Падыша-Ата мамлекеттик жаратылыш коругу", lang="ky"),
        ),
        (
            "wikimili-national-parks-kg",
            "protected-area/alatai",
            Literal("Алатай мамлекеттик жаратылыш паркы", lang="ky"),
        ),
        (
            "enwiki-khan-tengri",
            "protected-area/khan-tengri",
            Literal("Хан-Теңири мамлекеттик жаратылыш паркы", lang="ky"),
        ),
        ("enwiki-bishkek", "settlement/bishkek", Literal("Бишкек", lang="ky")),
        ("pycountry-26-2-16", "country/kg", Literal("Кыргызстан", lang="ky")),
        ("pycountry-26-2-16", "country/ru", Literal("Российская Федерация", lang="ru")),
    ],
)
def test_a_russian_or_kyrgyz_name_is_in_the_graph_of_the_page_that_gives_it(
    bundle_store: EmbeddedStore, graph: str, entity: str, label: Literal
) -> None:
    assert label in labels_in(bundle_store, graph, entity)


def test_names_in_russian_and_kyrgyz_come_only_from_sources_that_give_them(
    bundle_store: EmbeddedStore,
) -> None:
    """A Russian or Kyrgyz label sits in a graph whose source is in that language, or is a
    Wikipedia article, a reference list or a package that gives names in several languages."""
    multilingual = {
        "pycountry-26-2-16",
        "enwiki-sarychat-ertash",
        "enwiki-khan-tengri",
        "enwiki-bishkek",
        "enwiki-saylyugemsky",
        "ruwiki-sary-chelek",
        "wikimili-national-parks-kg",
    }
    rows = select(
        bundle_store,
        """SELECT DISTINCT ?g ?lang ?inLanguage WHERE { GRAPH ?g { ?e skos:prefLabel|skos:altLabel ?l .
             ?g kg:confidence ?c . OPTIONAL { ?g <http://www.w3.org/ns/prov#hadPrimarySource> ?s . ?s schema:inLanguage ?inLanguage } }
             BIND (LANG(?l) AS ?lang) FILTER (?lang IN ("ru", "ky")) }""",
    )
    stray = {
        (str(r["g"]).rsplit("/", 1)[1], str(r["lang"]))
        for r in rows
        if str(r.get("inLanguage") or "") != str(r["lang"])
        and str(r["g"]).rsplit("/", 1)[1] not in multilingual
    }
    assert stray == set()


# --- Geometries: a point a source gives, on a geometry node of its own, in that source's graph


def points(store: EmbeddedStore) -> list[dict[str, object]]:
    return select(
        store,
        """SELECT ?g ?feature ?geometry ?wkt ?type WHERE { GRAPH ?g {
             ?feature geo:hasCentroid|geo:hasDefaultGeometry ?geometry .
             OPTIONAL { ?geometry geo:asWKT ?wkt } OPTIONAL { ?geometry a ?type FILTER (?type = geo:Geometry) } } }""",
    )


def test_every_point_a_source_gives_is_a_valid_wkt_point_in_that_sources_graph(
    bundle_store: EmbeddedStore,
) -> None:
    for row in points(bundle_store):
        where = (str(row["g"]), str(row["feature"]))
        assert row.get("type") is not None, where
        wkt = row.get("wkt")
        assert isinstance(wkt, Literal) and wkt.datatype == URIRef(
            "http://www.opengis.net/ont/geosparql#wktLiteral"
        ), where
        match = POINT.match(str(wkt))
        assert match, (where, str(wkt))
        lon, lat = float(match.group(1)), float(match.group(2))
        assert -180 <= lon <= 180 and -90 <= lat <= 90, where
        assert str(row["geometry"]).startswith(str(ID["geometry/"])), where


def test_every_place_with_a_point_is_a_protected_area_or_a_settlement_and_lies_in_its_country(
    bundle_store: EmbeddedStore,
) -> None:
    """Longitude first: every Kyrgyz point lies east of 69° and south of 44°, every Russian one
    in the Altai between 84° and 90° east and 49° and 53° north (a swapped pair would fail)."""
    boxes = {"KG": (69.0, 81.0, 39.0, 44.0), "RU": (84.0, 90.0, 49.0, 53.0)}
    for row in points(bundle_store):
        feature = row["feature"]
        assert isinstance(feature, URIRef)
        [kind] = select(
            bundle_store,
            "SELECT DISTINCT ?t WHERE { ?f a ?t FILTER (?t IN (kg:ProtectedArea, kg:Settlement)) }",
            f=feature,
        )
        assert kind
        codes = {
            str(r["code"])
            for r in select(
                bundle_store,
                "SELECT DISTINCT ?code WHERE { ?f schema:containedInPlace+ ?c . ?c kg:isoAlpha2Code ?code }",
                f=feature,
            )
        }
        match = POINT.match(str(row["wkt"]))
        assert match
        lon, lat = float(match.group(1)), float(match.group(2))
        for code in codes & boxes.keys():
            west, east, south, north = boxes[code]
            assert west <= lon <= east and south <= lat <= north, (str(feature), code, lon, lat)


def test_the_points_the_sources_give_are_all_loaded(bundle_store: EmbeddedStore) -> None:
    """Each infobox point read for issue 19, in the graph of the article that gives it."""
    found = {
        (str(r["g"]).rsplit("/", 1)[1], str(r["feature"]).split("/id/", 1)[1], str(r["wkt"]))
        for r in points(bundle_store)
    }
    assert found == {
        ("enwiki-saylyugemsky", "protected-area/saylyugemsky", "POINT(88.316667 49.566667)"),
        ("enwiki-katun-reserve", "protected-area/katunsky", "POINT(86.1 49.633333)"),
        ("enwiki-gorno-altaysk", "settlement/gorno-altaysk", "POINT(85.966667 51.95)"),
        ("enwiki-bishkek", "settlement/bishkek", "POINT(74.612222 42.874722)"),
        ("enwiki-khan-tengri", "protected-area/khan-tengri", "POINT(79.916667 42.166667)"),
        ("enwiki-sarychat-ertash", "protected-area/sarychat-ertash", "POINT(78.416667 42.033333)"),
        ("enwiki-sary-chelek", "protected-area/sary-chelek", "POINT(71.933333 41.666667)"),
        ("ruwiki-sary-chelek", "protected-area/sary-chelek", "POINT(71.94 41.878611)"),
        ("frwiki-naryn", "protected-area/naryn", "POINT(76.586389 41.430556)"),
    }
