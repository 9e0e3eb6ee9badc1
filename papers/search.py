"""Full-text search over papers (title, abstract, authors) on PostgreSQL, with a plain fallback on SQLite.

Papers: PostgreSQL keeps each paper's vector (title weight A, abstract weight B; ``PAPER_VECTOR``) in the
generated column ``search_vector`` with a GIN index (papers/migrations/0003), so that ranking many matches
reads a stored vector instead of parsing every abstract again. Authors: a GIN expression index on
``AUTHOR_VECTOR`` (0002); the planner uses it only for that very expression, so queries go through the
constant. Results as you type: the last word is matched as a prefix (``diffu`` finds "diffusion").

The site-wide search across families, concepts and models lives in ``catalog/search.py`` (the catalog sits
above the papers app) and reuses :func:`text_query` and :func:`highlight`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from papers.models import Author, Authorship, Paper

SEARCH_CONFIG = "english"
NAME_CONFIG = "simple"  # names are not English words: no stemming, no stop words

# What the generated column holds (see the migration); kept here as the definition of a paper's vector.
PAPER_VECTOR = SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
    "abstract", weight="B", config=SEARCH_CONFIG
)
AUTHOR_VECTOR = SearchVector("given", "von", "family", config=NAME_CONFIG)

PAPER_INDEX_NAME = "paper_search_vector_gin"
AUTHOR_INDEX_NAME = "author_search_gin"

# ts_headline markers: control characters cannot come from a query or a title, so we can escape the
# whole headline and only then turn the markers into <mark> tags.
_START, _STOP = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 12


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def paper_vector() -> RawSQL:
    """The stored vector column (PostgreSQL only). Unqualified: no other joined table has such a column."""
    return RawSQL("search_vector", [], output_field=SearchVectorField())


def query_words(text: str) -> list[str]:
    """The words of a typed query, lowercased; punctuation and tsquery operators are dropped."""
    return [word.lower() for word in _WORD.findall(text or "")][:MAX_QUERY_WORDS]


def text_query(*, text: str, config: str = SEARCH_CONFIG) -> SearchQuery | None:
    """All words must match; the last one as a prefix, so results come while the user is still typing."""
    words = query_words(text)
    if not words:
        return None
    terms = [*words[:-1], f"{words[-1]}:*"]
    return SearchQuery(" & ".join(terms), search_type="raw", config=config)


def highlight(value: str | None) -> SafeString:
    """Escape a ts_headline result, then turn its markers into <mark> elements."""
    escaped = escape(value or "")
    return mark_safe(escaped.replace(_START, "<mark>").replace(_STOP, "</mark>"))


def mark_words(value: str, words: list[str]) -> SafeString:
    """The SQLite fallback's highlighting: escape, then mark words starting with a query word."""
    escaped = str(escape(value or ""))
    if not words:
        return mark_safe(escaped)
    pattern = re.compile(r"\b(" + "|".join(re.escape(str(escape(word))) for word in words) + r")\w*", re.I)
    return mark_safe(pattern.sub(lambda match: f"<mark>{match.group(0)}</mark>", escaped))


def headline(field: str, query: SearchQuery, *, fragments: int = 0) -> SearchHeadline:
    options = {"max_fragments": fragments, "max_words": 30, "min_words": 12} if fragments else {}
    return SearchHeadline(
        field,
        query,
        config=query.config or SEARCH_CONFIG,
        start_sel=_START,
        stop_sel=_STOP,
        highlight_all=not fragments,
        **options,
    )


def matching_author_ids(*, text: str) -> QuerySet:
    """Ids of authors whose name matches (uses the author GIN index on PostgreSQL)."""
    if uses_postgres():
        query = text_query(text=text, config=NAME_CONFIG)
        if query is None:
            return Author.objects.none().values("id")
        return Author.objects.annotate(search=AUTHOR_VECTOR).filter(search=query).values("id")
    condition = Q()
    for word in query_words(text):
        condition &= Q(given__icontains=word) | Q(family__icontains=word) | Q(von__icontains=word)
    return Author.objects.filter(condition).values("id")


def filter_papers(queryset: QuerySet, *, text: str) -> QuerySet:
    """Papers of ``queryset`` matching ``text`` in title, abstract or an author's name, annotated ``rank``.

    Each kind of match is a subquery with its own GIN index (the stored paper vector, the author names);
    the outer query only looks ids up and ranks the matches from the stored vectors.
    """
    words = query_words(text)
    if not words:
        return queryset.annotate(rank=Value(0.0, output_field=FloatField()))
    by_author = Authorship.objects.filter(author__in=matching_author_ids(text=text)).values("paper_id")
    if uses_postgres():
        query = text_query(text=text)
        by_text = Paper.objects.annotate(search=paper_vector()).filter(search=query).values("id")
        return queryset.filter(Q(id__in=by_text) | Q(id__in=by_author)).annotate(
            rank=SearchRank(paper_vector(), query)
        )
    condition = Q()
    for word in words:
        condition &= Q(title__icontains=word) | Q(abstract__icontains=word)
    return queryset.filter(condition | Q(id__in=by_author)).annotate(
        rank=Value(0.0, output_field=FloatField())
    )


@dataclass(frozen=True)
class PaperHit:
    paper: Paper
    rank: float
    title: SafeString
    snippet: SafeString


def search_papers(*, text: str, limit: int = 20) -> list[PaperHit]:
    """The best ``limit`` papers for ``text``, ranked, title and abstract highlighted.

    Two queries: rank the matches, then build headlines for the few shown (ts_headline is costly).
    """
    query = text_query(text=text)
    if query is None:
        return []
    ranked = list(
        filter_papers(Paper.objects.all(), text=text)
        .order_by(F("rank").desc(), "-year", "title")
        .values_list("id", "rank")[:limit]
    )
    if not ranked:
        return []
    ids = [paper_id for paper_id, _ in ranked]
    papers = Paper.objects.filter(id__in=ids).select_related("venue")
    if uses_postgres():
        papers = papers.annotate(
            title_headline=headline("title", query),
            abstract_headline=headline("abstract", query, fragments=2),
        )
    by_id = {paper.id: paper for paper in papers}
    hits = []
    for paper_id, rank in ranked:
        paper = by_id[paper_id]
        if uses_postgres():
            title = highlight(paper.title_headline)
            snippet = highlight(paper.abstract_headline) if paper.abstract else SafeString("")
        else:
            words = query_words(text)
            title, snippet = mark_words(paper.title, words), mark_words(paper.abstract[:240], words)
        hits.append(PaperHit(paper=paper, rank=float(rank or 0), title=title, snippet=snippet))
    return hits
