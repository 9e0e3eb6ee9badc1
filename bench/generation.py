"""Benchmark of live generation, end to end through the real queue (prints figures; not a test).

For each demo: the latency of a default request (POST /api/jobs/ → the job row says succeeded) with one CPU
worker, split into queue wait, model load (the first request of a worker process only) and sampling; the
median over several warm runs. Then throughput: 20 queued jobs drained by 2 workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atlas CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/generation.py [--runs 5] [--jobs 20] [--device cpu]

The database must be migrated (``manage.py migrate``). Jobs made here are deleted at the end; artefacts go
to a temporary media folder.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
MEDIA = tempfile.mkdtemp(prefix="bench-generation-media-")
os.environ["DJANGO_MEDIA_ROOT"] = MEDIA
RUN = uuid.uuid4().hex[:8]
QUEUE = f"bench-{RUN}"
os.environ["CELERY_CPU_QUEUE"] = QUEUE
os.environ["CELERY_GPU_QUEUE"] = QUEUE  # whatever the routing says, this run's workers take every job

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from workers import start_worker, stop  # noqa: E402  (bench/workers.py, beside this script)

from generation.models import GenerationJob  # noqa: E402
from generation.services import demos_sync  # noqa: E402

CLIENT_KEY = "bench"


def start(name: str, *, device: str, threads: int) -> subprocess.Popen:
    process, _ = start_worker(f"{name}-{RUN}", queue=QUEUE, logs=Path(MEDIA), device=device, threads=threads)
    return process


def post(client: Client, demo: str, params: dict) -> str:
    response = client.post("/api/jobs/", {"demo": demo, "params": params}, content_type="application/json")
    assert response.status_code == 202, (response.status_code, response.content[:500])
    return response.json()["id"]


def wait(job_ids: list[str], *, timeout: float = 600) -> list[GenerationJob]:
    deadline = time.monotonic() + timeout
    pending = set(job_ids)
    while pending:
        done = set(
            GenerationJob.objects.filter(pk__in=pending, status__in=GenerationJob.FINISHED).values_list(
                "pk", flat=True
            )
        )
        pending -= {str(pk) for pk in done}
        if time.monotonic() > deadline:
            raise SystemExit(f"{len(pending)} jobs not finished after {timeout} s")
        if pending:
            time.sleep(0.01)
    jobs = list(GenerationJob.objects.filter(pk__in=job_ids))
    failed = [j for j in jobs if j.status != GenerationJob.Status.SUCCEEDED]
    if failed:
        raise SystemExit(f"failed: {[(j.demo_id, j.error) for j in failed]}")
    return jobs


def one(client: Client, demo: str, seed: int) -> dict:
    """One default request (only the seed set, so that no earlier result is reused), timed end to end."""
    started = time.perf_counter()
    job_id = post(client, demo, {"seed": seed})
    [job] = wait([job_id])
    total = time.perf_counter() - started
    return {
        "total": total,
        **{k: job.timings.get(k, 0.0) for k in ("queue_wait", "load", "sampling", "store")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs per demo (median reported)")
    parser.add_argument("--jobs", type=int, default=20, help="queued jobs for the throughput figure")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker process")
    parser.add_argument("--demo", action="append", help="only these demos (repeatable)")
    args = parser.parse_args()

    demos_sync()
    from generation.selectors import demo_list

    demos = list(demo_list())
    missing = [d.slug for d in demos if not d.checkpoint_sha256]
    slugs = [d.slug for d in demos if d.checkpoint_sha256 and (not args.demo or d.slug in args.demo)]
    if missing:
        print(f"not measured (no shipped checkpoint yet): {', '.join(missing)}")
    client = Client(REMOTE_ADDR="127.0.0.1")
    # The bench is the only client: lift the abuse limits for its own requests.
    from django.conf import settings

    settings.GENERATION_MAX_ACTIVE_PER_CLIENT = 10_000
    settings.GENERATION_MAX_QUEUED = 10_000
    settings.GENERATION_RATE_ANON = settings.GENERATION_RATE_USER = "1000000/hour"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1000000/hour", "user": "1000000/hour"},
    }
    seed = int(time.time()) % 1_000_000 * 100
    print(f"device={args.device} torch_threads={args.threads} runs={args.runs} queue={QUEUE}")
    worker = start("bench1", device=args.device, threads=args.threads)
    try:
        header = (
            f"{'demo':24} {'first s':>8} {'queue':>6} {'load':>6} {'sample':>7} │ {'warm median s':>13} "
            f"{'queue':>6} {'sample':>7} {'store':>6}"
        )
        print(header)
        print("-" * len(header))
        for slug in slugs:
            seed += 1
            first = one(client, slug, seed)
            warm = []
            for _ in range(args.runs):
                seed += 1
                warm.append(one(client, slug, seed))

            def med(key, runs=warm):
                return statistics.median(r[key] for r in runs)

            print(
                f"{slug:24} {first['total']:8.3f} {first['queue_wait']:6.3f} {first['load']:6.3f} "
                f"{first['sampling']:7.3f} │ {med('total'):13.3f} {med('queue_wait'):6.3f} "
                f"{med('sampling'):7.3f} {med('store'):6.3f}"
            )
    finally:
        stop(worker)

    # Throughput: two single-process workers drain a queue of jobs (round robin over the demos).
    workers = [start(f"bench{i}", device=args.device, threads=args.threads) for i in (1, 2)]
    try:
        # Warm both workers' models so that the figure is the steady state.
        warmup = [post(client, slug, {"seed": (seed := seed + 1)}) for slug in slugs for _ in (1, 2)]
        wait(warmup)
        started = time.perf_counter()
        job_ids = [
            post(client, slugs[i % len(slugs)], {"seed": (seed := seed + 1)}) for i in range(args.jobs)
        ]
        jobs = wait(job_ids)
        elapsed = time.perf_counter() - started
        per_worker = {}
        for job in jobs:
            per_worker[job.worker.split("@")[0]] = per_worker.get(job.worker.split("@")[0], 0) + 1
        print(
            f"\nthroughput: {args.jobs} queued default jobs ({len(slugs)} demos, round robin), 2 workers: "
            f"{elapsed:.2f} s, {args.jobs / elapsed:.2f} jobs/s; jobs per worker {per_worker}"
        )
    finally:
        for process in workers:
            stop(process)
        GenerationJob.objects.filter(client__startswith="ip:127.0.0.1", queue=QUEUE).delete()


if __name__ == "__main__":
    main()
