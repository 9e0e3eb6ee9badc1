"""Services of the generation app against PostgreSQL and the Redis broker (no worker needed here): demo
sync, parameter validation, reuse of identical requests, limits, enqueue-after-commit, routing, cancel, the
worker-side run called in-process (idempotency, the lease), and the reaper."""

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image

from generation import services
from generation.leases import job_lease
from generation.models import Demo, GenerationJob, Sample
from tests.factories import FamilyFactory
from tests.generation.conftest import IDLE_QUEUE, ROOT, queued_messages

pytestmark = pytest.mark.django_db
Status = GenerationJob.Status


QUICK_FAMILIES = ("gans", "vaes", "normalizing-flows")  # one network pass per sample


def first_demo(demos) -> Demo:
    """A quick demo (a one-pass family's, else any) with an 'n' parameter, for tests that need just one."""
    with_n = sorted((d for d in demos.values() if d.param("n") and d.checkpoint_sha256), key=lambda d: d.slug)
    assert with_n, "the zoo lists no demo with an 'n' parameter"
    quick = [d for d in with_n if d.family_slug in QUICK_FAMILIES]
    return (quick or with_n)[0]


def small(demo: Demo, **extra) -> dict:
    """The smallest request a demo accepts: one sample, the fewest steps it allows."""
    params = {"n": 1, "seed": 0}
    steps = demo.param("steps")
    if steps is not None and steps.get("minimum") is not None:
        params["steps"] = int(steps["minimum"])
    return {**params, **extra}


def test_demos_sync_mirrors_the_zoo(demos):
    from generation.zoo import demos as zoo

    listed = zoo.list_demos()
    assert sorted(demos) == sorted(d.slug for d in listed)
    for zoo_demo in listed:
        row = demos[zoo_demo.slug]
        assert row.family is not None and row.family.slug == zoo_demo.family
        assert sorted(f.slug for f in row.also_families.all()) == sorted(zoo_demo.also)
        assert [p["name"] for p in row.params_schema] == [p.name for p in zoo_demo.params]
        assert {"seed", "n"} <= {p["name"] for p in row.params_schema}
        try:
            expected = zoo_demo.manifest["sha256"]
        except FileNotFoundError:
            expected = ""  # a demo whose checkpoint is not shipped yet: no hash to show
        assert row.checkpoint_sha256 == expected


def test_demos_sync_is_idempotent_and_deactivates_vanished_demos(demos):
    Demo.objects.create(slug="gone", family_slug="gans", title="Gone", model_name="gone")
    report = services.demos_sync()
    assert report.created == [] and sorted(report.updated) == sorted(demos)
    assert report.deactivated == ["gone"]
    assert not Demo.objects.get(slug="gone").is_active
    with pytest.raises(services.DemoUnavailable):
        services.job_request(demo_slug="gone", raw_params={})


def test_parameters_outside_the_schema_are_refused_with_field_errors(demos):
    demo = first_demo(demos)
    n = demo.param("n")
    with pytest.raises(services.JobParamsInvalid) as refused:
        services.job_request(demo_slug=demo.slug, raw_params={"n": n["maximum"] + 1, "bogus": 1})
    assert set(refused.value.errors) >= {"n", "bogus"}
    with pytest.raises(services.JobParamsInvalid) as refused:
        services.job_request(demo_slug=demo.slug, raw_params={"seed": "not a number"})
    assert "seed" in refused.value.errors
    assert not GenerationJob.objects.exists()


def test_the_site_caps_samples_per_request(demos, settings):
    demo = first_demo(demos)
    settings.GENERATION_MAX_SAMPLES = 2
    with pytest.raises(services.JobParamsInvalid) as refused:
        services.job_request(demo_slug=demo.slug, raw_params={"n": 3})
    assert "at most 2" in refused.value.errors["n"]


def test_every_demo_caps_steps_within_its_maximum(demos):
    for demo in demos.values():
        steps = demo.param("steps")
        if steps is None:
            continue
        assert steps["maximum"] is not None, f"{demo.slug}: steps without a maximum"
        with pytest.raises(services.JobParamsInvalid):
            services.job_request(demo_slug=demo.slug, raw_params={"steps": int(steps["maximum"]) + 1})


