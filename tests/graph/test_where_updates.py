"""``DELETE/INSERT … WHERE`` evaluated against the store (hardening #16, item 8): the change is
what the update does, and its cost follows the quads it touches, not the store."""

from __future__ import annotations

from rdflib import BNode, Literal, URIRef

from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.store.scratch import DEFAULT_GRAPH
from ilbirs.graph.writes import update_change

EX = "https://example.org/"
G, H = URIRef(EX + "g"), URIRef(EX + "h")
A, B, P, Q, NAME = (URIRef(EX + n) for n in ("a", "b", "p", "q", "name"))


def store_with(*quads: tuple[URIRef, URIRef, object, URIRef]) -> EmbeddedStore:
    store = EmbeddedStore()
    body = " ".join(
        f"GRAPH <{g}> {{ <{s}> <{p}> {o.n3() if hasattr(o, 'n3') else o} }}"  # type: ignore[attr-defined]
        for s, p, o, g in quads
    )
    store.update(f"INSERT DATA {{ {body} }}")
    return store


def test_a_rename_removes_and_adds_exactly_what_it_matches() -> None:
    store = store_with((A, NAME, Literal("Zhanysh"), G), (B, NAME, Literal("Zhanysh"), H), (A, P, B, G))
    change = update_change(
        store,
        f'PREFIX ex: <{EX}> DELETE {{ GRAPH ?g {{ ?s ex:name "Zhanysh" }} }} '
        f'INSERT {{ GRAPH ?g {{ ?s ex:name "Janish" }} }} WHERE {{ GRAPH ?g {{ ?s ex:name "Zhanysh" }} }}',
    )
    assert change.removed == {(A, NAME, Literal("Zhanysh"), G), (B, NAME, Literal("Zhanysh"), H)}
    assert change.added == {(A, NAME, Literal("Janish"), G), (B, NAME, Literal("Janish"), H)}


def test_delete_where_and_an_insert_of_what_is_there_change_only_what_differs() -> None:
    store = store_with((A, P, B, G), (A, Q, B, G))
    change = update_change(store, f"DELETE WHERE {{ GRAPH <{G}> {{ <{A}> <{P}> ?o }} }}")
    assert change.removed == {(A, P, B, G)} and change.added == set()
    again = update_change(
        store, f"INSERT {{ GRAPH <{G}> {{ ?s <{Q}> ?o }} }} WHERE {{ GRAPH <{G}> {{ ?s <{Q}> ?o }} }}"
    )
    assert again.added == set() and again.removed == set()  # already there: no change


def test_template_triples_with_unbound_variables_are_skipped_and_blank_nodes_are_new() -> None:
    store = store_with((A, P, B, G), (B, P, A, G), (A, Q, Literal(1), G))
    change = update_change(
        store,
        f"INSERT {{ GRAPH <{H}> {{ ?s <{EX}r> [ <{EX}v> ?v ] . ?s <{EX}seen> true }} }} "
        f"WHERE {{ GRAPH <{G}> {{ ?s <{P}> ?o OPTIONAL {{ ?s <{Q}> ?v }} }} }}",
    )
    seen = {q for q in change.added if q[1] == URIRef(EX + "seen")}
    assert {q[0] for q in seen} == {A, B}
    values = [q for q in change.added if q[1] == URIRef(EX + "v")]
    assert [q[2] for q in values] == [Literal(1)]  # B has no ?v: its [ ex:v ?v ] is skipped
    nodes = {q[2] for q in change.added if q[1] == URIRef(EX + "r")}
    assert len(nodes) == 2 and all(isinstance(n, BNode) for n in nodes)  # a new node per solution


def test_the_default_graph_of_the_where_part_is_the_stored_default_graph() -> None:
    store = store_with((A, P, B, G))
    store.update(f"INSERT DATA {{ <{B}> <{P}> <{A}> }}")
    change = update_change(store, f"DELETE {{ ?s <{P}> ?o }} WHERE {{ ?s <{P}> ?o }}")
    assert change.removed == {(B, P, A, DEFAULT_GRAPH)}  # not the triple of <g>
