"""Writes of the generation app: syncing demos from the zoo, requesting, cancelling, running and reaping jobs.

The zoo (``generation.zoo.demos``) is imported inside the functions that need it: the Celery worker's parent
process imports this module, and it must not import torch before it forks its children. Requests are
validated by ``generation.zoo.params`` (plain Python) against each Demo row's stored schema, so the web
process never imports torch either. Tasks are sent by name (``RUN_JOB_TASK``): this module does not import
``generation.tasks``, which imports it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from catalog.models import ExampleModel, Family
from generation.leases import job_lease
from generation.models import Demo, GenerationJob, Sample
from generation.selectors import demo_params
from generation.zoo.params import ParamError
from generation.zoo.params import validate as validate_params

logger = logging.getLogger(__name__)
Status = GenerationJob.Status


class DemoUnavailable(Exception):
    """The demo slug is unknown or the zoo no longer lists it."""


class JobParamsInvalid(Exception):
    """Parameters outside the demo's schema; ``errors`` maps each field to what was wrong."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class JobLimitExceeded(Exception):
    """Too many active jobs for this client, or too long a queue; try again after ``retry_after`` s."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class JobCancelled(Exception):
    """Raised from the progress callback so that the zoo's sampler stops at its next step."""


# --- Demos -------------------------------------------------------------------------------------------


@dataclass
class DemoSyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    without_family: list[str] = field(default_factory=list)


def _manifest_of(zoo_demo) -> dict:
    try:
        manifest = zoo_demo.manifest
    except (FileNotFoundError, KeyError, ValueError) as error:
        logger.warning("demo %s has no readable manifest: %s", zoo_demo.slug, error)
        return {}
    return json.loads(json.dumps(manifest, default=str))  # JSON-safe (paths, numpy scalars)


@transaction.atomic
def demos_sync() -> DemoSyncReport:
    """Create or update one Demo row per zoo demo; deactivate rows the zoo no longer lists."""
    from generation.zoo import demos as zoo

    report = DemoSyncReport()
    families = {f.slug: f for f in Family.objects.all()}
    seen = []
    for position, zoo_demo in enumerate(zoo.list_demos()):
        manifest = _manifest_of(zoo_demo)
        family = families.get(zoo_demo.family)
        if any(slug not in families for slug in zoo_demo.families):
            report.without_family.append(zoo_demo.slug)
        example = None
        if zoo_demo.citation_key:
            example = ExampleModel.objects.filter(paper__citation_key=zoo_demo.citation_key).first()
        values = {
            "family_slug": zoo_demo.family,
            "family": family,
            "example_model": example,
            "title": zoo_demo.title,
            "description": zoo_demo.description,
            "model_name": zoo_demo.model,
            "citation_key": zoo_demo.citation_key,
            "params_schema": [p.as_dict() for p in zoo_demo.params],
            "checkpoint_sha256": manifest.get("sha256", ""),
            "metrics": manifest.get("metrics") or {},
            "manifest": manifest,
            "position": position,
            "is_active": True,
        }
        demo, created = Demo.objects.update_or_create(slug=zoo_demo.slug, defaults=values)
        demo.also_families.set([families[slug] for slug in zoo_demo.also if slug in families])
        (report.created if created else report.updated).append(zoo_demo.slug)
        seen.append(zoo_demo.slug)
    stale = Demo.objects.filter(is_active=True).exclude(slug__in=seen)
    report.deactivated = list(stale.values_list("slug", flat=True))
    stale.update(is_active=False)
    return report


# --- Requesting and cancelling -----------------------------------------------------------------------


def job_queue_for(*, demo: Demo) -> str:
    """The Celery queue for a demo's jobs: GPU when GENERATION_GPU_DEMOS names it, its family, or "*"."""
    gpu_demos = set(settings.GENERATION_GPU_DEMOS)
    if gpu_demos & {"*", demo.slug, demo.family_slug}:
        return settings.CELERY_GPU_QUEUE
    return settings.CELERY_CPU_QUEUE


