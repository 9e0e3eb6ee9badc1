"""The latent explorer's web side: the state and its validation, content addressing (same state -> same key
-> made once), the plain GET form that shows the frame without JavaScript, the JSON the sliders ask, and (with
a real Celery worker) a frame made by the worker within the request's wait."""

import re
import uuid

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from generation import explorer
from generation.zoo import data
from generation.zoo.params import ParamError

pytestmark = pytest.mark.django_db
VAE = explorer.MODELS["vae"]
GAN = explorer.MODELS["dcgan"]


@pytest.fixture
def made(monkeypatch):
    """Frames are made in this process at once, as a worker would (frame_make), and every send is counted."""
    sent = []

    def send(model, state, key):
        sent.append(key)
        explorer.frame_make(model_name=model.name, state=state, key=key)

    monkeypatch.setattr(explorer, "_send", send)
    return sent


@pytest.fixture
def lost(monkeypatch):
    """A broker that takes every task and no worker that runs it."""
    sent = []
    monkeypatch.setattr(explorer, "_send", lambda model, state, key: sent.append(key))
    return sent


def fresh_seed() -> int:
    """A seed no earlier test used (frames persist in the run's media folder)."""
    return uuid.uuid4().int % 2**31


def test_the_state_takes_defaults_snaps_the_sliders_and_refuses_what_the_model_cannot_do():
    state = explorer.validate_state(VAE, {"t": "0.333", "u": "-0.01", "v": "1.27"})
    assert state == {
        "mode": "line",
        "a": "seed:0",
        "b": "seed:1",
        "t": 0.33,
        "d1": "pc:0",
        "d2": "pc:1",
        "u": 0.0,
        "v": 1.25,
    }
    assert str(state["u"]) == "0.0"  # never "-0.0" in a key or a URL
    with pytest.raises(ParamError) as error:
        explorer.validate_state(GAN, {"a": "test:0", "d1": "pc:0", "b": "class:10", "t": "2"})
    assert set(error.value.errors) == {"a", "b", "d1", "t"}
    assert "no encoder" in error.value.errors["a"]
    with pytest.raises(ParamError) as error:
        explorer.validate_state(VAE, {"a": "test:447", "d2": "class:3-3", "mode": "walk"})
    assert set(error.value.errors) == {"a", "d2", "mode"}
    assert explorer.validate_state(GAN, {})["d1"].startswith("class:")  # a GAN's default directions


def test_the_fashion_class_names_are_the_data_sets():
    assert explorer.CLASSES["fashion"] == data.FASHION_CLASSES
    assert explorer.TEST_SIZES["digits"] == len(data.digits("test").images)


def test_a_frame_is_addressed_by_model_checkpoint_and_the_fields_that_decide_it():
    line = explorer.validate_state(VAE, {"a": "seed:5", "t": "0.5"})
    key = explorer.frame_key(VAE, line)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert explorer.frame_key(VAE, explorer.validate_state(VAE, {"a": "seed:5", "t": "0.501"})) == key
    assert (
        explorer.frame_key(VAE, {**line, "u": 2.0, "d1": "pc:3"}) == key
    )  # a line ignores the grid's fields
    assert explorer.frame_key(VAE, {**line, "t": 0.51}) != key
    assert explorer.frame_key(VAE, {**line, "mode": "grid"}) != key
    assert explorer.frame_key(explorer.MODELS["realnvp"], line) != key
    assert explorer.frame_key(VAE, line, checkpoint="0" * 64) != key
    assert explorer.frame_key(VAE, line, checkpoint=explorer.checkpoint_sha256(VAE)) == key


def test_a_frame_asked_for_twice_is_made_once(made):
    state = explorer.validate_state(VAE, {"a": f"seed:{fresh_seed()}", "b": "class:3", "t": "0.4"})
    first = explorer.frame_request(VAE, state, wait=30)
    assert first.ready and first.sent and made == [first.key]
    png_name, json_name, _ = explorer.frame_names(first.key)
    assert default_storage.exists(png_name) and default_storage.exists(json_name)
    again = explorer.frame_request(VAE, dict(state), wait=30)
    assert again.ready and not again.sent and again.key == first.key and made == [first.key]
    assert again.meta == first.meta
    # A worker handed the same frame again (a duplicate delivery) does not make it twice.
    assert explorer.frame_make(model_name="vae", state=state, key=first.key) == "exists"
    meta = first.meta
    assert meta["state"] == explorer.relevant(state) and meta[
        "checkpoint_sha256"
    ] == explorer.checkpoint_sha256(VAE)
    assert meta["nearest"]["class"] in explorer.CLASSES["digits"]


