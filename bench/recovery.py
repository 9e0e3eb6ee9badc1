"""Crash recovery and abuse, measured on the real stack (prints figures; not a test).

1. Children killed mid-job: JOBS jobs through two CPU workers, KILLS of them SIGKILLed mid-way (a pool child
   each); then lost (not succeeded), duplicated (two results), stuck (not finished) and orphan files.
2. A whole worker killed (parent and child) mid-job: the time until its job has succeeded elsewhere (the
   reaper, inside ``celery beat``, re-queues it once its heartbeat is GENERATION_HEARTBEAT_TIMEOUT old).
3. A broker restarted without persistence while jobs wait: the time from the broker being back until every
   lost job was sent again, and until all have succeeded.
4. A flood of job requests with a rotating X-Forwarded-For from one address, and hostile inputs: jobs
   created, and answers of 500 or more.

It runs its own Redis (a private server on a free port, so that restarting it disturbs nobody), its own
workers and beat, on the database DATABASE_URL names (migrated here if needed):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atlas_bench .venv/bin/python bench/recovery.py
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REDIS_PORT = free_port()
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"
MEDIA = Path(tempfile.mkdtemp(prefix="bench-recovery-media-"))
RUN = uuid.uuid4().hex[:8]
QUEUE = f"bench-recovery-{RUN}"
SEED = int(RUN, 16) % 10**6 * 1000  # seeds of this run only: an earlier run's stored jobs answer nothing
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    CELERY_BROKER_URL=REDIS_URL,
    DJANGO_MEDIA_ROOT=str(MEDIA),
    CELERY_CPU_QUEUE=QUEUE,
    CELERY_GPU_QUEUE=QUEUE,
    GENERATION_MAX_ACTIVE_PER_CLIENT="100000",
    GENERATION_MAX_QUEUED="100000",
    GENERATION_RATE_ANON="100000/minute",
    GENERATION_TORCH_THREADS="1",
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from generation import services  # noqa: E402
from generation.models import GenerationJob, Sample  # noqa: E402

Status = GenerationJob.Status
FAST = ("dcgan-digits", {"n": 4})
SLOW = ("ddpm-digits", {"n": 64, "sampler": "ddpm", "steps": 100})


def start_redis() -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(REDIS_PORT),
            "--save",
            "",
            "--appendonly",
            "no",
            "--bind",
            "127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def start(kind: str, name: str) -> tuple[subprocess.Popen, Path]:
    log = MEDIA / f"{name}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DATABASE_CONN_MAX_AGE": "0"}
    if kind == "worker":
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", f"--queues={QUEUE}", "--concurrency=1",
            f"--hostname={name}-{RUN}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO",
        ]  # fmt: skip
        ready = "generation worker process"
    else:
        command = [sys.executable, "-m", "celery", "-A", "config", "beat", f"--schedule={MEDIA / 'beat'}"]
        command.append("--loglevel=INFO")
        ready = "beat: Starting"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 180
    while ready not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{name} did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    return process, log


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def children(process: subprocess.Popen) -> list[int]:
    path = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def request(demo: str, params: dict, seed: int) -> str:
    with transaction.atomic():
        job = services.job_request(demo_slug=demo, raw_params={**params, "seed": seed}, client="bench").job
    return str(job.pk)


def finished(job_ids) -> int:
    return GenerationJob.objects.filter(pk__in=job_ids, status__in=GenerationJob.FINISHED).count()


def wait_all(job_ids, *, timeout: float) -> float:
    started = time.monotonic()
    while finished(job_ids) < len(job_ids) and time.monotonic() - started < timeout:
        time.sleep(0.2)
    return time.monotonic() - started


def audit(job_ids) -> dict:
    jobs = list(GenerationJob.objects.filter(pk__in=job_ids))
    results = {}
    for job_id in Sample.objects.filter(job__in=jobs, role="result").values_list("job_id", flat=True):
        results[job_id] = results.get(job_id, 0) + 1
    referenced = set(Sample.objects.filter(job__in=jobs).values_list("file", flat=True))
    on_disk = {
        path.relative_to(MEDIA).as_posix()
        for job in jobs
        if (MEDIA / "generation" / str(job.pk)).is_dir()
        for path in (MEDIA / "generation" / str(job.pk)).iterdir()
    }
    return {
        "lost": sum(j.status in (Status.FAILED, Status.CANCELLED) for j in jobs),
        "stuck": sum(j.status in GenerationJob.ACTIVE for j in jobs),
        "duplicated": sum(count > 1 for count in results.values()),
        "orphan files": len(on_disk - referenced),
        "second attempts": sum(j.attempts > 1 for j in jobs),
    }


def kills_mid_job(workers, *, jobs: int, kills: int) -> None:
    # A few more slow jobs than kills: one that ends before it is caught mid-way leaves a spare.
    spare = kills + max(2, kills // 4)
    slow_every = max(1, jobs // spare)
    ids, to_kill = [], set()
    for i in range(jobs):
        demo, params = SLOW if i % slow_every == 0 and len(to_kill) < spare else FAST
        job_id = request(demo, params, seed=SEED + 10_000 + i)
        ids.append(job_id)
        if demo == SLOW[0]:
            to_kill.add(job_id)
    killed: set[str] = set()
    started = time.monotonic()
    while finished(ids) < len(ids) and time.monotonic() - started < 900:
        pids = {pid for worker, _ in workers for pid in children(worker)}
        running = list(
            GenerationJob.objects.filter(
                pk__in=to_kill - killed, status=Status.RUNNING, progress_step__gte=1, worker_pid__in=pids
            ).values_list("pk", "worker_pid")
        )
        for job_id, pid in running[: kills - len(killed)]:
            os.kill(pid, signal.SIGKILL)
            killed.add(str(job_id))
        time.sleep(0.05)
    print(f"1. {len(ids)} jobs, {len(killed)} worker children killed mid-job, all ended in "
          f"{time.monotonic() - started:.0f} s: {audit(ids)}")  # fmt: skip


def whole_worker_kill(workers) -> None:
    job_id = request(*SLOW, seed=SEED + 20_000)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = GenerationJob.objects.get(pk=job_id)
        if job.status == Status.RUNNING and job.progress_step >= 1:
            break
        time.sleep(0.05)
    victim = next(w for w, _ in workers if job.worker_pid in children(w))
    os.killpg(victim.pid, signal.SIGKILL)
    took = wait_all([job_id], timeout=300)
    print(f"2. a whole worker killed mid-job: its job {GenerationJob.objects.get(pk=job_id).status} "
          f"{took:.0f} s after the kill (heartbeat timeout and reaper interval: "
          f"{django.conf.settings.GENERATION_HEARTBEAT_TIMEOUT:.0f} s, "
          f"{django.conf.settings.GENERATION_REAPER_INTERVAL:.0f} s); {audit([job_id])}")  # fmt: skip


def broker_restart(redis: subprocess.Popen, workers, *, jobs: int) -> subprocess.Popen:
    for worker, _ in workers:
        stop(worker)
    ids = [request(*FAST, seed=SEED + 30_000 + i) for i in range(jobs)]
    time.sleep(12)  # past the reaper's grace for fresh messages: they would be lost for long
    redis.kill()
    redis.wait()
    time.sleep(3)
    redis = start_redis()
    back, back_at = time.monotonic(), timezone.now()
    workers[:] = [start("worker", f"cpu{i}") for i in range(2)]
    resent_after = None
    while finished(ids) < len(ids) and time.monotonic() - back < 600:
        sent_again = GenerationJob.objects.filter(pk__in=ids).exclude(
            status=Status.QUEUED, enqueued_at__lt=back_at
        )
        if resent_after is None and sent_again.count() == len(ids):
            resent_after = time.monotonic() - back
        time.sleep(0.2)
    total = time.monotonic() - back
    resent = f"{resent_after:.0f} s" if resent_after is not None else "never"
    print(f"3. broker restarted without persistence with {jobs} jobs waiting: all sent again {resent} "
          f"and all ended {total:.0f} s after it was back (workers restarted too); {audit(ids)}")  # fmt: skip
    return redis


def flood_and_hostile(*, requests: int) -> None:
    demo = FAST[0]
    # The site's defaults; no worker runs yet, so every job made stays active, as behind a backlog.
    limits = {
        "GENERATION_MAX_ACTIVE_PER_CLIENT": 3,
        "GENERATION_MAX_QUEUED": 100,
        "GENERATION_RATE_ANON": "30/hour",
    }
    with override_settings(**limits):
        client = Client(REMOTE_ADDR="203.0.113.99")
        codes = [
            client.post(
                "/api/jobs/",
                {"demo": demo, "params": {"n": 1, "seed": SEED + 90_000 + i}},
                content_type="application/json",
                HTTP_X_FORWARDED_FOR=f"198.51.{i // 250}.{i % 250}",
            ).status_code
            for i in range(requests)
        ]
    print(f"4. {requests} job requests from one address with a rotating X-Forwarded-For: "
          f"{codes.count(202)} created (cap 3), {codes.count(429)} refused with 429")  # fmt: skip
    deep = "[" * 1000 + "]" * 1000
    hostile = [
        ("get", url, None)
        for url in (
            "/papers/?venue=%00", "/papers/?author=%00", "/papers/?family=%00", "/papers/?concept=%00",
            "/papers/?domain=%00", "/lineage/?family=%00", "/api/samples/?demo=%00", "/search/?q=%00",
        )
    ] + [("post", "/api/jobs/", deep), ("post", "/api/jobs/", '{"demo": "a\\u0000"}')]  # fmt: skip
    client = Client()
    statuses = [
        getattr(client, method)(url, body, content_type="application/json").status_code
        if body
        else client.get(url).status_code
        for method, url, body in hostile
    ]
    print(f"   {len(hostile)} hostile inputs (NUL bytes, JSON 1,000 deep): statuses {sorted(set(statuses))}, "
          f"{sum(s >= 500 for s in statuses)} at 500 or above")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--lost", type=int, default=20, help="jobs waiting when the broker restarts")
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    services.demos_sync()
    GenerationJob.objects.filter(client="bench").delete()
    redis = start_redis()
    flood_and_hostile(requests=200)
    GenerationJob.objects.filter(status__in=GenerationJob.ACTIVE).update(status=Status.CANCELLED)
    beat, _ = start("beat", "beat")
    workers = [start("worker", f"cpu{i}") for i in range(2)]
    try:
        kills_mid_job(workers, jobs=options.jobs, kills=options.kills)
        whole_worker_kill(workers)
        workers = [w for w in workers if w[0].poll() is None]
        redis = broker_restart(redis, workers, jobs=options.lost)
    finally:
        for worker, _ in workers:
            stop(worker)
        stop(beat)
        redis.kill()
        print(f"logs: {MEDIA}")


if __name__ == "__main__":
    main()