def job_cache_key(*, demo: Demo, params: Mapping) -> str:
    canonical = json.dumps(
        {"demo": demo.slug, "params": params, "checkpoint": demo.checkpoint_sha256},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def job_validate_params(*, demo: Demo, raw: Mapping) -> dict:
    """Validate against the demo's stored schema as the site serves it (``selectors.demo_params``: no torch
    in the web process). The worker validates again, with the same function, against the zoo's copy."""
    try:
        return validate_params(demo_params(demo=demo), raw, owner=demo.slug)
    except ParamError as error:
        raise JobParamsInvalid(error.errors) from error


def jobs_counting_against_client(*, client: str):
    """The client's active jobs that count against its cap: not one whose worker died (no heartbeat for
    GENERATION_HEARTBEAT_TIMEOUT: it waits for the reaper), nor a queued one nobody picked up within
    GENERATION_REQUEUE_QUEUED_AFTER (its message is presumed lost and waits to be sent again)."""
    now = timezone.now()
    dead_before = now - timedelta(seconds=settings.GENERATION_HEARTBEAT_TIMEOUT)
    lost_before = now - timedelta(seconds=settings.GENERATION_REQUEUE_QUEUED_AFTER)
    return GenerationJob.objects.filter(client=client, status__in=GenerationJob.ACTIVE).exclude(
        Q(status=Status.RUNNING, heartbeat_at__lt=dead_before)
        | Q(status=Status.QUEUED, enqueued_at__lt=lost_before)
    )


def _over_client_cap(*, client: str, cap: int) -> bool:
    counted = list(jobs_counting_against_client(client=client).values_list("pk", "status", "queue"))
    if len(counted) < cap:
        return False
    # Before refusing: a queued job whose message the broker lost waits for the reaper, not for its client.
    lost = set()
    for queue in {queue for _, status, queue in counted if status == Status.QUEUED}:
        lost.update(lost_job_ids(queue=queue))
    return sum(pk not in lost for pk, _, _ in counted) >= cap


def _check_limits(*, client: str) -> None:
    active_cap = settings.GENERATION_MAX_ACTIVE_PER_CLIENT
    if client and _over_client_cap(client=client, cap=active_cap):
        raise JobLimitExceeded(
            f"you have {active_cap} jobs queued or running; wait for one to finish", retry_after=5
        )
    queue_cap = settings.GENERATION_MAX_QUEUED
    if GenerationJob.objects.filter(status=Status.QUEUED).count() >= queue_cap:
        raise JobLimitExceeded(f"the queue is full ({queue_cap} jobs); try again shortly", retry_after=30)


@dataclass(frozen=True)
class JobRequest:
    job: GenerationJob
    # True when an identical earlier request (same demo, parameters, seed, checkpoint) answers this one.
    reused: bool


# The worker's task (generation/tasks.py), sent by name.
RUN_JOB_TASK = "generation.run_job"


def _enqueue(job: GenerationJob) -> None:
    """Send the job's task once the surrounding transaction commits (never for a rolled back one), with the
    time limits the settings say now."""
    options = {
        "queue": job.queue,
        "soft_time_limit": settings.GENERATION_SOFT_TIME_LIMIT,
        "time_limit": settings.GENERATION_HARD_TIME_LIMIT,
    }
    job_id = str(job.pk)

    def send() -> None:
        try:
            current_app.send_task(RUN_JOB_TASK, (job_id,), **options)
        except Exception:  # the broker is away: the job is stored, and the reaper sends it once it is back
            logger.warning("job %s stored but not sent (broker unreachable); the reaper will send it", job_id)

    transaction.on_commit(send)


def job_owner_token(*, job_id) -> str:
    """The secret that proves who asked for a job: given to its creator only (the API's answer), never
    derived from an address. An HMAC of the id under SECRET_KEY, so nothing more is stored."""
    return salted_hmac("generation.job-owner", str(job_id), algorithm="sha256").hexdigest()


def job_owned_by(*, job: GenerationJob, user=None, token: str = "", session_jobs=()) -> bool:
    """Whether the asker may act on the job as its owner: staff, the signed-in user who asked, the
    holder of its owner token, or the browser session that asked for it."""
    if user is not None and user.is_authenticated and (user.is_staff or job.client == f"user:{user.pk}"):
        return True
    if token and constant_time_compare(token, job_owner_token(job_id=job.pk)):
        return True
    return str(job.pk) in {str(job_id) for job_id in session_jobs}


class RateGate(Protocol):
    """How often a client may create jobs (``throttles.JobRate``): asked before, told after a creation."""

    def seconds_to_wait(self) -> float | None: ...

    def record(self) -> None: ...


def job_request(
    *, demo_slug: str, raw_params: Mapping, client: str = "", rate: RateGate | None = None
) -> JobRequest:
    """Validate, then reuse an identical job or create a queued one whose task is sent after commit.

    Only a created job counts against the client's ``rate``: an invalid request or one answered from the
    store costs nothing."""
    demo = Demo.objects.filter(slug=demo_slug, is_active=True).first()
    if demo is None:
        raise DemoUnavailable(demo_slug)
    params = job_validate_params(demo=demo, raw=raw_params)
    key = job_cache_key(demo=demo, params=params)
    with transaction.atomic():
        existing = sorted(
            GenerationJob.objects.filter(cache_key=key).filter(
                Q(status=Status.SUCCEEDED) | Q(status__in=GenerationJob.ACTIVE, cancel_requested=False)
            ),
            key=lambda j: (j.status != Status.SUCCEEDED, -j.created_at.timestamp()),
        )
        if existing:
            return JobRequest(job=existing[0], reused=True)
        wait = rate.seconds_to_wait() if rate is not None else None
        if wait is not None:
            raise JobLimitExceeded("too many requests for samples; please wait a moment", retry_after=wait)
        _check_limits(client=client)
        now = timezone.now()
        job = GenerationJob.objects.create(
            demo=demo,
            params=params,
            seed=int(params.get("seed", 0)),
            checkpoint_sha256=demo.checkpoint_sha256,
            cache_key=key,
            queue=job_queue_for(demo=demo),
            client=client[:120],
            enqueued_at=now,
        )
        _enqueue(job)
    if rate is not None:
        rate.record()
    return JobRequest(job=job, reused=False)


@transaction.atomic
def job_cancel(*, job_id) -> GenerationJob:
    """A queued job is cancelled at once (its task will find it so); a running one stops at its next step."""
    job = GenerationJob.objects.select_for_update().get(pk=job_id)
    if job.status == Status.QUEUED:
        job.status = Status.CANCELLED
        job.cancel_requested = True
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "cancel_requested", "finished_at"])
    elif job.status == Status.RUNNING and not job.cancel_requested:
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested"])
    return job


