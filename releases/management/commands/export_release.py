"""manage.py export_release [--date YYYY-MM-DD] [-o FOLDER] [--previous FOLDER | --no-previous] [--force]"""

import datetime
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from releases.export import ReleaseError, release_export


class Command(BaseCommand):
    help = "Write a release of the whole catalog (JSON Lines, .bib, CSL-JSON, datapackage.json, change log)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            default=None,
            help="The release date and name (YYYY-MM-DD); default today (UTC). The only date in the files.",
        )
        parser.add_argument(
            "-o", "--output", type=Path, help="The release folder; default RELEASES_DIR/<date>."
        )
        parser.add_argument(
            "--previous",
            type=Path,
            help="The release to diff against; default the newest earlier one beside it.",
        )
        parser.add_argument(
            "--no-previous", action="store_true", help="Diff against nothing (a first release)."
        )
        parser.add_argument("--force", action="store_true", help="Replace the folder if it exists.")

    def handle(self, *args, **options):
        name = options["date"] or datetime.datetime.now(datetime.UTC).date().isoformat()
        started = time.perf_counter()
        try:
            report = release_export(
                name=name,
                directory=options["output"],
                previous=options["previous"],
                use_previous=not options["no_previous"],
                force=options["force"],
            )
        except ReleaseError as error:
            raise CommandError(str(error)) from None
        elapsed = time.perf_counter() - started
        for resource, count in report.counts.items():
            changes = report.diff.resources[resource]
            self.stdout.write(
                f"{resource}: {count} records; {len(changes.added)} added, {len(changes.changed)} changed, "
                f"{len(changes.removed)} removed"
            )
        against = f"against {report.previous}" if report.previous else "first release, no previous one"
        self.stdout.write(self.style.SUCCESS(f"wrote {report.directory} ({against}) in {elapsed:.2f} s"))
