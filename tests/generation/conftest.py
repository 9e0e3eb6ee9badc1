"""Fixtures of the generation tests: the real zoo's demos synced into the database, media in a temporary
folder, the Redis broker on per-run queue names, and real ``celery worker`` subprocesses that use the same
PostgreSQL test database as the test (so tests that need them use ``transactional_db``: committed rows)."""

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.db import connection

from config.celery import app as celery_app
from generation.models import Demo, GenerationJob
from generation.services import demos_sync
from tests.factories import FamilyFactory

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("GENERATION_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
RUN_ID = uuid.uuid4().hex[:10]
CPU_QUEUE = f"test-{RUN_ID}-cpu"
GPU_QUEUE = f"test-{RUN_ID}-gpu"
IDLE_QUEUE = f"test-{RUN_ID}-idle"  # no worker consumes it: messages stay there to be counted


@pytest.fixture(scope="session")
def media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("generation-media")


@pytest.fixture(autouse=True)
def _generation_settings(settings, media_root):
    """Media in a temporary folder, this run's queue names, generous limits (limit tests set their own)."""
    settings.MEDIA_ROOT = str(media_root)
    settings.CELERY_CPU_QUEUE = CPU_QUEUE
    settings.CELERY_GPU_QUEUE = GPU_QUEUE
    settings.GENERATION_GPU_DEMOS = []
    settings.GENERATION_MAX_ACTIVE_PER_CLIENT = 1000
    settings.GENERATION_MAX_QUEUED = 1000
    settings.GENERATION_RATE_ANON = "100000/minute"
    settings.GENERATION_RATE_USER = "100000/minute"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def redis_broker():
    """Send tasks through the real Redis (a database of its own), whatever the default broker is."""
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = REDIS_URL
    celery_app._after_fork()  # drop connection pools made for the previous broker
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    for key in client.scan_iter(f"test-{RUN_ID}-*"):
        client.delete(key)
    celery_app.conf.broker_url = previous
    celery_app._after_fork()


def queued_messages(client: redis.Redis, queue: str) -> int:
    """Messages waiting in a queue (kombu keeps one Redis list per queue and priority step)."""
    return sum(client.llen(key) for key in client.scan_iter(f"{queue}*") if client.type(key) == b"list")


@pytest.fixture
def demos(db):
    """The zoo's demos as Demo rows, each linked to a catalog family made for it."""
    from generation.zoo import demos as zoo

    for slug in sorted({slug for demo in zoo.list_demos() for slug in demo.families}):
        FamilyFactory(slug=slug, name=slug.replace("-", " ").title())
    demos_sync()
    return {demo.slug: demo for demo in Demo.objects.all()}


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    name: str

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def child_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="session")
def worker_factory(django_db_setup, django_db_blocker, media_root, tmp_path_factory):
    """Start real ``celery -A config worker`` processes on the test database; stopped at the end."""
    started: dict[tuple, Worker] = {}
    with django_db_blocker.unblock():
        db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )

    def start(
        *, queue: str = CPU_QUEUE, concurrency: int = 1, name: str = "cpu", app: str = "config", **env
    ) -> Worker:
        """A worker of the Celery ``app`` (a test may name its own, e.g. one with a fault injected)."""
        key = (queue, concurrency, name, app, tuple(sorted(env.items())))
        if key in started and started[key].process.poll() is None:
            return started[key]
        log = tmp_path_factory.mktemp("worker") / f"{name}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_CPU_QUEUE": CPU_QUEUE,
            "CELERY_GPU_QUEUE": GPU_QUEUE,
            "DJANGO_MEDIA_ROOT": str(media_root),
            "GENERATION_TORCH_THREADS": "1",
            "GENERATION_PROGRESS_INTERVAL": "0.05",
            "PYTHONUNBUFFERED": "1",
            **{k: str(v) for k, v in env.items()},
        }
        command = [
            sys.executable, "-m", "celery", "-A", app, "worker", f"--queues={queue}",
            f"--concurrency={concurrency}", f"--hostname={name}-{RUN_ID}@%h", "--pool=prefork",
            "--without-gossip", "--without-mingle", "--loglevel=INFO",
        ]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(process=process, log=log, name=f"{name}-{RUN_ID}")
        wait_for(
            lambda: " ready." in worker.text() or process.poll() is not None, timeout=90, what="worker start"
        )
        assert process.poll() is None, f"worker exited:\n{worker.text()}"
        started[key] = worker
        return worker

    yield start
    for worker in started.values():
        if worker.process.poll() is None:
            os.killpg(worker.process.pid, signal.SIGTERM)
    for worker in started.values():
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.process.pid, signal.SIGKILL)
    # The workers' server processes end a moment after their clients: wait, so the test database can go.
    with django_db_blocker.unblock(), connection.cursor() as cursor:

        def others() -> list:
            cursor.execute(
                "SELECT client_port, state, left(query, 200) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.fetchall()

        wait_for(lambda: not others(), timeout=15, what="the workers' database sessions to end")


def wait_job(job_id, *, statuses=GenerationJob.FINISHED, timeout: float = 60) -> GenerationJob:
    """Poll the database (as a browser or API client would) until the job reaches one of ``statuses``."""

    def reached():
        job = GenerationJob.objects.get(pk=job_id)
        return job if job.status in statuses else None

    return wait_for(reached, timeout=timeout, interval=0.1, what=f"job {job_id} to be {statuses}")
