"""Writes of single papers and authors (the API's and the admin's), through the same matching as an import.

The bulk writes live beside them: BibTeX import in papers/imports.py, venues in papers/venues.py, the errata
and lineage files in papers/content_files.py; their entry points are importable from here too.
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from papers.bibtex import AuthorName, BibtexTooLarge, ParsedEntry
from papers.citations import bibtex_export
from papers.content_files import ContentReport, PapersContentError, errata_load, lineage_load
from papers.imports import ImportReport, author_ids, bibtex_import, write_entries
from papers.models import Author, Authorship, Paper
from papers.venues import venue_resolve

__all__ = [
    "BibtexTooLarge",
    "ContentReport",
    "ImportReport",
    "PapersContentError",
    "author_get_or_create",
    "bibtex_export",
    "bibtex_import",
    "errata_load",
    "lineage_load",
    "paper_authors_set",
    "paper_create",
    "paper_delete",
    "paper_update",
    "paper_upsert",
    "venue_resolve",
]


@transaction.atomic
def paper_upsert(
    *, citation_key: str = "", authors: Sequence[AuthorName] | None = None, **columns: Any
) -> tuple[Paper, str]:
    """Create or update one paper (matched like an import: DOI, arXiv id, title + year).

    Returns the paper and what happened: "created", "updated" or "unchanged". Raises ValueError with the
    reason when the record cannot be stored.
    """
    extra = columns.pop("extra_fields", None) or {}
    names = None if authors is None else [AuthorName(*a) for a in authors]
    # Only the columns given change on an update; a new paper takes the model's defaults for the rest.
    entry = ParsedEntry("", 0, citation_key, columns.get("entry_type", "misc"), columns, extra, names)
    if not entry.columns.get("title"):
        raise ValueError("a paper needs a title")
    report = ImportReport()
    write_entries([entry], report)
    if report.failed:
        raise ValueError(report.failed[0].reason)
    for outcome in ("created", "updated", "unchanged"):
        keys = getattr(report, outcome)
        if keys:
            return Paper.objects.get(citation_key=keys[0]), outcome
    raise ValueError("nothing was written")  # pragma: no cover - every path above reports


def paper_authors_set(*, paper: Paper, names: Sequence[dict[str, str]]) -> None:
    """Replace the paper's authors with these name parts, in order; existing authors are reused."""
    wanted = [
        AuthorName(*(n.get(part, "").strip() for part in ("given", "von", "family", "suffix"))) for n in names
    ]
    ids = author_ids(wanted)
    Authorship.objects.filter(paper=paper).delete()
    Authorship.objects.bulk_create(
        Authorship(paper=paper, author_id=ids[name], position=position)
        for position, name in enumerate(wanted)
    )


@transaction.atomic
def paper_create(*, data: dict[str, Any]) -> Paper:
    """A new paper from validated input: its columns, ``venue`` (a Venue or None) and ``authors`` (name parts
    in order). Unlike ``paper_upsert`` it never merges into a matching paper: the caller named a new key."""
    columns = dict(data)
    authors = columns.pop("authors", [])
    paper = Paper.objects.create(**columns)
    paper_authors_set(paper=paper, names=authors)
    return paper


@transaction.atomic
def paper_update(*, paper: Paper, data: dict[str, Any]) -> Paper:
    """Change the columns given; ``authors``, when given, replaces the whole list."""
    columns = dict(data)
    authors = columns.pop("authors", None)
    for name, value in columns.items():
        setattr(paper, name, value)
    paper.save()
    if authors is not None:
        paper_authors_set(paper=paper, names=authors)
    return paper


@transaction.atomic
def paper_delete(*, paper: Paper) -> None:
    """Delete the paper with its authorships, lineage links and family links (authors and venues stay)."""
    paper.delete()


def author_get_or_create(*, given: str = "", von: str = "", family: str, suffix: str = "") -> Author:
    """The author with exactly these name parts, created with a unique slug if new."""
    name = AuthorName(given.strip(), von.strip(), family.strip(), suffix.strip())
    return Author.objects.get(pk=author_ids([name])[name])
