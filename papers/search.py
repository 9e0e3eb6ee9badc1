"""Full-text search over papers (title, summary, authors) on PostgreSQL, and a ranked, accent-folding search
on SQLite (the embedded default) that answers the same queries the same way.

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
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
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


# Letters Unicode does not decompose into a base letter and a mark, folded by hand ("Łukasz" -> "lukasz").
_FOLD = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ß": "ss", "æ": "ae",
                       "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i", "þ": "th", "ð": "d"})  # fmt: skip


def fold(text: str) -> str:
    """Lowercase without accents, so that 'Lukasz', 'łukasz' and 'Łukasz' compare equal."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_FOLD))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def _folded_words(text: str) -> list[str]:
    return [fold(word) for word in query_words(text)]


def words_match(words: list[str], *values: str) -> bool:
    """Every folded query word is a word of one of ``values``, the last one perhaps only its beginning (as
    PostgreSQL's query: all words, the last as a prefix; a trailing 's' is let go, as its stemmer would)."""
    if not words:
        return False
    haystack = _NON_WORD.sub(" ", " " + " ".join(fold(value) for value in values if value) + " ")
    *whole, last = words
    return f" {last}" in haystack and all(
        f" {word} " in haystack or f" {word}s " in haystack or f" {word.removesuffix('s')} " in haystack
        for word in whole
    )


_NON_WORD = re.compile(r"\W+")


def matching_author_ids(*, text: str) -> QuerySet | list[int]:
    """Ids of authors whose name matches, accents folded on both sides ('Lukasz' finds Łukasz Kaiser).

    PostgreSQL looks names up through the author GIN index; the folded comparison runs beside it (and alone
    on SQLite) over the author table, a few thousand short rows at most.
    """
    words = _folded_words(text)
    if not words:
        return []
    folded = [
        pk
        for pk, given, von, family in Author.objects.values_list("id", "given", "von", "family")
        if words_match(words, given, von, family)
    ]
    if uses_postgres():
        query = text_query(text=text, config=NAME_CONFIG)
        indexed = (
            Author.objects.annotate(search=AUTHOR_VECTOR).filter(search=query).values_list("id", flat=True)
        )
        return sorted(set(folded) | set(indexed))
    return folded


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
    # SQLite (the embedded default): accents folded and ranked like PostgreSQL's weights, title above summary
    # above an author's name; the papers table of a catalog is small enough to read in one query.
    folded = _folded_words(text)
    author_papers = set(by_author.values_list("paper_id", flat=True))
    ranks: dict[int, float] = {}
    for pk, title, abstract in queryset.values_list("id", "title", "abstract"):
        # Weights add up as PostgreSQL's do: a match in the title and the summary outranks one in the title.
        score = 1.0 if words_match(folded, title) else 0.0
        if words_match(folded, abstract):
            score += 0.4
        elif not score and words_match(folded, title, abstract):
            score = 0.2  # the words are spread over the title and the summary
        if pk in author_papers:
            score += 0.1
        if score:
            ranks[pk] = score
    if not ranks:
        return queryset.none().annotate(rank=Value(0.0, output_field=FloatField()))
    return queryset.filter(id__in=list(ranks)).annotate(
        rank=Case(
            *[When(id=pk, then=Value(score)) for pk, score in ranks.items()],
            default=Value(0.0),
            output_field=FloatField(),
        )
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
