"""Site-wide search over the real catalog, the same queries and answers on PostgreSQL and on SQLite (run this
file with DATABASE_URL=sqlite:///... too): family prose is searched, accents fold, typos get a suggestion."""

import pytest
from django.db import connection

from catalog.search import search_everything, suggestion
from catalog.services import catalog_load
from papers.search import fold, search_papers

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(db):
    report = catalog_load()
    assert report.papers is not None and not report.papers.failed


def _urls(results, kind):
    return [hit.url for group in results.groups if group.kind == kind for hit in group.hits]


def test_family_prose_is_searched(catalog):
    families = _urls(search_everything(text="mode collapse"), "family")
    assert families[0] == "/families/gans/", connection.vendor  # where it is a known problem, first


@pytest.mark.parametrize("text", ["Łukasz", "Lukasz", "łukasz kaiser", "LUKASZ"])
def test_accents_fold_both_ways(catalog, text):
    papers = _urls(search_everything(text=text), "paper")
    assert "/papers/vaswani2017attention/" in papers, connection.vendor


def test_a_typo_gets_did_you_mean(catalog):
    results = search_everything(text="difusion")
    assert results.total == 0 and results.suggestion == "diffusion"
    assert suggestion(text="diffusion") == ""  # a word the catalog knows is not corrected


def test_papers_are_ranked_title_first(catalog):
    hits = search_papers(text="diffusion")
    assert len(hits) > 3 and hits[0].rank >= hits[-1].rank > 0
    assert "iffusion" in hits[0].paper.title


def test_fold():
    assert fold("Łukasz Kaiser") == fold("Lukasz KAISER") == "lukasz kaiser"
    assert fold("Aäron") == "aaron"


def test_did_you_mean_on_the_page(client, catalog):
    response = client.get("/search/", {"q": "difusion"})
    assert "Did you mean" in response.content.decode() and "?q=diffusion" in response.content.decode()
