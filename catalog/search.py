"""Site-wide search: families, concepts, example models and systems, and papers, ranked and grouped by kind.

PostgreSQL full-text search (``SearchVector``/``SearchRank``/``SearchHeadline``) with the same query rules as
``papers/search.py`` (all words, the last as a prefix); a plain ``icontains`` fallback on SQLite. The catalog
tables hold a few dozen rows, so they are scanned; papers go through the GIN indexes of the papers app.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchRank, SearchVector
from django.db.models import Q, QuerySet
from django.utils.safestring import SafeString

from catalog.models import Concept, ExampleModel, Family
from papers import search as paper_search

CONFIG = paper_search.SEARCH_CONFIG
FAMILY_VECTOR = (
    SearchVector("name", "short_name", weight="A", config=CONFIG)
    + SearchVector("summary", "key_insight", weight="B", config=CONFIG)
    + SearchVector("mechanism", "strengths", "known_problems", weight="C", config=CONFIG)
)
CONCEPT_VECTOR = SearchVector("name", weight="A", config=CONFIG) + SearchVector(
    "description", weight="B", config=CONFIG
)
MODEL_VECTOR = SearchVector("name", weight="A", config=CONFIG) + SearchVector(
    "organisation", "description", weight="B", config=CONFIG
)


@dataclass(frozen=True)
class Hit:
    kind: str
    url: str
    title: SafeString
    snippet: SafeString
    rank: float
    meta: str = ""


@dataclass
class Group:
    kind: str
    label: str
    hits: list[Hit] = field(default_factory=list)


@dataclass
class SearchResults:
    text: str
    groups: list[Group]

    @property
    def total(self) -> int:
        return sum(len(group.hits) for group in self.groups)


def _catalog_hits(
    queryset: QuerySet, *, kind: str, vector, text: str, snippet_field: str, limit: int, meta
) -> list[Hit]:
    if paper_search.uses_postgres():
        query = paper_search.text_query(text=text)
        rows = (
            queryset.annotate(search=vector, rank=SearchRank(vector, query))
            .filter(search=query)
            .annotate(
                title_hl=paper_search.headline("name", query),
                snippet_hl=paper_search.headline(snippet_field, query, fragments=1),
            )
            .order_by("-rank", "name")[:limit]
        )
        return [
            Hit(
                kind=kind,
                url=row.get_absolute_url(),
                title=paper_search.highlight(row.title_hl),
                snippet=paper_search.highlight(row.snippet_hl),
                rank=float(row.rank),
                meta=meta(row),
            )
            for row in rows
        ]
    condition = Q()
    for word in paper_search.query_words(text):
        condition &= Q(name__icontains=word) | Q(**{f"{snippet_field}__icontains": word})
    return [
        Hit(
            kind=kind,
            url=row.get_absolute_url(),
            title=paper_search.mark_words(row.name, paper_search.query_words(text)),
            snippet=paper_search.mark_words(
                getattr(row, snippet_field)[:200], paper_search.query_words(text)
            ),
            rank=0.0,
            meta=meta(row),
        )
        for row in queryset.filter(condition)[:limit]
    ]


def search_everything(*, text: str, limit: int = 10) -> SearchResults:
    """Everything matching ``text``, grouped by kind (families, concepts, models and systems, papers)."""
    if not paper_search.query_words(text):
        return SearchResults(text=text, groups=[])
    groups = [
        Group(
            "family",
            "Families",
            _catalog_hits(
                Family.objects.all(),
                kind="family",
                vector=FAMILY_VECTOR,
                text=text,
                snippet_field="summary",
                limit=limit,
                meta=lambda row: row.get_likelihood_display() + " likelihood",
            ),
        ),
        Group(
            "concept",
            "Concepts",
            _catalog_hits(
                Concept.objects.all(),
                kind="concept",
                vector=CONCEPT_VECTOR,
                text=text,
                snippet_field="description",
                limit=limit,
                meta=lambda row: "",
            ),
        ),
        Group(
            "model",
            "Models and systems",
            _catalog_hits(
                ExampleModel.objects.all(),
                kind="model",
                vector=MODEL_VECTOR,
                text=text,
                snippet_field="description",
                limit=limit,
                meta=lambda row: " · ".join(
                    str(part) for part in (row.get_kind_display(), row.year, row.organisation) if part
                ),
            ),
        ),
        Group(
            "paper",
            "Papers",
            [
                Hit(
                    kind="paper",
                    url=hit.paper.get_absolute_url(),
                    title=hit.title,
                    snippet=hit.snippet,
                    rank=hit.rank,
                    meta=" · ".join(
                        str(part)
                        for part in (hit.paper.year, hit.paper.venue, hit.paper.citation_key)
                        if part
                    ),
                )
                for hit in paper_search.search_papers(text=text, limit=limit * 2)
            ],
        ),
    ]
    return SearchResults(text=text, groups=[group for group in groups if group.hits])
