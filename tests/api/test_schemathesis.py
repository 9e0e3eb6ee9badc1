"""Property-based run over every operation of the OpenAPI schema, against the WSGI app inside the suite.

No 5xx, and every response conforms to the schema (status, content type, headers, body). Bounded: a few
examples per operation, so the whole run takes well under a minute.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

from config.wsgi import application

pytestmark = pytest.mark.schemathesis

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# The coverage phase would send every boundary case of every parameter (hundreds per operation); the
# documented examples plus a few generated cases per operation keep the run short.
schema.config.phases.coverage.enabled = False

RUN = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Django's test client keeps the test's transaction open across requests; a raw WSGI call would
    close the connection at request end, so do what the test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def staff_token(staff) -> str:
    return Token.objects.create(user=staff).key


@pytest.mark.slow
@schema.parametrize()
@RUN
@pytest.mark.django_db
def test_anonymous(case, api_catalog):
    _isolated(case)


@pytest.mark.slow
@schema.parametrize()
@RUN
@pytest.mark.django_db
def test_staff(case, api_catalog, staff_token):
    _isolated(case, headers={"Authorization": f"Token {staff_token}"})


# What the issue asks: no 5xx, every response conforms to the schema; and writes refuse a missing or bad
# credential. The negative-data heuristics are left out: filters ignore unknown query parameters by design,
# and a valid input can still be refused because a record it names does not exist.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.ignored_auth,
]


def _isolated(case, **kwargs) -> None:
    """One example's writes are rolled back before the next, so examples start from the same catalog."""
    with transaction.atomic():
        try:
            case.call_and_validate(checks=CHECKS, **kwargs)
        finally:
            transaction.set_rollback(True)
