"""A real Celery worker process, the real Redis broker and a real SMTP server
on loopback (PostgreSQL and Redis only; skipped on SQLite). The same on
RabbitMQ: tests/notifications/test_worker_rabbitmq.py."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.conf import settings as django_settings

from audit.models import OutboxEvent
from guitaronline.celery import app as celery_app
from notifications.models import Notification
from tests.clients import client_for
from tests.factories import StudentFactory, TeacherFactory, make_package, make_slot
from tests.smtp import smtp_server_fixture  # noqa: F401  (fixture)
from tests.workers import Worker, outbox_backlog, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


@pytest.fixture
def redis_broker():
    if not django_settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs the Redis broker (set REDIS_URL)")
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge(django_settings.CELERY_TASK_DEFAULT_QUEUE)
    return django_settings.CELERY_BROKER_URL


def kick() -> None:
    celery_app.send_task("notifications.dispatch_outbox")


def test_a_confirmation_email_arrives_within_seconds(redis_broker, smtp_server, settings, capsys):
    settings.OUTBOX_KICK_ON_COMMIT = True
    worker = Worker(smtp_port=smtp_server.port, name="e2e")
    try:
        teacher, student = TeacherFactory(), StudentFactory(email="ada@example.org")
        make_package(student)
        api = client_for(student)
        slot = make_slot(teacher)
        booking = api.post("/api/v1/booking/holds", {"slot_id": slot.pk}, format="json").json()
        smtp_server.messages.clear()  # only the confirmation is under test
        confirmed_at = time.monotonic()
        assert api.post(f"/api/v1/booking/{booking['id']}/confirm").status_code == 200
        mail = wait_for(
            lambda: next((m for m in smtp_server.messages if "ada@example.org" in m.rcpt_tos), None), timeout=15
        )
        latency = time.monotonic() - confirmed_at
    finally:
        worker.stop()
    assert "Lesson booked" in mail.subject
    assert Notification.objects.filter(recipient=student, channel="email", status="sent").exists()
    with capsys.disabled():
        print(f"\n[e2e] commit-to-e-mail latency through a real worker, Redis and SMTP: {latency * 1000:.0f} ms")


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(redis_broker, smtp_server, capsys):
    total = 500
    outbox_backlog(total)
    smtp_server.delay = 0.01  # the batch takes a few seconds: time to kill the worker in its middle
    first = Worker(smtp_port=smtp_server.port, name="first")
    try:
        kick()
        wait_for(lambda: len(smtp_server.messages) >= 100, timeout=60)
        first.kill()
    finally:
        first.stop()
    at_kill = len(smtp_server.messages)

    second = Worker(smtp_port=smtp_server.port, name="second")
    started = time.monotonic()
    try:
        kick()

        def drained() -> bool:
            events_left = OutboxEvent.objects.exclude(status="processed").exists()
            emails_left = Notification.objects.filter(channel="email", status__in=["pending", "failed"]).exists()
            return not events_left and not emails_left

        wait_for(drained, timeout=120, step=0.2)
        elapsed = time.monotonic() - started
    finally:
        second.stop()

    assert OutboxEvent.objects.filter(status="processed").count() == total
    received = Counter(m.message["Message-ID"] for m in smtp_server.messages)
    assert max(received.values()) == 1, "an e-mail was sent twice"
    recipients = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    assert max(recipients.values()) == 1, "a recipient was e-mailed twice"
    in_flight = set(
        Notification.objects.filter(channel="email", status="sending").values_list("recipient__email", flat=True)
    )
    stuck = len(in_flight)
    assert stuck <= 1  # at most the one e-mail in flight when the worker died: never re-sent blindly
    # That e-mail may have reached the server before the kill, or not: either way nobody is missed.
    everyone = {f"bulk{n}@example.org" for n in range(total)}
    assert set(recipients) | in_flight == everyone
    assert len(smtp_server.messages) in (total - stuck, total)
    with capsys.disabled():
        print(
            f"\n[e2e] SIGKILL after {at_kill} of {total} e-mails; second worker finished the rest in "
            f"{elapsed:.1f} s; duplicates 0; in flight at the kill (left for staff): {stuck}"
        )


def test_drain_rate_of_one_worker(redis_broker, smtp_server, capsys):
    total = 500
    outbox_backlog(total)
    worker = Worker(smtp_port=smtp_server.port, name="drain")
    try:
        started = time.monotonic()
        kick()
        wait_for(lambda: not OutboxEvent.objects.exclude(status="processed").exists(), timeout=120, step=0.1)
        events_done = time.monotonic() - started
        wait_for(lambda: len(smtp_server.messages) >= total, timeout=120, step=0.1)
        all_done = time.monotonic() - started
    finally:
        worker.stop()
    with capsys.disabled():
        print(
            f"\n[e2e] one worker: {total} events -> notifications in {events_done:.2f} s "
            f"({total / events_done:.0f} events/s); {total} e-mails sent over SMTP in {all_done:.2f} s "
            f"({total / all_done:.0f} events/s end to end)"
        )
    assert len(smtp_server.messages) == total
