"""The queue for real: jobs go through Redis to ``celery worker`` subprocesses that write to the same
PostgreSQL test database. Crash recovery (a SIGKILLed child, a job that always kills its worker), duplicate
delivery, and routing to the GPU queue."""

import io
import os
import signal
from pathlib import Path

import pytest
from django.db import transaction
from PIL import Image

from generation import services
from generation.models import Demo, GenerationJob, Sample
from generation.tasks import run_job
from tests.generation.conftest import CPU_QUEUE, GPU_QUEUE, wait_for, wait_job
from tests.generation.test_services import first_demo, small

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
Status = GenerationJob.Status


def request(demo: Demo, **params) -> GenerationJob:
    with transaction.atomic():
        return services.job_request(demo_slug=demo.slug, raw_params=params, client="test").job


def slow_request(demos) -> tuple[Demo, dict]:
    """A request that runs for a while, to be killed or cancelled mid-way: the demo whose 'steps' allows the
    most, at that maximum, the most samples, with an all-steps sampler if it has one."""
    candidates = [d for d in demos.values() if d.param("steps") and d.param("n") and d.checkpoint_sha256]
    assert candidates, "the zoo lists no demo with a 'steps' parameter"
    demo = max(candidates, key=lambda d: d.param("steps")["maximum"])
    params = {"n": int(demo.param("n")["maximum"]), "steps": int(demo.param("steps")["maximum"])}
    sampler = demo.param("sampler")
    if sampler and "ddpm" in sampler["choices"]:
        params["sampler"] = "ddpm"
    return demo, params


def test_a_request_runs_on_the_worker_and_stores_a_valid_artefact(demos, worker_factory):
    worker = worker_factory()
    demo = first_demo(demos)
    job = wait_job(request(demo, **small(demo)).pk)
    assert job.status == Status.SUCCEEDED, f"{job.error}\n{worker.text()[-3000:]}"
    assert job.attempts == 1 and job.worker.startswith(worker.name) and job.device == "cpu"
    assert job.queue == CPU_QUEUE and job.progress_step == job.progress_total
    assert job.timings["queue_wait"] >= 0 and job.timings["sampling"] >= 0
    # torch lives in the pool's child only: the parent that forks it never loaded it.
    assert "libtorch" not in Path(f"/proc/{worker.process.pid}/maps").read_text()
    assert "libtorch" in Path(f"/proc/{job.worker_pid}/maps").read_text()
    result = job.samples.get(role="result")
    data = result.file.open("rb").read()
    assert len(data) == result.size > 0
    if result.content_type == "image/png":
        image = Image.open(io.BytesIO(data))
        image.verify()
        assert image.format == "PNG"
    else:
        assert result.content_type.startswith("text/") and data.decode("utf-8").strip()


def kill_its_child_mid_job(job: GenerationJob, worker) -> GenerationJob:
    """SIGKILL the pool child running ``job`` once it has made its first step; the job as it was then."""
    running = wait_job(job.pk, statuses=(Status.RUNNING,), timeout=60)
    wait_for(
        lambda: GenerationJob.objects.filter(pk=job.pk, progress_step__gte=1).exists(),
        timeout=60,
        interval=0.02,
        what="the first progress step",
    )
    assert running.worker_pid in worker.child_pids()
    os.kill(running.worker_pid, signal.SIGKILL)
    return running


def test_sigkill_of_the_worker_child_mid_job_completes_exactly_once(demos, worker_factory):
    worker = worker_factory()
    demo, params = slow_request(demos)
    job = request(demo, **params)
    running = kill_its_child_mid_job(job, worker)
    done = wait_job(job.pk, timeout=120)
    assert done.status == Status.SUCCEEDED, f"{done.error}\n{worker.text()[-3000:]}"
    assert done.attempts == 2
    assert done.worker_pid != running.worker_pid
    names = list(Sample.objects.filter(job=done).values_list("name", flat=True))
    assert len(names) == len(set(names)) and names
    assert Sample.objects.filter(job=done, role="result").count() == 1


def test_a_job_that_always_kills_its_worker_fails_after_n_attempts(demos, worker_factory, settings):
    settings.CELERY_CPU_QUEUE = queue = f"{CPU_QUEUE}-killer"
    killer = worker_factory(
        queue=queue,
        name="killer",
        app="tests.generation.crashing_worker",
        GENERATION_TEST_KILL_AT_STEP=1,
        GENERATION_MAX_ATTEMPTS=3,
    )
    demo, params = slow_request(demos)
    job = request(demo, **params)
    try:
        done = wait_job(job.pk, timeout=180)
    except AssertionError as error:
        state = GenerationJob.objects.filter(pk=job.pk).values("status", "attempts").first()
        raise AssertionError(f"{state}\n{killer.text()[-3000:]}") from error
    assert done.status == Status.FAILED, killer.text()[-3000:]
    assert done.attempts == 3 and "3 attempts" in done.error
    assert not done.samples.exists()
    # No endless loop: nothing is left in the queue, the worker stays idle.
    assert killer.process.poll() is None
    assert GenerationJob.objects.get(pk=job.pk).attempts == 3


def test_a_duplicate_delivery_makes_one_sample(demos, worker_factory, settings):
    settings.CELERY_CPU_QUEUE = queue = f"{CPU_QUEUE}-pair"
    worker = worker_factory(queue=queue, name="pair", concurrency=2)
    demo, params = slow_request(demos)
    job = request(demo, **params)
    # The same task again, as a broker may deliver it twice (e.g. after a visibility timeout).
    run_job.apply_async((str(job.pk),), queue=queue)
    run_job.apply_async((str(job.pk),), queue=queue)
    done = wait_job(job.pk, timeout=120)
    assert done.status == Status.SUCCEEDED, worker.text()[-3000:]
    wait_for(lambda: worker.text().count("succeeded in") >= 3, timeout=60, what="all three deliveries")
    done.refresh_from_db()
    assert done.attempts == 1
    assert Sample.objects.filter(job=done, role="result").count() == 1


def test_jobs_routed_to_the_gpu_queue_run_on_the_gpu_worker(demos, worker_factory, settings):
    gpu = worker_factory(queue=GPU_QUEUE, name="gpu0")
    demo = first_demo(demos)
    settings.GENERATION_GPU_DEMOS = [demo.family_slug]
    job = request(demo, **small(demo, seed=21))
    assert job.queue == GPU_QUEUE
    done = wait_job(job.pk)
    assert done.status == Status.SUCCEEDED, gpu.text()[-3000:]
    assert done.worker.startswith(gpu.name)


def test_cancel_stops_a_running_job_at_its_next_step(demos, worker_factory):
    worker = worker_factory()
    demo, params = slow_request(demos)
    job = request(demo, **{**params, "seed": 7})
    wait_for(
        lambda: GenerationJob.objects.filter(pk=job.pk, progress_step__gte=1).exists(),
        timeout=60,
        interval=0.02,
        what="the first progress step",
    )
    services.job_cancel(job_id=job.pk)
    done = wait_job(job.pk, timeout=30)
    assert done.status == Status.CANCELLED, worker.text()[-3000:]
    assert done.progress_step < done.progress_total and not done.samples.exists()
