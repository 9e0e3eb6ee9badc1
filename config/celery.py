"""The Celery app. Workers: ``celery -A config worker -Q cpu -n cpu1@%h`` on CPU machines, and one per
GPU, ``CUDA_VISIBLE_DEVICES=N celery -A config worker -Q gpu -c 1 -n gpuN@%h``. Which demos go to the GPU
queue is a setting (GENERATION_GPU_DEMOS); Celery options come from Django settings prefixed CELERY_."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _worker_defaults(sender: Celery, **kwargs) -> None:
    """A pool child imports torch when it starts (generation.worker): on a busy machine that takes longer
    than Celery's default 4 s for a child to report up, and the parent would kill and restart it for ever.
    CELERY_WORKER_PROC_ALIVE_TIMEOUT in the settings overrides this."""
    from django.conf import settings

    if not hasattr(settings, "CELERY_WORKER_PROC_ALIVE_TIMEOUT"):
        sender.conf.worker_proc_alive_timeout = 120.0
    # The reaper runs inside beat, not behind the jobs on a queue (generation/beat.py).
    if not hasattr(settings, "CELERY_BEAT_SCHEDULER"):
        sender.conf.beat_scheduler = "generation.beat:Scheduler"


@app.on_after_finalize.connect
def _schedule_reaper(sender: Celery, **kwargs) -> None:
    """The reaper runs in Celery beat's own process (``worker -B`` in the embedded default): the scheduler
    in generation/beat.py calls it there, so it never waits on a queue."""
    from django.conf import settings

    interval = settings.GENERATION_REAPER_INTERVAL
    sender.conf.beat_schedule = {
        **(sender.conf.beat_schedule or {}),
        "generation-reap-jobs": {
            "task": "generation.reap_jobs",
            "schedule": interval,
            "options": {"queue": settings.CELERY_CPU_QUEUE, "expires": interval},
        },
    }
