"""Celery on RabbitMQ (`CELERY_BROKER_URL=amqp://…`), the machine's own: a
real worker consumes from it, the outbox kick a commit sends arrives, and a
task whose worker is killed mid-run is redelivered to the next worker (late
acknowledgement), which finishes it without sending anything twice.

RABBITMQ_URL names the server (default: guest on 127.0.0.1). Where none
answers the tests are skipped with the reason, except in CI, where that fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter

import pytest
from django.conf import settings as django_settings
from kombu import Connection
from kombu.exceptions import OperationalError

from audit.models import OutboxEvent
from guitaronline.celery import app as celery_app
from notifications.models import Notification
from notifications.tasks import DISPATCH_TASK
from tests.factories import StudentFactory
from tests.smtp import smtp_server_fixture  # noqa: F401  (fixture)
from tests.workers import ROOT, Worker, database_url, outbox_backlog, wait_for

RABBITMQ_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


@pytest.fixture
def rabbitmq() -> str:
    """The machine's RabbitMQ, with this run's queue empty."""
    queue = django_settings.CELERY_TASK_DEFAULT_QUEUE
    try:
        with Connection(RABBITMQ_URL, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
            channel = conn.channel()
            channel.queue_declare(queue, durable=True, auto_delete=False)
            channel.queue_purge(queue)
    except (OSError, OperationalError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"RabbitMQ at {RABBITMQ_URL} does not answer: {exc}")
        pytest.skip(f"no RabbitMQ at {RABBITMQ_URL}: {exc}")
    return RABBITMQ_URL


def _received(worker: Worker) -> list[str]:
    """The ids of the dispatch tasks the worker received, from its log."""
    return re.findall(rf"Task {re.escape(DISPATCH_TASK)}\[([0-9a-f-]+)\] received", worker.output())


def _kick_over(broker: str) -> None:
    with Connection(broker) as conn:
        celery_app.send_task(DISPATCH_TASK, connection=conn)


def test_a_commit_kicks_a_worker_through_rabbitmq(rabbitmq, smtp_server):
    student = StudentFactory(email="mila@example.org")
    worker = Worker(smtp_port=smtp_server.port, name="rabbit-kick", broker=rabbitmq)
    try:
        # Another process, configured for RabbitMQ, commits a password reset: the
        # kick it sends on commit is what makes the worker send the e-mail.
        subprocess.run(
            [
                sys.executable, "manage.py", "shell", "-c",
                "from accounts.services import password_reset_request; "
                f"password_reset_request(email='{student.email}')",
            ],
            cwd=ROOT, check=True, timeout=60,
            env={
                **os.environ, "APP_ENV": "test", "DATABASE_URL": database_url(),
                "CELERY_BROKER_URL": rabbitmq, "OUTBOX_KICK_ON_COMMIT": "true",
            },
        )  # fmt: skip
        mail = wait_for(
            lambda: next((m for m in smtp_server.messages if m.rcpt_tos == [student.email]), None), timeout=30
        )
    finally:
        worker.stop()
    assert mail.subject == "Reset your GuitarOnline password"
    assert len(_received(worker)) == 1


def test_a_task_whose_worker_is_killed_is_redelivered_and_finished_once(rabbitmq, smtp_server):
    total = 300
    outbox_backlog(total)
    smtp_server.delay = 0.01  # the batch takes a few seconds: time to kill the worker in its middle
    first = Worker(smtp_port=smtp_server.port, name="rabbit-first", broker=rabbitmq)
    try:
        _kick_over(rabbitmq)
        wait_for(lambda: len(smtp_server.messages) >= 60, timeout=60)
        first.kill()
    finally:
        first.stop()
    at_kill = len(smtp_server.messages)
    assert at_kill < total

    # No new kick: the unacknowledged one comes back from RabbitMQ to the next worker.
    second = Worker(smtp_port=smtp_server.port, name="rabbit-second", broker=rabbitmq)
    try:

        def drained() -> bool:
            events_left = OutboxEvent.objects.exclude(status="processed").exists()
            emails_left = Notification.objects.filter(channel="email", status__in=["pending", "failed"]).exists()
            return not events_left and not emails_left

        wait_for(drained, timeout=120, step=0.2)
    finally:
        second.stop()
    assert _received(second) == _received(first)  # the same task, delivered again
    assert OutboxEvent.objects.filter(status="processed").count() == total
    received = Counter(m.message["Message-ID"] for m in smtp_server.messages)
    assert max(received.values()) == 1, "an e-mail was sent twice"
    stuck = Notification.objects.filter(channel="email", status="sending").count()
    assert stuck <= 1  # the one e-mail in flight at the kill is left for staff, never re-sent blindly
    assert len(smtp_server.messages) in (total - stuck, total)
