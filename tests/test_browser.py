"""The pages in a real browser (Debian's chromium through Playwright): they render, the SPARQL editor runs queries
against this server, and no page asks anything of another origin or logs an error.

Each test saves a screenshot to `test-artifacts/screenshots/<name>.png`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import pytest

pytest.importorskip("playwright", reason="the browser tests need the test extra (playwright, pytest-playwright)")

from playwright.sync_api import ConsoleMessage, Locator, Page, Route, expect

from server.canned import load_queries
from server.project import ROOT

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000
CANNED = load_queries(ROOT / "queries")


@dataclass
class Watch:
    """What a page did that it should not: requests to other origins (aborted), console errors, uncaught errors."""

    origin: str
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def guard(self, route: Route) -> None:
        parts = urlsplit(route.request.url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")


@pytest.fixture
def watched(page: Page, server_url: str) -> Iterator[Watch]:
    """The page, routed through a guard that aborts and records any request not to the server's own origin."""
    watch = Watch(origin=server_url)
    page.context.route("**/*", watch.guard)
    page.on("console", watch.console)
    page.on("pageerror", lambda err: watch.errors.append(f"uncaught: {err}"))
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    yield watch


def finish(page: Page, watch: Watch, name: str, full_page: bool = True) -> None:
    """Save the screenshot, then check that nothing went elsewhere and nothing failed."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)
    assert watch.external == [], f"requests to other origins: {watch.external}"
    assert watch.errors == [], f"errors in the page: {watch.errors}"


def tab_names(page: Page) -> Locator:
    """The names of the editor's tabs (each tab also holds a close mark and a hidden rename field)."""
    return page.locator(".yasgui .tabsList [role=tab] > span")


def test_home_page(page: Page, watched: Watch, server_url: str) -> None:
    page.goto(server_url + "/")
    expect(page).to_have_title("Home · repatriation-kg")
    expect(page.get_by_role("heading", level=1)).to_have_text("repatriation-kg")
    sources = page.locator("table", has=page.locator("caption", has_text="Source documents"))
    expect(sources).to_be_visible()
    expect(sources.locator("tbody tr").first).to_be_visible()
    expect(page.get_by_role("navigation", name="Site").get_by_role("link", name="Editor")).to_have_attribute(
        "href", "/editor"
    )
    finish(page, watched, "home")


def test_editor_runs_a_query_and_opens_the_canned_queries(page: Page, watched: Watch, server_url: str) -> None:
    page.goto(server_url + "/editor")
    expect(page).to_have_title("SPARQL editor · repatriation-kg")
    expect(tab_names(page)).to_have_text([q.title for q in CANNED.values()])

    editor = page.locator(".yasqe .CodeMirror").first
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(
        "SELECT ?label WHERE { <https://w3id.org/repatriation-kg/id/kazakhstan> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    )
    page.locator(".yasqe_queryButton").first.click()
    expect(page.locator(".yasr table.dataTable tbody td", has_text="Kazakhstan").first).to_be_visible()
    finish(page, watched, "editor")


def test_entity_page_shows_a_claim_with_its_quote(page: Page, watched: Watch, server_url: str) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})  # the claims tables are wider than 1280 px
    page.goto(server_url + "/id/kazakhstan")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kazakhstan")
    quote = page.locator("q", has_text="over 700 of its citizens").first
    expect(quote).to_be_visible()
    claim = page.locator("tr", has=quote).first
    expect(claim.get_by_role("link", name="details")).to_have_attribute("href", re.compile(r"^/id/claim-000-287-311-"))
    quote.evaluate("q => q.scrollIntoView({block: 'center', inline: 'center'})")  # its table scrolls sideways
    finish(page, watched, "entity-kazakhstan", full_page=False)  # the page is long: the claim's part of it


def test_editor_opens_a_query_from_the_address(page: Page, watched: Watch, server_url: str) -> None:
    query = "SELECT ?name WHERE { kg:operation-jusan skos:altLabel ?name }"
    page.goto(server_url + "/editor?" + urlencode({"query": query, "name": "Names of Jusan"}))
    expect(tab_names(page)).to_have_text(["Names of Jusan", *(q.title for q in CANNED.values())])
    expect(page.locator(".yasgui .tabsList .tab.active [role=tab] > span")).to_have_text("Names of Jusan")
    expect(page.locator(".yasqe .CodeMirror-code").first).to_contain_text("kg:operation-jusan skos:altLabel")
    assert page.evaluate("window.yasgui.getTab().getYasqe().getValue()") == query
    finish(page, watched, "editor-query-link")


def test_a_canned_query_form_runs_and_shows_rows(page: Page, watched: Watch, server_url: str) -> None:
    page.goto(server_url + "/queries/source-claims")
    field = page.get_by_role("textbox", name="source")
    field.fill("https://w3id.org/repatriation-kg/id/source-001")
    page.get_by_role("button", name="Run").click()
    expect(page).to_have_url(re.compile(r"source=https%3A%2F%2Fw3id.org%2Frepatriation-kg%2Fid%2Fsource-001"))
    rows = page.locator("table.results tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("table.results")).to_contain_text("33 IS fighters")
    expect(page.get_by_role("link", name="Open this query in the editor")).to_be_visible()
    finish(page, watched, "query-form")


def test_contested_figures_on_a_phone(page: Page, watched: Watch, server_url: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server_url + "/contested?subject=https://w3id.org/repatriation-kg/id/kazakhstan")
    expect(page).to_have_title(re.compile("Contested figures"))
    kazakhstan = page.locator("article.conflict", has_text="Kazakhstan").first
    expect(kazakhstan).to_be_visible()
    expect(kazakhstan).to_contain_text("Stated by")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is wider than the phone ({width} px)"
    page.get_by_text("over 700").first.scroll_into_view_if_needed()
    finish(page, watched, "contested-phone", full_page=False)


def test_api_documentation_works_offline(page: Page, watched: Watch, server_url: str) -> None:
    page.goto(server_url + "/docs")
    expect(page.locator(".swagger-ui")).to_be_visible()
    expect(page.get_by_text("/queries/state-figures").first).to_be_visible()
    finish(page, watched, "docs")


def test_a_newcomer_finds_kazakhstans_contested_figures_and_reruns_the_query(
    page: Page, watched: Watch, server_url: str
) -> None:
    """Home page -> contested figures for Kazakhstan -> the query behind them -> the editor: change it, run it."""
    page.goto(server_url + "/")
    page.get_by_role("link", name="Kazakhstan").first.click()
    expect(page).to_have_title(re.compile("Contested figures"))
    expect(page.locator("article.conflict").first).to_contain_text("Stated by")
    page.get_by_role("link", name="See the query and its full table").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CANNED["differing-figures"].title)
    page.get_by_role("link", name="Open this query in the editor").click()
    editor = page.locator(".yasqe .CodeMirror").first
    expect(editor).to_be_visible()
    assert "kazakhstan" in page.evaluate("window.yasgui.getTab().getYasqe().getValue()")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" LIMIT 3")
    page.locator(".yasqe_queryButton").first.click()
    expect(page.locator(".yasr table.dataTable tbody tr")).to_have_count(3)
    expect(page.locator(".yasr table.dataTable tbody td", has_text="kazakhstan").first).to_be_visible()
    finish(page, watched, "newcomer-flow")
