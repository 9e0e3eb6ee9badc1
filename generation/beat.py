"""The Celery beat scheduler of the project: the reaper runs inside beat itself, never through a job queue.

Sent as a task, the reaper waited behind the very jobs whose workers it had to recover (and expired there):
recovery depended on the queue draining. Entries whose task is in RUN_IN_BEAT are called in the beat
process instead; every other entry is sent as usual. Beat runs once per deployment (``celery -A config
beat``, or ``worker --beat`` in the embedded default), and the reaper is safe to run anywhere anyway.
"""

import logging

from celery.beat import PersistentScheduler
from django.db import close_old_connections

logger = logging.getLogger(__name__)

# Tasks (by name) that beat runs itself: short, database-only, and needed most when the queues are full.
RUN_IN_BEAT = frozenset({"generation.reap_jobs"})


class Scheduler(PersistentScheduler):
    def apply_entry(self, entry, producer=None):
        if entry.task not in RUN_IN_BEAT:
            return super().apply_entry(entry, producer)
        close_old_connections()
        try:
            result = self.app.tasks[entry.task](*entry.args, **entry.kwargs)
        except Exception:
            logger.exception("beat: %s failed", entry.task)
        else:
            logger.info("beat: ran %s in beat: %s", entry.task, result)
        finally:
            close_old_connections()
        return None
