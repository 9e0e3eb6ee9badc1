"""Guessing credentials is limited: repeated wrong admin passwords or API tokens from one address lock that
address out with a 429 and Retry-After, a rotated X-Forwarded-For does not help, and others still get in."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_counts(settings):
    settings.AXES_FAILURE_LIMIT = 5
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin(db):
    return get_user_model().objects.create_superuser("admin", password="right-horse-battery-9")


def sign_in(client: Client, password: str, **headers):
    return client.post("/admin/login/?next=/admin/", {"username": "admin", "password": password}, **headers)


def test_repeated_wrong_admin_passwords_lock_the_address_out(admin):
    guesser = Client(REMOTE_ADDR="203.0.113.5")
    codes = [
        sign_in(guesser, f"guess-{i}", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(30)
    ]
    assert codes[:4] == [200] * 4  # the form again, with its error
    assert set(codes[5:]) == {429}
    locked = sign_in(guesser, "right-horse-battery-9")
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    # Another address signs in as usual.
    assert sign_in(Client(REMOTE_ADDR="192.0.2.9"), "right-horse-battery-9").status_code == 302


def test_repeated_wrong_api_tokens_lock_the_address_out(admin):
    good = Token.objects.create(user=admin).key
    guesser = APIClient(REMOTE_ADDR="203.0.113.6")
    codes = []
    for i in range(10):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token {i:040x}")
        codes.append(guesser.get("/api/families/").status_code)
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    guesser.credentials(HTTP_AUTHORIZATION=f"Token {good}")
    refused = guesser.get("/api/families/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    other = APIClient(REMOTE_ADDR="192.0.2.10")
    other.credentials(HTTP_AUTHORIZATION=f"Token {good}")
    assert other.get("/api/families/").status_code == 200


def test_the_test_client_s_login_still_works(admin):
    client = Client()
    assert client.login(username="admin", password="right-horse-battery-9")
    assert client.get("/admin/").status_code == 200
