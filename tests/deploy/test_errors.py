"""Errors that reach someone, and metrics that count them: with SENTRY_DSN a
failing request reaches Sentry (a real HTTP server on loopback posing as its
ingest) tagged with the request id and carrying no personal data; without it,
ADMINS get an e-mail (a real SMTP server on loopback); a 500 made by any
middleware is counted; /metrics answers only those allowed to scrape it."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from tests.smtp import smtp_server_fixture  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
REQUEST_ID = "req-0123-failing"
FAIL = f"""
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.conf import settings
settings.ROOT_URLCONF = "tests.deploy.failing_urls"
from django.test import Client
client = Client(raise_request_exception=False, HTTP_X_REQUEST_ID="{REQUEST_ID}")
answer = client.get(
    "/fail-on-purpose?email=student%40example.org",
    HTTP_COOKIE="sessionid=secret-cookie-value",
    HTTP_AUTHORIZATION="Bearer secret-token-value",
)
print(answer.status_code)
import sentry_sdk
sentry_sdk.flush(10)
"""


class Ingest(ThreadingHTTPServer):
    """Sentry's envelope endpoint on loopback: keeps every item it is sent."""

    def __init__(self):
        self.items: list[dict] = []
        super().__init__(("127.0.0.1", 0), IngestHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server_address[1]}/1"

    def events(self) -> list[dict]:
        return [item for item in self.items if "exception" in item]


class IngestHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        for line in body.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                self.server.items.append(item)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def ingest():
    server = Ingest()
    yield server
    server.shutdown()


def _fail_in_a_process(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "SENTRY_", "ADMINS"))}
    return subprocess.run(
        [sys.executable, "-c", FAIL],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "guitaronline.settings",
            "APP_ENV": "development",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "memory://",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_a_failing_request_reaches_sentry_with_its_request_id_and_no_personal_data(tmp_path, ingest, smtp_server):
    result = _fail_in_a_process(
        tmp_path,
        SENTRY_DSN=ingest.dsn,
        ADMINS="Ops <ops@school.example>",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
    )
    assert result.stdout.strip().splitlines()[-1] == "500", result.stderr
    (event,) = ingest.events()
    assert event["exception"]["values"][-1]["value"] == "the view failed on purpose"
    assert event["tags"]["request_id"] == REQUEST_ID
    text = json.dumps(event)
    for private in ("secret-cookie-value", "secret-token-value"):
        assert private not in text
    assert "user" not in event
    assert "cookies" not in event.get("request", {})
    assert smtp_server.messages == []  # Sentry has it: no e-mail besides


def test_without_sentry_the_admins_get_an_email_on_a_500(tmp_path, smtp_server):
    result = _fail_in_a_process(
        tmp_path,
        ADMINS="Ops <ops@school.example>, Night Shift <night@school.example>",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
    )
    assert result.stdout.strip().splitlines()[-1] == "500", result.stderr
    (mail,) = smtp_server.messages
    assert sorted(mail.rcpt_tos) == ["night@school.example", "ops@school.example"]
    assert "Internal Server Error: /fail-on-purpose" in mail.subject


def test_admins_that_are_not_addresses_stop_start_up(tmp_path):
    result = _fail_in_a_process(tmp_path, ADMINS="ops at school")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Refusing to start: ADMINS='ops at school'")


class Explode:
    """A middleware that fails before the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise RuntimeError("a middleware failed on purpose")


def _count(status: str) -> float:
    return REGISTRY.get_sample_value("django_http_responses_total_by_status_total", {"status": status}) or 0.0


def test_a_500_from_a_middleware_before_the_view_is_counted(settings):
    from django.conf import settings as live

    settings.MIDDLEWARE = [live.MIDDLEWARE[0], "tests.deploy.test_errors.Explode", *live.MIDDLEWARE[1:]]
    before = _count("500")
    answer = Client(raise_request_exception=False).get("/health")
    assert answer.status_code == 500
    assert _count("500") == before + 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("production", "token", "allowed", "remote", "authorization", "status"),
    [
        (False, "", [], "192.0.2.1", "", 200),  # development: open
        (True, "", [], "127.0.0.1", "", 200),  # production, nothing set: loopback only
        (True, "", [], "192.0.2.1", "", 403),
        (True, "s3cret", [], "192.0.2.1", "", 401),
        (True, "s3cret", [], "192.0.2.1", "Bearer wrong", 401),
        (True, "s3cret", [], "192.0.2.1", "Bearer s3cret", 200),
        (True, "", ["10.244.0.0/16"], "10.244.3.9", "", 200),
        (True, "", ["10.244.0.0/16"], "10.245.0.1", "", 403),
        (True, "", ["10.244.0.0/16"], "127.0.0.1", "", 403),  # a list replaces the loopback default
        (True, "s3cret", ["10.244.0.0/16"], "192.0.2.1", "Bearer s3cret", 200),  # either will do
    ],
)
def test_metrics_answer_only_those_allowed_to_scrape(
    settings, production, token, allowed, remote, authorization, status
):
    settings.PRODUCTION, settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = production, token, allowed
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    answer = Client(REMOTE_ADDR=remote).get("/metrics", **headers)
    assert answer.status_code == status
    if status == 200:
        assert b"django_http_responses_total_by_status" in answer.content
    else:
        assert b"django_http" not in answer.content
