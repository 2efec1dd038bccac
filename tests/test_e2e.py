"""End to end in headless Chromium: an officer searches, filters, opens a council, follows an inspection, runs a SPARQL example."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "web" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")]


@pytest.fixture(scope="module")
def data(request):
    """The Kent items with the sample when ../shared is there (richer pages for the screenshots), else the sample."""
    try:
        return request.getfixturevalue("full_data")
    except pytest.skip.Exception:
        return request.getfixturevalue("sample_data")


@pytest.fixture(scope="module")
def base_url(data):
    from councilkg.web.serve import serve

    box, ready = {}, threading.Event()

    def on_ready(server):
        box["server"] = server
        ready.set()

    threading.Thread(target=serve, args=(data, "127.0.0.1", 0), kwargs={"ready": on_ready}, daemon=True).start()
    assert ready.wait(300), "server did not start"
    yield f"http://127.0.0.1:{box['server'].effective_port}"
    box["server"].close()


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.errors = errors
        yield pg
        browser.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_officer_journey(page, base_url):
    page.goto(base_url + "/")
    assert "What did other councils do about it?" in page.inner_text("h1")
    shot(page, "home")

    # search without JavaScript needs: a plain GET form
    page.fill("input[name=q]", "social worker recruitment")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/search?q=social+worker+recruitment*")
    hits = page.locator("li.hit")
    assert hits.count() >= 3
    assert page.locator("li.hit mark").count() > 0
    shot(page, "search")

    # apply a council facet: every result is then that council's
    facet = page.locator("section.facet").filter(has_text="Council").locator("a").first
    council_name = facet.inner_text()
    facet.click()
    page.wait_for_url("**council=*")
    wheres = page.locator("li.hit p.where a.k-council").all_inner_texts()
    assert wheres and set(wheres) == {council_name}
    assert page.locator(".facets li.active").count() >= 1

    # compare practice across councils
    page.goto(base_url + "/compare?q=social+worker+recruitment")
    assert page.locator("section.compare-row").count() >= 2
    shot(page, "compare")

    # topics several councils raised, each with evidence to follow
    page.goto(base_url + "/topics")
    page.wait_for_selector("section.topic", timeout=60_000)  # a loaded machine may show the "being worked out" page first
    assert page.locator("section.topic").count() >= 1
    shot(page, "topics")
    page.locator("section.topic ul.examples a").first.click()
    page.wait_for_url("**/id/point/*")
    assert page.locator(".verbatim").count() == 1

    # open a council with inspections, then follow a link to an inspection
    page.goto(base_url + "/councils")
    links = page.locator("table.data tbody tr td:first-child a")
    target = None
    for i in range(links.count()):
        cells = page.locator("table.data tbody tr").nth(i).locator("td.num").all_inner_texts()
        if int(cells[1]) > 0:
            target = links.nth(i)
            break
    assert target is not None, "no council with an inspection"
    target.click()
    page.wait_for_url("**/id/council/*")
    assert page.locator("ol.timeline li.ev-inspection").count() >= 1
    assert page.locator("figure.graph svg circle").count() >= 2
    shot(page, "council")
    page.locator("ol.timeline li.ev-inspection a.k-inspection").first.click()
    page.wait_for_url("**/id/inspection/*")
    assert page.locator("p.kind").inner_text().strip().lower() == "inspection"
    assert page.locator("figure.evidence blockquote").count() >= 1
    shot(page, "entity")

    # the evidence leads back to the minutes' text
    page.locator("figure.evidence figcaption a").first.click()
    page.wait_for_url(re.compile(r"/id/(point|item)/"))
    assert page.locator(".verbatim").count() == 1

    # run a SPARQL example and see a results table
    page.goto(base_url + "/sparql")
    page.locator(".sparql-examples a").first.click()
    page.wait_for_selector("table.data tbody tr")
    assert page.locator("table.data tbody tr").count() >= 1
    shot(page, "sparql")

    # the graph view's links work from the picture itself
    page.goto(base_url + "/id/council/E06000019")
    page.locator("figure.graph svg a").first.click()
    page.wait_for_url(lambda url: "/id/" in url and "/id/council/E06000019" not in url)
    assert "/id/council/E06000019" not in page.url

    assert not page.errors, page.errors  # no CSP violations, no script errors
