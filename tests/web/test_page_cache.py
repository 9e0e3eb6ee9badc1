"""The page cache: a hit costs one query, and any write to a table the pages read makes it miss."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.template import Context, Template
from django.test import Client

from catalog.models import FamilyPaper
from pages import fragments
from pages.cache import TRIGGER, content_tables, install_triggers
from papers.models import Paper
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["/families/gans/", "/papers/?family=gans", "/papers/goodfellow2014generative/", "/search/?q=gan"]
)
def test_a_cached_page_costs_one_query(client, explorer_catalog, django_assert_num_queries, url):
    first = client.get(url)
    with django_assert_num_queries(1):  # the content version
        second = client.get(url)
    # Each response masks its CSRF token afresh (the layout's header, the selection forms); all else is equal.
    first_main, second_main = (response.content.split(b"<main")[1] for response in (first, second))
    assert _without_tokens(second_main) == _without_tokens(first_main)


def _without_tokens(html: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b'name="csrfmiddlewaretoken"', html)


def test_writes_of_any_kind_invalidate(client, explorer_catalog):
    assert b"Generative Adversarial Nets" in client.get("/families/gans/").content
    Paper.objects.filter(citation_key="goodfellow2014generative").update(title="Renamed by update()")
    assert b"Renamed by update()" in client.get("/families/gans/").content
    FamilyPaper.objects.filter(paper__citation_key="radford2016unsupervised").delete()
    assert b"radford2016unsupervised" not in client.get("/families/gans/").content
    FamilyPaper.objects.bulk_create(
        [FamilyPaper(family=explorer_catalog.gans, paper=explorer_catalog.wavenet)]
    )
    assert b"oord2016wavenet" in client.get("/families/gans/").content
    f.AuthorFactory(slug="new-author")  # a write elsewhere also moves the version on
    explorer_catalog.gans.concepts.remove(explorer_catalog.minimax)
    assert b"Minimax game" not in client.get("/families/gans/").content


def test_the_layout_with_its_csrf_token_is_rendered_per_request(explorer_catalog):
    one, two = Client(), Client()
    page_one = one.get("/families/gans/").content.decode()
    page_two = two.get("/families/gans/").content.decode()  # a cache hit
    token = 'hx-headers=\'{"X-CSRFToken": "'
    assert token in page_one and token in page_two
    assert page_one.split(token)[1][:20] != page_two.split(token)[1][:20]


def test_htmx_partial_and_full_page_are_cached_apart(client, explorer_catalog):
    client.get("/papers/?family=gans", HTTP_HX_REQUEST="true")
    full = client.get("/papers/?family=gans")
    assert b"<html" in full.content and b'id="filters"' in full.content
    partial = client.get("/papers/?family=gans", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content
    assert partial["HX-Push-Url"] == "/papers/?family=gans"


def test_every_content_table_bumps_the_content_version():
    """A model or many-to-many table added to a content app gets the trigger without being listed."""
    tables = set(content_tables())
    assert {"papers_paper", "catalog_family_concepts", "catalog_examplemodel_domains"} <= tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s",
            [TRIGGER],
        )
        covered = {name for (name,) in cursor.fetchall()}
    assert tables - covered == set(), "content tables whose writes would leave cached pages stale"


def test_every_app_of_the_project_with_tables_is_a_content_app_or_says_why_not():
    """A new app whose records pages show must join settings.CONTENT_APPS (pages/cache.py)."""
    root = Path(settings.BASE_DIR).resolve()
    ours = {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == root and list(config.get_models())
    }
    # Generation's jobs and samples change by the second, and no cached page or API answer shows them.
    assert ours - set(settings.CONTENT_APPS) == {"generation"}


def test_installing_the_triggers_again_changes_nothing(client, explorer_catalog):
    install_triggers()
    install_triggers()
    assert b"Generative Adversarial Nets" in client.get("/families/gans/").content
    Paper.objects.filter(citation_key="goodfellow2014generative").update(title="Renamed again")
    assert b"Renamed again" in client.get("/families/gans/").content


def test_a_visitor_slot_survives_any_place_in_a_tag_and_escaped_text_cannot_forge_one():
    html = Template(
        '{% load visitor %}<input {% visitor "tick" key=k %} type="checkbox"><p>{{ text }}</p>'
    ).render(Context({"k": "a&b -->", "text": "<!--visitor:tick key=x-->"}))
    parts = fragments.split(html)
    assert [part for part in parts if not isinstance(part, str)] == [
        fragments.Slot("tick", (("key", "a&b -->"),))
    ]
    page = fragments.compose(parts, {"tick": lambda key: " checked" if key == "a&b -->" else ""})
    assert page.startswith("<input  checked type=")
    assert "&lt;!--visitor:tick key=x--&gt;" in page
