"""Live generation's pages through the test client: the time-left estimate, the showcase beside the latest
samples, the pages without JavaScript, and the worker's torch threads."""

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from generation import selectors, services
from generation.models import GenerationJob
from generation.showcase import MANIFEST, showcase_for
from generation.worker import torch_threads_for
from tests.generation.test_services import first_demo, small

pytestmark = pytest.mark.django_db
Status = GenerationJob.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


def _running(demo, *, step: int, total: int, seconds_ago: float) -> GenerationJob:
    job = services.job_request(demo_slug=demo.slug, raw_params=small(demo)).job
    now = timezone.now()
    GenerationJob.objects.filter(pk=job.pk).update(
        status=Status.RUNNING,
        started_at=now - timedelta(seconds=seconds_ago + 5),
        sampling_started_at=now - timedelta(seconds=seconds_ago),
        progress_step=step,
        progress_total=total,
        heartbeat_at=now,
    )
    return GenerationJob.objects.get(pk=job.pk)


def test_the_time_left_comes_from_the_steps_measured_so_far(demos):
    assert selectors.eta_from_steps(step=5, total=20, elapsed=10.0) == pytest.approx(30.0)
    assert selectors.eta_from_steps(step=10, total=20, elapsed=20.0) == pytest.approx(20.0)
    assert selectors.eta_from_steps(step=20, total=20, elapsed=40.0) == 0.0
    assert selectors.eta_from_steps(step=0, total=20, elapsed=3.0) is None  # nothing measured yet
    demo = first_demo(demos)
    early = selectors.job_state(job=_running(demo, step=50, total=200, seconds_ago=100)).eta_seconds
    assert early == pytest.approx(300.0, rel=0.05)
    # Slower than the first steps suggested: the estimate follows the measured rate, it does not sit still.
    slower = selectors.job_state(job=_running(demo, step=60, total=200, seconds_ago=170)).eta_seconds
    assert slower == pytest.approx(170 / 60 * 140, rel=0.05)


def test_no_time_left_is_guessed_before_a_step_is_measured(demos):
    """The old estimate for a queued or loading job was the demo's typical run time, which did not move
    while the job waited ("about 4 s left" for 17 s)."""
    demo = first_demo(demos)
    done = services.job_request(demo_slug=demo.slug, raw_params=small(demo, seed=1)).job
    services.job_run(job_id=done.pk)  # a history a typical run time could be taken from
    queued = services.job_request(demo_slug=demo.slug, raw_params=small(demo, seed=2)).job
    assert selectors.job_state(job=queued).eta_seconds is None
    loading = _running(demo, step=0, total=20, seconds_ago=0)
    GenerationJob.objects.filter(pk=loading.pk).update(sampling_started_at=None)
    loading.refresh_from_db()
    assert selectors.job_state(job=loading).eta_seconds is None


def test_the_job_partial_shows_the_measured_time_left(client, demos):
    job = _running(first_demo(demos), step=50, total=100, seconds_ago=100)
    html = client.get(reverse("generation:job-detail", kwargs={"pk": job.pk}), **HTMX).content.decode()
    left = int(re.search(r"about (\d+) s left", html).group(1))
    assert 99 <= left <= 110  # 50 steps in 100 s, 50 to go (and the moments this test took)


def test_each_family_has_a_showcase_from_its_shipped_checkpoint(demos):
    manifest = json.loads(MANIFEST.read_text())
    families = {demo.family_slug for demo in demos.values()}
    assert families <= set(manifest), families - set(manifest)
    for slug in families:
        showcase = showcase_for(slug)
        assert finders.find(showcase.static_path), showcase.static_path
        assert showcase.command.startswith(f"python -m generation.zoo sample {showcase.model} ")
        shipped = {d.checkpoint_sha256 for d in demos.values() if d.family_slug == slug}
        assert showcase.checkpoint_sha256 in shipped, f"{slug}: the showcase is not from the shipped model"


def test_a_fresh_install_shows_each_showcase_and_then_the_latest_beside_it(client, demos):
    families = sorted({demo.family_slug for demo in demos.values()})
    for slug in families:
        url = reverse("generation:family-latest-thumbnail", kwargs={"slug": slug})
        html = client.get(url).content.decode()
        assert showcase_for(slug).static_path in html and "No samples yet" not in html
        assert "Make the first live sample" in html
    demo = first_demo(demos)
    job = services.job_request(demo_slug=demo.slug, raw_params=small(demo)).job
    services.job_run(job_id=job.pk)
    sample = job.samples.get(role="result")
    url = reverse("generation:family-latest-thumbnail", kwargs={"slug": demo.family_slug})
    html = client.get(url).content.decode()
    assert showcase_for(demo.family_slug).static_path in html and sample.get_absolute_url() in html
    panel = client.get(reverse("generation:family-demo", kwargs={"slug": demo.family_slug}), **HTMX)
    html = panel.content.decode()
    assert showcase_for(demo.family_slug).static_path in html and sample.get_absolute_url() in html


def test_without_javascript_the_family_page_leads_to_a_plain_form_and_a_self_refreshing_job(client, demos):
    demo = first_demo(demos)
    family_page = client.get(reverse("catalog:family-detail", kwargs={"slug": demo.family_slug}))
    demo_url = reverse("generation:family-demo", kwargs={"slug": demo.family_slug})
    noscript = re.search(r"<noscript>(.*?)</noscript>", family_page.content.decode(), re.S)
    assert noscript and f'href="{demo_url}"' in noscript.group(1)
    page = client.get(demo_url).content.decode()
    create = reverse("generation:job-create", kwargs={"slug": demo.slug})
    assert f'method="post" action="{create}"' in page
    posted = client.post(create, small(demo))
    assert posted.status_code == 302
    job = GenerationJob.objects.get()
    assert posted["Location"] == job.get_absolute_url()
    active = client.get(posted["Location"]).content.decode()
    assert '<meta http-equiv="refresh"' in active
    services.job_run(job_id=job.pk)
    finished = client.get(posted["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in finished
    assert job.samples.get(role="result").get_absolute_url() in finished


def test_torch_threads_leave_a_core_to_the_web_server_and_the_rest(settings):
    settings.GENERATION_TORCH_THREADS = 0
    assert torch_threads_for(1, cores=2) == 1  # the embedded default on a two-core machine
    assert torch_threads_for(1, cores=1) == 1
    assert torch_threads_for(1, cores=16) == 15
    assert torch_threads_for(4, cores=16) == 3
    settings.GENERATION_TORCH_THREADS = 2
    assert torch_threads_for(1, cores=2) == 2  # an explicit setting wins
    assert django_settings.GENERATION_TORCH_THREADS == 2