def test_defaults_are_filled_and_identical_requests_reuse_the_job(demos, redis_broker):
    demo = first_demo(demos)
    first = services.job_request(demo_slug=demo.slug, raw_params={"seed": 5})
    assert not first.reused
    assert first.job.params["seed"] == 5 and first.job.seed == 5
    assert set(first.job.params) == {p["name"] for p in demo.params_schema}
    again = services.job_request(demo_slug=demo.slug, raw_params=dict(first.job.params))
    assert again.reused and again.job.pk == first.job.pk
    other_seed = services.job_request(demo_slug=demo.slug, raw_params={"seed": 6})
    assert not other_seed.reused
    # A new checkpoint is a different request.
    Demo.objects.filter(pk=demo.pk).update(checkpoint_sha256="0" * 64)
    assert not services.job_request(demo_slug=demo.slug, raw_params={"seed": 5}).reused


def test_limits_per_client_and_on_the_queue(demos, settings):
    demo = first_demo(demos)
    settings.GENERATION_MAX_ACTIVE_PER_CLIENT = 2
    for seed in (1, 2):
        services.job_request(demo_slug=demo.slug, raw_params={"seed": seed}, client="ip:1.2.3.4")
    with pytest.raises(services.JobLimitExceeded) as refused:
        services.job_request(demo_slug=demo.slug, raw_params={"seed": 3}, client="ip:1.2.3.4")
    assert refused.value.retry_after > 0
    # Another client may still ask, until the queue is full.
    services.job_request(demo_slug=demo.slug, raw_params={"seed": 4}, client="ip:5.6.7.8")
    settings.GENERATION_MAX_QUEUED = 3
    with pytest.raises(services.JobLimitExceeded, match="queue is full"):
        services.job_request(demo_slug=demo.slug, raw_params={"seed": 5}, client="ip:9.9.9.9")


@pytest.mark.django_db(transaction=True)
def test_the_task_is_sent_only_after_commit(demos, settings, redis_broker):
    settings.CELERY_CPU_QUEUE = IDLE_QUEUE
    demo = first_demo(demos)
    before = queued_messages(redis_broker, IDLE_QUEUE)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.job_request(demo_slug=demo.slug, raw_params={"seed": 11})
        assert queued_messages(redis_broker, IDLE_QUEUE) == before  # not before the commit either
        raise RuntimeError("roll back")
    assert not GenerationJob.objects.exists()
    assert queued_messages(redis_broker, IDLE_QUEUE) == before
    job = services.job_request(demo_slug=demo.slug, raw_params={"seed": 11}).job
    assert job.queue == IDLE_QUEUE
    assert queued_messages(redis_broker, IDLE_QUEUE) == before + 1


@pytest.mark.django_db(transaction=True)
def test_the_task_message_names_the_task_and_carries_today_s_time_limits(demos, settings, redis_broker):
    """The task is sent by name, with the time limits the settings say when the job is requested."""
    settings.CELERY_CPU_QUEUE = queue = f"{IDLE_QUEUE}-limits"
    settings.GENERATION_SOFT_TIME_LIMIT, settings.GENERATION_HARD_TIME_LIMIT = 7, 9
    job = services.job_request(demo_slug=first_demo(demos).slug, raw_params={"seed": 21}).job
    [key] = [k for k in redis_broker.scan_iter(f"{queue}*") if redis_broker.type(k) == b"list"]
    headers = json.loads(redis_broker.lindex(key, 0))["headers"]
    assert headers["task"] == "generation.run_job" and headers["argsrepr"] == repr((str(job.pk),))
    assert headers["timelimit"] == [9, 7]


