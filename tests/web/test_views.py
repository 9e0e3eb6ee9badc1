"""View behaviour through the test client: context, htmx partials, downloads, filters, import, security."""

import json

import bibtexparser
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from papers.models import Paper
from tests import factories as f

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_home_lists_families_and_taxonomy_with_generation_slots(client, explorer_catalog):
    response = client.get("/")
    assert [family.slug for family in response.context["families"]] == ["gans", "diffusion-models"]
    assert response.context["tree"][0].node.slug == "explicit-density"
    html = response.content.decode()
    assert 'hx-get="/generation/families/gans/latest-thumbnail/"' in html
    assert "Implicit density" in html


def test_family_page_orders_seminal_first_and_has_demo_slot(client, explorer_catalog):
    response = client.get("/families/diffusion-models/")
    entries = response.context["reading"].entries
    assert [entry.paper.citation_key for entry in entries] == ["sohldickstein2015deep", "ho2020denoising"]
    html = response.content.decode()
    assert 'hx-get="/generation/families/diffusion-models/demo/"' in html
    assert "Stable Diffusion" in html and "DiffWave" in html
    assert "/families/diffusion-models/cite.bib" in html


def test_family_cite_all_is_parseable_bibtex(client, explorer_catalog):
    response = client.get("/families/gans/cite.bib")
    assert response["Content-Disposition"] == 'attachment; filename="gans.bib"'
    library = bibtexparser.parse_string(response.content.decode())
    assert {entry.key for entry in library.entries} == {"goodfellow2014generative", "radford2016unsupervised"}


def test_papers_list_full_page_then_partial_on_htmx(client, explorer_catalog):
    full = client.get("/papers/?family=gans")
    assert full.status_code == 200
    assert b"<html" in full.content and b'id="filters"' in full.content
    assert "HX-Request" in full["Vary"]
    partial = client.get("/papers/?family=gans", **HTMX)
    assert b"<html" not in partial.content and b'id="results"' in partial.content
    assert b'id="filters"' not in partial.content
    assert "HX-Request" in partial["Vary"]
    keys = {paper.citation_key for paper in partial.context["papers"]}
    assert keys == {"goodfellow2014generative", "radford2016unsupervised"}


def test_history_restore_request_gets_the_full_page(client, explorer_catalog):
    response = client.get(
        "/papers/?family=gans", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert b"<html" in response.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("domain=audio", {"oord2016wavenet"}),
        ("concept=denoising", {"sohldickstein2015deep", "ho2020denoising"}),
        ("venue=neurips", {"goodfellow2014generative", "ho2020denoising"}),
        ("author=ian-goodfellow", {"goodfellow2014generative"}),
        ("year_from=2016&year_to=2016", {"radford2016unsupervised", "oord2016wavenet"}),
        ("q=adversarial", {"goodfellow2014generative", "radford2016unsupervised"}),
        ("q=goodfell", {"goodfellow2014generative"}),  # author name, as a prefix while typing
        ("q=oord", {"oord2016wavenet"}),
        ("family=diffusion-models&year_from=2019", {"ho2020denoising"}),
        (
            "year_from=notayear",
            {
                "goodfellow2014generative",
                "radford2016unsupervised",
                "sohldickstein2015deep",
                "ho2020denoising",
                "oord2016wavenet",
            },
        ),
    ],
)
def test_papers_list_filters(client, explorer_catalog, query, expected):
    response = client.get(f"/papers/?{query}", **HTMX)
    assert {paper.citation_key for paper in response.context["papers"]} == expected


def test_papers_list_sorts_and_paginates(client, explorer_catalog):
    oldest = client.get("/papers/?sort=oldest").context["papers"]
    assert [paper.year for paper in oldest] == sorted(paper.year for paper in oldest)
    by_title = client.get("/papers/?sort=title").context["papers"]
    assert [paper.title for paper in by_title] == sorted(paper.title for paper in by_title)
    for n in range(30):
        f.PaperFactory(citation_key=f"extra{n}", title=f"Extra {n}", year=1999)
    page2 = client.get("/papers/?page=2&sort=key", **HTMX)
    assert page2.context["page"].number == 2
    assert len(page2.context["papers"]) == 35 - 25
    assert b"page=1" in page2.content  # the previous link keeps the filters and is a real href


def test_export_selection_and_filtered_export(client, explorer_catalog):
    response = client.get("/papers/export.bib?key=ho2020denoising&key=goodfellow2014generative")
    assert response["Content-Type"].startswith("application/x-bibtex")
    keys = {entry.key for entry in bibtexparser.parse_string(response.content.decode()).entries}
    assert keys == {"ho2020denoising", "goodfellow2014generative"}
    filtered = client.get("/papers/export.bib?venue=neurips")
    keys = {entry.key for entry in bibtexparser.parse_string(filtered.content.decode()).entries}
    assert keys == {"ho2020denoising", "goodfellow2014generative"}


def test_paper_page_shows_citation_lineage_erratum_and_bibtex(client, explorer_catalog):
    response = client.get("/papers/ho2020denoising/")
    html = response.content.decode()
    assert "@inproceedings{ho2020denoising" in response.context["bibtex"]
    assert "https://doi.org/10.5555/3495724.3496298" in html and "https://arxiv.org/abs/2006.11239" in html
    assert "/papers/sohldickstein2015deep/" in html  # builds on (revives)
    assert "/papers/ho2020denoising/cite.ris" in html and "/papers/ho2020denoising/cite.json" in html
    thermo = client.get("/papers/sohldickstein2015deep/").content.decode()
    assert "Eric A. Weiss" in thermo and "/papers/ho2020denoising/" in thermo  # erratum; built upon by


