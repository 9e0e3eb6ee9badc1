"""The generation app's settings: a Django setting of the same name wins, then the environment, then the
default below. Every name is documented in ``.env.example``."""

from dataclasses import dataclass

import environ
from django.conf import settings

_env = environ.Env()


@dataclass(frozen=True)
class _Spec:
    cast: type
    default: object


_SPECS: dict[str, _Spec] = {
    # Queues: CPU workers consume the first, one worker per GPU the second.
    "CELERY_CPU_QUEUE": _Spec(str, "cpu"),
    "CELERY_GPU_QUEUE": _Spec(str, "gpu"),
    # Demo slugs (or family slugs, or "*") whose jobs go to the GPU queue.
    "GENERATION_GPU_DEMOS": _Spec(list, []),
    # A job whose worker died this many times is failed, not sent again.
    "GENERATION_MAX_ATTEMPTS": _Spec(int, 3),
    # The running worker writes a heartbeat this often; the reaper acts after the timeout.
    "GENERATION_HEARTBEAT_SECONDS": _Spec(float, 2.0),
    "GENERATION_HEARTBEAT_TIMEOUT": _Spec(float, 30.0),
    # A queued job nobody picked up for this long is sent again (a lost message; duplicates are harmless).
    "GENERATION_REQUEUE_QUEUED_AFTER": _Spec(float, 600.0),
    # Progress is written to the job row at most this often (plus the last step).
    "GENERATION_PROGRESS_INTERVAL": _Spec(float, 0.25),
    # Celery soft and hard time limits of one job, in seconds.
    "GENERATION_SOFT_TIME_LIMIT": _Spec(int, 300),
    "GENERATION_HARD_TIME_LIMIT": _Spec(int, 330),
    # Abuse limits: active (queued or running) jobs per client, queued jobs in all, samples per job.
    "GENERATION_MAX_ACTIVE_PER_CLIENT": _Spec(int, 3),
    "GENERATION_MAX_QUEUED": _Spec(int, 100),
    "GENERATION_MAX_SAMPLES": _Spec(int, 64),
    # DRF-style rates for job creation, anonymous clients and signed-in users.
    "GENERATION_RATE_ANON": _Spec(str, "30/hour"),
    "GENERATION_RATE_USER": _Spec(str, "120/hour"),
    # Device of this worker: "auto" picks cuda when a GPU is visible.
    "GENERATION_DEVICE": _Spec(str, "auto"),
    # Torch threads per worker process; 0: the machine's cores divided by the worker's concurrency.
    "GENERATION_TORCH_THREADS": _Spec(int, 0),
    # The reaper runs this often when Celery beat runs (embedded: inside the worker).
    "GENERATION_REAPER_INTERVAL": _Spec(float, 15.0),
}


def gen_setting(name: str):
    """The value of one generation setting (Django settings, then environment, then default)."""
    spec = _SPECS[name]
    if hasattr(settings, name):
        return getattr(settings, name)
    if name in _env.ENVIRON and _env.ENVIRON[name] != "":
        return _env.list(name) if spec.cast is list else _env.get_value(name, cast=spec.cast)
    return spec.default
