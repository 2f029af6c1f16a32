"""Every user-facing string exists in Russian, and Russian is what a Russian
speaker gets: API errors, pages, service messages and plural forms.

The runtime tests read the compiled catalogs: `make test` compiles them
(`pybabel compile --domain django --directory locale`).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import TeacherProfile, User
from guitaronline.core.errors import InvalidInput
from tests.billing.factories import LessonPackageFactory

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
RU_PO = LOCALE_DIR / "ru" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"

# %(name)s, %(count)d, %s, %d ... (a literal %% is not a placeholder) and {name}
_PRINTF = re.compile(r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<type>[diouxXeEfFgGcrsa%])")
_BRACES = re.compile(r"\{[^{}]*\}")


def placeholders(text: str) -> Counter:
    found = Counter(
        match.group(0)
        for match in _PRINTF.finditer(text)
        if match.group("type") != "%"  # "%%" is a literal percent sign
    )
    found.update(_BRACES.findall(text))
    return found


def _catalog(path: Path, locale: str):
    with path.open("rb") as po:
        return read_po(po, locale=locale, abort_invalid=True)


def _messages(catalog) -> list:
    return [message for message in catalog if message.id]  # the header has an empty id


def _key(message) -> tuple:
    return (message.context, message.id)


def _label(message) -> str:
    context = f"[{message.context}] " if message.context else ""
    return context + (message.id[0] if message.pluralizable else message.id)


# --- the catalogs ------------------------------------------------------------


@pytest.fixture(scope="module")
def ru_catalog():
    return _catalog(RU_PO, "ru")


def test_placeholder_parsing():
    assert placeholders("%(count)d left, %(name)s, 100%% sure, %s, {when}") == Counter(
        {"%(count)d": 1, "%(name)s": 1, "%s": 1, "{when}": 1}
    )


def test_every_russian_message_is_translated(ru_catalog):
    untranslated = []
    for message in _messages(ru_catalog):
        forms = message.string if message.pluralizable else (message.string,)
        if not all(form and form.strip() for form in forms):
            untranslated.append(_label(message))
    assert untranslated == [], "Russian msgstr missing; translate them in locale/ru/LC_MESSAGES/django.po"


def test_no_russian_message_is_fuzzy(ru_catalog):
    fuzzy = [_label(message) for message in _messages(ru_catalog) if message.fuzzy]
    assert fuzzy == [], "fuzzy entries are guesses: check each, fix it and drop the flag"


def test_plural_messages_have_every_russian_form(ru_catalog):
    assert ru_catalog.num_plurals == 4  # the header's Plural-Forms (Django's Russian rule)
    wrong = [
        _label(message)
        for message in _messages(ru_catalog)
        if message.pluralizable and len(message.string) != ru_catalog.num_plurals
    ]
    assert wrong == []


def test_russian_messages_keep_the_placeholders_of_their_msgid(ru_catalog):
    mismatched = []
    for message in _messages(ru_catalog):
        if message.pluralizable:
            expected = placeholders(message.id[0]) | placeholders(message.id[1])
            forms = message.string
        else:
            expected = placeholders(message.id)
            forms = (message.string,)
        for form in forms:
            if placeholders(form or "") != expected:
                mismatched.append((_label(message), form))
    assert mismatched == []


def test_english_and_russian_catalogs_hold_the_same_messages(ru_catalog):
    en_catalog = _catalog(EN_PO, "en")
    assert {_key(m) for m in _messages(en_catalog)} == {_key(m) for m in _messages(ru_catalog)}
    # English is the source language: its msgstr stay empty and the msgid is shown
    filled = [
        _label(message)
        for message in _messages(en_catalog)
        if any(message.string if message.pluralizable else (message.string,))
    ]
    assert filled == []


# --- what a Russian speaker gets ----------------------------------------------


@pytest.mark.django_db
def test_api_error_comes_in_russian_for_accept_language_ru():
    response = APIClient().post(
        "/api/v1/identity/auth/login",
        {"email": "not-an-e-mail", "password": ""},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "Некорректные данные."
    assert set(error["details"]) == {"email", "password"}
    assert response["Content-Language"] == "ru"


@pytest.mark.django_db
def test_api_error_stays_english_for_accept_language_en():
    response = APIClient().post("/api/v1/identity/auth/login", {"email": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["message"] == "Invalid input."


@pytest.mark.django_db
def test_page_comes_in_russian_for_accept_language_ru():
    response = Client().get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Забыли пароль?" in page
    assert "Forgot your password?" not in page


@pytest.mark.django_db
def test_page_comes_in_the_russian_users_language(teacher):
    User.objects.filter(pk=teacher.pk).update(language="ru")
    client = Client()
    client.force_login(teacher)
    # the user's own language wins over what the browser asks for
    response = client.get(reverse("accounts:teacher-home"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    page = response.content.decode()
    assert "Ваш публичный профиль" in page
    assert "Your public profile" not in page


@pytest.mark.django_db
def test_service_messages_are_translated_when_raised(teacher):
    profile = TeacherProfile.objects.get(user=teacher)
    with translation.override("ru"), pytest.raises(InvalidInput) as raised:
        account_services.teacher_profile_update(profile=profile, display_name=" ", levels=["expert"], lesson_minutes=5)
    assert raised.value.details == {
        "levels": ["Неизвестный уровень: expert."],
        "display_name": ["Это поле не может быть пустым."],
        "lesson_minutes": ["Длительность урока должна быть от 15 до 240 минут."],
    }
    with translation.override("en"), pytest.raises(InvalidInput) as raised:
        account_services.teacher_profile_update(profile=profile, display_name="Anna", levels=["expert", "guru"])
    assert raised.value.details == {"levels": ["Unknown levels: expert, guru."]}


@pytest.mark.parametrize(
    ("count", "russian"),
    [
        (1, "1 платёж возвращён."),
        (3, "3 платежа возвращены."),
        (5, "5 платежей возвращено."),
        (11, "11 платежей возвращено."),
        (21, "21 платёж возвращён."),
        (22, "22 платежа возвращены."),
    ],
)
def test_russian_plural_forms(count, russian):
    with translation.override("ru"):
        text = translation.ngettext("%(count)d payment(s) refunded.", "%(count)d payment(s) refunded.", count)
    assert text % {"count": count} == russian


@pytest.mark.django_db
def test_admin_message_comes_in_the_russian_staff_users_language(staff):
    User.objects.filter(pk=staff.pk).update(language="ru")
    client = Client()
    client.force_login(staff)
    overdue = LessonPackageFactory(expires_at=timezone.now() - timedelta(hours=1))
    response = client.post(
        reverse("admin:billing_lessonpackage_changelist"),
        {"action": "expire_overdue", "_selected_action": [overdue.pk]},
    )
    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == ["1 пакет уроков отмечен как истёкший."]
