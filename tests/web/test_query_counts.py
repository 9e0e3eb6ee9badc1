"""Query counts do not grow with the data: the same pages cost the same with 10 and with 1,000 papers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.web.conftest import pad_papers

pytestmark = pytest.mark.django_db

URLS = [
    "/families/gans/",
    "/papers/?family=gans&sort=oldest",
    "/papers/?q=padded+study&year_from=1990",
    "/papers/pad5/",
    "/papers/goodfellow2014generative/",
    "/search/?q=padded",
    "/search/?q=generative",
    "/lineage/",
    "/",
]


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_query_counts_are_flat_from_10_to_1000_papers(client, explorer_catalog):
    pad_papers(10, family=explorer_catalog.gans)
    small = {url: _count(client, url) for url in URLS}
    pad_papers(990, family=explorer_catalog.gans)
    large = {url: _count(client, url) for url in URLS}
    assert large == small
    assert all(count <= 16 for count in small.values()), small
