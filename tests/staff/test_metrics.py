"""The domain gauges of /metrics against rows the test writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from audit.models import OutboxEvent
from booking import services as booking_services
from booking.models import Booking
from guitaronline import metrics
from tests.factories import StudentFactory, TeacherFactory, make_package, make_slot

pytestmark = pytest.mark.django_db

MAX_RETRIES = 3


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def _event(status: str, *, attempts: int = 0, age: timedelta = timedelta(0), next_attempt_in=None) -> OutboxEvent:
    now = timezone.now()
    event = OutboxEvent.objects.create(
        event_type="test.event",
        aggregate_type="test",
        aggregate_id="1",
        status=status,
        attempts=attempts,
        next_attempt_at=now + next_attempt_in if next_attempt_in is not None else None,
    )
    OutboxEvent.objects.filter(pk=event.pk).update(created_at=now - age)
    return event


@pytest.fixture
def known_rows(settings):
    settings.OUTBOX_MAX_RETRIES = MAX_RETRIES
    now = timezone.now()
    # bookings: 1 confirmed (through the services), 1 live hold, 2 holds past
    # expiry (read as expired), 1 canceled
    teacher, student = TeacherFactory(), StudentFactory()
    package = make_package(student)
    held = booking_services.booking_hold(student=student, slot_id=make_slot(teacher).pk)
    booking_services.booking_confirm(booking=held, actor=student)

    def booking(status, **fields):
        return Booking.objects.create(
            student=student, slot=make_slot(teacher), package=package, status=status, **fields
        )

    booking("hold", hold_expires_at=now + timedelta(minutes=5))
    booking("hold", hold_expires_at=now - timedelta(minutes=1))
    booking("hold", hold_expires_at=now - timedelta(hours=1))
    booking("canceled")
    # outbox (the services' events aside): 2 pending (one due for 10 minutes,
    # one scheduled later), 1 retryable, 2 dead letter, 1 processed
    OutboxEvent.objects.all().delete()
    _event("pending", age=timedelta(minutes=10))
    _event("pending", next_attempt_in=timedelta(minutes=5))
    _event("failed", attempts=1, next_attempt_in=timedelta(minutes=1))
    _event("failed", attempts=MAX_RETRIES)
    _event("failed", attempts=MAX_RETRIES + 2)
    _event("processed")
    # beat: the latest run of an enabled periodic task counts; a disabled one does not
    tasks = list(PeriodicTask.objects.order_by("pk"))
    assert len(tasks) >= 2, "the beat schedules come from notifications' migration"
    last_beat = (now - timedelta(seconds=42)).replace(microsecond=0)
    PeriodicTask.objects.filter(pk=tasks[0].pk).update(last_run_at=last_beat - timedelta(minutes=3))
    PeriodicTask.objects.filter(pk=tasks[1].pk).update(last_run_at=last_beat)
    if len(tasks) > 2:
        PeriodicTask.objects.filter(pk=tasks[-1].pk).update(last_run_at=now, enabled=False)
    return {"last_beat": last_beat}


def test_domain_gauges_match_the_rows(client, known_rows):
    response = client.get("/metrics")
    assert response.status_code == 200
    found = samples(response.content.decode())
    assert value(found, "guitaronline_domain_metrics_up") == 1
    assert value(found, "guitaronline_outbox_pending") == 2
    assert value(found, "guitaronline_outbox_failed_retryable") == 1
    assert value(found, "guitaronline_outbox_dead_letter") == 2
    # the pending event created 10 minutes ago is the oldest due one; the
    # retryable one and the second pending one are not due yet
    assert 595 <= value(found, "guitaronline_outbox_oldest_due_age_seconds") <= 660
    assert value(found, "guitaronline_stale_holds") == 2
    assert value(found, "guitaronline_bookings", status="confirmed") == 1
    assert value(found, "guitaronline_bookings", status="hold") == 1
    assert value(found, "guitaronline_bookings", status="expired") == 2
    assert value(found, "guitaronline_bookings", status="canceled") == 1
    assert value(found, "guitaronline_beat_last_run_timestamp_seconds") == known_rows["last_beat"].timestamp()
    # django-prometheus's own metrics are still there
    assert any(name.startswith("django_http_requests") for name, _ in found)


def test_empty_database_reads_zero_and_no_beat(client):
    PeriodicTask.objects.update(last_run_at=None)
    found = samples(client.get("/metrics").content.decode())
    assert value(found, "guitaronline_outbox_pending") == 0
    assert value(found, "guitaronline_outbox_oldest_due_age_seconds") == 0
    assert value(found, "guitaronline_beat_last_run_timestamp_seconds") == 0
    for status in Booking.Status.values:
        assert value(found, "guitaronline_bookings", status=status) == 0


def test_multiprocess_scrape_exports_the_domain_gauges(client, known_rows, tmp_path, monkeypatch):
    """Under gunicorn (PROMETHEUS_MULTIPROC_DIR set) each scrape builds a fresh
    registry; the domain collector must be in it, not only in the default one."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    registry = metrics.registry_for_scrape()
    assert registry is not REGISTRY
    assert metrics.COLLECTOR in registry._collector_to_names
    found = samples(client.get("/metrics").content.decode())
    assert value(found, "guitaronline_outbox_pending") == 2
    assert value(found, "guitaronline_bookings", status="expired") == 2


