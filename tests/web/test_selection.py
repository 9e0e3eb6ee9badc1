"""The reader's selection of papers: a session basket kept across pages and filters, with exports."""

import json
import re

import bibtexparser
import pytest
from django.test import Client

from papers import selection
from tests.web.conftest import pad_papers

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
CHANGE = "/papers/selection/change/"


def _toggle(client, key: str, *, on: bool = True):
    """What an htmx checkbox sends: its key, plus the ticked boxes of its form (here only itself)."""
    data = {"toggle": key, "key": [key] if on else [], "next": "/papers/"}
    return client.post(CHANGE, data, HTTP_HX_TARGET="selection-panel", **HTMX)


def _ticked(html: str) -> set[str]:
    return set(re.findall(r'<input type="checkbox" name="key" value="([^"]+)"[^>]* checked>', html))


def _selected(client) -> list[str]:
    return client.session.get(selection.SESSION_KEY, [])


def _bibtex_keys(response) -> list[str]:
    library = bibtexparser.parse_string(response.content.decode())
    assert library.failed_blocks == []
    return [entry.key for entry in library.entries]


def test_ticks_on_two_pages_are_both_kept(client, explorer_catalog):
    pad_papers(30, family=explorer_catalog.gans)
    first = client.get("/papers/?sort=key").context["papers"][0].citation_key
    second = client.get("/papers/?sort=key&page=2").context["papers"][0].citation_key
    assert _toggle(client, first).status_code == 200
    response = _toggle(client, second)
    assert "<strong>2</strong> selected" in response.content.decode()
    assert _selected(client) == [first, second]
    # Each page comes back with its own paper ticked, in the full page and in the htmx partial alike.
    assert _ticked(client.get("/papers/?sort=key").content.decode()) == {first}
    assert _ticked(client.get("/papers/?sort=key&page=2", **HTMX).content.decode()) == {second}
    # Another filter keeps the selection too.
    assert "<strong>2</strong> selected" in client.get("/papers/?family=gans").content.decode()
    _toggle(client, first, on=False)
    assert _selected(client) == [second]


def test_export_holds_exactly_the_selection_as_valid_bibtex(client, explorer_catalog):
    for key in ["ho2020denoising", "goodfellow2014generative"]:
        _toggle(client, key)
    response = client.get("/papers/selection/export.bib")
    assert response["Content-Type"].startswith("application/x-bibtex")
    assert response["Content-Disposition"] == 'attachment; filename="selection.bib"'
    assert _bibtex_keys(response) == ["goodfellow2014generative", "ho2020denoising"]
    ris = client.get("/papers/selection/export.ris").content.decode()
    assert ris.count("TY  - ") == 2 and ris.count("ER  -") == 2
    csl = json.loads(client.get("/papers/selection/export.json").content)
    assert sorted(item["title"] for item in csl) == [
        "Denoising Diffusion Probabilistic Models",
        "Generative Adversarial Nets",
    ]


def test_a_shared_export_url_with_keys_still_exports_those_keys(client, explorer_catalog):
    _toggle(client, "oord2016wavenet")  # the session's selection does not leak into a shared link
    response = client.get("/papers/export.bib?key=ho2020denoising")
    assert _bibtex_keys(response) == ["ho2020denoising"]


def test_clear_empties_the_selection_and_goes_back(client, explorer_catalog):
    _toggle(client, "ho2020denoising")
    response = client.post("/papers/selection/clear/", {"next": "/papers/?family=gans&page=2"})
    assert response.status_code == 302 and response["Location"] == "/papers/?family=gans&page=2"
    assert _selected(client) == []
    assert _bibtex_keys(client.get("/papers/selection/export.bib")) == []
    page = client.get("/papers/?family=gans").content.decode()
    assert "Selection cleared (1 paper)." in page and "<strong>0</strong> selected" in page


def test_the_selection_is_capped_with_a_message(client, explorer_catalog):
    pad_papers(selection.LIMIT + 5, family=explorer_catalog.gans)
    keys = [f"pad{5 + n}" for n in range(selection.LIMIT + 5)]  # pad_papers numbers after the 5 papers
    response = client.post(CHANGE, {"add": keys, "next": "/papers/"})
    assert response.status_code == 302
    assert _selected(client) == keys[: selection.LIMIT]
    # The refusal waits for the page the form went back to, and is said once.
    assert (
        f"The selection holds at most {selection.LIMIT} papers; 5 not added."
        in client.get("/papers/").content.decode()
    )
    panel = _toggle(client, "ho2020denoising").content.decode()
    assert f"<strong>{selection.LIMIT}</strong> selected" in panel
    assert "; 1 not added." in panel and "5 not added" not in panel
    assert "ho2020denoising" not in _selected(client)
    _toggle(client, keys[0], on=False)  # room again
    _toggle(client, "ho2020denoising")
    assert _selected(client)[-1] == "ho2020denoising" and len(_selected(client)) == selection.LIMIT


