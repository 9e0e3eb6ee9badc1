"""Celery tasks: thin wrappers that pass a job id to a service. Options (late ack, reject on a lost worker)
are explicit here so that they hold whatever the global Celery settings say; the time limits travel with
each job's message (services sends the task by name, with GENERATION_SOFT/HARD_TIME_LIMIT)."""

from celery import shared_task

from generation import services
from generation.worker import worker_device


@shared_task(
    bind=True, name=services.RUN_JOB_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def run_job(self, job_id: str) -> str:
    """Run (or, on a duplicate delivery, skip) one generation job."""
    return services.job_run(job_id=job_id, worker=self.request.hostname or "", device=worker_device())


@shared_task(name="generation.reap_jobs", ignore_result=True, acks_late=True)
def reap_jobs() -> dict:
    """Re-queue or fail jobs whose worker was lost; re-send forgotten queued jobs."""
    report = services.jobs_reap()
    return {"requeued": report.requeued, "failed": report.failed, "resent": report.resent}


# Latent explorer (generation/explorer.py): one content-addressed frame; a stored frame is never made again.
@shared_task(name="generation.explore_frame", ignore_result=True)
def explore_frame(model_name: str, state: dict, key: str) -> str:
    from generation import explorer

    return explorer.frame_make(model_name=model_name, state=state, key=key)
