"""``python manage.py serve_with_worker [ADDRPORT]``: the embedded default in one command — Django's
development server in the foreground and a Celery worker (with beat, which runs the reaper) beside it, on
whatever broker CELERY_BROKER_URL names (by default a SQLite file: no server to install).

What the SQLite-file broker does not guarantee: it is polled (a job waits up to a second before a worker
sees it), it serves one machine only, and a message a worker had taken when it crashed may not come back;
the reaper then re-queues the job from the database (GENERATION_HEARTBEAT_TIMEOUT,
GENERATION_REQUEUE_QUEUED_AFTER), so no job stays stuck, only later.

The worker's torch threads: GENERATION_TORCH_THREADS, or else the usable cores less one (the web server runs
here too), divided by --concurrency (generation.worker). A worker that took every core sampled several times
slower than the command-line sampler whenever anything else ran.
"""

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from generation.worker import torch_threads_for


class Command(BaseCommand):
    help = "Run the development server and a Celery worker (with the reaper) together."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--concurrency", type=int, default=1, help="Worker processes (default 1).")

    def handle(self, *args, addrport, concurrency, **options):
        queues = ",".join(dict.fromkeys([settings.CELERY_CPU_QUEUE, settings.CELERY_GPU_QUEUE]))
        schedule = settings.BASE_DIR / "var" / "celerybeat-schedule"
        schedule.parent.mkdir(exist_ok=True)
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--beat", f"--schedule={schedule}",
            f"--queues={queues}", f"--concurrency={concurrency}", "--hostname=embedded@%h", "--loglevel=INFO",
        ]  # fmt: skip
        _declare_queues(queues.split(","))
        self.stdout.write(f"worker: {' '.join(command)}")
        self.stdout.write(f"worker: {torch_threads_for(concurrency)} torch thread(s) per process")
        worker = subprocess.Popen(command, cwd=settings.BASE_DIR)
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            worker.send_signal(signal.SIGTERM)  # warm shutdown: the running job finishes or is re-queued
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


def _declare_queues(names: list[str]) -> None:
    """Create the broker's queues before the worker and beat start. On the SQLite-file broker both would
    otherwise race to insert the same queue row, and beat's producer never recovers from losing that race
    (the reaper would then never be sent)."""
    from kombu import Queue

    from config.celery import app

    with app.connection_for_write() as connection:
        for name in names:
            Queue(name, routing_key=name)(connection.default_channel).declare()
