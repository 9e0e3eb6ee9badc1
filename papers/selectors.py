"""Reads for papers: what the exporters, pages and API list."""

from collections.abc import Iterable, Sequence

from django.db.models import Prefetch, QuerySet

from papers.models import Authorship, Paper

# A list row shows neither the abstract nor the other BibTeX fields; leave them in the database.
LIST_DEFER = ("abstract", "extra_fields", "note", "editor")


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
    return Paper.objects.select_related("venue").prefetch_related(
        Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position"))
    )


def papers_in_order(*, keys: Sequence[str]) -> list[Paper]:
    """The papers with these citation keys, in the order of ``keys`` (unknown keys left out), with venue and
    ordered authors loaded: three queries."""
    position = {key: index for index, key in enumerate(keys)}
    papers = papers_with_authors().filter(citation_key__in=list(position)).defer(*LIST_DEFER)
    return sorted(papers, key=lambda paper: position[paper.citation_key])