# --- Running (the worker side) -------------------------------------------------------------------------


def _finish(job_id, *, status: str, error: str = "", timings: Mapping | None = None) -> None:
    fields = {"status": status, "finished_at": timezone.now(), "error": error[:4000]}
    if timings is not None:
        fields["timings"] = dict(timings)
    GenerationJob.objects.filter(pk=job_id).update(**fields, preview_name="", preview_step=None)
    _forget_preview(job_id)
    transaction.on_commit(lambda: sweep_unreferenced_files(job_id))


def sweep_unreferenced_files(job_id) -> list[str]:
    """Delete the files in the job's folder that no Sample row names: what an attempt killed between writing
    its artefacts and committing their rows left behind. Called by whoever holds the job's lease (a new
    attempt, or the end of the job), so no live attempt is writing there."""
    folder = f"generation/{job_id}"
    try:
        _, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return []
    kept = set(Sample.objects.filter(job_id=job_id).values_list("file", flat=True))
    removed = [f"{folder}/{name}" for name in files if f"{folder}/{name}" not in kept]
    for name in removed:
        default_storage.delete(name)
    if removed:
        logger.info("job %s: removed %d files a lost attempt left behind", job_id, len(removed))
    return removed


def _forget_preview(job_id) -> None:
    """A finished job shows its samples (or its error), not a running frame: delete the preview file once
    the status change has committed."""
    name = preview_name(job_id)
    transaction.on_commit(lambda: default_storage.delete(name))