@pytest.mark.django_db(transaction=True)
def test_routing_to_the_gpu_queue_is_a_setting(demos, settings, redis_broker):
    demo = first_demo(demos)
    settings.CELERY_CPU_QUEUE = f"{IDLE_QUEUE}-cpu"  # both queues idle, so their messages can be counted
    settings.CELERY_GPU_QUEUE = f"{IDLE_QUEUE}-gpu"
    cpu_before = queued_messages(redis_broker, settings.CELERY_CPU_QUEUE)
    gpu_before = queued_messages(redis_broker, settings.CELERY_GPU_QUEUE)
    unrouted = services.job_request(demo_slug=demo.slug, raw_params={"seed": 12}).job
    assert unrouted.queue == settings.CELERY_CPU_QUEUE
    assert queued_messages(redis_broker, settings.CELERY_CPU_QUEUE) == cpu_before + 1
    for seed, route in enumerate(([demo.slug], [demo.family_slug], ["*"]), start=13):
        settings.GENERATION_GPU_DEMOS = route
        job = services.job_request(demo_slug=demo.slug, raw_params={"seed": seed}).job
        assert job.queue == settings.CELERY_GPU_QUEUE, route
    # Each routed job's message is on the GPU queue, and none more on the CPU queue.
    assert queued_messages(redis_broker, settings.CELERY_GPU_QUEUE) == gpu_before + 3
    assert queued_messages(redis_broker, settings.CELERY_CPU_QUEUE) == cpu_before + 1


@contextmanager
def lease_held_elsewhere(job_id) -> Iterator[None]:
    """Another worker running the job: it holds the job's lease on a database connection of its own (a
    thread's), and dies at the end of the block (its connection closes without letting go of the lease)."""
    held, die = threading.Event(), threading.Event()

    def run() -> None:
        try:
            with job_lease(job_id) as lease:
                if lease.acquired:
                    held.set()
                    die.wait(60)
                connection.close()  # dying: the lease goes with the connection, unreleased
        finally:
            connection.close()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    assert held.wait(10), "somebody else holds the job's lease"
    try:
        yield
    finally:
        die.set()
        worker.join(10)


def _queued(demo, **params) -> GenerationJob:
    with transaction.atomic():
        return services.job_request(demo_slug=demo.slug, raw_params=small(demo, **params)).job


def test_run_in_process_stores_artefacts_once(demos):
    """The worker-side service, called directly: a second delivery of the same job does nothing."""
    demo = first_demo(demos)
    job = _queued(demo)
    assert services.job_run(job_id=job.pk, worker="test@here") == "succeeded"
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED and job.attempts == 1 and job.worker == "test@here"
    assert job.progress_step == job.progress_total > 0
    assert {"queue_wait", "load", "sampling", "store", "total"} <= set(job.timings)
    samples = list(job.samples.all())
    assert samples and all(s.file.storage.exists(s.file.name) for s in samples)
    result = next(s for s in samples if s.role == "result")
    if result.content_type == "image/png":
        with result.file.open("rb") as handle:
            Image.open(handle).verify()
    assert services.job_run(job_id=job.pk, worker="test@again") == "skipped"
    assert Sample.objects.filter(job=job).count() == len(samples)
    job.refresh_from_db()
    assert job.attempts == 1 and job.worker == "test@here"


@pytest.mark.django_db(transaction=True)
def test_a_delivery_while_another_process_holds_the_lease_is_a_duplicate(demos, settings):
    # The job commits here, so its task is really sent: to a queue no worker of this session consumes, or a
    # worker left running by an earlier test could take the job (and its lease) before this test does.
    settings.CELERY_CPU_QUEUE = IDLE_QUEUE
    demo = first_demo(demos)
    job = _queued(demo)
    with lease_held_elsewhere(job.pk):
        assert services.job_run(job_id=job.pk) == "busy"
        job.refresh_from_db()
        assert job.status == Status.QUEUED and job.attempts == 0
    # The "other worker" has died: its lease went with its connection.
    with job_lease(job.pk, wait=5) as lease:
        assert lease.acquired
    assert services.job_run(job_id=job.pk) == "succeeded"


def test_cancel_before_running_means_it_never_runs(demos):
    demo = first_demo(demos)
    job = _queued(demo)
    assert services.job_cancel(job_id=job.pk).status == Status.CANCELLED
    assert services.job_run(job_id=job.pk) == "skipped"
    job.refresh_from_db()
    assert job.status == Status.CANCELLED and job.attempts == 0 and not job.samples.exists()


def test_cancel_while_running_stops_at_the_next_progress_step(demos):
    demo = first_demo(demos)
    job = _queued(demo)
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, heartbeat_at=timezone.now())
    progress = services.JobProgress(job.pk)
    progress(1, 10)
    assert GenerationJob.objects.get(pk=job.pk).progress_step == 1
    assert services.job_cancel(job_id=job.pk).cancel_requested
    with pytest.raises(services.JobCancelled):
        progress(2, 10)


