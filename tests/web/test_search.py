"""The full-text search service: ranking, grouping, highlighting, and the GIN indexes the planner uses."""

import pytest
from django.db import connection

from catalog.search import search_everything
from papers import search
from papers.models import Author, Paper
from tests import factories as f
from tests.web.conftest import pad_papers

pytestmark = pytest.mark.django_db


def test_results_are_grouped_ranked_and_highlighted(explorer_catalog):
    results = search_everything(text="denoising diffusion")
    groups = {group.kind: group for group in results.groups}
    assert {"family", "paper"} <= set(groups)
    papers = [hit.url for hit in groups["paper"].hits]
    assert papers[0] == "/papers/ho2020denoising/"  # both words in the title outrank the abstract match
    assert "<mark>Denoising</mark> <mark>Diffusion</mark>" in groups["paper"].hits[0].title
    assert groups["family"].hits[0].url == "/families/diffusion-models/"


def test_prefix_matching_while_typing_and_author_names(explorer_catalog):
    assert next(hit.paper.citation_key for hit in search.search_papers(text="adversar")) == (
        "goodfellow2014generative"
    )
    assert [hit.paper.citation_key for hit in search.search_papers(text="bengio")] == [
        "goodfellow2014generative"
    ]
    assert search.search_papers(text="   !!! ") == []
    assert search_everything(text="").groups == []


def test_operators_in_the_query_are_not_syntax(explorer_catalog):
    # tsquery operators typed by a user must not raise a syntax error
    for text in ["a & | ! :* ( )", "denoising)", "'quoted'", "c++", "<->"]:
        search_everything(text=text)


def test_highlights_escape_the_record_text(explorer_catalog):
    f.PaperFactory(citation_key="xss2021", title="<script>alert(1)</script> diffusion", year=2021)
    hit = next(hit for hit in search.search_papers(text="diffusion") if hit.paper.citation_key == "xss2021")
    assert "<script>" not in hit.title
    assert str(hit.title) == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>diffusion</mark>"


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        # Rows inserted in this test's transaction sit in the GIN pending lists until (auto)vacuum merges
        # them, which a test transaction never sees; merge them as a settled production table would be.
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [search.PAPER_INDEX_NAME])
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [search.AUTHOR_INDEX_NAME])
        cursor.execute("ANALYZE papers_paper")
        cursor.execute("ANALYZE papers_author")
    return queryset.explain()


def test_the_planner_uses_the_gin_indexes(explorer_catalog):
    pad_papers(3000, family=explorer_catalog.gans)
    Paper.objects.filter(citation_key="pad100").update(title="A rare word: quasiperiodic")
    query = search.text_query(text="quasiperiodic")
    paper_plan = _plan(Paper.objects.annotate(s=search.paper_vector()).filter(s=query).values("id"))
    assert search.PAPER_INDEX_NAME in paper_plan, paper_plan
    name_query = search.text_query(text="padder10", config=search.NAME_CONFIG)
    author_plan = _plan(Author.objects.annotate(s=search.AUTHOR_VECTOR).filter(s=name_query).values("id"))
    assert search.AUTHOR_INDEX_NAME in author_plan, author_plan
    assert [hit.paper.citation_key for hit in search.search_papers(text="quasiperiodic")] == ["pad100"]


def test_the_indexes_exist_only_as_the_migration_made_them():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN (%s, %s)",
            [search.PAPER_INDEX_NAME, search.AUTHOR_INDEX_NAME],
        )
        assert {row[0] for row in cursor.fetchall()} == {search.PAPER_INDEX_NAME, search.AUTHOR_INDEX_NAME}


def test_the_stored_vector_is_the_paper_vector(explorer_catalog):
    """The generated column holds exactly PAPER_VECTOR, and follows edits of the row."""
    Paper.objects.filter(pk=explorer_catalog.ddpm.pk).update(abstract="Completely rewritten: thermostat")
    rows = Paper.objects.annotate(stored=search.paper_vector(), computed=search.PAPER_VECTOR).values_list(
        "stored", "computed"
    )
    assert all(stored == computed for stored, computed in rows)
    assert [hit.paper.citation_key for hit in search.search_papers(text="thermostat")] == ["ho2020denoising"]


def test_fallback_highlighting_escapes_then_marks():
    """SQLite's fallback marks words too, after escaping the record's text."""
    marked = search.mark_words("<b>Diffusion</b> models & diffusers", ["diffu"])
    assert str(marked) == "&lt;b&gt;<mark>Diffusion</mark>&lt;/b&gt; models &amp; <mark>diffusers</mark>"
