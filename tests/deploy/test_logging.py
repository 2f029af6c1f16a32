"""JSON log lines carry the request id (production logging)."""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from guitaronline.core import context
from guitaronline.logging import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def captured():
    """A stream handler with the JSON formatter on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def test_a_record_is_one_json_object_with_the_bound_request_id(captured):
    token = context.bind(context.RequestContext(request_id="req-123", ip="203.0.113.9"))
    try:
        logging.getLogger("guitaronline.test").info("booked %s", "slot 7", extra={"booking_id": 7})
    finally:
        context.reset(token)
    (line,) = captured()
    assert line["message"] == "booked slot 7"
    assert line["level"] == "INFO"
    assert line["logger"] == "guitaronline.test"
    assert line["request_id"] == "req-123"
    assert line["booking_id"] == 7
    assert line["time"].endswith("+00:00")


def test_request_id_is_null_outside_a_request_and_exceptions_are_kept(captured):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("guitaronline.test").exception("failed")
    (line,) = captured()
    assert line["request_id"] is None
    assert "ValueError: boom" in line["exc_info"]


@pytest.mark.django_db
def test_django_request_logs_of_an_api_error_carry_the_requests_id(client, captured):
    """django.request logs a 404 after the middleware has unbound the context:
    the id still comes from the request."""
    response = client.get("/api/v1/no-such-endpoint", HTTP_X_REQUEST_ID="trace-me-42")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-me-42"
    lines = [line for line in captured() if line["logger"] == "django.request"]
    assert lines, "django.request logged nothing"
    assert lines[-1]["request_id"] == "trace-me-42"
    assert lines[-1]["http_path"] == "/api/v1/no-such-endpoint"
    assert lines[-1]["status_code"] == 404


def _log_line_in_a_process(extra_env: dict) -> str:
    script = "import django, logging; django.setup(); logging.getLogger('probe').warning('hello')"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "LOG_FORMAT"))}
    env.update({"DJANGO_SETTINGS_MODULE": "guitaronline.settings", "DATABASE_URL": "sqlite:///:memory:"})
    env.update(extra_env)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_settings_log_json_in_production_and_plain_in_development():
    production = {
        "APP_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "school.example.org",
        "AUTH_RATE_LIMIT_BACKEND": "memory",
        "AUTH_RATE_LIMIT_ALLOW_IN_MEMORY_IN_PRODUCTION": "true",
        "REDIS_URL": "",
    }
    line = json.loads(_log_line_in_a_process(production))
    assert line["message"] == "hello"
    assert line["logger"] == "probe"
    assert "request_id" in line
    plain = _log_line_in_a_process({"APP_ENV": "development", "REDIS_URL": ""})
    assert plain.endswith("WARNING probe hello")
    assert json.loads(_log_line_in_a_process({"APP_ENV": "development", "REDIS_URL": "", "LOG_FORMAT": "json"}))


@pytest.mark.django_db
def test_expected_refusals_are_not_logged_line_by_line(client, captured, settings):
    """409 and 429 come in bulk by design (a slot race, a login flood); other 4xx are still logged."""
    from django.urls import reverse

    settings.AUTH_RATE_LIMIT_LOGIN_REQUESTS = 1
    login = reverse("api:auth-login")
    statuses = [
        client.post(
            login, {"email": "nobody@example.org", "password": "x"}, content_type="application/json"
        ).status_code
        for _ in range(3)
    ]
    assert statuses[-1] == 429
    assert client.get("/api/v1/no-such-endpoint").status_code == 404

    logged = [line["status_code"] for line in captured() if line["logger"] == "django.request"]
    assert 429 not in logged
    assert 404 in logged
