"""The embedded default, as a laptop user runs it: SQLite, the SQLAlchemy broker on a SQLite file (no Redis),
and ``manage.py serve_with_worker`` starting the web server and a worker together. A job asked for over HTTP
succeeds and its artefact is served."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.generation.conftest import ROOT, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    # Generous: the first request also starts the embedded worker's model loading on this busy machine.
    with urllib.request.urlopen(request, timeout=90) as response:
        return response.status, json.loads(response.read())


def test_serve_with_worker_runs_a_job_with_no_broker_server(tmp_path):
    from generation.zoo import demos as zoo

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DJANGO_", "GENERATION_")) and key != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'atlas.sqlite3'}",
        CELERY_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        GENERATION_TORCH_THREADS="1",
        GENERATION_REAPER_INTERVAL="1",
        PYTHONUNBUFFERED="1",
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v0"], ["sync_demos"]):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=240)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*manage, "serve_with_worker", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: " ready." in log.read_text(errors="replace"), timeout=120, what="the worker")
        base = f"http://127.0.0.1:{port}"

        def answering():
            try:
                return call(f"{base}/api/demos/")[0] == 200
            except OSError:
                return False

        wait_for(answering, timeout=60, interval=0.5, what="the web server")
        demo = next(d for d in zoo.list_demos() if any(p.name == "n" for p in d.params))
        status, created = call(f"{base}/api/jobs/", {"demo": demo.slug, "params": {"n": 1, "seed": 1}})
        assert status == 202, created

        def finished():
            job = call(created["url"])[1]
            return job if job["status"] in ("succeeded", "failed", "cancelled") else None

        job = wait_for(finished, timeout=120, interval=0.5, what="the job")
        assert job["status"] == "succeeded", (job, log.read_text(errors="replace")[-3000:])
        with urllib.request.urlopen(job["samples"][0]["url"], timeout=10) as artefact:
            assert artefact.headers["X-Content-Type-Options"] == "nosniff"
            assert artefact.read()
        # Crash recovery on this broker rests on the reaper: beat runs it itself, never through a queue.
        reaped = re.compile(r"beat: ran generation\.reap_jobs in beat")
        wait_for(lambda: reaped.search(log.read_text(errors="replace")), timeout=60, what="the reaper")
        assert "Couldn't apply scheduled task" not in log.read_text(errors="replace")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        time.sleep(0.1)
