"""ETag and Last-Modified on lists and details; a conditional GET answers 304."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/papers/", "/api/papers/dinh2015nice/", "/api/families/", "/api/families/gans/"]
)
def test_etag_then_304(client, api_catalog, path):
    first = client.get(path)
    assert first.status_code == 200 and first["ETag"]
    again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert client.get(path, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_etag_changes_when_the_record_changes(client, staff_client, api_catalog):
    etag = client.get("/api/papers/dinh2015nice/")["ETag"]
    staff_client.patch("/api/papers/dinh2015nice/", {"pages": "99--100"}, format="json")
    assert client.get("/api/papers/dinh2015nice/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_paper_detail_has_last_modified(client, api_catalog):
    response = client.get("/api/papers/dinh2015nice/")
    assert response["Last-Modified"].endswith("GMT")
    again = client.get("/api/papers/dinh2015nice/", HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
    assert again.status_code == 304


def test_bibtex_and_json_have_different_etags(client, api_catalog):
    json_tag = client.get("/api/papers/dinh2015nice/")["ETag"]
    bib = client.get("/api/papers/dinh2015nice/", HTTP_ACCEPT="application/x-bibtex")
    assert bib["ETag"] != json_tag
    assert (
        client.get(
            "/api/papers/dinh2015nice/", HTTP_ACCEPT="application/x-bibtex", HTTP_IF_NONE_MATCH=bib["ETag"]
        ).status_code
        == 304
    )
