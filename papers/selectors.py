"""Reads for papers: what the exporters, pages and API list."""

from collections.abc import Iterable

from django.db.models import QuerySet

from papers.models import Paper


def papers_for_export(
    *, family_slug: str | None = None, keys: Iterable[str] | None = None
) -> QuerySet[Paper]:
    """Papers to export, ordered by citation key: all, a family's reading list, and/or the given keys.

    The family filter goes through the catalog's FamilyPaper rows (``family_papers``) by name, so that
    ``papers`` does not import ``catalog``.
    """
    papers = Paper.objects.all()
    if family_slug:
        papers = papers.filter(family_papers__family__slug=family_slug)
    if keys is not None:
        papers = papers.filter(citation_key__in=[key.strip() for key in keys if key.strip()])
    return papers.order_by("citation_key").distinct()


def papers_with_authors() -> QuerySet[Paper]:
    """Papers with venue and ordered authorships loaded, for listings (no N+1)."""
    return Paper.objects.select_related("venue").prefetch_related("authorships__author")
