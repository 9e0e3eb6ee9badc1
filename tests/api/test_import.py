"""POST /api/papers/import/: a .bib as upload or body, all-or-nothing by default, a size cap answering 413."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from papers.models import Paper

pytestmark = pytest.mark.django_db

GOOD = """@article{kingma2014auto,
  author = {Kingma, Diederik P. and Welling, Max},
  title = {Auto-Encoding Variational {Bayes}},
  journal = {International Conference on Learning Representations},
  year = {2014},
}
"""
BROKEN = """
@article{broken2020,
  title = {Missing the closing brace,
  year = 2020
"""


def test_raw_body_import_reports_created(staff_client, db):
    response = staff_client.post("/api/papers/import/", data=GOOD, content_type="text/x-bibtex")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] == ["kingma2014auto"] and body["committed"] is True and body["failed"] == []
    paper = Paper.objects.get(citation_key="kingma2014auto")
    assert [a.author.family for a in paper.authorships.order_by("position")] == ["Kingma", "Welling"]
    again = staff_client.post("/api/papers/import/", data=GOOD, content_type="text/x-bibtex").json()
    assert again["unchanged"] == ["kingma2014auto"] and again["created"] == []


def test_multipart_upload(token_client, db):
    upload = SimpleUploadedFile("refs.bib", GOOD.encode(), content_type="application/x-bibtex")
    response = token_client.post("/api/papers/import/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == ["kingma2014auto"]


def test_all_or_nothing_by_default(staff_client, db):
    response = staff_client.post("/api/papers/import/", data=GOOD + BROKEN, content_type="text/x-bibtex")
    assert response.status_code == 422
    body = response.json()
    assert body["committed"] is False
    assert body["failed"][0]["line"] >= 7 and body["failed"][0]["reason"]
    assert not Paper.objects.exists()


def test_partial_keeps_the_good_entries(staff_client, db):
    response = staff_client.post(
        "/api/papers/import/?partial=true", data=GOOD + BROKEN, content_type="text/x-bibtex"
    )
    assert response.status_code == 200
    assert response.json()["created"] == ["kingma2014auto"] and len(response.json()["failed"]) == 1
    assert Paper.objects.filter(citation_key="kingma2014auto").exists()


def test_over_the_size_cap_is_a_413(staff_client, db, settings):
    settings.BIBTEX_MAX_BYTES = 200
    response = staff_client.post("/api/papers/import/", data=GOOD * 3, content_type="text/x-bibtex")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    upload = SimpleUploadedFile("refs.bib", (GOOD * 3).encode())
    assert staff_client.post("/api/papers/import/", {"file": upload}, format="multipart").status_code == 413
    assert not Paper.objects.exists()


def test_empty_or_non_utf8_input_is_a_400(staff_client, db):
    empty = staff_client.post("/api/papers/import/", {}, format="json")
    assert empty.status_code == 400 and "file" in empty.json()["fields"]
    latin1 = staff_client.post(
        "/api/papers/import/", data="@misc{a, title={Café}}".encode("latin-1"), content_type="text/x-bibtex"
    )
    assert latin1.status_code == 400 and "UTF-8" in latin1.json()["detail"]


def test_only_staff_import(client, django_user_model, db):
    assert client.post("/api/papers/import/", data=GOOD, content_type="text/x-bibtex").status_code == 401
    client.force_login(django_user_model.objects.create_user("reader", password="pw-reader-1"))
    assert client.post("/api/papers/import/", data=GOOD, content_type="text/x-bibtex").status_code == 403
    assert not Paper.objects.exists()


def test_shared_real_world_bib_imports_through_the_api(client, staff_client, shared_bib, db):
    bib = (shared_bib / "bibliography.bib").read_bytes()
    response = staff_client.post("/api/papers/import/?partial=true", data=bib, content_type="text/x-bibtex")
    assert response.status_code == 200, response.content[:500]
    report = response.json()
    assert len(report["created"]) > 10
    assert Paper.objects.count() == len(report["created"])
    # What went in comes out: one export holds every imported key.
    exported = client.get("/api/papers/?page_size=500", HTTP_ACCEPT="application/x-bibtex").content.decode()
    assert all(f"{{{key}," in exported for key in report["created"])
