"""The pages in a real headless browser (Debian's chromium, which ``make engines`` installs):
a real ``ilbirs serve``, each page rendered by chromium (``--dump-dom``: the DOM after load),
with every host but the service unreachable, so a page that needed a CDN would show it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .test_serve import start, stop

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Page(HTMLParser):
    """What a test reads from a rendered DOM: the text, the links, and rows of tables by id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.external: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        for name in ("src", "href"):
            value = found.get(name) or ""
            if tag in ("script", "link", "img", "iframe") and value.startswith(("http:", "https:", "//")):
                self.external.append(value)
        if tag == "script":
            self.external.append("<script>")  # the pages need no JavaScript
        if tag == "table":
            self._table = found.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: `make engines` installs Debian's chromium")
    data_dir = tmp_path_factory.mktemp("pages") / "data"
    process, port = start(data_dir)
    try:
        yield f"http://127.0.0.1:{port}", tmp_path_factory.mktemp("chromium")
    finally:
        stop(process)


def render(site: tuple[str, Path], path: str) -> Page:
    base, profile = site
    assert CHROMIUM
    done = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--dump-dom", base + path,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    page = Page(done.stdout)
    assert page.external == [], page.external
    return page


def test_an_entity_page_shows_its_statements_and_their_sources(site: tuple[str, Path]) -> None:
    umai = render(site, "/id/animal/umai")
    assert "Umai" in umai.all_text and "https://w3id.org/ilbirs/id/animal/umai" in umai.all_text
    rows = {row[0]: row[1] for row in umai.tables["statements"] if len(row) == 2}
    assert "Umai" in rows["organismName"] and "Умай" in rows["organismName"]
    assert "female" in rows["sex"]
    assert "https://24.kg/english/337535/" in umai.links  # where a fact comes from
    assert "/vocab/sex/female" in umai.links and "/api/v1/animals/umai" in umai.links


def test_links_walk_the_graph(site: tuple[str, Path]) -> None:
    home = render(site, "/")
    animal = next(link for link in home.links if link.startswith("/id/animal/"))
    page = render(site, animal)
    keeper = next(link for link in page.links if link.startswith("/id/organization/"))
    organization = render(site, keeper)
    assert organization.tables["statements"] and "Sources" in organization.all_text
    female = render(site, "/vocab/sex/female")
    assert "female" in female.all_text


def test_the_sparql_page_runs_an_example_and_shows_rows(site: tuple[str, Path]) -> None:
    page = render(site, "/sparql")
    example = next(link for link in page.links if link.startswith("/sparql?query="))
    result = render(site, example)
    header, *rows = result.tables["results"]
    assert header == ["animal", "name"]
    names = {row[1] for row in rows}
    assert {"Batyr", "Janish", "Umai"} <= names


def test_the_ontology_and_shapes_pages(site: tuple[str, Path]) -> None:
    ontology = render(site, "/def/")
    assert "animal" in ontology.all_text and "/def/Animal" in ontology.links
    shapes = render(site, "/shapes/")
    assert "Targets" in shapes.all_text and len(shapes.links) > 10


def test_search_from_the_page(site: tuple[str, Path]) -> None:
    page = render(site, "/search?q=%D0%96%D0%B0%D0%BD%D1%8B%D1%88")  # Жаныш
    assert "/id/animal/janish" in page.links
