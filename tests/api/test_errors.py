"""One JSON error shape for every failure, including unknown paths, throttling and citations."""

import pytest

pytestmark = pytest.mark.django_db

SHAPE = {"status", "code", "detail", "fields"}


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/papers/nope2020missing/", 404, "not_found"),
        ("get", "/api/no-such-endpoint/", 404, "not_found"),
        ("get", "/api/papers/?year_from=x", 400, "invalid"),
        ("post", "/api/papers/", 401, "not_authenticated"),
        ("put", "/api/papers/", 401, "not_authenticated"),
    ],
)
def test_error_shape(client, api_catalog, method, path, status, code):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == SHAPE
    assert (response.json()["status"], response.json()["code"]) == (status, code)


def test_method_not_allowed(staff_client, api_catalog):
    response = staff_client.put("/api/papers/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_not_found_when_bibtex_was_asked_for_is_json(client, api_catalog):
    response = client.get("/api/papers/nope2020missing/", HTTP_ACCEPT="application/x-bibtex")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
    assert "Content-Disposition" not in response


def test_unacceptable_media_type_is_a_406(client, api_catalog):
    response = client.get("/api/papers/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 406
    assert response.json()["code"] == "not_acceptable"


def test_anonymous_throttle_answers_429_with_retry_after(client, api_catalog, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "5/minute"},
    }
    statuses = [client.get("/api/families/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/families/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "throttled"


def test_authenticated_clients_get_the_higher_rate(token_client, api_catalog, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "5/minute"},
    }
    statuses = [token_client.get("/api/families/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
