"""Shared set-up of the student page tests: the booking tests' `school`
(published teacher, a slot three days ahead, a student with a 10-lesson
package), signed-in clients, and helpers to read what a page shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import services
from tests.booking.conftest import make_slot, school  # noqa: F401  (the `school` fixture)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    """The page's visible text, tags dropped and white space collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def queries_of(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def slot_at(teacher, start: datetime, minutes: int = 60):
    """A slot starting exactly at `start` (aware), through the shared `make_slot`."""
    return make_slot(teacher, starts_in=start - timezone.now(), minutes=minutes)


def utc_day_ahead(days: int, hour: int) -> datetime:
    """`days` from today at `hour`:00 UTC."""
    return (timezone.now().astimezone(UTC) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def hold(student, slot):
    return services.booking_hold(student=student, slot_id=slot.pk)


def confirmed(student, slot):
    return services.booking_confirm(booking=hold(student, slot), actor=student)


@pytest.fixture
def student_client(school):  # noqa: F811
    return signed_in(school.student)
