"""``manage.py import_bibtex FILE [FILE ...] [--partial]``: files in order, so a strings file goes first."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from papers.imports import BibtexTooLarge, bibtex_import


class Command(BaseCommand):
    help = (
        "Import BibTeX files in the order given (@string macros carry over, so put a strings file first). "
        "All-or-nothing unless --partial. Papers are matched by DOI, then arXiv id, then title and year."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument(
            "--partial", action="store_true", help="import the good entries even when some blocks fail"
        )

    def handle(self, *args, files: list[Path], partial: bool, **options):
        missing = [str(path) for path in files if not path.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        try:
            report = bibtex_import(paths=files, partial=partial)
        except BibtexTooLarge as exc:
            raise CommandError(str(exc)) from None
        verbose = options["verbosity"] >= 2
        for outcome in ("created", "updated", "unchanged"):
            keys = getattr(report, outcome)
            if verbose and keys:
                self.stdout.write(f"{outcome}: {', '.join(keys)}")
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        for duplicate in report.duplicates:
            if duplicate not in report.failed:
                self.stderr.write(f"duplicate: {duplicate}")
        for failure in report.failed:
            self.stderr.write(self.style.ERROR(f"failed: {failure}"))
        self.stdout.write(report.summary())
        if report.failed:
            raise CommandError(f"{len(report.failed)} block(s) failed", returncode=1)