def test_a_job_whose_worker_is_lost_too_often_fails(demos, settings):
    demo = first_demo(demos)
    job = _queued(demo)
    settings.GENERATION_MAX_ATTEMPTS = 2
    stale = timezone.now() - timezone.timedelta(hours=1)
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, attempts=1, heartbeat_at=stale)
    report = services.jobs_reap()
    assert report.requeued == [str(job.pk)]
    job.refresh_from_db()
    assert job.status == Status.QUEUED
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, attempts=2, heartbeat_at=stale)
    assert services.jobs_reap().failed == [str(job.pk)]
    job.refresh_from_db()
    assert job.status == Status.FAILED and "lost" in job.error
    # A delivery that arrives after that changes nothing.
    assert services.job_run(job_id=job.pk) == "skipped"


def test_the_reaper_leaves_a_live_runner_alone_and_resends_forgotten_jobs(demos, settings):
    demo = first_demo(demos)
    job = _queued(demo)
    stale = timezone.now() - timezone.timedelta(hours=1)
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, attempts=1, heartbeat_at=stale)
    with lease_held_elsewhere(job.pk):
        assert services.jobs_reap().requeued == []
    forgotten = _queued(demo, seed=99)
    GenerationJob.objects.filter(pk=forgotten.pk).update(enqueued_at=stale)
    report = services.jobs_reap()
    assert str(forgotten.pk) in report.resent and str(job.pk) in report.requeued


def test_loading_the_catalog_syncs_the_demos(db):
    """The catalog announces its load (catalog.signals.catalog_loaded); generation follows with its demos."""
    from catalog.signals import catalog_loaded

    FamilyFactory(slug="gans", name="GANs")
    # The benchmarks app listens too, and needs the papers of a whole catalog; this test is about generation.
    catalog_loaded.disconnect(dispatch_uid="benchmarks-load")
    try:
        catalog_loaded.send(sender=None, report=None)
    finally:
        from benchmarks.services import load_after_catalog

        catalog_loaded.connect(load_after_catalog, dispatch_uid="benchmarks-load")
    demo = Demo.objects.get(slug="dcgan-digits")
    assert demo.family.slug == "gans" and demo.is_active


WEB_PROCESS = """
import json, sys
import django
django.setup()
import config.urls  # every view, serializer and form the site serves
from generation.models import Demo
from generation.services import JobParamsInvalid, job_validate_params
answers = {}
for slug, schema in json.load(sys.stdin).items():
    demo = Demo(slug=slug, params_schema=schema)
    job_validate_params(demo=demo, raw={})
    try:
        job_validate_params(demo=demo, raw={"n": 0, "prefix": "a1"})
    except JobParamsInvalid as error:
        answers[slug] = sorted(error.errors)
print(json.dumps({"answers": answers, "torch": sorted(m for m in sys.modules if m.split(".")[0] == "torch")}))
"""


def test_the_web_process_validates_requests_without_importing_torch(demos):
    """A request is checked against the Demo row's stored schema; torch stays in the worker."""
    schemas = {slug: demo.params_schema for slug, demo in demos.items()}
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # the embedded default; no queries
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    done = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS],
        input=json.dumps(schemas),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["torch"] == []
    # Demos with a prefix refuse "a1" as not letters; the others refuse it as an unknown parameter.
    assert report["answers"] == {slug: ["n", "prefix"] for slug in demos}


def test_a_prefix_that_is_not_letters_is_refused_before_any_job_exists(demos):
    named = [d for d in demos.values() if d.param("prefix")]
    assert named, "the zoo lists no demo with a prefix"
    for demo in named:
        with pytest.raises(services.JobParamsInvalid) as caught:
            services.job_request(demo_slug=demo.slug, raw_params={"prefix": "Jo-3"})
        assert caught.value.errors == {"prefix": "may hold only the letters a-z"}
        assert services.job_request(demo_slug=demo.slug, raw_params={"prefix": "Jo", "n": 1}).job
    assert GenerationJob.objects.filter(params__prefix="Jo-3").count() == 0
