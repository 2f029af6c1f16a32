"""Telegram: linking through the bot's one-time deep link, the webhook's
secret-token check, delivery through the outbox to a fake Bot API on
loopback with the e-mail's retry and dead-letter rules, and unlinking."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from audit.models import AuditLog
from guitaronline.core import retries
from notifications import preferences, telegram
from notifications.models import Notification, NotificationSettings, TelegramLinkToken
from notifications.services import outbox_dispatch, telegram_send_due
from tests.clients import client_for, signed_in
from tests.factories import StudentFactory, TeacherFactory
from tests.fakes.telegram import FakeBotApi
from tests.notifications.factories import lesson_event

pytestmark = pytest.mark.django_db

TOKEN = "123456:TEST-token"
SECRET = "school-webhook-secret"
WEBHOOK = "/api/v1/notifications/telegram/webhook"
LINK_API = "/api/v1/notifications/telegram/link"


@pytest.fixture
def bot_api(settings):
    fake = FakeBotApi(token=TOKEN).start()
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_BOT_USERNAME = "GuitarOnlineSchoolBot"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    settings.TELEGRAM_API_BASE = fake.url
    settings.TELEGRAM_TIMEOUT_SECONDS = 2
    yield fake
    fake.stop()


def update(text: str, *, chat_id: int = 777, username: str = "nina_plays", language: str = "en") -> dict:
    return {
        "update_id": 1,
        "message": {
            "message_id": 10,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "username": username, "language_code": language},
            "text": text,
        },
    }


def deliver(body: dict, secret: str | None = SECRET):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
    return Client().post(WEBHOOK, body, content_type="application/json", **headers)


def start_token(user) -> str:
    answer = client_for(user).post(LINK_API)
    assert answer.status_code == 201, answer.content
    url = answer.json()["url"]
    assert url.startswith("https://t.me/GuitarOnlineSchoolBot?start=")
    return url.rsplit("=", 1)[1]


def link(user, chat_id: int = 777) -> None:
    answer = deliver(update(f"/start {start_token(user)}", chat_id=chat_id))
    assert answer.status_code == 200 and "Done" in answer.json()["text"], answer.content


def test_without_a_bot_the_channel_is_not_offered(student):
    assert client_for(student).get("/api/v1/notifications/preferences").json()["telegram"]["available"] is False
    answer = client_for(student).post(LINK_API)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "telegram_unavailable"
    assert deliver(update("/start x")).status_code == 404


def test_linking_through_the_deep_link(bot_api, student):
    token = start_token(student)
    assert len(token) == 32 and not TelegramLinkToken.objects.filter(token_hash=token).exists()  # kept hashed
    answer = deliver(update(f"/start {token}"))
    assert answer.status_code == 200
    body = answer.json()
    assert body["method"] == "sendMessage" and body["chat_id"] == 777
    assert student.full_name in body["text"]
    row = NotificationSettings.objects.get(user=student)
    assert (row.telegram_chat_id, row.telegram_username) == (777, "nina_plays")
    assert AuditLog.objects.filter(action="notifications.telegram.linked").count() == 1
    summary = client_for(student).get("/api/v1/notifications/preferences").json()
    assert summary["telegram"] == {"available": True, "linked": True, "username": "nina_plays"}
    assert summary["kinds"]["reminders"] == {"email": True, "in_app": True, "telegram": True}

    reused = deliver(update(f"/start {token}", chat_id=888))
    assert "not valid, has expired or has already been used" in reused.json()["text"]
    assert NotificationSettings.objects.get(user=student).telegram_chat_id == 777


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
def test_a_forged_webhook_call_is_refused_and_changes_nothing(bot_api, student, secret):
    token = start_token(student)
    answer = deliver(update(f"/start {token}"), secret=secret)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"
    assert not NotificationSettings.objects.filter(telegram_chat_id__isnull=False).exists()


def test_a_chat_linked_to_another_account_is_refused_with_a_message(bot_api, student):
    link(student)
    other = StudentFactory(language="ru")
    answer = deliver(update(f"/start {start_token(other)}", language="ru"))
    assert answer.status_code == 200
    assert "уже привязан к другому аккаунту" in answer.json()["text"]
    assert not NotificationSettings.objects.filter(user=other, telegram_chat_id__isnull=False).exists()


def test_anything_else_gets_a_hint_and_odd_updates_are_ignored(bot_api):
    assert "open the link on your profile page" in deliver(update("hello")).json()["text"]
    assert deliver({"update_id": 2, "edited_message": {}}).json() == {}
    assert deliver({"update_id": 3, "message": {"chat": {"id": "x"}}}).json() == {}


def test_chosen_notifications_go_to_telegram_through_the_outbox(bot_api):
    student, teacher = StudentFactory(full_name="Dan O'Brien & Co"), TeacherFactory()
    link(student)
    client_for(student).patch(
        "/api/v1/notifications/preferences", {"kinds": {"reminders": {"telegram": False}}}, format="json"
    )
    lesson_event(student, teacher, lesson_id=3)  # essential: by every channel
    lesson_event(student, teacher, event_type="lesson.reminder", kind="24h", lesson_id=3)
    result = outbox_dispatch()
    assert result.emails_failed == 0
    [sent] = bot_api.sent
    assert sent["chat_id"] == 777
    assert sent["text"].startswith("Lesson booked:") and "/lessons/3/" in sent["text"]
    telegram_rows = Notification.objects.filter(recipient=student, channel="telegram")
    assert [(row.event_type, row.status) for row in telegram_rows] == [("booking.confirmed", "sent")]
    outbox_dispatch()
    assert len(bot_api.sent) == 1  # sent once


def test_secret_links_never_go_to_telegram(bot_api, student):
    link(student)
    Client().post(reverse("accounts:password-reset"), {"email": student.email})
    outbox_dispatch()
    assert bot_api.sent == []
    assert set(Notification.objects.filter(recipient=student).values_list("channel", flat=True)) == {"email"}


def test_telegram_failures_retry_with_backoff_then_become_a_dead_letter(bot_api, settings):
    settings.OUTBOX_MAX_RETRIES = 2
    student, teacher = StudentFactory(), TeacherFactory()
    link(student)
    lesson_event(student, teacher, lesson_id=4)
    bot_api.go_down("error")
    outbox_dispatch()
    row = Notification.objects.get(recipient=student, channel="telegram")
    assert row.status == "failed" and row.attempts == 1 and row.next_attempt_at is not None
    assert "500" in row.last_error
    telegram_send_due(now=row.next_attempt_at)
    row.refresh_from_db()
    assert row.attempts == 2
    assert Notification.objects.filter(pk=row.pk).filter(retries.dead_letter()).exists()

    bot_api.come_back()
    telegram_send_due(now=row.next_attempt_at)
    assert bot_api.sent == []  # a dead letter waits for staff


def test_a_blocked_bot_or_an_unlinked_chat_fails_visibly(bot_api):
    student, teacher = StudentFactory(), TeacherFactory()
    link(student)
    lesson_event(student, teacher, lesson_id=6)
    bot_api.blocked_chats.add(777)
    outbox_dispatch()
    row = Notification.objects.get(recipient=student, channel="telegram")
    assert row.status == "failed" and "blocked" in row.last_error

    assert client_for(student).delete(LINK_API).status_code == 204
    assert AuditLog.objects.filter(action="notifications.telegram.unlinked").count() == 1
    telegram_send_due(now=row.next_attempt_at)
    row.refresh_from_db()
    assert "no longer linked" in row.last_error
    assert Notification.objects.filter(pk=row.pk).filter(retries.dead_letter()).exists()


def test_the_profile_links_and_unlinks(bot_api, student):
    client = signed_in(student, language="en")
    assert "Link Telegram" in client.get(reverse("accounts:profile")).content.decode()
    shown = client.post(reverse("notifications:telegram-link"), follow=True).content.decode()
    assert "https://t.me/GuitarOnlineSchoolBot?start=" in shown
    token = shown.split("https://t.me/GuitarOnlineSchoolBot?start=", 1)[1].split('"', 1)[0]
    deliver(update(f"/start {token}"))
    assert "Linked to @nina_plays." in client.get(reverse("accounts:profile")).content.decode()
    unlinked = client.post(reverse("notifications:telegram-unlink"), follow=True).content.decode()
    assert "Telegram is unlinked" in unlinked
    assert preferences.telegram_chats([student.pk]) == {}


def test_the_webhook_command_registers_the_url_and_secret(bot_api, capsys):
    call_command("telegram_webhook")
    assert bot_api.webhook == {
        "url": "http://127.0.0.1:8000/api/v1/notifications/telegram/webhook".replace(
            "http://127.0.0.1:8000", telegram.settings.SITE_URL
        ),
        "secret_token": SECRET,
        "allowed_updates": ["message"],
    }
    assert "Webhook set" in capsys.readouterr().out
