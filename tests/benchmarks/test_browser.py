"""The benchmark pages in a real Chromium: htmx filters swap the board in place and keep a shareable URL,
the plain form works without JavaScript, the CSP blocks nothing, and no page is wider than a phone."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.web.test_browser import ARGS, CHROMIUM, LOCAL_HOSTS, browser, shot  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _context(browser, live_server, **options):  # noqa: F811 (the fixture's value)
    context = browser.new_context(base_url=live_server.url, **options)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if urlsplit(route.request.url).hostname in LOCAL_HOSTS else route.abort()
        ),
    )
    page = context.new_page()
    page.csp_errors = []
    page.on(
        "console", lambda m: page.csp_errors.append(m.text) if "Content Security Policy" in m.text else None
    )
    return context, page


def test_filtering_a_board_swaps_it_in_place_with_a_shareable_url(browser, live_server, board):  # noqa: F811
    context, page = _context(browser, live_server, viewport={"width": 1280, "height": 900})
    page.goto("/benchmarks/toy-fid/")
    assert page.locator("svg.chart a").count() == 7
    page.evaluate("window.__notReloaded = true")
    page.select_option("#id_family", "gans")
    page.wait_for_url(lambda url: "family=gans" in url)
    page.wait_for_function("document.querySelectorAll('table.leaderboard tbody tr').length === 3")
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("table.leaderboard tbody tr").first.inner_text().startswith("4")
    shot(page, "leaderboard")
    page.goto("/benchmarks/")
    shot(page, "benchmarks")
    assert page.csp_errors == []
    context.close()


def test_without_javascript_the_filter_form_still_works(browser, live_server, board):  # noqa: F811
    context, page = _context(browser, live_server, java_script_enabled=False)
    page.goto("/benchmarks/toy-fid/")
    page.select_option("#id_family", "diffusion-models")
    page.click("#board-filters button[type=submit]")
    page.wait_for_load_state()  # a plain form: a new page, loaded in full before it is read
    assert urlsplit(page.url).query == "family=diffusion-models&year_from=&year_to=&kind="
    expect(page.locator("table.leaderboard tbody tr")).to_have_count(4)
    context.close()


@pytest.mark.parametrize("path", ["/benchmarks/", "/benchmarks/toy-fid/", "/benchmarks/zoo/", "/compare/"])
def test_no_benchmark_page_is_wider_than_a_phone(browser, live_server, board, path):  # noqa: F811
    context, page = _context(browser, live_server, viewport={"width": 390, "height": 844})
    page.goto(path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if path == "/benchmarks/toy-fid/":
        shot(page, "leaderboard-phone")
    context.close()
