"""Recovery that must not wait for the job queue: the reaper runs inside a real ``celery beat`` process
while the job queue is backed up, jobs whose messages a broker restart lost are sent again on the next
reaper round, and a job whose worker is gone neither locks its client out nor shows a frozen "running"."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app as celery_app
from generation import services
from generation.models import Demo, GenerationJob
from generation.tasks import run_job
from tests.generation.conftest import CPU_QUEUE, REDIS_URL, ROOT, queued_messages, wait_for, wait_job
from tests.generation.test_services import first_demo, small

Status = GenerationJob.Status


def request(demo: Demo, **params) -> GenerationJob:
    with transaction.atomic():
        return services.job_request(demo_slug=demo.slug, raw_params=params, client="test").job


def database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_reaper_runs_in_beat_while_the_job_queue_is_backed_up(demos, settings, redis_broker, tmp_path):
    settings.CELERY_CPU_QUEUE = queue = f"{CPU_QUEUE}-backlog"
    for _ in range(30):  # a backlog nobody is draining
        run_job.apply_async((str(uuid.uuid4()),), queue=queue)
    demo = first_demo(demos)
    job = request(demo, **small(demo, seed=31))
    # Its worker died long ago: a running job with a heartbeat an hour old, and no lease held.
    GenerationJob.objects.filter(pk=job.pk).update(
        status=Status.RUNNING, attempts=1, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    log = tmp_path / "beat.log"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_CPU_QUEUE": queue,
        "GENERATION_REAPER_INTERVAL": "1",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "beat",
        f"--schedule={tmp_path / 'schedule'}",
        "--loglevel=INFO",
    ]
    with log.open("wb") as out:
        beat = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=out, stderr=out)
    try:
        requeued = wait_for(
            lambda: GenerationJob.objects.filter(pk=job.pk, status=Status.QUEUED).first(),
            timeout=45,
            interval=0.2,
            what="the reaper to re-queue the job",
        )
    except AssertionError as error:
        raise AssertionError(log.read_text(errors="replace")[-3000:]) from error
    finally:
        beat.terminate()
        beat.wait(timeout=20)
    assert requeued.attempts == 1
    assert queued_messages(redis_broker, queue) >= 31  # the backlog, and the job sent again behind it


@pytest.mark.django_db(transaction=True)
def test_jobs_whose_messages_the_broker_lost_are_sent_again_at_the_next_round(demos, settings, redis_broker):
    settings.CELERY_CPU_QUEUE = queue = f"{CPU_QUEUE}-lost"
    demo = first_demo(demos)
    jobs = [request(demo, **small(demo, seed=40 + i)) for i in range(3)]
    wait_for(lambda: queued_messages(redis_broker, queue) == 3, timeout=10, what="three messages")
    a_while_ago = timezone.now() - timedelta(seconds=30)
    GenerationJob.objects.filter(pk__in=[j.pk for j in jobs]).update(enqueued_at=a_while_ago)
    for key in redis_broker.scan_iter(f"{queue}*"):  # a broker restarted without persistence
        redis_broker.delete(key)
    fresh = request(demo, **small(demo, seed=50))  # sent after the restart: its message is there
    report = services.jobs_reap()
    assert sorted(report.resent) == sorted(str(j.pk) for j in jobs)
    assert queued_messages(redis_broker, queue) == 4
    assert str(fresh.pk) not in report.resent
    # Nothing lost now: the next round sends nothing.
    assert services.jobs_reap().resent == []


@pytest.mark.django_db
def test_a_job_whose_worker_died_does_not_lock_its_client_out_and_says_why_it_waits(demos, settings):
    settings.GENERATION_MAX_ACTIVE_PER_CLIENT = 1
    demo = first_demo(demos)
    api = APIClient(REMOTE_ADDR="192.0.2.60")
    first = api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo, seed=1)}, format="json").json()
    GenerationJob.objects.filter(pk=first["id"]).update(
        status=Status.RUNNING, attempts=1, heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    shown = api.get(first["url"]).json()
    assert shown["status"] == "running" and "No word from its worker" in shown["note"]
    page = api.get(GenerationJob.objects.get(pk=first["id"]).get_absolute_url())
    assert "No word from its worker" in page.content.decode()
    second = api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo, seed=2)}, format="json")
    assert second.status_code == 202, second.json()
    # Once reaped it waits in the queue, and says so.
    GenerationJob.objects.filter(pk=first["id"]).update(status=Status.QUEUED)
    assert "worker was lost" in api.get(first["url"]).json()["note"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_writing_its_files_and_committing_leaves_no_orphan(
    demos, worker_factory, settings, media_root
):
    settings.CELERY_CPU_QUEUE = queue = f"{CPU_QUEUE}-store"
    worker = worker_factory(queue=queue, name="store-killer", app="tests.generation.crashing_store_worker")
    demo = first_demo(demos)
    job = request(demo, **small(demo, seed=61))
    done = wait_job(job.pk, timeout=120)
    assert done.status == Status.SUCCEEDED, f"{done.error}\n{worker.text()[-3000:]}"
    assert done.attempts == 2  # the first attempt died after writing its file
    on_disk = {
        path.relative_to(media_root).as_posix()
        for path in (media_root / "generation" / str(job.pk)).iterdir()
    }
    assert on_disk == {sample.file.name for sample in done.samples.all()}
    assert not any("/a1-" in name for name in on_disk)


@pytest.mark.django_db(transaction=True)
def test_a_request_while_the_broker_is_away_is_stored_and_sent_once_it_is_back(demos, settings, redis_broker):
    settings.CELERY_CPU_QUEUE = queue = f"{CPU_QUEUE}-away"
    demo = first_demo(demos)
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens there
    celery_app._after_fork()
    try:
        api = APIClient(REMOTE_ADDR="192.0.2.80")
        started = time.monotonic()
        created = api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo, seed=81)}, format="json")
        assert created.status_code == 202, created.content
        assert time.monotonic() - started < 10
        assert services.jobs_reap().resent == []  # nothing can be sent while the broker is away
    finally:
        celery_app.conf.broker_url = previous
        celery_app._after_fork()
    assert queued_messages(redis_broker, queue) == 0
    GenerationJob.objects.filter(pk=created.json()["id"]).update(
        enqueued_at=timezone.now() - timedelta(seconds=30)
    )
    assert services.jobs_reap().resent == [created.json()["id"]]
    assert queued_messages(redis_broker, queue) == 1


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_message_the_broker_lost_does_not_lock_its_client_out(demos, settings, redis_broker):
    settings.CELERY_CPU_QUEUE = queue = f"{CPU_QUEUE}-capped"
    settings.GENERATION_MAX_ACTIVE_PER_CLIENT = 1
    demo = first_demo(demos)
    api = APIClient(REMOTE_ADDR="192.0.2.90")
    first = api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo, seed=91)}, format="json")
    assert first.status_code == 202
    wait_for(lambda: queued_messages(redis_broker, queue) == 1, timeout=10, what="its message")
    GenerationJob.objects.filter(pk=first.json()["id"]).update(
        enqueued_at=timezone.now() - timedelta(seconds=30)
    )
    blocked = api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo, seed=92)}, format="json")
    assert blocked.status_code == 429  # its first job really waits in the queue
    for key in redis_broker.scan_iter(f"{queue}*"):  # a broker restarted without persistence
        redis_broker.delete(key)
    second = api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo, seed=92)}, format="json")
    assert second.status_code == 202, second.json()
