"""The gate on ``SERVICE`` and ``LOAD``: no request reaches another host unless the allow-list
names it, however the request is written.

Every request here goes to a real engine that *can* reach out (pyoxigraph, which makes
``SERVICE`` and ``LOAD`` calls over HTTP), with a listening socket standing for another host:
a request that got past the gate would show as a connection to it.

The splice run covers every query and update of the W3C SPARQL 1.1 syntax tests
(``tests/data/w3c-sparql11-syntax``) with a ``SERVICE`` call or a ``LOAD`` spliced in at
every token boundary, in several spellings, with and without escapes in every prefixed name.
The default run takes every 200th case; ``ILBIRS_GATE_SPLICES=all`` runs them all (the
figure in the README's reliability section).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilbirs.graph.errors import IlbirsError, LimitError, QueryError, RefusedError
from ilbirs.graph.service import Limits, run_query
from ilbirs.graph.sparql_text import analyse, check_local, tokens
from ilbirs.graph.store import EmbeddedStore
from ilbirs.graph.writes import update_change

SUITE = Path(__file__).parents[1] / "data" / "w3c-sparql11-syntax"


class Listener:
    """A TCP listener on a free loopback port that counts the connections made to it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


def attempt(store: EmbeddedStore, text: str) -> str:
    """Send ``text`` through the service as a partner would (a query) or as a steward's write
    is computed (an update); what the gate said ("refused", "error", or "ran")."""
    try:
        if analyse(text).is_update:
            update_change(store, text)
        else:
            run_query(store, text, limits=Limits(timeout_s=5))
    except (RefusedError, LimitError):
        return "refused"
    except IlbirsError:
        return "error"
    return "ran"


def test_an_escaped_hash_in_a_name_no_longer_hides_a_service_call(listener: Listener) -> None:
    """Regression: the lexer took ``ex:a\\#b`` for ``ex:a`` and a comment, so the SERVICE call
    after it on the same line was not seen and the engine connected to the endpoint."""
    port = listener.port
    store = EmbeddedStore()
    for name in (r"ex:a\#b", r"ex:a\'b", r"ex:a\(b"):
        query = f"PREFIX ex: <http://e/> SELECT * WHERE {{ BIND({name} AS ?q) SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"  # fmt: skip
        info = analyse(query)
        assert info.services == (f"http://127.0.0.1:{port}/sparql",), name
        assert attempt(store, query) in ("refused", "error")
    assert listener.connections == 0


def test_a_load_after_an_escaped_name_is_refused(listener: Listener) -> None:
    """Regression: ``INSERT DATA { … ex:a\\#b … } ; LOAD <…>`` loaded remote triples."""
    update = f"PREFIX ex: <http://e/> INSERT DATA {{ GRAPH <http://g> {{ ex:a\\#b ex:p 1 }} }} ; LOAD <http://127.0.0.1:{listener.port}/data.nt> INTO GRAPH <http://g>"  # fmt: skip
    assert analyse(update).loads == (f"http://127.0.0.1:{listener.port}/data.nt",)
    with pytest.raises(RefusedError, match="LOAD"):
        update_change(EmbeddedStore(), update)
    assert listener.connections == 0


def test_the_prefixed_name_resolves_without_its_escapes() -> None:
    info = analyse(r"PREFIX ex: <http://e/> SELECT * { ?s ?p ex:a\#b }")
    assert "http://e/a#b" in info.iris


def test_deep_nesting_behind_an_escaped_name_is_seen(listener: Listener) -> None:
    """Regression: with 5,000 nested parentheses after ``ex:a\\#b`` the depth limit saw none of
    them (they were in the 'comment'), and the engine's parser overflowed its stack."""
    deep = "(" * 5000 + "1" + ")" * 5000
    query = f"PREFIX ex: <http://e/> SELECT * WHERE {{ BIND(ex:a\\#b AS ?q) FILTER({deep}) SERVICE <http://127.0.0.1:{listener.port}/s> {{ }} }}"  # fmt: skip
    with pytest.raises(LimitError, match="nests brackets 5002 deep"):
        analyse(query, max_depth=100)
    with pytest.raises(LimitError, match="nests brackets"):
        run_query(EmbeddedStore(), query, limits=Limits())
    assert listener.connections == 0


def test_brackets_the_lexer_cannot_see_are_left_to_the_parser() -> None:
    """Parentheses inside what looks like an IRI (``?a<((((…>``) are structure to an engine
    that reads ``<`` as less-than: past the limit, the parser decides, and refuses."""
    query = "SELECT * WHERE { FILTER(?a<" + "(" * 300 + "1" + ")" * 300 + ">?b) }"
    with pytest.raises(QueryError):
        analyse(query)
    text = "SELECT * WHERE { ?s ?p '" + "(" * 300 + "' }"  # the same brackets in a string are text
    assert analyse(text).depth == 1


def test_a_request_that_names_service_but_cannot_be_parsed_is_refused() -> None:
    with pytest.raises(QueryError, match=r"SPARQL 1\.1 parser"):
        check_local("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } ", update=False)


def test_a_long_request_that_names_service_is_refused_unparsed() -> None:
    text = "SELECT * { VALUES ?x { " + "'service' " * 10_000 + "} }"
    with pytest.raises(LimitError, match="Graph Store Protocol"):
        check_local(text, update=False)