def test_identical_requests_in_flight_send_one_task(lost):
    state = explorer.validate_state(VAE, {"a": f"seed:{fresh_seed()}"})
    first = explorer.frame_request(VAE, state, wait=0.05)
    second = explorer.frame_request(VAE, state, wait=0.05)
    assert not first.ready and not second.ready
    assert first.sent and not second.sent and lost == [first.key]


def test_a_worker_refuses_a_key_its_checkpoint_does_not_match():
    state = explorer.validate_state(VAE, {"a": f"seed:{fresh_seed()}"})
    key = explorer.frame_key(VAE, state, checkpoint="1" * 64)
    assert explorer.frame_make(model_name="vae", state=state, key=key) == "stale"
    assert not default_storage.exists(explorer.frame_names(key)[1])


def test_without_javascript_the_page_is_a_get_form_whose_answer_shows_the_frame(client, made):
    seed = fresh_seed()
    url = reverse("generation:explore", kwargs={"model": "realnvp"})
    page = client.get(url, {"mode": "line", "a": f"seed:{seed}", "b": "test:2", "t": "0.25", "submit": "x"})
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<form[^>]*method="get"[^>]*action="' + re.escape(url) + '"', html)
    for name in ("mode", "a", "b", "t", "d1", "d2", "u", "v"):
        assert f'name="{name}"' in html
    state = explorer.validate_state(
        explorer.MODELS["realnvp"], {"a": f"seed:{seed}", "b": "test:2", "t": "0.25"}
    )
    key = explorer.frame_key(explorer.MODELS["realnvp"], state)
    whole = explorer.frame_key(explorer.MODELS["realnvp"], state, overview=True)
    image_url = reverse("generation:explore-frame-file", kwargs={"key": key})
    overview_url = reverse("generation:explore-frame-file", kwargs={"key": whole})
    assert f'src="{image_url}"' in html and f'src="{overview_url}"' in html and made == [key, whole]
    assert "Nearest training image: #" in html and "test image 2" in html
    # The shareable link carries the whole state; opening it shows the same frame, made no second time.
    share = re.search(r'id="explorer-share" href="\?([^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"a=seed:{seed}" in share and "t=0.25" in share
    assert f'src="{image_url}"' in client.get(f"{url}?{share}").content.decode() and made == [key, whole]
    # Another position on the same line: a new frame, the same overview.
    other = client.get(
        url, {"mode": "line", "a": f"seed:{seed}", "b": "test:2", "t": "0.75"}
    ).content.decode()
    assert f'src="{overview_url}"' in other and len(made) == 3 and whole in made
    image = client.get(image_url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    assert "immutable" in image["Cache-Control"] and image["X-Content-Type-Options"] == "nosniff"
    # CSP stays clean: no inline script, no inline style.
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html) and " style=" not in html
    assert 'src="/static/generation/explorer.js"' in html


def test_a_field_in_error_is_marked_on_the_form_and_no_frame_is_made(client, made):
    url = reverse("generation:explore", kwargs={"model": "dcgan"})
    page = client.get(url, {"a": "test:3", "t": "0.5"})
    assert page.status_code == 400 and made == []
    assert "no encoder" in page.content.decode()
    assert client.get(reverse("generation:explore", kwargs={"model": "no-such-model"})).status_code == 404


def test_the_sliders_json_waits_for_the_frame_or_says_pending(client, made, monkeypatch):
    url = reverse("generation:explore-frame", kwargs={"model": "vae"})
    query = {
        "mode": "grid",
        "a": "test:1",
        "d1": "class:1-7",
        "u": "0.5",
        "v": f"{fresh_seed() % 60 / 20 - 1.5}",
    }
    answer = client.get(url, query, HTTP_PREFER="wait=5")
    assert answer.status_code == 200 and answer["Preference-Applied"] == "wait=5"
    body = answer.json()
    assert body["status"] == "ready" and body["made_now"] and body["image"].endswith(f"{body['key']}.png")
    assert body["panels"] == ["frame", "nearest training image", "test image 1"]
    assert "mode=grid" in body["query"] and "a=test:1" in body["query"]
    assert client.get(url, query).json()["made_now"] is False
    whole = client.get(url, {**query, "overview": "1"}, HTTP_PREFER="wait=5").json()
    assert whole["status"] == "ready" and whole["layout"] == "grid" and whole["key"] != body["key"]
    moved = client.get(url, {**query, "overview": "1", "u": "-1"}, HTTP_PREFER="wait=5").json()
    assert moved["key"] == whole["key"] and moved["made_now"] is False  # the slider does not move it
    assert client.get(url, {"a": "nonsense"}).status_code == 400
    # With no worker to make it, the answer says pending once the wait runs out.
    monkeypatch.setattr(explorer, "_send", lambda model, state, key: None)
    pending = client.get(url, {"a": f"seed:{fresh_seed()}"}, HTTP_PREFER="wait=0.2")
    assert pending.status_code == 202 and pending.json()["status"] == "pending"


def test_a_client_over_the_rate_of_new_frames_is_told_to_wait(client, made, settings):
    settings.GENERATION_EXPLORER_RATE = "2/minute"
    url = reverse("generation:explore-frame", kwargs={"model": "dcgan"})
    seeds = [fresh_seed() for _ in range(3)]
    for seed in seeds[:2]:
        assert client.get(url, {"a": f"seed:{seed}"}, HTTP_PREFER="wait=5").status_code == 200
    limited = client.get(url, {"a": f"seed:{seeds[2]}"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    # A stored frame costs nothing.
    assert client.get(url, {"a": f"seed:{seeds[0]}"}).status_code == 200


def test_the_index_lists_the_shipped_models_and_the_family_page_links_there(client):
    page = client.get(reverse("generation:explore-index")).content.decode()
    for name in ("vae", "dcgan", "realnvp", "ddpm"):
        assert f'href="/generation/explore/{name}/"' in page
    gans = client.get(reverse("generation:explore-index"), {"family": "gans"}).content.decode()
    assert 'href="/generation/explore/dcgan/"' in gans and 'href="/generation/explore/vae/"' not in gans
    from tests.factories import FamilyFactory

    vaes, mixtures = FamilyFactory(slug="vaes"), FamilyFactory(slug="mixture-models")
    assert 'href="/generation/explore/?family=vaes"' in client.get(vaes.get_absolute_url()).content.decode()
    assert "/generation/explore/" not in client.get(mixtures.get_absolute_url()).content.decode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_frame_while_the_request_waits(client, worker_factory):
    worker_factory()
    url = reverse("generation:explore-frame", kwargs={"model": "dcgan"})
    query = {"a": f"seed:{fresh_seed()}", "b": "class:4", "t": "0.7"}
    answer = client.get(url, query, HTTP_PREFER="wait=10")
    assert answer.json()["made_now"] is True  # this request sent the task
    if answer.status_code == 202:  # the worker's first frame loads the model and labels 2,048 prior draws
        answer = client.get(url, query, HTTP_PREFER="wait=10")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "ready" and body["made_in_s"] > 0
    again = client.get(url, query, HTTP_PREFER="wait=10").json()
    assert again["key"] == body["key"] and again["made_now"] is False
    assert client.get(body["image"]).status_code == 200


WEB_PROCESS = """
import json, sys
import django
django.setup()
import config.urls
from generation import explorer
state = {"a": "class:2"}
keys = {m.name: explorer.frame_key(m, explorer.validate_state(m, state)) for m in explorer.model_list()}
print(json.dumps({"keys": keys, "torch": sorted(m for m in sys.modules if m.split(".")[0] == "torch")}))
"""


def test_the_web_process_validates_and_addresses_frames_without_importing_torch():
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    done = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["torch"] == []
    assert set(report["keys"]) >= {"vae", "dcgan", "realnvp", "ddpm"}
    assert report["keys"]["vae"] == explorer.frame_key(VAE, explorer.validate_state(VAE, {"a": "class:2"}))
