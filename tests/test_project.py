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