def _claim(*, job_id, worker: str, device: str, lease) -> GenerationJob | None:
    """Move the job to running for this attempt, or say (None) that there is nothing to do."""
    max_attempts = settings.GENERATION_MAX_ATTEMPTS
    stale_before = timezone.now() - timedelta(seconds=settings.GENERATION_HEARTBEAT_TIMEOUT)
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in GenerationJob.FINISHED:
            return None
        alive = job.heartbeat_at is not None and job.heartbeat_at > stale_before
        if job.status == Status.RUNNING and not lease.exclusive and alive:
            return None  # a live runner elsewhere (no lease on this database: trust the heartbeat)
        if job.cancel_requested:
            _finish(job.pk, status=Status.CANCELLED)
            return None
        if job.attempts >= max_attempts:
            _finish(
                job.pk,
                status=Status.FAILED,
                error=f"gave up after {job.attempts} attempts: the worker running it was lost each time",
            )
            return None
        now = timezone.now()
        job.status = Status.RUNNING
        job.attempts += 1
        job.worker = worker[:200]
        job.worker_pid = os.getpid()
        job.device = device
        job.started_at = now
        job.heartbeat_at = now
        job.sampling_started_at = None
        job.progress_step = 0
        job.error = ""
        job.save()
        transaction.on_commit(lambda: sweep_unreferenced_files(job.pk))
        return job


