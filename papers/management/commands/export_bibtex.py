"""``manage.py export_bibtex [--family SLUG] [--keys K1,K2] [-o FILE]``: all papers when no filter."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from papers.citations import bibtex_export
from papers.selectors import papers_for_export


class Command(BaseCommand):
    help = "Write papers as BibTeX: all of them, a family's (--family), and/or the given keys (--keys)."

    def add_arguments(self, parser):
        parser.add_argument("--family", metavar="SLUG", help="only the papers of this catalog family")
        parser.add_argument("--keys", metavar="K1,K2", help="only these citation keys (comma-separated)")
        parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here instead of stdout")

    def handle(self, *args, family: str | None, keys: str | None, output: Path | None, **options):
        wanted = [key.strip() for key in keys.split(",") if key.strip()] if keys is not None else None
        papers = papers_for_export(family_slug=family, keys=wanted)
        if wanted:
            unknown = sorted(set(wanted) - set(papers.values_list("citation_key", flat=True)))
            if unknown:
                raise CommandError(f"unknown citation key(s): {', '.join(unknown)}")
        if family and not papers.exists():
            self.stderr.write(f"warning: no papers for family {family!r}")
        text = bibtex_export(papers=papers)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from None
        self.stderr.write(f"wrote {text.count(chr(10) + '@') + text.startswith('@')} entries to {output}")
