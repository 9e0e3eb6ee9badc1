"""``python manage.py reap_jobs``: re-queue or fail jobs whose worker was lost (also run by Celery beat)."""

from django.core.management.base import BaseCommand

from generation.services import jobs_reap


class Command(BaseCommand):
    help = "Re-queue running jobs whose worker stopped heartbeating; fail them after GENERATION_MAX_ATTEMPTS."

    def handle(self, *args, **options):
        report = jobs_reap()
        self.stdout.write(
            f"requeued {len(report.requeued)}, failed {len(report.failed)}, re-sent {len(report.resent)}"
        )