class _Heartbeat(threading.Thread):
    """Writes the job's heartbeat while it runs, even through one long step (model load, a slow batch)."""

    def __init__(self, job_id):
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.job_id = job_id
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = settings.GENERATION_HEARTBEAT_SECONDS
        try:
            while not self.stopped.wait(interval):
                GenerationJob.objects.filter(pk=self.job_id, status=Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()  # this thread's own connection


class JobProgress:
    """The zoo's progress and preview callbacks for one running job: writes step/total (and the newest
    frame) to the job at most once per GENERATION_PROGRESS_INTERVAL, and stops a cancelled job by raising
    JobCancelled. ``clock`` (seconds, monotonic) is what the interval is measured with."""

    def __init__(self, job_id, *, clock: Callable[[], float] = time.monotonic):
        self.job_id = job_id
        self.clock = clock
        self.first_step_at: float | None = None
        self.interval = settings.GENERATION_PROGRESS_INTERVAL
        self.last_write = float("-inf")
        # Only the newest frame is kept; the next progress update writes it, at most once per interval.
        self.pending_preview = None
        self.last_preview = float("-inf")

    def __call__(self, step: int, total: int) -> None:
        now = self.clock()
        fields = {}
        if self.first_step_at is None:
            self.first_step_at = now
            fields["sampling_started_at"] = timezone.now()
        show_preview = self.pending_preview is not None and now - self.last_preview >= self.interval
        if fields or show_preview or now - self.last_write >= self.interval or step >= total:
            self.last_write = now
            total = max(int(total), 1)
            fields.update(progress_step=min(max(int(step), 0), total), progress_total=total)
            if show_preview:
                self.last_preview = now
                fields.update(preview_name=self._write_preview(), preview_step=fields["progress_step"])
            fields["heartbeat_at"] = timezone.now()
            updated = GenerationJob.objects.filter(pk=self.job_id, cancel_requested=False).update(**fields)
            if not updated:
                raise JobCancelled()
        elif GenerationJob.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            raise JobCancelled()

    def preview(self, artefact) -> None:
        """The zoo's preview callback: keep the newest PNG frame; ``__call__`` stores it (rate-limited)."""
        if artefact.content_type == "image/png":
            self.pending_preview = artefact

    def _write_preview(self) -> str:
        """Overwrite the job's one preview file (a deterministic name, so retries and frames replace it)."""
        name = preview_name(self.job_id)
        default_storage.delete(name)
        stored = default_storage.save(name, ContentFile(self.pending_preview.data))
        self.pending_preview = None
        return stored


def preview_name(job_id) -> str:
    """Where a running job's newest intermediate frame lives in the default storage."""
    return f"generation/previews/{job_id}.png"


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _sample_metadata(artefact, metadata: Mapping) -> dict:
    """The run's metadata (JSON-safe), plus the opening of a text artefact for galleries and cards."""
    data = json.loads(json.dumps(metadata, default=str))
    if artefact.content_type.startswith("text/"):
        data["preview"] = artefact.data[:600].decode("utf-8", errors="replace")
    return data


def _store(*, job: GenerationJob, artefacts, metadata: Mapping) -> list[Sample]:
    """Write the artefacts through the default storage, then the rows, in one transaction with the status."""
    saved = []
    try:
        for artefact in artefacts:
            name = _SAFE_NAME.sub("-", artefact.name) or "artefact"
            path = default_storage.save(
                f"generation/{job.pk}/a{job.attempts}-{name}", ContentFile(artefact.data)
            )
            saved.append((artefact, path))
        with transaction.atomic():
            locked = GenerationJob.objects.select_for_update().get(pk=job.pk)
            if locked.status != Status.RUNNING or locked.attempts != job.attempts:
                raise _LostRun()
            samples = [
                Sample.objects.create(
                    job=job,
                    name=artefact.name,
                    role=artefact.role if artefact.role in Sample.Role.values else Sample.Role.RESULT,
                    kind=artefact.content_type.split("/", 1)[0],
                    content_type=artefact.content_type,
                    file=path,
                    size=len(artefact.data),
                    position=position,
                    metadata=_sample_metadata(artefact, metadata),
                )
                for position, (artefact, path) in enumerate(saved)
            ]
            job.status = Status.SUCCEEDED
            job.finished_at = timezone.now()
            job.progress_step = job.progress_total = max(locked.progress_total, 1)
            job.preview_name, job.preview_step = "", None
            fields = ["status", "finished_at", "progress_step", "progress_total", "timings"]
            job.save(update_fields=[*fields, "preview_name", "preview_step"])
            _forget_preview(job.pk)
        return samples
    except BaseException:
        for _, path in saved:
            default_storage.delete(path)
        raise


class _LostRun(Exception):
    """Another attempt took the job over (or it was reaped) while this one ran: keep nothing."""


# How long a delivery waits for a job's lease before taking it for a duplicate (see leases.job_lease).
LEASE_WAIT_SECONDS = 2.0


def job_run(*, job_id, worker: str = "", device: str = "cpu") -> str:
    """Run one delivery of a job's task. Idempotent: returns what happened, never makes a second sample."""
    with job_lease(job_id, wait=LEASE_WAIT_SECONDS) as lease:
        if not lease.acquired:
            return "busy"  # another live process runs this job now: this delivery is a duplicate
        job = _claim(job_id=job_id, worker=worker, device=device, lease=lease)
        if job is None:
            return "skipped"
        queue_wait = (job.started_at - (job.enqueued_at or job.created_at)).total_seconds()
        heartbeat = _Heartbeat(job.pk)
        heartbeat.start()
        started = time.monotonic()
        progress = JobProgress(job.pk)
        try:
            from generation.zoo import demos as zoo  # already imported by a worker child; timed as load

            result = zoo.run_demo(
                job.demo.slug, dict(job.params), device=device, progress=progress, preview=progress.preview
            )
            sampled = time.monotonic()
            first = progress.first_step_at or started
            job.timings = {
                "queue_wait": round(queue_wait, 4),
                "load": round(first - started, 4),
                "sampling": round(sampled - first, 4),
                **{f"zoo_{k}": v for k, v in (result.metadata.get("timings") or {}).items()},
            }
            _store(job=job, artefacts=result.artefacts, metadata=result.metadata)
            job.timings["store"] = round(time.monotonic() - sampled, 4)
            job.timings["total"] = round(queue_wait + time.monotonic() - started, 4)
            GenerationJob.objects.filter(pk=job.pk).update(timings=job.timings)
            return "succeeded"
        except JobCancelled:
            _finish(job.pk, status=Status.CANCELLED)
            return "cancelled"
        except _LostRun:
            return "lost"
        except Exception as error:
            logger.exception("generation job %s failed", job.pk)
            _finish(job.pk, status=Status.FAILED, error=f"{type(error).__name__}: {error}")
            return "failed"
        finally:
            heartbeat.stopped.set()
            heartbeat.join(timeout=5)


# --- Reaping -----------------------------------------------------------------------------------------------


@dataclass
class ReapReport:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)


