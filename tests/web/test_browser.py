"""The explorer in a real browser: Debian's Chromium driven by Playwright against pytest-django's live server.

Walks home → family → paper, filters and searches through htmx (with the back button), ticks papers and
downloads a .bib, checks that no request leaves 127.0.0.1 and that the CSP blocks nothing, and saves
screenshots of the main pages to screenshots/ (the README names the folder).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import bibtexparser
import pytest

from tests.web.conftest import pad_papers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs it (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the test's ORM calls stay synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield browser
            browser.close()
    finally:  # leave the variable as it was for the rest of the suite
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server, explorer_catalog):
    """A page that records every request and every CSP violation, and refuses to leave the machine."""
    context = browser.new_context(
        base_url=live_server.url, accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.requests_seen = []
    page.csp_errors = []

    def guard(route):
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", guard)
    page.on("request", lambda request: page.requests_seen.append(request.url))
    page.on(
        "console",
        lambda message: (
            page.csp_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    outside = [
        url
        for url in page.requests_seen
        if not url.startswith(("data:", "blob:")) and urlsplit(url).hostname not in LOCAL_HOSTS
    ]
    assert outside == [], f"requests left the machine: {outside}"
    assert page.csp_errors == [], page.csp_errors
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_home_to_family_to_paper(page):
    page.goto("/")
    assert page.locator("h1").inner_text() == "Generative Atlas"
    shot(page, "home")
    page.get_by_role("link", name="Generative Adversarial Networks").first.click()
    page.wait_for_url("**/families/gans/")
    assert page.locator("h1").inner_text() == "Generative Adversarial Networks"
    shot(page, "family")
    page.get_by_role("link", name="Generative Adversarial Nets").first.click()
    page.wait_for_url("**/papers/goodfellow2014generative/")
    assert "@inproceedings{goodfellow2014generative" in page.locator("#bibtex").inner_text()
    assert page.get_by_role("link", name="Ian Goodfellow").is_visible()
    shot(page, "paper")


def test_filter_through_htmx_with_shareable_urls_and_back_button(page):
    page.goto("/papers/")
    page.evaluate("window.__notReloaded = true")
    assert page.locator(".count strong").inner_text() == "5"
    with page.expect_request(lambda request: "family=diffusion-models" in request.url) as request_info:
        page.select_option("#f-family", "diffusion-models")
    assert request_info.value.headers.get("hx-request") == "true"
    page.wait_for_url("**/papers/?*family=diffusion-models*")
    page.wait_for_function("document.querySelector('.count strong').textContent === '2'")
    assert page.evaluate("window.__notReloaded") is True  # swapped in place, not a new page
    page.fill("#f-q", "denoising diffusion")
    page.wait_for_url("**q=denoising+diffusion*")
    page.wait_for_function("document.querySelector('.count strong').textContent === '1'")
    assert page.locator(".paper-title").first.inner_text() == "Denoising Diffusion Probabilistic Models"
    shot(page, "papers")
    page.go_back()
    page.wait_for_url(lambda url: "q=" not in url)
    page.wait_for_function("document.querySelector('.count strong').textContent === '2'")
    # The URL alone reproduces the state: open it fresh.
    page.goto(page.url)
    assert page.locator(".count strong").inner_text() == "2"
    assert page.locator("#f-family").input_value() == "diffusion-models"


def test_search_as_you_type(page):
    page.goto("/search/")
    page.locator("#q").press_sequentially("diffu", delay=40)
    page.wait_for_selector("#search-results mark")
    assert page.locator("#group-family").is_visible()
    assert "Denoising Diffusion Probabilistic Models" in page.locator("#search-results").inner_text()
    page.wait_for_url("**/search/?q=diffu")
    shot(page, "search")


def _selected_count(page, count: int) -> None:
    # A locator assertion polls from Playwright's side: a polling wait_for_function needs eval, which the CSP
    # refuses.
    from playwright.sync_api import expect

    expect(page.locator("#selection-panel .selection-count strong")).to_have_text(str(count))


def test_tick_papers_and_download_bibtex(page, tmp_path):
    page.goto("/papers/?sort=key")
    page.check("input[value='goodfellow2014generative']")
    page.check("input[value='ho2020denoising']")
    _selected_count(page, 2)  # each tick is saved by its own request
    with page.expect_download() as download_info:
        page.click("#export-selection")
    path = tmp_path / "selection.bib"
    download_info.value.save_as(path)
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    assert {entry.key for entry in library.entries} == {"goodfellow2014generative", "ho2020denoising"}
    assert library.entries[0]["title"]


def test_the_selection_keeps_ticks_from_two_pages(page, explorer_catalog, tmp_path):
    pad_papers(25, family=explorer_catalog.gans)
    page.goto("/papers/?sort=key")
    page.evaluate("window.__notReloaded = true")
    first = page.locator("input[name='key']").first
    first_key = first.get_attribute("value")
    first.check()
    _selected_count(page, 1)
    page.click("a[rel='next']")
    page.wait_for_url("**page=2*")
    from playwright.sync_api import expect

    expect(page.locator(".results-head .count")).to_contain_text("page 2 of 2")
    second = page.locator("input[name='key']").first
    second_key = second.get_attribute("value")
    second.check()
    _selected_count(page, 2)
    assert page.evaluate("window.__notReloaded") is True  # ticks and paging all happened in place
    with page.expect_download() as download_info:
        page.click("#export-selection")
    path = tmp_path / "selection.bib"
    download_info.value.save_as(path)
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    assert {entry.key for entry in library.entries} == {first_key, second_key}


def test_screenshots_of_the_other_pages(page):
    for name, url in [
        ("lineage", "/lineage/"),
        ("compare", "/compare/"),
        ("model", "/models/ddpm/"),
        ("author", "/papers/authors/ian-goodfellow/"),
        ("concepts", "/concepts/"),
    ]:
        page.goto(url)
        assert page.locator("h1").count() == 1
        shot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/families/diffusion-models/")
    # Nothing wider than the phone screen except the scroll regions made for it.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "family-phone")
    page.goto("/papers/")
    shot(page, "papers-phone")
    # On a phone the filters fold away behind their summary, which the keyboard opens.
    assert not page.locator("#f-family").is_visible()
    page.locator(".filters-disclosure > summary").focus()
    page.keyboard.press("Enter")
    assert page.locator("#f-family").is_visible()
    assert page.get_by_label("Family").is_visible()