def test_paper_downloads(client, explorer_catalog):
    ris = client.get("/papers/oord2016wavenet/cite.ris")
    assert ris["Content-Type"].startswith("application/x-research-info-systems")
    text = ris.content.decode()
    assert text.startswith("TY  - GEN\r\n") and "AU  - van den Oord, Aäron\r\n" in text
    assert text.rstrip().endswith("ER  -")
    csl = json.loads(client.get("/papers/oord2016wavenet/cite.json").content)
    assert csl[0]["author"] == [{"family": "Oord", "given": "Aäron", "non-dropping-particle": "van den"}]
    assert csl[0]["issued"] == {"date-parts": [[2016]]}
    bib = client.get("/papers/oord2016wavenet/cite.bib")
    assert bibtexparser.parse_string(bib.content.decode()).entries[0].key == "oord2016wavenet"
    assert client.get("/papers/nosuchkey/cite.ris").status_code == 404


def test_author_and_venue_pages(client, explorer_catalog):
    author = client.get("/papers/authors/ian-goodfellow/")
    assert [paper.citation_key for paper in author.context["papers"]] == ["goodfellow2014generative"]
    assert author.context["coauthors"][0][0].slug == "yoshua-bengio"
    venue = client.get("/papers/venues/neurips/")
    assert venue.context["page"].paginator.count == 2


def test_search_page_full_and_partial(client, explorer_catalog):
    full = client.get("/search/?q=diffusion")
    kinds = [group.kind for group in full.context["results"].groups]
    assert kinds == ["family", "model", "paper"]
    assert b"<html" in full.content
    partial = client.get("/search/?q=diffu", **HTMX)
    assert b"<html" not in partial.content and b'id="search-results"' in partial.content
    assert b"<mark>Diffusion</mark>" in partial.content
    assert "HX-Request" in partial["Vary"]


def test_lineage_draws_nodes_as_links_and_edges(client, explorer_catalog):
    response = client.get("/lineage/")
    picture = response.context["picture"]
    assert {node.paper.citation_key for node in picture.nodes} >= {
        "goodfellow2014generative",
        "ho2020denoising",
    }
    assert len(picture.edges) == 2
    assert b'<a href="/papers/ho2020denoising/" class="node">' in response.content
    partial = client.get("/lineage/?family=gans", **HTMX)
    assert b"<html" not in partial.content and b"<svg" in partial.content


def test_compare_reads_the_records(client, explorer_catalog):
    response = client.get("/compare/")
    rows = dict(response.context["rows"])
    assert rows["Likelihood"] == ["None (implicit)", "Lower bound"]
    assert rows["Sampling"] == ["One network pass", "Iterative refinement"]
    assert rows["Training stability"][0] == "Unstable: mode collapse"


def test_unknown_records_are_404(client, explorer_catalog):
    for url in ["/families/nope/", "/papers/nope/", "/papers/authors/nope/", "/concepts/nope/", "/models/x/"]:
        assert client.get(url).status_code == 404


def test_user_text_is_escaped_everywhere(client, explorer_catalog):
    evil = "<img src=x onerror=alert(1)>"
    f.PaperFactory(citation_key="evil2020", title=evil, abstract=f"About {evil} things", year=2020)
    for url in ["/papers/evil2020/", "/papers/?q=onerror", "/search/?q=img", "/papers/?q=" + evil]:
        html = client.get(url).content.decode()
        assert evil not in html, url
    assert "&lt;img src=x onerror=alert(1)&gt;" in client.get("/papers/evil2020/").content.decode()


def test_content_security_policy_allows_only_self(client, explorer_catalog):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.content.decode()
    assert "<script>" not in html and " style=" not in html  # nothing inline to allow


def test_body_sends_the_csrf_token_with_htmx_requests(client, explorer_catalog):
    html = client.get("/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(user)
    return client


BIB = """@article{smith2020new,
  author = {Smith, Jane},
  title = {A New Thing},
  journal = {Journal of Things},
  year = {2020},
}

@article{broken,
  title = {No closing brace},
"""


def test_import_needs_staff(client, explorer_catalog):
    assert client.get("/papers/import/").status_code == 302


def test_import_previews_then_confirms(staff_client, explorer_catalog):
    upload = SimpleUploadedFile("mine.bib", BIB.encode(), content_type="text/x-bibtex")
    preview = staff_client.post("/papers/import/", {"file": upload})
    assert preview.status_code == 200
    assert not Paper.objects.filter(citation_key="smith2020new").exists()  # the preview wrote nothing
    summary = {label: count for label, count, _ in preview.context["summary"]}
    assert summary["new"] == 1 and summary["failed"] >= 1
    assert preview.context["failures"][0][0]  # a line number
    # A failed entry: skipping it is a choice, as --partial is on the command line.
    confirmed = staff_client.post("/papers/import/", {"action": "confirm", "partial": "on"})
    assert confirmed.status_code == 200 and confirmed.context["confirmed"]
    assert Paper.objects.filter(citation_key="smith2020new").exists()


def test_import_refuses_a_file_over_the_cap(staff_client, explorer_catalog):
    big = SimpleUploadedFile("big.bib", b"%" * (settings.BIBTEX_MAX_BYTES + 1))
    response = staff_client.post("/papers/import/", {"file": big})
    assert response.status_code == 413
    assert b"the limit is" in response.content


def test_import_forms_need_csrf(explorer_catalog, django_user_model):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(django_user_model.objects.create_user("s2", password="pw", is_staff=True))
    upload = SimpleUploadedFile("mine.bib", BIB.encode())
    assert strict.post("/papers/import/", {"file": upload}).status_code == 403


def test_api_viewers_with_inline_scripts_are_exempt_from_the_policy(client):
    assert "Content-Security-Policy" in client.get("/healthz/")
    assert "Content-Security-Policy" not in client.get("/api/docs/")