def jobs_reap() -> ReapReport:
    """Re-queue running jobs whose worker stopped heartbeating (fail them after N attempts), and send again
    queued jobs whose message the broker lost. Safe to run anywhere, often."""
    report = ReapReport()
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.GENERATION_HEARTBEAT_TIMEOUT)
    max_attempts = settings.GENERATION_MAX_ATTEMPTS
    stale = GenerationJob.objects.filter(status=Status.RUNNING, heartbeat_at__lt=stale_before)
    for job_id in stale.values_list("pk", flat=True):
        with job_lease(job_id) as lease:
            if not lease.acquired:
                continue  # its runner is alive (it holds the lease), merely slow to beat
            with transaction.atomic():
                job = GenerationJob.objects.select_for_update().get(pk=job_id)
                if job.status != Status.RUNNING or job.heartbeat_at >= stale_before:
                    continue
                if job.attempts >= max_attempts:
                    _finish(job.pk, status=Status.FAILED, error=f"worker lost {job.attempts} times")
                    report.failed.append(str(job.pk))
                    continue
                job.status = Status.QUEUED
                job.enqueued_at = now
                job.save(update_fields=["status", "enqueued_at"])
                _enqueue(job)
                report.requeued.append(str(job.pk))
    _resend_lost(now=now, report=report)
    return report


# A message sent this recently may be on its way to a worker rather than lost: never re-sent on a count alone.
LOST_MESSAGE_GRACE_SECONDS = 10.0


def messages_waiting(queue: str) -> int | None:
    """Messages waiting in a broker queue (not those a worker holds), or None when the broker cannot be
    asked now. A queue the broker does not know (restarted without persistence) holds none."""
    with current_app.connection_for_read() as conn:
        try:
            conn.ensure_connection(max_retries=1)
            channel = conn.channel()
        except Exception:  # refused, timed out, unknown host: whatever the transport raises
            return None
        try:
            return int(channel.queue_declare(queue=queue, passive=True).message_count)
        except conn.channel_errors:
            return 0
        except (*conn.connection_errors, OSError):
            return None
        finally:
            with contextlib.suppress(Exception):  # a channel the broker closed (NOT_FOUND)
                channel.close()


def _lost_among(jobs: list[GenerationJob], *, waiting: int, now) -> list[GenerationJob]:
    """Of a queue's queued jobs, oldest first, those whose message is gone: as many as the broker holds
    fewer messages than there are jobs, the oldest first, never one sent within the grace."""
    missing = max(0, len(jobs) - waiting)
    grace_before = now - timedelta(seconds=LOST_MESSAGE_GRACE_SECONDS)
    settled = [job for job in jobs if job.enqueued_at is None or job.enqueued_at < grace_before]
    return settled[:missing]


def lost_job_ids(*, queue: str) -> list:
    """The ids of the queued jobs of a queue whose message the broker lost (none when it cannot be asked)."""
    waiting = messages_waiting(queue)
    if waiting is None:
        return []
    jobs = list(
        GenerationJob.objects.filter(status=Status.QUEUED, queue=queue).order_by("enqueued_at", "created_at")
    )
    return [job.pk for job in _lost_among(jobs, waiting=waiting, now=timezone.now())]


def _resend_lost(*, now, report: ReapReport) -> None:
    """Send again the queued jobs whose message is gone. A broker restarted without persistence loses what
    it held: a queue then holds fewer messages than the database has jobs waiting on it, and the oldest
    jobs are the ones lost. Any job unclaimed for GENERATION_REQUEUE_QUEUED_AFTER is sent again too (a
    broker that cannot count). A duplicate delivery is harmless: it finds the job taken and skips."""
    forgotten_before = now - timedelta(seconds=settings.GENERATION_REQUEUE_QUEUED_AFTER)
    queues = GenerationJob.objects.filter(status=Status.QUEUED).values_list("queue", flat=True).distinct()
    for queue in sorted(set(queues)):
        waiting = messages_waiting(queue)
        with transaction.atomic():
            jobs = list(
                GenerationJob.objects.select_for_update(skip_locked=True)
                .filter(status=Status.QUEUED, queue=queue)
                .order_by("enqueued_at", "created_at")
            )
            if waiting is None:
                continue  # the broker is away: nothing can be sent; the next round tries again
            lost = _lost_among(jobs, waiting=waiting, now=now)
            lost += [
                job
                for job in jobs
                if job not in lost and job.enqueued_at and job.enqueued_at < forgotten_before
            ]
            for job in lost:
                job.enqueued_at = now
                job.save(update_fields=["enqueued_at"])
                _enqueue(job)
                report.resent.append(str(job.pk))
