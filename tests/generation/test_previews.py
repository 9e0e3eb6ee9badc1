"""Intermediate previews: a running job's newest frame is stored (one file per job, no Sample rows, deleted
when the job ends), served as a PNG with nosniff, and shown by the polled job partial and the API's job
while the job runs."""

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse

from generation import services
from generation.models import GenerationJob
from generation.zoo.demos import Artefact

pytestmark = pytest.mark.django_db
Status = GenerationJob.Status
HTMX = {"HTTP_HX_REQUEST": "true"}
PNG = b"\x89PNG\r\n\x1a\n"


def _diffusion_job(demos, **params) -> GenerationJob:
    demo = demos["ddpm-digits"]
    with transaction.atomic():
        return services.job_request(
            demo_slug=demo.slug, raw_params={"n": 1, "seed": 0, "steps": 4, "frames": 4, **params}
        ).job


def test_a_running_job_shows_the_trajectory_s_newest_frame(client, demos, settings):
    from generation.zoo import demos as zoo

    settings.GENERATION_PROGRESS_INTERVAL = 0.0  # every frame is written: the last one is the newest
    job = _diffusion_job(demos)
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    progress = services.JobProgress(job.pk)
    result = zoo.run_demo(job.demo.slug, dict(job.params), progress=progress, preview=progress.preview)
    job.refresh_from_db()
    assert job.preview_name == services.preview_name(job.pk)
    assert job.preview_step == job.progress_total == 4
    response = client.get(reverse("generation:job-preview", kwargs={"pk": job.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    frames = [a for a in result.artefacts if a.role == "frame"]
    assert len(frames) == 4 and b"".join(response.streaming_content) == frames[-1].data


def test_a_finished_job_keeps_its_samples_and_drops_its_preview(
    client, demos, settings, django_capture_on_commit_callbacks
):
    settings.GENERATION_PROGRESS_INTERVAL = 0.0
    job = _diffusion_job(demos)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.job_run(job_id=job.pk, worker="test@here") == "succeeded"
    job.refresh_from_db()
    assert job.preview_name == "" and job.preview_step is None
    assert not default_storage.exists(services.preview_name(job.pk))
    assert client.get(reverse("generation:job-preview", kwargs={"pk": job.pk})).status_code == 404
    assert job.samples.filter(role="frame").count() == 4 and job.samples.count() == 5  # no preview rows
    html = client.get(job.get_absolute_url(), **HTMX).content.decode()
    assert "job-preview" not in html and "frame" in html


def test_a_cancelled_job_drops_its_preview_too(demos, settings, django_capture_on_commit_callbacks):
    settings.GENERATION_PROGRESS_INTERVAL = 0.0
    job = _diffusion_job(demos)
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    progress = services.JobProgress(job.pk)
    progress.preview(Artefact("frame-1.png", "image/png", PNG + b"one", "frame"))
    progress(1, 10)
    assert default_storage.exists(services.preview_name(job.pk))
    # Cancelled while running, and its worker lost: the next delivery finds the request and ends the job.
    assert services.job_cancel(job_id=job.pk).cancel_requested
    with django_capture_on_commit_callbacks(execute=True):
        assert services.job_run(job_id=job.pk) == "skipped"
    job.refresh_from_db()
    assert job.status == Status.CANCELLED
    assert job.preview_name == "" and not default_storage.exists(services.preview_name(job.pk))


def test_previews_are_rate_limited_and_replace_each_other(demos, settings):
    settings.GENERATION_PROGRESS_INTERVAL = 3600.0
    job = _diffusion_job(demos)
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    now = [0.0]
    progress = services.JobProgress(job.pk, clock=lambda: now[0])
    progress.preview(Artefact("frame-1.png", "image/png", PNG + b"one", "frame"))
    progress(1, 10)
    job.refresh_from_db()
    assert job.preview_step == 1
    with default_storage.open(job.preview_name, "rb") as handle:
        assert handle.read() == PNG + b"one"
    progress.preview(Artefact("frame-2.png", "image/png", PNG + b"two", "frame"))
    progress(2, 10)  # within the interval: not written yet
    job.refresh_from_db()
    assert job.preview_step == 1
    now[0] += 3600.0  # the interval has passed
    progress.preview(Artefact("note.txt", "text/plain", b"not an image", "frame"))  # ignored
    progress(3, 10)
    job.refresh_from_db()
    assert job.preview_step == 3 and job.preview_name == services.preview_name(job.pk)
    with default_storage.open(job.preview_name, "rb") as handle:
        assert handle.read() == PNG + b"two"


def test_a_langevin_chain_s_start_frame_is_previewed_as_step_0(demos, settings):
    from generation.zoo import demos as zoo

    settings.GENERATION_PROGRESS_INTERVAL = 3600.0  # only the first frame is written: the start
    with transaction.atomic():
        job = services.job_request(
            demo_slug="ebm-langevin", raw_params={"n": 1, "seed": 0, "steps": 4, "frames": 2}
        ).job
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    progress = services.JobProgress(job.pk)
    result = zoo.run_demo(job.demo.slug, dict(job.params), progress=progress, preview=progress.preview)
    job.refresh_from_db()
    assert job.preview_step == 0
    with default_storage.open(job.preview_name, "rb") as handle:
        assert handle.read() == next(a for a in result.artefacts if a.name == "frame-000.png").data


def test_the_running_partial_shows_the_preview_and_no_preview_is_a_404(client, demos, settings):
    settings.GENERATION_PROGRESS_INTERVAL = 0.0
    job = _diffusion_job(demos)
    url = reverse("generation:job-preview", kwargs={"pk": job.pk})
    assert client.get(url).status_code == 404
    html = client.get(job.get_absolute_url(), **HTMX).content.decode()
    assert "job-preview" not in html
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    progress = services.JobProgress(job.pk)
    progress.preview(Artefact("frame-0003.png", "image/png", PNG + b"frame", "frame"))
    progress(3, 4)
    html = client.get(job.get_absolute_url(), **HTMX).content.decode()
    assert f'<img src="{url}?step=3"' in html and "step 3 of 4" in html and "hx-trigger" in html
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert (
        response["X-Content-Type-Options"] == "nosniff"
        and b"".join(response.streaming_content) == PNG + b"frame"
    )


def test_the_api_s_job_carries_the_preview_while_it_runs(client, demos, settings):
    settings.GENERATION_PROGRESS_INTERVAL = 0.0
    job = _diffusion_job(demos)
    api_url = reverse("api:job-detail", kwargs={"pk": job.pk})
    assert client.get(api_url).json()["preview"] is None  # queued: nothing to show yet
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    progress = services.JobProgress(job.pk)
    progress.preview(Artefact("frame-0002.png", "image/png", PNG + b"two", "frame"))
    progress(2, 4)
    preview = client.get(api_url).json()["preview"]
    assert preview["step"] == 2
    frame_url = reverse("generation:job-preview", kwargs={"pk": job.pk})
    assert preview["url"] == f"http://testserver{frame_url}?step=2"
    assert b"".join(client.get(preview["url"]).streaming_content) == PNG + b"two"
