"""In Chromium at a phone's width (390 px): no page of live generation overflows sideways before, during or
after a job that returns frames; and without JavaScript a family page leads to a plain form whose job page
reloads itself until the samples are there. A real worker runs the jobs."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.generation.test_browser import chromium  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
WIDTH = "document.documentElement.scrollWidth"


def framed_demo(demos):
    """The diffusion demo with the most frames it allows: the widest result there is."""
    demo = next(d for d in demos.values() if d.param("frames") and d.param("sampler"))
    return demo, {"n": "4", "sampler": "ddim", "steps": "40", "frames": str(demo.param("frames")["maximum"])}


def fits(page, what: str) -> None:
    width = page.evaluate(WIDTH)
    assert width <= PHONE["width"], f"{what} ({page.url}) is {width} px wide at {PHONE['width']} px"


def test_no_page_overflows_a_phone_before_during_or_after_a_job(demos, worker_factory, live_server, chromium):  # noqa: F811
    worker = worker_factory()
    demo, params = framed_demo(demos)
    page = chromium.new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + "/")
    expect(page.locator(".thumb--showcase img").first).to_be_visible(timeout=15_000)
    fits(page, "the home page")
    page.goto(f"{live_server.url}/families/{demo.family_slug}/")
    form = page.locator(f"#demo-{demo.slug} form")
    expect(form).to_be_visible(timeout=15_000)
    fits(page, "the family page with its demo panel")
    for name, value in params.items():
        field = form.locator(f'[name="{name}"]')
        field.select_option(value) if name == "sampler" else field.fill(value)
    form.get_by_role("button", name="Generate").click()
    job_box = page.locator(f"#demo-result-{demo.slug} .job")
    expect(job_box).to_be_visible(timeout=10_000)
    job_id = re.fullmatch(r"job-(.+)", job_box.get_attribute("id")).group(1)
    box = page.locator(f"#job-{job_id}")
    seen, widest, deadline = set(), 0, time.monotonic() + 90
    while time.monotonic() < deadline:
        status = box.get_attribute("data-job-status") if box.count() else None
        seen.add(status)
        widest = max(widest, page.evaluate(WIDTH))
        if status in ("succeeded", "failed", "cancelled"):
            break
        page.wait_for_timeout(150)
    assert status == "succeeded", f"{status}\n{worker.text()[-2000:]}"
    expect(box.locator(".frames-strip img").last).to_be_visible()
    page.wait_for_timeout(300)  # the frames' images load
    widest = max(widest, page.evaluate(WIDTH))
    assert widest <= PHONE["width"], f"the family page reached {widest} px during the job ({seen})"
    for name, url in (
        ("the job page", f"/generation/jobs/{job_id}/"),
        ("the demo page", f"/generation/families/{demo.family_slug}/demo/"),
        ("the gallery", f"/generation/families/{demo.family_slug}/gallery/"),
    ):
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        fits(page, name)
    page.goto(live_server.url + f"/generation/jobs/{job_id}/")
    page.locator(f"#job-{job_id} .job-results a").first.click()
    expect(page.locator(".frames-strip img").first).to_be_visible()
    page.wait_for_load_state("load")
    fits(page, "the sample's page")


def test_without_javascript_a_family_page_leads_to_a_job_page_that_refreshes_until_done(
    demos,
    worker_factory,
    live_server,
    chromium,  # noqa: F811
):
    worker = worker_factory()
    demo, params = framed_demo(demos)
    page = chromium.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    page.goto(f"{live_server.url}/families/{demo.family_slug}/")
    page.get_by_role("link", name="Generate samples live").click()
    form = page.locator(f"#demo-{demo.slug} form")
    expect(form).to_be_visible()
    fits(page, "the demo page without JavaScript")
    for name, value in params.items():
        field = form.locator(f'[name="{name}"]')
        field.select_option(value) if name == "sampler" else field.fill(value)
    form.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/generation/jobs/[0-9a-f-]+/$"))
    assert (
        page.locator('meta[http-equiv="refresh"]').count() + page.content().count('http-equiv="refresh"') >= 1
    )
    status = page.locator("[data-job-status]")
    try:
        expect(status).to_have_attribute("data-job-status", "succeeded", timeout=90_000)  # by reloading
    except AssertionError as error:
        raise AssertionError(f"{page.content()[-1500:]}\n{worker.text()[-2000:]}") from error
    assert 'http-equiv="refresh"' not in page.content()
    expect(page.locator(".job-results img.artefact").first).to_be_visible()
    fits(page, "the finished job page without JavaScript")
