"""``ilbirs serve`` while it restarts its engine after a runaway query: a partner system's
keep-alive connection goes on being answered."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .test_serve import start, stop

TIMEOUT_S = 3
#: Four unselective joins over the whole store: runs for hours, writes nothing until done.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?t ?h }"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir: Path = tmp_path_factory.mktemp("restart") / "data"
    process, port = start(data_dir, "--workers", "2", env={"ILBIRS_QUERY_TIMEOUT_S": str(TIMEOUT_S)})
    try:
        yield f"http://127.0.0.1:{port}/sparql"
    finally:
        stop(process)


def test_requests_after_a_runaway_query_on_the_same_connection_are_answered(endpoint: str) -> None:
    """Hardening #16 item 9: after a runaway query's 503, the next request on the same
    keep-alive connection failed with 503 "Connection reset by peer" (5 of 6 trials): the
    killed engine still completed connections while it ended, then reset them. Three runaway
    queries, each followed at once by queries by GET (answered on the event loop) and by POST
    (through the route): the runaway gets its 503, every other query its answer."""
    with httpx.Client(timeout=30) as client:
        for trial in range(3):
            runaway = client.get(endpoint, params={"query": RUNAWAY})
            assert runaway.status_code == 503, runaway.text
            assert runaway.headers["retry-after"]
            assert "time limit" in runaway.json()["detail"]
            for n in range(6):
                query = f"ASK {{ <urn:ilbirs:test:{trial}:{n}:{time.monotonic_ns()}> ?p ?o }}"  # not cached
                if n % 2:
                    answer = client.post(endpoint, data={"query": query})
                else:
                    answer = client.get(endpoint, params={"query": query})
                assert answer.status_code == 200, (trial, n, answer.text)
                assert answer.json()["boolean"] is False
