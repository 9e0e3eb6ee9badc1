"""In Chromium, with a real worker: drag the explorer's slider and see the frame change, the address bar
follow the state, and no Content-Security-Policy violation on the way."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.generation.test_browser import chromium  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_dragging_the_slider_changes_the_frame(worker_factory, live_server, chromium):  # noqa: F811
    worker = worker_factory()
    page = chromium.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    frame_requests: list[str] = []
    page.on("request", lambda r: frame_requests.append(r.url) if "/frame/?" in r.url else None)
    seed = uuid.uuid4().int % 2**31
    page.goto(f"{live_server.url}/generation/explore/vae/?mode=line&a=seed:{seed}&b=class:7&t=0.5")

    image = page.locator("#explorer-image")
    try:
        expect(image).to_have_attribute(
            "src", re.compile(r"/generation/explore/frames/[0-9a-f]{64}\.png$"), timeout=60_000
        )
    except AssertionError as error:
        raise AssertionError(worker.text()[-3000:]) from error
    first = image.get_attribute("src")
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", image.element_handle())

    slider = page.locator("#explorer-t")
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.95, y, steps=12)  # a drag: many input events, debounced
    page.mouse.up()

    expect(image).not_to_have_attribute("src", first, timeout=30_000)
    # The drag's last position wins: wait until the address bar holds the slider's final value.
    settled = """() => {
        const t = new URLSearchParams(location.search).get('t');
        const root = document.querySelector('[data-explorer]');
        const value = document.getElementById('explorer-t').value;
        return parseFloat(t) === parseFloat(value) && !root.hasAttribute('aria-busy');
    }"""
    page.wait_for_function(settled, timeout=30_000)
    later = image.get_attribute("src")
    assert later != first
    loaded = (
        "() => { const i = document.getElementById('explorer-image'); return i.complete && i.naturalWidth; }"
    )
    page.wait_for_function(loaded)
    t = float(page.locator("#explorer-t").input_value())
    assert t > 0.8
    assert f"t={t:g}" in page.url or f"t={t}" in page.url  # the address bar is the shareable state
    assert page.locator("#explorer-share").get_attribute("href").startswith("?mode=line")
    assert frame_requests, "the slider never asked for a frame"
    assert not [p for p in problems if "Content Security Policy" in p], problems

    # The shared URL opens on the same frame (made once, stored by content).
    page.goto(page.url)
    expect(page.locator("#explorer-image")).to_have_attribute("src", later, timeout=30_000)
