"""The project's Celery app with a fault injected, for crash-recovery tests only: every pool child SIGKILLs
itself when a job reports progress step GENERATION_TEST_KILL_AT_STEP. A test worker loads it with
``celery -A tests.generation.crashing_worker worker``; production code knows nothing of it."""

import os
import signal

from celery.signals import worker_process_init

from config.celery import app

__all__ = ["app"]


@worker_process_init.connect(weak=False)
def _die_at_a_progress_step(**kwargs) -> None:
    from generation import services

    kill_at = int(os.environ["GENERATION_TEST_KILL_AT_STEP"])
    report = services.JobProgress.__call__

    def report_or_die(progress, step: int, total: int) -> None:
        if step >= kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        report(progress, step, total)

    services.JobProgress.__call__ = report_or_die
