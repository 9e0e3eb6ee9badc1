"""The papers list: filters from a query string, applied to a queryset in a fixed number of queries.

Every filter is a GET parameter, so any state of the list is a URL that can be shared, bookmarked and
reached with the back button. Family, domain and concept filters follow the relations the catalog declares
(``families``, ``example_models``, ``concepts``): the list is a page of the explorer, which may read catalog
records.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from urllib.parse import urlencode

from django.db.models import F, Prefetch, QuerySet

from catalog.models import Family
from papers import search
from papers.models import Author, Authorship, Paper, Venue

PAGE_SIZE = 25
SORTS = {
    "newest": ("Newest first", [F("year").desc(nulls_last=True), "title"]),
    "oldest": ("Oldest first", [F("year").asc(nulls_last=True), "title"]),
    "title": ("Title A–Z", ["title"]),
    "key": ("Citation key", ["citation_key"]),
    "relevance": ("Relevance", [F("rank").desc(), F("year").desc(nulls_last=True), "title"]),
}


def _year(value: str | None) -> int | None:
    try:
        year = int((value or "").strip())
    except ValueError:
        return None
    return year if 1600 <= year <= 2100 else None


@dataclass(frozen=True)
class PaperFilters:
    q: str = ""
    family: str = ""
    domain: str = ""
    concept: str = ""
    venue: str = ""
    author: str = ""
    year_from: int | None = None
    year_to: int | None = None
    sort: str = ""

    @classmethod
    def from_query(cls, params) -> PaperFilters:
        """Read filters from ``request.GET``; unknown or malformed values are ignored, never an error."""
        text = {name: (params.get(name) or "").strip()[:200] for name in ("q", "family", "domain", "concept")}
        sort = params.get("sort") or ""
        return cls(
            **text,
            venue=(params.get("venue") or "").strip()[:120],
            author=(params.get("author") or "").strip()[:120],
            year_from=_year(params.get("year_from")),
            year_to=_year(params.get("year_to")),
            sort=sort if sort in SORTS else "",
        )

    @property
    def effective_sort(self) -> str:
        return self.sort or ("relevance" if self.q else "newest")

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) not in ("", None) for f in fields(self) if f.name != "sort")

    def as_params(self, **override) -> dict:
        values = {f.name: getattr(self, f.name) for f in fields(self)} | override
        return {name: value for name, value in values.items() if value not in ("", None)}

    def querystring(self, **override) -> str:
        return urlencode(self.as_params(**override))

    def apply(self, queryset: QuerySet) -> QuerySet:
        if self.family:
            queryset = queryset.filter(id__in=Paper.objects.filter(families__slug=self.family).values("id"))
        if self.domain:
            # A paper serves a domain through the models and systems it introduced.
            queryset = queryset.filter(
                id__in=Paper.objects.filter(example_models__domains__slug=self.domain).values("id")
            )
        if self.concept:
            queryset = queryset.filter(id__in=Paper.objects.filter(concepts__slug=self.concept).values("id"))
        if self.venue:
            queryset = queryset.filter(venue__slug=self.venue)
        if self.author:
            queryset = queryset.filter(
                id__in=Authorship.objects.filter(author__slug=self.author).values("paper_id")
            )
        if self.year_from:
            queryset = queryset.filter(year__gte=self.year_from)
        if self.year_to:
            queryset = queryset.filter(year__lte=self.year_to)
        if self.q:
            queryset = search.filter_papers(queryset, text=self.q)
        sort = self.effective_sort
        if sort == "relevance" and not self.q:
            sort = "newest"
        return queryset.order_by(*SORTS[sort][1])


def papers_for_list(*, filters: PaperFilters) -> QuerySet:
    """The filtered, sorted papers with what a list row shows: venue, authors in order, families."""
    return filters.apply(
        Paper.objects.select_related("venue")
        .defer("abstract", "extra_fields", "note", "editor")
        .prefetch_related(
            Prefetch(
                "authorships", queryset=Authorship.objects.select_related("author").order_by("position")
            ),
            Prefetch("families", queryset=Family.objects.only("slug", "short_name", "name")),
        )
    )


def named_author(*, slug: str) -> Author | None:
    return Author.objects.filter(slug=slug).first() if slug else None


def venues_with_papers() -> QuerySet:
    return Venue.objects.filter(papers__isnull=False).distinct().order_by("short_name", "name")
