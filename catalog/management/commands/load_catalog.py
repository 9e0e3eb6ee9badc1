"""``python manage.py load_catalog``: load or update papers and the catalog from the content files."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.content_files import CatalogContentError
from catalog.services import CONTENT_DIR, PAPERS_DIR, catalog_load


class Command(BaseCommand):
    help = (
        "Load papers/content/atlas.bib (+ errata.yaml, lineage.yaml) through the papers services, then "
        "catalog/content/*.yaml. Idempotent: a second run changes nothing. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--content-dir", type=Path, default=CONTENT_DIR, help="catalog YAML folder")
        parser.add_argument("--papers-dir", type=Path, default=PAPERS_DIR, help="papers content folder")
        parser.add_argument(
            "--no-papers", action="store_true", help="skip the papers; link to papers already stored"
        )
        parser.add_argument(
            "--prune", action="store_true", help="delete catalog records the files no longer name"
        )

    def handle(self, *args, content_dir, papers_dir, no_papers, prune, **options):
        try:
            report = catalog_load(
                content_dir=content_dir, papers_dir=None if no_papers else papers_dir, prune=prune
            )
        except CatalogContentError as exc:
            raise CommandError(f"{exc} (nothing was written)") from None
        for line in report.lines():
            self.stdout.write(line)
        if report.changed:
            self.stdout.write(self.style.SUCCESS(f"Catalog loaded: {report.changed} records changed."))
        else:
            self.stdout.write(self.style.SUCCESS("Catalog loaded: nothing changed."))
