"""API fuzzing with schemathesis against the project's own OpenAPI schema,
as an anonymous client, a student, a teacher and staff: no 5xx, and every
answer (status, content type, body) as the schema documents it."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from guitaronline.wsgi import application
from tests.factories import StaffFactory, StudentFactory, TeacherFactory, make_package, make_slot

schema = schemathesis.openapi.from_wsgi("/api/schema?format=json", application)

EXAMPLES_PER_OPERATION = 35
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SENT: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    total = sum(SENT.values())
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(SENT.items()))
    print(f"\n[fuzz] {total} generated requests; by status {statuses}; 5xx: "
          f"{sum(n for s, n in SENT.items() if s >= 500)}")  # fmt: skip
    if not (request.config.option.keyword or request.config.option.markexpr):  # a full run
        assert total >= 5000, f"only {total} requests were generated"


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Calling the WSGI app directly fires request_started/finished, whose
    `close_old_connections` would close the test's connection inside its
    transaction (Django's test client disconnects it the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_headers(request, db, settings):
    settings.AUTH_RATE_LIMIT_LOGIN_REQUESTS = settings.AUTH_RATE_LIMIT_REGISTER_REQUESTS = 10_000
    settings.AUTH_RATE_LIMIT_REFRESH_REQUESTS = 10_000
    teacher = TeacherFactory()
    student = StudentFactory()
    make_package(student)
    for _ in range(3):
        make_slot(teacher)
    role = request.param
    user = {"student": student, "teacher": teacher, "staff": StaffFactory(), "anonymous": None}[role]
    if user is None:
        return {}
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


@pytest.mark.parametrize("auth_headers", ["anonymous", "student", "teacher", "staff"], indirect=True)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_never_fails_and_answers_as_documented(case, auth_headers):
    response = case.call_and_validate(headers=auth_headers, checks=CHECKS)
    SENT[response.status_code] += 1
