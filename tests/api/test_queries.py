"""List endpoints cost the same number of queries with 10 papers as with 1,000."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import FamilyPaper
from papers.models import Author, Authorship, Paper

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/papers/?page_size=500",
    "/api/papers/?page_size=500&family=gans&ordering=year",
    "/api/papers/?q=generative&page_size=500",
    "/api/papers/?format=bibtex",
    "/api/papers/?format=ris&has_arxiv=false",
    "/api/papers/?format=csljson&page_size=500",
    "/api/families/",
    "/api/families/gans/",
    "/api/families/gans/?format=bibtex",
    "/api/authors/?page_size=500",
    "/api/authors/aaron-van-den-oord/",
    "/api/venues/",
    "/api/venues/nips/",
    "/api/concepts/",
    "/api/domains/",
    "/api/models/",
    "/api/taxonomy/",
]


def _add_papers(api_catalog, count: int) -> None:
    """``count`` papers in the GAN family at NIPS, each with two authors (one shared), minimax concept."""
    start = Paper.objects.count()
    papers = Paper.objects.bulk_create(
        Paper(
            citation_key=f"extra{start + i}2019generative",
            title=f"Generative paper {start + i}",
            year=2019,
            venue=api_catalog["nips"],
        )
        for i in range(count)
    )
    authors = Author.objects.bulk_create(
        Author(slug=f"extra-author-{start + i}", given="A", family=f"Extra{start + i}") for i in range(count)
    )
    Authorship.objects.bulk_create(
        [Authorship(paper=p, author=a, position=0) for p, a in zip(papers, authors, strict=True)]
        + [Authorship(paper=p, author=api_catalog["oord"], position=1) for p in papers]
    )
    FamilyPaper.objects.bulk_create(FamilyPaper(family=api_catalog["gans"], paper=p) for p in papers)
    api_catalog["minimax"].papers.add(*papers)


def _counts(client) -> dict[str, int]:
    counts = {}
    for path in PATHS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        counts[path] = len(queries)
    return counts


def test_query_counts_do_not_grow_with_the_number_of_papers(client, api_catalog):
    _add_papers(api_catalog, 7)
    small = _counts(client)
    _add_papers(api_catalog, 990)
    assert Paper.objects.count() == 1000
    large = _counts(client)
    assert large == small
    assert client.get("/api/papers/?format=bibtex").content.decode().count("@") == 1000
