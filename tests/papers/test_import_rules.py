"""One rule for every way in (command line, API, staff page): all or nothing unless asked to skip failed
entries, UTF-8 only, and only http(s) URLs, each refusal naming its line; a stored non-web URL is never a
link."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from papers.imports import bibtex_import
from papers.models import Author, Paper, Venue
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

GOOD = (
    "@article{fine2020, title = {A Fine Paper}, author = {Doe, Jane}, journal = {J. Fine}, year = {2020}}\n"
)
SCRIPT_URL = (
    "@misc{evil2021,\n  title = {Click Me},\n  author = {Roe, Rick},\n  year = {2021},\n"
    "  url = {javascript:alert(1)}\n}\n"
)
DIRTY = GOOD + "\n" + SCRIPT_URL


@pytest.fixture
def staff_page(db) -> Client:
    user = get_user_model().objects.create_user("editor", password="pw-editor-1", is_staff=True)
    page = Client()
    page.force_login(user)
    return page


@pytest.fixture
def staff_api(db) -> APIClient:
    user = get_user_model().objects.create_user("api-editor", password="pw-editor-2", is_staff=True)
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_javascript_url_is_refused_with_its_line():
    report = bibtex_import(text=DIRTY)
    assert report.rolled_back and not Paper.objects.exists()
    [failure] = report.failed
    line, key, reason = failure
    assert line == 3 and key == "evil2021" and "only http(s)" in reason
    partial = bibtex_import(text=DIRTY, partial=True)
    assert partial.created == ["fine2020"]
    fine = bibtex_import(text=SCRIPT_URL.replace("javascript:alert(1)", "https://example.org/evil"))
    assert fine.ok and Paper.objects.get(citation_key="evil2021").url == "https://example.org/evil"


def test_a_stored_non_web_url_is_never_rendered_as_a_link():
    paper = PaperFactory(citation_key="stored2019", url="javascript:alert(document.cookie)")
    html = Client().get(paper.get_absolute_url()).content.decode()
    assert 'href="javascript:' not in html and "Publisher page" not in html
    paper.url = "https://example.org/stored"
    paper.save()
    assert 'href="https://example.org/stored"' in Client().get(paper.get_absolute_url()).content.decode()


def test_the_staff_page_is_all_or_nothing_unless_asked(staff_page):
    upload = SimpleUploadedFile("dirty.bib", DIRTY.encode(), content_type="text/x-bibtex")
    preview = staff_page.post("/papers/import/", {"file": upload})
    assert preview.status_code == 200 and "skip the failed entries" in preview.content.decode()
    refused = staff_page.post("/papers/import/", {"action": "confirm"})
    assert refused.status_code == 400 and "Nothing was written" in refused.content.decode()
    assert not Paper.objects.exists() and not Author.objects.exists() and not Venue.objects.exists()
    skipped = staff_page.post("/papers/import/", {"action": "confirm", "partial": "on"})
    assert skipped.status_code == 200 and skipped.context["confirmed"]
    assert list(Paper.objects.values_list("citation_key", flat=True)) == ["fine2020"]


def test_latin_1_is_refused_alike_by_the_command_line_the_api_and_the_page(tmp_path, staff_api, staff_page):
    data = ("% a comment\n" + GOOD.replace("A Fine Paper", "Un article très fin")).encode("latin-1")
    path = tmp_path / "latin1.bib"
    path.write_bytes(data)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("import_bibtex", str(path), stdout=out, stderr=err)
    assert "not UTF-8" in out.getvalue() + err.getvalue() and "line 2" in out.getvalue() + err.getvalue()
    assert not Paper.objects.exists()
    api = staff_api.post("/api/papers/import/", data=data, content_type="text/x-bibtex")
    assert api.status_code == 400 and "not UTF-8" in api.json()["detail"] and "line 2" in api.json()["detail"]
    page = staff_page.post("/papers/import/", {"file": SimpleUploadedFile("latin1.bib", data)})
    assert page.status_code == 400 and "not UTF-8" in page.content.decode()
    assert not Paper.objects.exists()
