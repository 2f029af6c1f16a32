"""Security headers, cookies and settings under production settings; no
secret in the repository; bad input is a 400 in the error shape."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, django
from django.conf import settings
django.setup()
# collectstatic's manifest is built in the image; here plain storage stands in for it
plain = "django.contrib.staticfiles.storage.StaticFilesStorage"
settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": plain}}
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
User.objects.create_user("probe@example.org", "Str0ng-pass-for-tests", full_name="Probe")
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client(HTTP_HOST="school.example.org")
out = {}
plain = client.get("/accounts/login/")
out["http_redirect"] = [plain.status_code, plain.get("Location", "")]
out["health_over_http"] = client.get("/health").status_code
page = client.get("/accounts/login/", secure=True)
out["page_status"] = page.status_code
out["headers"] = {k: v for k, v in page.headers.items()}
out["csrf_cookie"] = page.cookies["csrftoken"].output()
token = page.cookies["csrftoken"].value
login = client.post("/accounts/login/", {"username": "probe@example.org", "password": "Str0ng-pass-for-tests",
                    "csrfmiddlewaretoken": token}, secure=True, HTTP_REFERER="https://school.example.org/accounts/login/")
out["login_status"] = login.status_code
out["session_cookie"] = login.cookies["sessionid"].output()
api = client.get("/api/v1/teachers", secure=True)
out["api_headers"] = {k: v for k, v in api.headers.items()}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def production_probe(tmp_path_factory):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_", "APP_ENV"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "guitaronline.settings",
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "school.example.org",
            "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('prod') / 'db.sqlite3'}",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "memory://",
            "AUTH_RATE_LIMIT_BACKEND": "memory",
            "AUTH_RATE_LIMIT_ALLOW_IN_MEMORY_IN_PRODUCTION": "true",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_is_redirected_to_https_but_probes_are_not(production_probe):
    status, location = production_probe["http_redirect"]
    assert status == 301 and location.startswith("https://school.example.org/")
    assert production_probe["health_over_http"] == 200


def test_pages_send_the_security_headers(production_probe):
    headers = production_probe["headers"]
    assert production_probe["page_status"] == 200
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_cookies_are_secure(production_probe):
    csrf = production_probe["csrf_cookie"]
    assert "Secure" in csrf and "SameSite=Lax" in csrf
    assert production_probe["login_status"] == 302
    session = production_probe["session_cookie"]
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session


def test_api_answers_carry_the_same_headers(production_probe):
    headers = production_probe["api_headers"]
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Type"] == "application/json"


def test_check_deploy_has_no_warning():
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        {
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "school.example.org",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA |)PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Stripe live key": re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}\b"),
    "assigned secret": re.compile(r"""(?i)\b(secret_key|password|api_key|token)\s*[:=]\s*["']([^"'\s]{24,})["']"""),
}
ALLOWED_ASSIGNED = re.compile(r"(?i)change-me|example|placeholder|demo-pass|test|\$\{|<")


def test_no_secret_is_tracked_in_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert ".env" not in files
    found = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 1_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for kind, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if kind == "assigned secret" and ALLOWED_ASSIGNED.search(match.group(2)):
                    continue
                found.append(f"{name}: {kind}: {match.group(0)[:40]}")
    assert not found, found


def test_the_secret_scan_finds_a_planted_key(tmp_path):
    planted = "aws = 'AKIA" + "ABCDEFGHIJKLMNOP'"
    assert SECRET_PATTERNS["AWS access key"].search(planted)
    assert SECRET_PATTERNS["assigned secret"].search("SECRET_KEY = '" + "x9" * 20 + "'")


# --- input limits ------------------------------------------------------------------


@pytest.mark.django_db
def test_an_oversize_body_is_a_400_in_the_error_shape(api):
    body = json.dumps({"email": "a@example.org", "password": "x" * 3_000_000})
    response = api.generic("POST", "/api/v1/identity/auth/login", body, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/scheduling/slots", {"start_at": "tomorrow", "end_at": "2030-01-01T10:00:00Z"}),
        ("post", "/api/v1/scheduling/slots", {"start_at": "2030-02-30T10:00:00Z", "end_at": "2030-03-01T10:00:00Z"}),
        ("post", "/api/v1/scheduling/slots/recurring", {"weekday": 9, "start_time": "25:00", "end_time": "x",
                                                         "slot_minutes": -5, "weeks": 1000}),
        ("patch", "/api/v1/identity/users/me", {"timezone": "Mars/Olympus"}),
        ("patch", "/api/v1/identity/users/me", {"language": "klingon"}),
        ("patch", "/api/v1/identity/users/me", {"full_name": "x" * 10_000}),
        ("get", "/api/v1/lessons/my?status=finished", None),
        ("get", "/api/v1/booking/my?status=maybe", None),
        ("get", "/api/v1/scheduling/slots/open?from=yesterday", None),
        ("get", "/api/v1/scheduling/slots/open?teacher=abc", None),
        ("post", "/api/v1/booking/holds", {"slot_id": "1; DROP TABLE"}),
        ("post", "/api/v1/booking/holds", [1, 2, 3]),
    ],
)  # fmt: skip
def test_bad_input_is_a_400_never_a_500(teacher_api, method, path, body):
    response = getattr(teacher_api, method)(path, body, format="json") if body is not None else teacher_api.get(path)
    assert response.status_code in (400, 403), response.content
    assert set(response.json()) == {"error"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/teachers?style=rock%00",
        "/api/v1/teachers?search=%00",
        "/api/v1/scheduling/slots/open?teacher=%00",
        "/api/v1/billing/payments/my?status=%00",
    ],
)
def test_a_nul_character_in_a_filter_is_a_400(student_api, path):
    response = student_api.get(path)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["style=rock%00", "search=%00x", "week=%00", "page=%00"])
def test_a_nul_character_in_a_page_filter_never_breaks_the_page(client, query):
    assert client.get(f"/teachers/?{query}").status_code in (200, 400)
