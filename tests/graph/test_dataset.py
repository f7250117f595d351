"""The shipped dataset: what the source article states is there, every statement carries its
source, conflicting values stay side by side, and nothing is invented."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from ilbirs.graph.namespace import GRAPH, ID, KG, VOCAB
from ilbirs.graph.store import EmbeddedStore

PREFIXES = """
PREFIX kg: <https://w3id.org/ilbirs/def/>
PREFIX dwc: <http://rs.tdwg.org/dwc/terms/>
PREFIX dwciri: <http://rs.tdwg.org/dwc/iri/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""
ARTICLE_GRAPH = GRAPH["caspian-post-snow-leopards"]


def select(store: EmbeddedStore, query: str, **bindings: URIRef | Literal) -> list[dict[str, object]]:
    return [dict(row) for row in store.select(PREFIXES + query, bindings=bindings)]


def test_the_three_animals_with_their_names_and_sexes_as_the_article_states(
    bundle_store: EmbeddedStore,
) -> None:
    rows = select(
        bundle_store,
        """SELECT ?animal ?name ?sex WHERE { GRAPH ?g {
             ?animal a kg:Animal ; dwc:organismName ?name ; dwciri:sex ?sex ; kg:ofTaxon ?taxon } }""",
        g=ARTICLE_GRAPH,
        taxon=ID["taxon/panthera-uncia"],
    )
    found = {(str(r["name"]), str(r["sex"]).rsplit("/", 1)[1]) for r in rows}
    assert found == {("Batyr", "male"), ("Janish", "male"), ("Umai", "female")}


def test_every_spelling_of_janish_is_kept_with_its_source(bundle_store: EmbeddedStore) -> None:
    rows = select(
        bundle_store,
        "SELECT ?g ?name WHERE { GRAPH ?g { ?animal dwc:organismName ?name } }",
        animal=ID["animal/janish"],
    )
    by_source = {str(r["name"]): str(r["g"]).rsplit("/", 1)[1] for r in rows}
    assert by_source["Janish"] in {"caspian-post-snow-leopards", "eco-tatarstan-2395642"}
    assert by_source["Zhanysh"] == "24kg-en-337535"
    assert by_source["Жаныш"] == "24kg-ru-337503"
    assert by_source["Жаниш"] == "tatar-inform-first-snow-leopards"


def test_no_triple_lies_outside_a_named_graph(bundle_store: EmbeddedStore) -> None:
    assert not bundle_store.ask("ASK { ?s ?p ?o }", union=False)


def test_every_data_graph_describes_its_one_primary_source(bundle_store: EmbeddedStore) -> None:
    rows = select(
        bundle_store,
        """SELECT ?g (COUNT(DISTINCT ?source) AS ?sources) WHERE {
             GRAPH ?g { ?s ?p ?o }
             FILTER NOT EXISTS { GRAPH ?g { ?o2 a owl:Ontology } }
             OPTIONAL { GRAPH ?g { ?g a kg:SourceGraph ; prov:hadPrimarySource ?source .
                                   ?source a ?type ; skos:prefLabel ?label } }
           } GROUP BY ?g""",
    )
    assert len(rows) >= 25
    assert {str(r["g"]): int(str(r["sources"])) for r in rows if int(str(r["sources"])) != 1} == {}


def test_the_handover_and_the_relocation_are_two_events_about_the_same_animals(
    bundle_store: EmbeddedStore,
) -> None:
    rows = select(
        bundle_store,
        """SELECT ?event ?type (COUNT(DISTINCT ?animal) AS ?animals) WHERE {
             ?event a kg:AnimalTransfer ; kg:transferType ?type ; schema:object ?animal }
           GROUP BY ?event ?type""",
    )
    kinds = {str(r["type"]).rsplit("/", 1)[1]: int(str(r["animals"])) for r in rows}
    assert kinds == {"ceremonial-handover": 3, "physical-relocation": 3}
    [bound] = select(
        bundle_store,
        "SELECT ?date WHERE { ?event kg:latestDate ?date }",
        event=ID["event/2025-snow-leopard-relocation-to-altai"],
    )
    assert bound["date"] == Literal("2025-03-15", datatype=XSD.date)


