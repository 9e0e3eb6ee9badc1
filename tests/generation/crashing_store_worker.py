"""The project's Celery app with a fault injected, for the orphan-file test only: a pool child SIGKILLs
itself right after its first attempt at a job has written an artefact file, before the rows that name it
are committed. A test worker loads it with ``celery -A tests.generation.crashing_store_worker worker``."""

import os
import re
import signal

from celery.signals import worker_process_init

from config.celery import app

__all__ = ["app"]
FIRST_ATTEMPT_ARTEFACT = re.compile(r"^generation/[0-9a-f-]{36}/a1-")


@worker_process_init.connect(weak=False)
def _die_after_writing_a_first_attempt_s_file(**kwargs) -> None:
    from django.core.files.storage import FileSystemStorage

    save = FileSystemStorage.save

    def save_then_die(storage, name, *args, **kwargs):
        stored = save(storage, name, *args, **kwargs)
        if FIRST_ATTEMPT_ARTEFACT.match(stored):
            os.kill(os.getpid(), signal.SIGKILL)
        return stored

    FileSystemStorage.save = save_then_die
