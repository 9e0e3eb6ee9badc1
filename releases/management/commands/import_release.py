"""manage.py import_release FOLDER: load a release into an empty database."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from releases.export import ReleaseError
from releases.importing import release_import


class Command(BaseCommand):
    help = "Load a release folder (datapackage.json and its files) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="A release folder, e.g. data/releases/2026-11-29.")

    def handle(self, *args, folder: Path, **options):
        started = time.perf_counter()
        try:
            report = release_import(folder=folder)
        except ReleaseError as error:
            raise CommandError(str(error)) from None
        elapsed = time.perf_counter() - started
        for resource, count in report.counts.items():
            self.stdout.write(f"{resource}: {count} records")
        self.stdout.write(
            self.style.SUCCESS(
                f"loaded release {report.release} (schema {report.schema_version}) in {elapsed:.2f} s"
            )
        )