def test_conflicting_areas_stay_each_in_its_sources_graph(bundle_store: EmbeddedStore) -> None:
    rows = select(
        bundle_store,
        """SELECT ?g ?value WHERE { GRAPH ?g { ?pa kg:area [ schema:value ?value ; schema:unitCode "HAR" ] } }""",
        pa=ID["protected-area/sarychat-ertash"],
    )
    by_graph = {str(r["g"]).rsplit("/", 1)[1]: float(str(r["value"])) for r in rows}
    assert by_graph == {"enwiki-sarychat-ertash": 149118.0, "openkg-sarychat-ertash": 135400.0}


def test_over_792000_hectares_is_stored_as_a_bound_not_as_a_value(bundle_store: EmbeddedStore) -> None:
    rows = select(
        bundle_store,
        "SELECT ?value ?bound WHERE { GRAPH ?g { ?c kg:area ?a . OPTIONAL { ?a schema:value ?value } OPTIONAL { ?a kg:minExclusiveValue ?bound } } }",
        g=GRAPH["24kg-en-326560"],
        c=ID["corridor/ak-ilbirs"],
    )
    assert [(r.get("value"), float(str(r["bound"]))) for r in rows] == [(None, 792000.0)]


def test_the_portfolio_is_one_claim_and_no_project_is_minted_for_it(bundle_store: EmbeddedStore) -> None:
    [portfolio] = select(
        bundle_store,
        """SELECT ?p ?bound ?since (COUNT(DISTINCT ?theme) AS ?themes) WHERE {
             ?p a kg:ProjectPortfolio ; kg:projectCount [ kg:minExclusiveValue ?bound ] ; kg:since ?since ; kg:theme ?theme }
           GROUP BY ?p ?bound ?since""",
    )
    assert float(str(portfolio["bound"])) == 10.0
    assert portfolio["since"] == Literal("2019", datatype=XSD.gYear)
    assert int(str(portfolio["themes"])) == 3
    linked = select(
        bundle_store,
        "SELECT ?project WHERE { ?project ?link ?p FILTER (?link != rdf:type) }",
        p=portfolio["p"],
    )
    assert linked == [], "no source links a named project to the portfolio: none is asserted to be in it"


def test_the_proposal_mints_no_corridor(bundle_store: EmbeddedStore) -> None:
    corridors = select(bundle_store, "SELECT DISTINCT ?c WHERE { ?c a kg:EcologicalCorridor }")
    assert {r["c"] for r in corridors} == {ID["corridor/chatkal"], ID["corridor/ak-ilbirs"]}
    assert bundle_store.ask(
        PREFIXES + "ASK { ?p a kg:Proposal ; kg:madeAt ?e ; prov:wasAssociatedWith ?who ; kg:quotation ?q }",
        bindings={"who": ID["person/adylbek-kasymaliev"]},
    )


def test_wikidata_links_are_only_the_verified_ones(bundle_store: EmbeddedStore) -> None:
    """Domain notes: only Q813 and Q159 (countries) and the Red List category items are verified."""
    rows = select(
        bundle_store,
        "SELECT DISTINCT ?s ?q WHERE { ?s skos:exactMatch ?q FILTER STRSTARTS(STR(?q), 'http://www.wikidata.org/entity/') }",
    )
    data = {
        (str(r["s"]).rsplit("/", 1)[1], str(r["q"]).rsplit("/", 1)[1]) for r in rows if "/id/" in str(r["s"])
    }
    assert data == {("kg", "Q813"), ("ru", "Q159")}
    vocab = {str(r["q"]).rsplit("/", 1)[1] for r in rows if str(r["s"]).startswith(str(VOCAB))}
    assert vocab == {
        "Q237350",
        "Q239509",
        "Q219127",
        "Q96377276",
        "Q278113",
        "Q719675",
        "Q211005",
        "Q3245245",
    }


def test_no_owl_same_as_anywhere(bundle_store: EmbeddedStore) -> None:
    assert not bundle_store.ask(PREFIXES + "ASK { ?a owl:sameAs ?b }")


def test_the_ceremony_is_located_in_gorno_altaysk_in_the_altai_republic_not_krai(
    bundle_store: EmbeddedStore,
) -> None:
    assert bundle_store.ask(
        PREFIXES
        + "ASK { ?e schema:location ?town . ?town schema:containedInPlace ?rep . ?rep kg:isoSubdivisionCode 'RU-AL' }",
        bindings={"e": ID["event/2025-snow-leopard-handover-gorno-altaysk"]},
    )
    assert not bundle_store.ask(PREFIXES + "ASK { ?r kg:isoSubdivisionCode 'RU-ALT' }")


