"""A password reset tells nothing: the request does the same work whether
the address is an account's or not, and sends nothing itself (the worker
does). Its timing is measured in `make bench` (figure 5b), not here."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import OutboxEvent
from notifications.models import Notification
from notifications.services import outbox_dispatch
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/identity/auth/password-reset"


def statements(send) -> list[str]:
    """The SQL a request ran, with its values left out."""
    with CaptureQueriesContext(connection) as queries:
        send()
    return [re.sub(r"'[^']*'|\"s\d+_x\d+\"|\b\d+\b", "?", query["sql"]) for query in queries.captured_queries]


@pytest.mark.parametrize("surface", ["api", "page"])
def test_known_and_unknown_addresses_do_the_same_work_and_send_nothing(api, surface):
    student = StudentFactory()

    def ask(email: str):
        if surface == "api":
            answer = api.post(API, {"email": email}, format="json")
            assert answer.status_code == 202 and answer.content == b""
        else:
            answer = Client().post(reverse("accounts:password-reset"), {"email": email})
            assert answer.status_code == 302 and answer["Location"] == reverse("accounts:password-reset-done")

    ask("warm-up@example.org")  # first-request costs (sessions, caches) out of the comparison
    known = statements(lambda: ask(student.email))
    unknown = statements(lambda: ask("nobody@example.org"))
    assert known == unknown
    assert sum('INSERT INTO "audit_outboxevent"' in sql for sql in known) == 1  # the one thing it does
    assert not any("accounts_user" in sql for sql in known)  # the request does not even look the address up
    assert mail.outbox == [] and not Notification.objects.exists()
    assert OutboxEvent.objects.filter(event_type="identity.password_reset.requested").count() == 3

    outbox_dispatch()
    assert [message.to for message in mail.outbox] == [[student.email]]


def test_a_bad_address_is_a_clear_error(api):
    answer = api.post(API, {"email": "not an address"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert answer.json()["error"]["details"]["email"] == ["Enter a valid email address."]
    assert not OutboxEvent.objects.exists()


def test_an_account_without_a_usable_password_or_inactive_gets_nothing(api):
    inactive = StudentFactory(is_active=False)
    no_password = StudentFactory()
    no_password.set_unusable_password()
    no_password.save(update_fields=["password"])
    for user in (inactive, no_password):
        api.post(API, {"email": user.email}, format="json")
    outbox_dispatch()
    assert mail.outbox == []
