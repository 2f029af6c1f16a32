import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_health_is_ok_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_is_ok_when_database_and_cache_answer(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
        "deciding": ["database"],
    }


def _ready_in_a_process(extra_env: dict) -> tuple[int, dict]:
    """Ask /ready in a fresh process whose settings point at a dead service."""
    script = (
        "import django, json; django.setup();"
        "from django.test.utils import setup_test_environment; setup_test_environment();"
        "from django.test import Client; r = Client().get('/ready');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update({"DJANGO_SETTINGS_MODULE": "guitaronline.settings", "APP_ENV": "development", **extra_env})
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    return answer["status"], answer["body"]


def test_ready_is_503_naming_the_database_when_it_is_unreachable():
    status, body = _ready_in_a_process({"DATABASE_URL": "postgres://nobody:nothing@127.0.0.1:1/none", "REDIS_URL": ""})
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["down"] == ["database"]
    assert body["checks"]["cache"] == "ok"


def test_ready_stays_200_naming_the_cache_when_redis_is_a_closed_port(tmp_path):
    """A Redis blip must not take every web pod out of the Service: the pages still answer."""
    status, body = _ready_in_a_process(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/1",
        }
    )
    assert status == 200
    assert body["status"] == "degraded"
    assert body["down"] == ["cache", "broker"]
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_ready_stays_200_naming_the_broker_when_it_is_unreachable(tmp_path):
    status, body = _ready_in_a_process(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        }
    )
    assert (status, body["status"], body["down"]) == (200, "degraded", ["broker"])


@pytest.mark.django_db
def test_metrics_show_each_dependency(client):
    text = client.get("/metrics").content.decode()
    for dependency in ("database", "cache", "broker"):
        assert f'guitaronline_dependency_up{{dependency="{dependency}"}} 1.0' in text


@pytest.mark.django_db
def test_metrics_are_exposed_for_prometheus(client):
    client.get("/health")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in text


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    for path in ("/api/v1/identity/auth/login", "/api/v1/identity/auth/refresh", "/api/v1/identity/users/me"):
        assert path in paths
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "drf_spectacular_sidecar" in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # CSP allows no inline script


@pytest.mark.django_db
def test_unknown_api_path_is_404_in_the_error_shape(client):
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_every_response_carries_a_request_id(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    assert len(client.get("/health", HTTP_X_REQUEST_ID="bad id!")["X-Request-ID"]) == 32


def test_openapi_schema_is_valid_and_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in ("/api/v1/booking/holds:", "/api/v1/billing/payments/{id}/status:", "/api/v1/scheduling/slots/open:"):
        assert path in text
    assert "Idempotency-Key" in text