def test_kg_namespace_names_the_terms_the_data_uses(bundle_store: EmbeddedStore) -> None:
    assert bundle_store.ask(PREFIXES + "ASK { ?a a ?class }", bindings={"class": KG.Animal})


#: The joint projects and programmes since 2019 that sources document (data/README.md lists them).
#: Issue 19 asked for 12; the sources read support 10. Raise this only with a sourced project.
DOCUMENTED_JOINT_PROJECTS = 10


def test_every_joint_project_has_partner_date_place_theme_and_source(bundle_store: EmbeddedStore) -> None:
    """Issue 19: every joint project names a partner, a start (or the date by which it had begun),
    a place and a theme, each in the graph of a source that states it, and was active in 2019 or
    later (an end, if stated, not before 2019)."""
    rows = select(
        bundle_store,
        """SELECT ?p
             (SAMPLE(?partnerGraph) AS ?partner) (SAMPLE(?dateGraph) AS ?date)
             (SAMPLE(?placeGraph) AS ?place) (SAMPLE(?themeGraph) AS ?theme) WHERE {
             ?p a kg:JointProject .
             OPTIONAL { GRAPH ?partnerGraph { ?p kg:partner ?who } ?partnerGraph prov:hadPrimarySource ?s1 }
             OPTIONAL { GRAPH ?dateGraph { ?p schema:startDate|kg:latestDate ?d } ?dateGraph prov:hadPrimarySource ?s2 }
             OPTIONAL { GRAPH ?placeGraph { ?p kg:concernsPlace ?where } ?placeGraph prov:hadPrimarySource ?s3 }
             OPTIONAL { GRAPH ?themeGraph { ?p kg:theme ?t } ?themeGraph prov:hadPrimarySource ?s4 }
           } GROUP BY ?p""",
    )
    missing = {
        str(r["p"]).rsplit("/", 1)[1]: [k for k in ("partner", "date", "place", "theme") if r.get(k) is None]
        for r in rows
    }
    assert {p: m for p, m in missing.items() if m} == {}
    assert len(rows) >= DOCUMENTED_JOINT_PROJECTS
    ended_before_2019 = select(
        bundle_store,
        """SELECT ?p WHERE { ?p a kg:JointProject ; schema:endDate ?end
             FILTER (xsd:integer(SUBSTR(STR(?end), 1, 4)) < 2019) }""",
    )
    assert ended_before_2019 == []


def test_partners_with_a_role_are_partners_and_grants_name_funder_and_currency(
    bundle_store: EmbeddedStore,
) -> None:
    rows = select(
        bundle_store,
        """SELECT ?p ?who WHERE { ?p kg:fundingPartner|kg:accountablePartner|kg:implementingPartner ?who
             FILTER NOT EXISTS { ?p kg:partner ?who } }""",
    )
    assert rows == []
    grants = select(
        bundle_store,
        """SELECT ?g ?value ?currency WHERE { GRAPH ?graph { ?grant a schema:MonetaryGrant ; schema:funder ?f ;
             schema:fundedItem ?p ; schema:amount [ schema:value ?value ; schema:currency ?currency ] } }""",
        graph=GRAPH["iki-ecosystem-based-adaptation-central-asia"],
    )
    assert [(float(str(r["value"])), str(r["currency"])) for r in grants] == [(6500000.0, "EUR")]


def test_agreements_have_two_parties_and_a_date(bundle_store: EmbeddedStore) -> None:
    rows = select(
        bundle_store,
        """SELECT ?a (COUNT(DISTINCT ?party) AS ?parties) (SAMPLE(?d) AS ?date) WHERE {
             ?a a kg:Agreement ; kg:party ?party . OPTIONAL { ?a schema:legislationDate ?d } } GROUP BY ?a""",
    )
    assert rows, "the 2024 Kazakhstan-Kyrgyzstan snow leopard memorandum is an agreement"
    assert all(int(str(r["parties"])) >= 2 and r.get("date") is not None for r in rows)