def test_install_is_idempotent_and_registers_once():
    metrics.install()
    metrics.install()
    assert list(REGISTRY._collector_to_names).count(metrics.COLLECTOR) == 1
    from django.urls import resolve

    assert resolve("/metrics").func is metrics.metrics_view


def test_a_database_failure_still_answers_with_up_zero(client, monkeypatch):
    def broken():
        raise RuntimeError("database is gone")

    monkeypatch.setattr(metrics.DomainCollector, "_read", staticmethod(broken))
    response = client.get("/metrics")
    assert response.status_code == 200
    found = samples(response.content.decode())
    assert value(found, "guitaronline_domain_metrics_up") == 0
    assert ("guitaronline_outbox_pending", ()) not in found


def _deploy_http_metric_names() -> set[str]:
    """Every django_http_* series the alert rules and the Grafana dashboard read."""
    import re
    from pathlib import Path

    deploy = Path(__file__).resolve().parents[2] / "deploy"
    text = "".join(path.read_text() for path in deploy.rglob("*") if path.suffix in {".yml", ".yaml", ".json"})
    return set(re.findall(r"django_http_[a-z_]+", text))


def test_request_metrics_the_alerts_and_dashboard_read_are_recorded(client):
    names = _deploy_http_metric_names()
    assert "django_http_responses_total_by_status_total" in names  # the files were found

    def totals() -> dict[str, float]:
        found = samples(client.get("/metrics").content.decode())
        return {  # a histogram counts each observation in its +Inf bucket
            name: sum(v for (n, labels), v in found.items() if n == name and dict(labels).get("le", "+Inf") == "+Inf")
            for name in names
        }

    before = totals()
    assert client.get("/health").status_code == 200
    after = totals()

    # the /health request and the /metrics scrape of `before` are both counted in every series
    assert {name: after[name] - before[name] for name in names} == dict.fromkeys(names, 2.0)


def test_bookings_by_status_are_shared_for_a_minute_and_the_outbox_gauges_are_live(client, known_rows, monkeypatch):
    """Counting every booking is the one costly gauge: computed once per
    BOOKINGS_FRESH_SECONDS for all processes; the backlog the alerts watch is read each scrape."""
    from guitaronline.core import shared_answers

    clock = [1_000_000.0]
    monkeypatch.setattr(shared_answers.time, "time", lambda: clock[0])
    found = samples(client.get("/metrics").content.decode())
    assert value(found, "guitaronline_bookings", status="canceled") == 1
    assert value(found, "guitaronline_outbox_pending") == 2

    Booking.objects.filter(status="canceled").update(status="expired")
    _event("pending")
    found = samples(client.get("/metrics").content.decode())
    assert value(found, "guitaronline_bookings", status="canceled") == 1  # shared, still fresh
    assert value(found, "guitaronline_outbox_pending") == 3

    clock[0] += metrics.BOOKINGS_FRESH_SECONDS + 1
    found = samples(client.get("/metrics").content.decode())
    assert value(found, "guitaronline_bookings", status="canceled") == 0
    assert value(found, "guitaronline_bookings", status="expired") == 3
