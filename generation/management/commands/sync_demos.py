"""``python manage.py sync_demos``: one Demo row per zoo demo (run after load_catalog, so families link)."""

from django.core.management.base import BaseCommand

from generation.services import demos_sync


class Command(BaseCommand):
    help = "Create or update the Demo rows from generation.zoo.demos.list_demos()."

    def handle(self, *args, **options):
        report = demos_sync()
        self.stdout.write(
            f"demos: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.deactivated)} deactivated"
        )
        if report.without_family:
            self.stderr.write(
                "no catalog family yet for: " + ", ".join(report.without_family) + " (run load_catalog first)"
            )
