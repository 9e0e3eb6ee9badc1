"""Input the database cannot hold or the parser cannot walk is a 400 that says what was wrong, never a 500:
NUL characters in a path, query parameter, form field or JSON string, and JSON nested a thousand deep."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
DEEP = "[" * 1000 + "]" * 1000  # about 2 KB, past Python's recursion limit once parsed and walked


@pytest.mark.parametrize(
    "url",
    [
        "/papers/?venue=%00",
        "/papers/?author=%00",
        "/papers/?family=%00",
        "/papers/?concept=%00",
        "/papers/?domain=%00",
        "/papers/?q=a%00b",
        "/lineage/?family=%00",
        "/api/samples/?demo=%00",
        "/api/papers/?venue=%00",
        "/api/papers/goodfellow2014generative%00/",
        "/search/?q=%00",
    ],
)
def test_a_nul_byte_in_the_query_or_path_is_a_400(api_catalog, url):
    response = Client().get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert b"NUL" in response.content
    if url.startswith("/api/"):
        assert response.json()["code"] == "invalid"


def test_staff_writes_with_a_nul_byte_are_a_400_naming_the_field(api_catalog, token_client):
    created = token_client.post(
        "/api/families/",
        {"slug": "ebm", "name": "Energy-based models", "taxonomy_node": "tractable\x00"},
        format="json",
    )
    assert created.status_code == 400 and "taxonomy_node" in created.json()["detail"]
    patched = token_client.patch(
        "/api/papers/goodfellow2014generative/", {"venue": "ni\x00ps"}, format="json"
    )
    assert patched.status_code == 400 and "venue" in patched.json()["detail"]
    keyed = token_client.patch(
        "/api/papers/goodfellow2014generative/", '{"title\\u0000": "x"}', content_type="application/json"
    )
    assert keyed.status_code == 400
    api_catalog["gan"].refresh_from_db()
    assert api_catalog["gan"].venue.slug == "nips"


def test_a_nul_byte_in_a_form_field_is_a_400(api_catalog):
    response = Client().post("/papers/selection/", {"key": "goodfellow2014generative\x00"})
    assert response.status_code == 400 and b"NUL" in response.content


def test_deeply_nested_json_is_a_400_on_every_json_endpoint(api_catalog, token_client):
    anonymous = Client().post("/api/jobs/", DEEP, content_type="application/json")
    assert anonymous.status_code == 400 and "nested deeper" in anonymous.json()["detail"]
    nested_params = json.dumps({"demo": "ddpm-digits", "params": {"a": json.loads("[" * 100 + "]" * 100)}})
    assert Client().post("/api/jobs/", nested_params, content_type="application/json").status_code == 400
    for method, url in [
        ("post", "/api/papers/"),
        ("patch", "/api/papers/goodfellow2014generative/"),
        ("post", "/api/families/"),
    ]:
        response = getattr(token_client, method)(url, DEEP, content_type="application/json")
        assert response.status_code == 400, (method, url, response.status_code)
