"""In Chromium: click Generate on a family page, watch the progress bar, see the samples, and check that
the page stops polling once the job has ended. A real worker runs the job."""

import re
import time
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def browser_demo(demos):
    """A demo that draws images in a few dozen steps (DDIM), so that progress shows; else any demo."""
    shipped = [d for d in demos.values() if d.checkpoint_sha256 and d.param("n")]
    stepped = [d for d in shipped if d.param("steps")]
    return min(stepped, key=lambda d: d.param("steps")["minimum"]) if stepped else shipped[0]


@pytest.fixture
def chromium(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM reads are still plain
    # synchronous calls between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_generate_on_a_family_page_and_watch_it_finish(demos, worker_factory, live_server, chromium):
    worker = worker_factory()
    demo = browser_demo(demos)
    page = chromium.new_page()
    requests: list[tuple[float, str, str]] = []
    page.on("request", lambda r: requests.append((time.monotonic(), r.method, r.url)))

    page.goto(f"{live_server.url}/families/{demo.family_slug}/")
    form = page.locator(f"#demo-{demo.slug} form")
    expect(form).to_be_visible(timeout=15_000)
    form.locator('input[name="n"]').fill("4")
    steps = demo.param("steps")
    if steps:
        form.locator('[name="steps"]').fill(str(min(int(steps["maximum"]), max(int(steps["minimum"]), 50))))
    form.get_by_role("button", name="Generate").click()

    job_box = page.locator(f"#demo-result-{demo.slug} .job")
    expect(job_box).to_be_visible(timeout=10_000)
    expect(job_box.locator("progress")).to_be_visible()  # the bar appears with the queued job
    job_id = re.fullmatch(r"job-(.+)", job_box.get_attribute("id")).group(1)

    # Only the page is watched here: ORM calls inside Playwright's event loop would open a connection of
    # their own that outlives the test.
    finished = page.locator(f"#job-{job_id}")
    try:
        expect(finished).to_have_attribute("data-job-status", "succeeded", timeout=90_000)
    except AssertionError as error:
        raise AssertionError(f"{finished.inner_text()}\n{worker.text()[-3000:]}") from error
    expect(finished.locator("progress")).to_have_count(0)
    image = finished.locator("img.artefact").first
    expect(image).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", image.element_handle())

    polls = [t for t, method, url in requests if method == "GET" and f"/generation/jobs/{job_id}/" in url]
    assert polls, "the job partial was never polled"
    ended_at = time.monotonic()
    page.wait_for_timeout(3_000)
    later = [t for t, method, url in requests if f"/generation/jobs/{job_id}/" in url and t > ended_at]
    assert later == [], f"{len(later)} polling requests after the job ended"
    hosts = {urlparse(url).hostname for _, _, url in requests if url.startswith("http")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
