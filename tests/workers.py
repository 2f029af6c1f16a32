"""A real `celery -A guitaronline worker` process for the tests that need one
(tests/notifications/test_worker_e2e.py on Redis, test_worker_rabbitmq.py on
RabbitMQ), against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from accounts.models import Role, User
from audit.models import OutboxEvent

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The test database, for another process."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A guitaronline worker` in its own process group."""

    def __init__(self, *, smtp_port: int, name: str, broker: str | None = None, queue: str | None = None):
        self.queue = queue or django_settings.CELERY_TASK_DEFAULT_QUEUE
        env = {
            **os.environ,
            "APP_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "guitaronline.settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker or django_settings.CELERY_BROKER_URL,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "OUTBOX_KICK_ON_COMMIT": "false",
        }
        self.log = open(f"/tmp/guitaronline-worker-{name}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "guitaronline", "worker",
                "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-Q", self.queue, "-n", f"{name}@%h", "--loglevel=INFO",
            ],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in Path(self.log.name).read_text():
                return
            if self.process.poll() is not None:
                raise RuntimeError(Path(self.log.name).read_text())
            time.sleep(0.1)
        raise TimeoutError(Path(self.log.name).read_text())

    def output(self) -> str:
        return Path(self.log.name).read_text()

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def wait_for(condition, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(step)
    raise TimeoutError("condition not met in time")


def outbox_backlog(count: int) -> list[OutboxEvent]:
    """`count` students, each with a package event waiting in the outbox: one e-mail each once dispatched."""
    now = timezone.now()
    users = User.objects.bulk_create(
        [
            User(email=f"bulk{n}@example.org", full_name=f"Bulk {n}", role=Role.STUDENT, password="!")
            for n in range(count)
        ]
    )
    return OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                event_type="billing.package.created",
                aggregate_type="billing.lessonpackage",
                aggregate_id=str(n),
                payload={
                    "student_id": user.pk,
                    "lessons_total": 10,
                    "price": str(Decimal("100.00")),
                    "currency": "RUB",
                    "expires_at": (now + timedelta(days=90)).isoformat(),
                },
            )
            for n, user in enumerate(users)
        ]
    )
