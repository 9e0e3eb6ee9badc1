"""Reads come from the content-version cache; writes are seen at once; every request is still checked."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import quote_etag

from papers.models import Paper

pytestmark = pytest.mark.django_db

BIBTEX = "application/x-bibtex"


def _queries(client, path: str, **headers) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    assert response.status_code == 200, (path, response.content[:300])
    return response, len(queries)


@pytest.mark.parametrize(
    "path",
    [
        "/api/papers/?family=gans",
        "/api/families/",
        "/api/papers/?format=bibtex",
        "/api/authors/",
        "/api/taxonomy/",
    ],
)
def test_a_repeated_list_costs_fewer_queries(client, api_catalog, path):
    first, cold = _queries(client, path)
    second, warm = _queries(client, path)
    assert second.content == first.content
    assert warm < cold
    assert warm == 1  # the content version, nothing else


def test_a_cached_answer_keeps_headers_etag_and_304(client, api_catalog):
    path = "/api/papers/dinh2015nice/?format=bibtex"
    first = client.get(path)
    second = client.get(path)
    for header in ("Content-Type", "Content-Disposition", "Last-Modified", "ETag", "Vary", "Allow"):
        assert second[header] == first[header], header
    assert second["ETag"] == quote_etag(hashlib.md5(second.content).hexdigest())  # as Django computes it
    assert client.get(path, HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 304
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=second["Last-Modified"]).status_code == 304


def test_an_api_write_shows_in_the_next_read(client, staff_client, api_catalog):
    lists = ["/api/papers/", "/api/papers/?format=bibtex", "/api/families/"]
    detail = "/api/papers/dinh2015nice/"
    for path in [*lists, detail, "/api/families/normalizing-flows/?format=ris"]:
        client.get(path)

    changed = staff_client.patch(detail, {"title": "NICE, retitled"}, format="json")
    assert changed.status_code == 200

    assert client.get(detail).json()["title"] == "NICE, retitled"
    assert "retitled" in client.get("/api/papers/?format=bibtex").content.decode()
    family = client.get("/api/families/normalizing-flows/").json()
    assert "NICE, retitled" in [p["title"] for p in family["papers"]]
    assert "NICE, retitled" in client.get("/api/families/normalizing-flows/?format=ris").content.decode()

    assert staff_client.delete(detail).status_code == 204
    assert client.get(detail).status_code == 404
    keys = [row["citation_key"] for row in client.get("/api/papers/").json()["results"]]
    assert "dinh2015nice" not in keys


def test_a_created_record_replaces_a_cached_404_and_a_count(client, staff_client, api_catalog):
    assert client.get("/api/venues/neurips/").status_code == 404
    before = client.get("/api/venues/").json()["count"]
    created = staff_client.post(
        "/api/venues/", {"slug": "neurips", "name": "NeurIPS", "kind": "conference"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert client.get("/api/venues/neurips/").status_code == 200
    assert client.get("/api/venues/").json()["count"] == before + 1


def test_a_write_outside_the_api_shows_too(client, api_catalog):
    assert client.get("/api/concepts/minimax-game/").json()["papers"]
    api_catalog["minimax"].papers.clear()  # a many-to-many table, written by the ORM directly
    assert client.get("/api/concepts/minimax-game/").json()["papers"] == []


def test_the_media_type_and_host_are_part_of_the_key(client, api_catalog, settings):
    settings.ALLOWED_HOSTS = ["testserver", "atlas.example"]
    path = "/api/papers/dinh2015nice/"
    as_json = client.get(path)
    as_bibtex = client.get(path, HTTP_ACCEPT=BIBTEX)
    assert as_json["Content-Type"] == "application/json"
    assert as_bibtex["Content-Type"].startswith(BIBTEX) and as_bibtex.content.startswith(b"@")
    assert client.get(path, HTTP_ACCEPT="application/json; indent=2").content.count(b"\n") > 10
    elsewhere = client.get(path, HTTP_HOST="atlas.example").json()
    assert elsewhere["api_url"] == "http://atlas.example/api/papers/dinh2015nice/"
    assert client.get(path).json()["api_url"] == "http://testserver/api/papers/dinh2015nice/"


def test_throttles_and_authentication_still_run_on_cached_reads(client, api_catalog, settings):
    path = "/api/families/"
    assert client.get(path).status_code == 200  # now cached
    assert client.get(path, HTTP_AUTHORIZATION="Token not-a-real-token").status_code == 401
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "3/minute"},
    }
    statuses = [client.get(path).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # the first read above counted too
    assert client.get(path).json()["code"] == "throttled"


def test_a_bad_filter_is_an_error_every_time(client, api_catalog):
    for _ in range(2):
        response = client.get("/api/papers/?year=not-a-year")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
    assert Paper.objects.count() == 3
