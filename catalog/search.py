"""Site-wide search: families, concepts, example models and systems, and papers, ranked and grouped by kind.

PostgreSQL full-text search (``SearchVector``/``SearchRank``/``SearchHeadline``) with the same query rules as
``papers/search.py`` (all words, the last as a prefix); on SQLite the same fields and weights, accents folded.
A query that finds nothing gets a "did you mean" (:func:`suggestion`). The catalog
tables hold a few dozen rows, so they are scanned; papers go through the GIN indexes of the papers app.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchRank, SearchVector
from django.db import connection
from django.db.models import QuerySet
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
    suggestion: str = ""

    @property
    def total(self) -> int:
        return sum(len(group.hits) for group in self.groups)


def _catalog_hits(
    queryset: QuerySet, *, kind: str, vector, fields, text: str, snippet_field: str, limit: int, meta
) -> list[Hit]:
    fields_a, fields_b, fields_c = fields
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
    # SQLite: every field of the vector, accents folded, ranked by the weight of the best field that matches.
    words = paper_search.query_words(text)
    folded = [paper_search.fold(word) for word in words]
    scored = []
    for row in queryset:
        weights = [(1.0, fields_a), (0.4, fields_b), (0.2, fields_c)]
        score = next(
            (
                weight
                for weight, names in weights
                if names and paper_search.words_match(folded, *(getattr(row, name) for name in names))
            ),
            0.0,
        )
        if not score and paper_search.words_match(
            folded, *(getattr(row, name) for _, names in weights for name in names)
        ):
            score = 0.1  # the words are spread over several fields
        if score:
            scored.append((score, row))
    scored.sort(key=lambda pair: (-pair[0], pair[1].name))
    return [
        Hit(
            kind=kind,
            url=row.get_absolute_url(),
            title=paper_search.mark_words(row.name, words),
            snippet=paper_search.mark_words(getattr(row, snippet_field)[:200], words),
            rank=score,
            meta=meta(row),
        )
        for score, row in scored[:limit]
    ]


# The fields of each vector above by weight (A, B, C), for the SQLite search.
FAMILY_FIELDS = (
    ("name", "short_name"),
    ("summary", "key_insight"),
    ("mechanism", "strengths", "known_problems"),
)
CONCEPT_FIELDS = (("name",), ("description",), ())
MODEL_FIELDS = (("name",), ("organisation", "description"), ())


def suggestion(*, text: str) -> str:
    """A 'did you mean' for a query that found nothing: the closest name of a family, concept, model or
    system, by trigram similarity (pg_trgm's ``word_similarity`` on PostgreSQL, difflib on SQLite)."""
    words = paper_search.query_words(text)
    if not words:
        return ""
    names = [
        *Family.objects.values_list("name", flat=True),
        *Family.objects.values_list("short_name", flat=True),
        *Concept.objects.values_list("name", flat=True),
        *ExampleModel.objects.values_list("name", flat=True),
    ]
    candidates = sorted({word for name in names for word in paper_search.query_words(name) if len(word) > 2})
    if not candidates:
        return ""
    fixed = []
    for word in words:
        if word in candidates:
            fixed.append(word)
            continue
        best = _closest(word, candidates)
        fixed.append(best or word)
    guess = " ".join(fixed)
    return guess if guess != " ".join(words) else ""


def _closest(word: str, candidates: list[str]) -> str:
    if paper_search.uses_postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c, similarity(%s, c) AS s FROM unnest(%s::text[]) AS c "
                "WHERE similarity(%s, c) >= 0.3 ORDER BY s DESC, c LIMIT 1",
                [word, candidates, word],
            )
            row = cursor.fetchone()
        return row[0] if row else ""
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
    return matches[0] if matches else ""


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
                fields=FAMILY_FIELDS,
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
                fields=CONCEPT_FIELDS,
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
                fields=MODEL_FIELDS,
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
    found = [group for group in groups if group.hits]
    return SearchResults(text=text, groups=found, suggestion="" if found else suggestion(text=text))