def test_virtuoso_pragmas_are_refused() -> None:
    """``DEFINE get:soft "replace"`` makes Virtuoso fetch the FROM IRIs from the web."""
    with pytest.raises(QueryError):
        check_local(
            'DEFINE get:soft "replace" SELECT * FROM <http://127.0.0.1:1/x> WHERE { ?s ?p ?o }', update=False
        )


def test_the_word_service_as_text_is_still_a_plain_query() -> None:
    text = "SELECT * { ?s ?p 'Ecosystem services: download and load' } # SERVICE <http://x/>"
    check_local(text, update=False)
    assert analyse(text).services == ()


def test_data_blocks_are_read_as_data(listener: Listener) -> None:
    """INSERT DATA blocks are read by a TriG parser, which cannot fetch: a LOAD hidden in one
    is a syntax error there, and data that merely mentions services is written."""
    store = EmbeddedStore()
    change = update_change(
        store, 'INSERT DATA { GRAPH <http://g> { <http://a> <http://p> "ecosystem services; LOAD" } }'
    )
    assert len(change.added) == 1
    sparql_only = "INSERT DATA { <http://a> <http://p> 1 GRAPH <http://g> { <http://a> <http://p> 2 } }"
    assert len(update_change(store, sparql_only).added) == 2  # no '.' before GRAPH: SPARQL, not TriG
    assert listener.connections == 0


def _cases(port: int) -> list[str]:
    """Every W3C syntax-test request with a call spliced in at every token boundary, in each
    spelling, with and without an escape in every prefixed name."""
    endpoint = f"<http://127.0.0.1:{port}/sparql>"
    query_calls = [
        f" SERVICE {endpoint} {{ ?s ?p ?o }} ",
        f" SERVICE SILENT {endpoint} {{ }} ",
        f" \\u0053ERVICE {endpoint} {{ ?s ?p ?o }} ",
        f"\nsErViCe{endpoint}{{?s ?p ?o}}",
        f" }}}} SERVICE {endpoint} {{ ?s ?p ?o }} {{ ",
        f" VALUES ?svc {{ {endpoint} }} SERVICE ?svc {{ ?s ?p ?o }} ",
        f" OPTIONAL {{ SERVICE {endpoint} {{ }} }} ",
    ]
    update_calls = [
        f" ; LOAD <http://127.0.0.1:{port}/d.nt> ; ",
        f" LOAD SILENT <http://127.0.0.1:{port}/d.nt> INTO GRAPH <http://g> ; ",
        f" ; \\u004cOAD <http://127.0.0.1:{port}/d.nt> ",
        f" INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE {endpoint} {{ ?s ?p ?o }} }} ; ",
        f" ; DELETE WHERE {{ SERVICE {endpoint} {{ ?s ?p ?o }} }} ",
    ]
    found: list[str] = []
    for path in sorted(SUITE.glob("*/*.r[qu]")):
        base = path.read_text(encoding="utf-8", errors="replace")
        toks = tokens(base)
        texts = [base]
        for escape in ("\\#", "\\'", "\\("):  # an escape in every prefixed name with a local part
            escaped = base
            for tok in reversed(toks):
                prefix, _, local = tok.text.partition(":")
                if tok.kind == "pname" and local and local[0].isalnum():
                    escaped = escaped[: tok.start] + f"{prefix}:{local[0]}{escape}{local[1:]}" + escaped[tok.start + len(tok.text) :]  # fmt: skip
            texts.append(escaped)
        calls = update_calls if path.suffix == ".ru" else query_calls
        for text in texts:
            cuts = sorted({t.start for t in tokens(text)} | {len(text)})
            for cut in cuts:
                for call in calls:
                    found.append(text[:cut] + call + text[cut:])
    return found


def test_calls_spliced_into_the_w3c_syntax_tests_never_reach_out(listener: Listener) -> None:
    cases = _cases(listener.port)
    assert len(cases) > 100_000
    run = cases if os.environ.get("ILBIRS_GATE_SPLICES") == "all" else cases[::200]
    store = EmbeddedStore()
    outcomes: dict[str, int] = {}
    for text in run:
        outcome = attempt(store, text)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(f"{len(run):,} requests: {outcomes}; connections seen: {listener.connections}")
    assert listener.connections == 0
    assert outcomes.get("refused", 0) > len(run) // 4  # the calls are found, not only failing


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    before=st.text(alphabet=st.sampled_from(list("?s p o.;,{}()[]<>'\"#\\:ex_aAbB01\n \t")), max_size=30),
    name=st.sampled_from(["ex:a", r"ex:a\#b", r"ex:a\'b", r"ex:\(", "ex:", r"ex:a\%b", "ex:a%41"]),
    keyword=st.sampled_from(["SERVICE", "service", "\\u0053ERVICE", "SeRvIcE", "ſervice"]),
    after=st.text(alphabet=st.sampled_from(list("?s p o.;,{}()<>'\"#\\ \n")), max_size=10),
)
def test_generated_requests_never_reach_out(
    listener: Listener, before: str, name: str, keyword: str, after: str
) -> None:
    query = f"PREFIX ex: <http://e/> SELECT * WHERE {{ {before} {name} {after} {keyword} <http://127.0.0.1:{listener.port}/q> {{ ?s ?p ?o }} }}"  # fmt: skip
    attempt(EmbeddedStore(), query)
    assert listener.connections == 0
