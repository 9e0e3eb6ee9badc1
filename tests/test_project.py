"""The project frame: settings load, URLs resolve, the database is the real PostgreSQL."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_tests_run_on_postgresql():
    assert connection.vendor == "postgresql", "make test must run the suite on PostgreSQL"


@pytest.mark.django_db
def test_home_page_answers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Generative" in response.content


def test_deploy_check_is_clean_with_production_settings():
    """With the production variables of .env.example set, `check --deploy` reports nothing."""
    # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their own process (Playwright's loop beside the ORM);
    # a deployment never has it.
    environment = {
        **{name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x7" * 30 + "-production-like-secret-key-for-the-check",
        "DJANGO_ALLOWED_HOSTS": "atlas.example.org",
        "DJANGO_SECURE_COOKIES": "true",
        "DJANGO_SECURE_SSL_REDIRECT": "true",
        "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _settings_in_a_fresh_process(code: str, **variables) -> str:
    """Run ``code`` after django.setup() in a new interpreter with these environment variables; its stdout."""
    environment = {**os.environ, **variables}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_processes_share_the_cache_through_redis_when_configured():
    """Several web processes (gunicorn workers) see the same cached copies and throttle counts."""
    url = "redis://127.0.0.1:6379/12"
    key = f"atlas-test-{os.getpid()}"
    cache = "from django.core.cache import caches; cache = caches['default']; "
    write = cache + f"cache.set({key!r}, 'shared', 30); print(type(cache).__name__)"
    read = cache + f"print(type(cache).__name__, cache.get({key!r}))"
    assert _settings_in_a_fresh_process(write, DJANGO_CACHE_URL=url) == "RedisCache"
    assert _settings_in_a_fresh_process(read, DJANGO_CACHE_URL=url) == "RedisCache shared"
    # The default is each process's own memory: another process does not see the copy.
    assert _settings_in_a_fresh_process(read) == "LocMemCache None"
    _settings_in_a_fresh_process(cache + f"cache.delete({key!r})", DJANGO_CACHE_URL=url)


def test_an_empty_broker_url_means_the_embedded_default():
    """A .env copied from .env.example leaves CELERY_BROKER_URL empty: that is the SQLite file broker."""
    code = "from django.conf import settings; print(settings.CELERY_BROKER_URL)"
    assert _settings_in_a_fresh_process(code, CELERY_BROKER_URL="").startswith("sqla+sqlite:///")
