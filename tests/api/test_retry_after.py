"""Every 429 says when to come back (Retry-After), even when the rate was lowered under a client's feet;
and the Redis broker never redelivers a job that is still within its hard time limit."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_a_throttled_read_carries_retry_after_when_the_rate_was_lowered(api_catalog, settings):
    reader = APIClient(REMOTE_ADDR="192.0.2.70")
    rates = {"anon": "5/minute", "user": "5/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    assert [reader.get("/api/families/").status_code for _ in range(5)] == [200] * 5
    rates = {"anon": "2/minute", "user": "2/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    throttled = reader.get("/api/families/")
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60


def test_the_worker_s_redis_visibility_timeout_outlasts_the_hard_time_limit():
    env = {
        **os.environ,
        "GENERATION_HARD_TIME_LIMIT": "7200",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/11",
    }
    env.pop("CELERY_VISIBILITY_TIMEOUT", None)
    code = (
        "import json; from config.celery import app; from django.conf import settings; "
        "print(json.dumps([app.conf.broker_transport_options, settings.GENERATION_HARD_TIME_LIMIT]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    options, hard_limit = json.loads(out.stdout.strip().splitlines()[-1])
    assert hard_limit == 7200 and options["visibility_timeout"] > hard_limit
