"""The page cache: a hit costs one query, and any write to a table the pages read makes it miss."""

import re

import pytest
from django.test import Client

from catalog.models import FamilyPaper
from papers.models import Paper
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["/families/gans/", "/papers/?family=gans", "/papers/goodfellow2014generative/", "/search/?q=gan"]
)
def test_a_cached_page_costs_one_query(client, atlas, django_assert_num_queries, url):
    first = client.get(url)
    with django_assert_num_queries(1):  # the content version
        second = client.get(url)
    # Each response masks its CSRF token afresh (the layout's header, the selection forms); all else is equal.
    first_main, second_main = (response.content.split(b"<main")[1] for response in (first, second))
    assert _without_tokens(second_main) == _without_tokens(first_main)


def _without_tokens(html: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b'name="csrfmiddlewaretoken"', html)


def test_writes_of_any_kind_invalidate(client, atlas):
    assert b"Generative Adversarial Nets" in client.get("/families/gans/").content
    Paper.objects.filter(citation_key="goodfellow2014generative").update(title="Renamed by update()")
    assert b"Renamed by update()" in client.get("/families/gans/").content
    FamilyPaper.objects.filter(paper__citation_key="radford2016unsupervised").delete()
    assert b"radford2016unsupervised" not in client.get("/families/gans/").content
    FamilyPaper.objects.bulk_create([FamilyPaper(family=atlas.gans, paper=atlas.wavenet)])
    assert b"oord2016wavenet" in client.get("/families/gans/").content
    f.AuthorFactory(slug="new-author")  # a write elsewhere also moves the version on
    atlas.gans.concepts.remove(atlas.minimax)
    assert b"Minimax game" not in client.get("/families/gans/").content


def test_the_layout_with_its_csrf_token_is_rendered_per_request(atlas):
    one, two = Client(), Client()
    page_one = one.get("/families/gans/").content.decode()
    page_two = two.get("/families/gans/").content.decode()  # a cache hit
    token = 'hx-headers=\'{"X-CSRFToken": "'
    assert token in page_one and token in page_two
    assert page_one.split(token)[1][:20] != page_two.split(token)[1][:20]


def test_htmx_partial_and_full_page_are_cached_apart(client, atlas):
    client.get("/papers/?family=gans", HTTP_HX_REQUEST="true")
    full = client.get("/papers/?family=gans")
    assert b"<html" in full.content and b'id="filters"' in full.content
    partial = client.get("/papers/?family=gans", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content
    assert partial["HX-Push-Url"] == "/papers/?family=gans"
