"""Reads of the generation app: demos per family, job status with queue position and ETA, galleries."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from generation.models import Demo, GenerationJob, Sample
from generation.zoo.params import Param, capped

Status = GenerationJob.Status


def in_family(family_slug: str, prefix: str = "") -> Q:
    """A demo (reached through ``prefix``) of the family: its own, or a composition the family is part of."""
    compositions = Demo.also_families.through.objects.filter(family__slug=family_slug).values("demo_id")
    return Q(**{f"{prefix}family_slug": family_slug}) | Q(**{f"{prefix}pk__in": compositions})


def demo_list(*, family_slug: str | None = None) -> QuerySet[Demo]:
    """Active demos; for a family, its own first (in zoo order), then the compositions it is part of."""
    demos = Demo.objects.filter(is_active=True).select_related("family").prefetch_related("also_families")
    if not family_slug:
        return demos
    own_first = Case(When(family_slug=family_slug, then=Value(0)), default=Value(1))
    return demos.filter(in_family(family_slug)).alias(own=own_first).order_by("own", "position", "slug")


def demo_get(*, slug: str) -> Demo | None:
    return demo_list().filter(slug=slug).first()


def demo_params(*, demo: Demo) -> list[Param]:
    """The parameters a request may set, as the site serves them: the demo's stored schema with the number
    of samples capped by GENERATION_MAX_SAMPLES when set. The form, the API and validation all use this."""
    params = [Param.from_dict(param) for param in demo.params_schema]
    return capped(params, "n", settings.GENERATION_MAX_SAMPLES)


def job_get(*, job_id) -> GenerationJob | None:
    results = Sample.objects.order_by("position")
    return (
        GenerationJob.objects.select_related("demo", "demo__family")
        .prefetch_related(Prefetch("samples", queryset=results))
        .filter(pk=job_id)
        .first()
    )


def job_wait(*, job_id, seconds: float, interval: float = 0.1) -> GenerationJob:
    """The job once it has ended, or as it is after ``seconds`` (``Prefer: wait=N``): polls the row."""
    deadline = time.monotonic() + seconds
    while True:
        job = GenerationJob.objects.get(pk=job_id)
        if job.is_finished or time.monotonic() + interval > deadline:
            return job
        time.sleep(interval)


@dataclass(frozen=True)
class JobState:
    job: GenerationJob
    queue_position: int | None  # 0: next to run; None unless queued
    eta_seconds: float | None  # until the job ends; None when unknown or finished
    # Why an active job is not moving, when it is not: its worker went silent, or it waits to run again.
    note: str = ""


# A running job whose worker has not written a heartbeat for this many heartbeat periods is shown as waiting.
SILENT_HEARTBEATS = 3


def _note(job: GenerationJob) -> str:
    if job.status == Status.RUNNING and job.heartbeat_at:
        silent = (timezone.now() - job.heartbeat_at).total_seconds()
        if silent > SILENT_HEARTBEATS * settings.GENERATION_HEARTBEAT_SECONDS:
            resent_within = settings.GENERATION_HEARTBEAT_TIMEOUT + settings.GENERATION_REAPER_INTERVAL
            return (
                f"No word from its worker for {silent:.0f} s: if the worker is lost, the job is sent "
                f"again within {resent_within:.0f} s."
            )
    if job.status == Status.QUEUED and job.attempts:
        return f"Its worker was lost during attempt {job.attempts}; waiting to run again."
    return ""


def eta_from_steps(*, step: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the rate measured so far: ``step`` of ``total`` steps done ``elapsed`` seconds after
    sampling began. None until a step has been measured (a guess from other jobs would not move)."""
    if step <= 0 or total <= 0 or elapsed <= 0:
        return None
    return max(0.0, elapsed / step * (total - min(step, total)))


def job_state(*, job: GenerationJob) -> JobState:
    """Where the job stands: its place in its queue, an estimate of the time left, and why it waits.

    The estimate comes only from the job's own measured steps (steps done over the time since sampling
    began), so it falls as the job runs; a queued job, or one still loading its model, has none yet."""
    position = eta = None
    if job.status == Status.QUEUED:
        position = GenerationJob.objects.filter(
            queue=job.queue, status=Status.QUEUED, created_at__lt=job.created_at
        ).count()
    elif job.status == Status.RUNNING and job.sampling_started_at:
        elapsed = (timezone.now() - job.sampling_started_at).total_seconds()
        eta = eta_from_steps(step=job.progress_step, total=job.progress_total, elapsed=elapsed)
    return JobState(job=job, queue_position=position, eta_seconds=eta, note=_note(job))


def sample_list(*, family_slug: str | None = None, demo_slug: str | None = None) -> QuerySet[Sample]:
    """Result samples of succeeded jobs, newest first (frames are reached through their job)."""
    samples = (
        Sample.objects.filter(role=Sample.Role.RESULT, job__status=Status.SUCCEEDED)
        .select_related("job", "job__demo")
        .order_by("-created_at", "position")
    )
    if family_slug:
        samples = samples.filter(in_family(family_slug, prefix="job__demo__"))
    if demo_slug:
        samples = samples.filter(job__demo__slug=demo_slug)
    return samples


def sample_get(*, sample_id) -> Sample | None:
    return Sample.objects.select_related("job", "job__demo", "job__demo__family").filter(pk=sample_id).first()


def sample_latest(*, family_slug: str) -> Sample | None:
    """The newest result of a family (an image grid, or text for the sequence models): the home card's."""
    return sample_list(family_slug=family_slug).first()