def test_unknown_keys_are_ignored_with_a_message(client, explorer_catalog):
    response = client.post(CHANGE, {"add": ["no-such-paper", "ho2020denoising", "x" * 5000]}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not in the catalog, so not selected: no-such-paper, " in html
    assert _selected(client) == ["ho2020denoising"]
    assert _toggle(client, "<script>").status_code == 200
    assert _selected(client) == ["ho2020denoising"]
    assert client.post(CHANGE, {"remove": ["never-selected"]}).status_code == 302


def test_a_plain_form_post_redirects_back_to_the_same_url(client, explorer_catalog):
    """Without JavaScript the list page's form posts the page's keys and the ticked ones."""
    _toggle(client, "oord2016wavenet")  # ticked elsewhere: not on this page, so left alone
    here = "/papers/?venue=neurips&sort=key"
    data = {
        "shown": ["goodfellow2014generative", "ho2020denoising"],
        "key": ["ho2020denoising"],
        "next": here,
    }
    response = client.post(CHANGE, data)
    assert response.status_code == 302 and response["Location"] == here
    assert _selected(client) == ["oord2016wavenet", "ho2020denoising"]
    data["key"] = ["goodfellow2014generative"]
    client.post(CHANGE, data)
    assert _selected(client) == ["oord2016wavenet", "goodfellow2014generative"]
    # Somewhere else is not a place to go back to.
    response = client.post(CHANGE, {"add": ["ho2020denoising"], "next": "https://elsewhere.example/"})
    assert response["Location"] == "/papers/"


def test_the_list_page_form_posts_to_the_selection_with_its_token(client, explorer_catalog):
    html = client.get("/papers/?sort=key").content.decode()
    form = re.search(r'<form id="selection" action="([^"]+)" method="post">(.*?)</form>', html).groups()
    assert form[0] == CHANGE
    assert re.search(r'name="csrfmiddlewaretoken" value="\w{64}"', form[1])
    assert '<input type="hidden" name="next" value="/papers/?sort=key" form="selection">' in html
    assert html.count('name="shown"') == 5
    assert 'hx-vals=\'{"toggle": "goodfellow2014generative"}\'' in html


def test_htmx_gets_the_panel_alone(client, explorer_catalog):
    response = _toggle(client, "ho2020denoising")
    html = response.content.decode()
    assert "<html" not in html and html.strip().startswith('<section id="selection-panel"')
    assert "HX-Request" in response["Vary"]
    assert 'href="/papers/selection/export.bib"' in html and 'href="/papers/selection/"' in html


def test_a_paper_page_adds_and_removes_it(client, explorer_catalog):
    page = client.get("/papers/ho2020denoising/").content.decode()
    assert 'name="add" value="ho2020denoising"' in page and "Add to selection" in page
    target = {"HTTP_HX_TARGET": "paper-selection", **HTMX}
    response = client.post(CHANGE, {"add": "ho2020denoising", "next": "/papers/ho2020denoising/"}, **target)
    html = response.content.decode()
    assert html.strip().startswith('<div id="paper-selection"')
    assert "Remove from selection" in html and "1 selected" in html
    page = client.get("/papers/ho2020denoising/").content.decode()
    assert 'name="remove" value="ho2020denoising"' in page
    response = client.post(CHANGE, {"remove": "ho2020denoising", "next": "/papers/ho2020denoising/"})
    assert response["Location"] == "/papers/ho2020denoising/"
    assert _selected(client) == []


def test_selection_page_lists_papers_in_the_order_ticked(client, explorer_catalog):
    assert "Nothing selected yet" in client.get("/papers/selection/").content.decode()
    for key in ["oord2016wavenet", "goodfellow2014generative"]:
        _toggle(client, key)
    response = client.get("/papers/selection/")
    assert [paper.citation_key for paper in response.context["papers"]] == [
        "oord2016wavenet",
        "goodfellow2014generative",
    ]
    client.post(CHANGE, {"remove": "oord2016wavenet", "next": "/papers/selection/"})
    assert [p.citation_key for p in client.get("/papers/selection/").context["papers"]] == [
        "goodfellow2014generative"
    ]


def test_one_readers_selection_is_not_cached_for_another(explorer_catalog):
    reader, other = Client(), Client()
    reader.get("/papers/?sort=key")
    _toggle(reader, "goodfellow2014generative")
    assert _ticked(reader.get("/papers/?sort=key").content.decode()) == {"goodfellow2014generative"}
    page = other.get("/papers/?sort=key").content.decode()  # the same cached content
    assert _ticked(page) == set() and "<strong>0</strong> selected" in page
    paper = other.get("/papers/goodfellow2014generative/").content.decode()
    reader_paper = reader.get("/papers/goodfellow2014generative/").content.decode()
    assert "Add to selection" in paper and "Remove from selection" in reader_paper


def test_changes_need_a_csrf_token(explorer_catalog):
    client = Client(enforce_csrf_checks=True)
    assert client.post(CHANGE, {"add": "ho2020denoising"}).status_code == 403
    assert client.post("/papers/selection/clear/").status_code == 403
    assert client.get(CHANGE).status_code == 405
