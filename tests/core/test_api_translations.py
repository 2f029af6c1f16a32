"""The API's own refusals and those DRF and simplejwt word for it come in the
reader's language: a Russian answer holds no English sentence, an English
one stays English, and the keys of `details` (the API's names) are the same
in both.

The catalogs are read compiled: `make messages` before the tests.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation
from rest_framework import exceptions, fields, pagination, relations, serializers, validators
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from booking import services as booking_services
from lessons import services as lesson_services
from tests.factories import StaffFactory, StudentFactory, TeacherFactory, make_package, make_slot

# Three Latin words in a row: an English sentence, or a piece of one.
# Codes (`token_not_valid`), format patterns and quoted values do not match.
LATIN_RUN = re.compile(r"(?<![\w-])[A-Za-z]+(?:[ \t]+[A-Za-z]+){2,}")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def texts(value, path=()):
    """Every string in a JSON value with its path; keys are names, not text."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from texts(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from texts(inner, (*path, index))
    elif isinstance(value, str):
        yield path, value


def shape(value):
    """The value with its keys kept and every leaf replaced."""
    if isinstance(value, dict):
        return {key: shape(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [shape(inner) for inner in value]
    return type(value).__name__


# --- the requests ----------------------------------------------------------------


def _bearer(token) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _expired(user) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(minutes=1))
    return str(token)


@pytest.fixture
def world(db, settings):
    """The people and rows the failing requests need, in one language each."""
    settings.AUTH_RATE_LIMIT_LOGIN_REQUESTS = settings.AUTH_RATE_LIMIT_REGISTER_REQUESTS = 10_000
    world = {}
    for language in ("ru", "en"):
        teacher = TeacherFactory(language=language)
        student = StudentFactory(language=language)
        make_package(student)
        booking = booking_services.booking_hold(student=student, slot_id=make_slot(teacher).pk)
        lesson = booking_services.booking_confirm(booking=booking, actor=student).lesson
        item = lesson_services.homework_item_add(lesson=lesson, actor=teacher, kind="piece", title="Etude", details="")
        gone = StudentFactory(language=language)
        gone_token = str(AccessToken.for_user(gone))
        gone.delete()
        world[language] = {
            "student": student,
            "teacher": teacher,
            "staff": StaffFactory(language=language),
            "inactive": StudentFactory(language=language, is_active=False),
            "gone_token": gone_token,
            "lesson": lesson,
            "item": item,
        }
    return world


def _requests(people: dict) -> dict:
    """label -> (client kind, method, path, body or None, extra request arguments)."""
    student, inactive = people["student"], people["inactive"]
    login, holds, slots = "/api/v1/identity/auth/login", "/api/v1/booking/holds", "/api/v1/scheduling/slots"
    many_ids = ", ".join([f'"{uuid.uuid4()}"'] * 501)
    return {
        # anonymous
        "anonymous, signed-in path": ("anonymous", "get", "/api/v1/identity/users/me", None, {}),
        "login, fields missing": ("anonymous", "post", login, "{}", {}),
        "login, wrong types": ("anonymous", "post", login, '{"email": "not-an-email", "password": true}', {}),
        "login, a list": ("anonymous", "post", login, "[1, 2]", {}),
        "login, malformed JSON": ("anonymous", "post", login, '{"email": ', {}),
        "login, JSON too deep": ("anonymous", "post", login, "[" * 5000 + "]" * 5000, {}),
        "login, NaN": ("anonymous", "post", login, '{"email": NaN}', {}),
        "login, not UTF-8": ("anonymous", "post", login, b'{"email": "\xff"}', {}),
        "login, bad charset": (
            "anonymous",
            "post",
            login,
            "{}",
            {"content_type": "application/json; charset=bz2_codec"},
        ),
        "login, unsupported media type": ("anonymous", "post", login, "email=a", {"content_type": "text/plain"}),
        "login, wrong method": ("anonymous", "get", login, None, {}),
        "login, surrogate": ("anonymous", "post", login, '{"email": "\\ud800@x.org"}', {}),
        "register, too long and bad choices": (
            "anonymous",
            "post",
            "/api/v1/identity/auth/register",
            json.dumps(
                {
                    "email": "a@example.org",
                    "password": "p" * 129,
                    "full_name": "n" * 151,
                    "role": "boss",
                    "language": "fr",
                }
            ),
            {},
        ),
        "refresh, garbage": ("anonymous", "post", "/api/v1/identity/auth/refresh", '{"refresh": "x"}', {}),
        "unknown API path": ("anonymous", "post", "/api/v1/no-such-thing", "{}", {}),
        "unknown teacher": ("anonymous", "get", "/api/v1/teachers/999999", None, {}),
        "teachers, bad page": ("anonymous", "get", "/api/v1/teachers?page=99", None, {}),
        "open slots, bad date and teacher": (
            "anonymous",
            "get",
            "/api/v1/scheduling/slots/open?from=yesterday&teacher=abc",
            None,
            {},
        ),
        # bad, expired and misused tokens
        "bad token": ("anonymous", "get", "/api/v1/identity/users/me", None, _bearer("abc.def.ghi")),
        "bad token on a public read": ("anonymous", "get", "/api/v1/scheduling/slots/open", None, _bearer("abc.def")),
        "bearer without a token": ("anonymous", "get", "/api/v1/booking/my", None, {"HTTP_AUTHORIZATION": "Bearer"}),
        "expired token": ("anonymous", "get", "/api/v1/identity/users/me", None, _bearer(_expired(student))),
        "refresh token as access": (
            "anonymous",
            "get",
            "/api/v1/booking/my",
            None,
            _bearer(RefreshToken.for_user(student)),
        ),
        "token of a removed user": (
            "anonymous",
            "get",
            "/api/v1/identity/users/me",
            None,
            _bearer(people["gone_token"]),
        ),
        "token of an inactive user": (
            "anonymous",
            "get",
            "/api/v1/identity/users/me",
            None,
            _bearer(AccessToken.for_user(inactive)),
        ),
        # a student
        "hold, field missing": ("student", "post", holds, "{}", {}),
        "hold, not an integer": ("student", "post", holds, '{"slot_id": "abc"}', {}),
        "hold, too large a number": ("student", "post", holds, json.dumps({"slot_id": "9" * 1001}), {}),
        "hold, wrong method": ("student", "patch", holds, "{}", {}),
        "hold, malformed JSON": ("student", "post", holds, "{'slot_id': 1}", {}),
        "hold, unsupported media type": (
            "student",
            "post",
            holds,
            "slot_id=1",
            {"content_type": "application/x-www-form-urlencoded"},
        ),
        "hold, JSON too deep": ("student", "post", holds, '{"a":' * 100 + "1" + "}" * 100, {}),
        "unknown booking": ("student", "get", "/api/v1/booking/999999", None, {}),
        "my bookings, bad page": ("student", "get", "/api/v1/booking/my?page=7", None, {}),
        "my lessons, bad dates": ("student", "get", "/api/v1/lessons/my?from=soon&status=lost", None, {}),
        "notifications, bad flag": ("student", "get", "/api/v1/notifications/my?unread=maybe", None, {}),
        "mark read, not a list": ("student", "post", "/api/v1/notifications/my/read", '{"ids": "x"}', {}),
        "mark read, not UUIDs": ("student", "post", "/api/v1/notifications/my/read", '{"ids": ["x", 5]}', {}),
        "mark read, too many": ("student", "post", "/api/v1/notifications/my/read", f'{{"ids": [{many_ids}]}}', {}),
        "profile, too long and bad choice": (
            "student",
            "patch",
            "/api/v1/identity/users/me",
            json.dumps({"full_name": "n" * 151, "language": "xx"}),
            {},
        ),
        "password, not strings": (
            "student",
            "post",
            "/api/v1/identity/users/me/password",
            '{"current_password": {}, "new_password": []}',
            {},
        ),
        "my packages, bad filter": ("student", "get", "/api/v1/billing/packages/my?status=bogus", None, {}),
        "a teacher's path": ("student", "post", slots, "{}", {}),
        "session without CSRF token": ("session", "post", holds, '{"slot_id": 1}', {}),
        # a teacher
        "slot, bad date-times": ("teacher", "post", slots, '{"start_at": "soon", "end_at": "2027-03-02T18:00"}', {}),
        "slot, date-time out of range": (
            "teacher",
            "post",
            slots,
            '{"start_at": "9999-12-31T23:00:00-23:00", "end_at": [1]}',
            {},
        ),
        "recurring, bad values": (
            "teacher",
            "post",
            "/api/v1/scheduling/slots/recurring",
            '{"weekday": 9, "start_time": "x", "end_time": "25:00", "slot_minutes": "a", "weeks": 0}',
            {},
        ),
        "homework, bad values": (
            "teacher",
            "patch",
            f"/api/v1/lessons/homework/{people['item'].pk}",
            json.dumps({"kind": "nope", "title": "t" * 1000, "position": -1, "done": "maybe"}),
            {},
        ),
        "lesson, bad link": (
            "teacher",
            "patch",
            f"/api/v1/lessons/{people['lesson'].pk}",
            '{"meeting_url": "not a link"}',
            {},
        ),
        # staff
        "package, bad values": (
            "staff",
            "post",
            "/api/v1/billing/packages",
            json.dumps(
                {
                    "student_id": 999999,
                    "lessons_total": 1.5,
                    "price": "12.345",
                    "currency": "RUBLE",
                    "expires_at": "2027-13-01",
                }
            ),
            {},
        ),
    }


def _client(kind: str, people: dict, language: str):
    if kind == "session":
        client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(people["student"])
        return client
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if kind != "anonymous":
        client.credentials(**_bearer(RefreshToken.for_user(people[kind]).access_token))
    return client


def _answer(language: str, people: dict, request) -> tuple[int, dict]:
    kind, method, path, body, extra = request
    extra = dict(extra)
    client = _client(kind, people, language)
    if body is None:
        response = getattr(client, method)(path, **extra)
    else:
        content_type = extra.pop("content_type", "application/json")
        response = client.generic(method.upper(), path, body, content_type=content_type, **extra)
    assert response["Content-Type"] == "application/json", (response.status_code, response.content[:200])
    return response.status_code, response.json()


def test_every_refusal_comes_in_russian_and_in_english(world):
    """The same requests, by a Russian and an English reader: each is refused
    with the same status, code and keys, and its words in the reader's language."""
    english_leaks, russian_leaks, differences = [], [], []
    requests_ru, requests_en = _requests(world["ru"]), _requests(world["en"])
    for label, request in requests_ru.items():
        status_ru, body_ru = _answer("ru", world["ru"], request)
        status_en, body_en = _answer("en", world["en"], requests_en[label])
        assert 400 <= status_ru < 500 and set(body_ru) == {"error"}, (label, status_ru, body_ru)
        seen_ru = (status_ru, body_ru["error"]["code"], shape(body_ru))
        if seen_ru != (status_en, body_en["error"]["code"], shape(body_en)):
            differences.append((label, body_ru, body_en))
        for path, text in texts(body_ru["error"]):
            if path == ("code",):
                continue
            if LATIN_RUN.search(text) or (" " in text and not CYRILLIC.search(text)):  # a phrase, not a name
                english_leaks.append((label, path, text))
        for path, text in texts(body_en["error"]):
            if CYRILLIC.search(text):
                russian_leaks.append((label, path, text))
        assert re.search("[A-Za-z]{3,}", body_en["error"]["message"]), (label, body_en)
    assert english_leaks == []
    assert russian_leaks == []
    assert differences == []


# --- the libraries' messages -------------------------------------------------------

# Latin words a Russian message may hold: names, not English.
NAMES = {"URL", "JSON", "UUID", "IPv4", "IPv6", "NULL", "Authorization"}
# What a message fills in or quotes is not its wording.
_FILLED_IN = re.compile(r"\{[^{}]*\}|%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[a-z]|%[sdr]|\"[^\"]*\"|«[^»]*»|'[^']*'")

# What simplejwt can say to a client of this API: JWTAuthentication's
# refusals and the token errors behind them.
SIMPLEJWT_MESSAGES = [
    "Authorization header must contain two space-delimited values",
    "Given token not valid for any token type",
    "Token contained no recognizable user identification",
    "User not found",
    "User is inactive",
    "The user's password has been changed.",
    "Token is invalid or expired",
    "Token is invalid",
    "Token is expired",
    "Token has no id",
    "Token has no type",
    "Token has wrong type",
    "Token has no '{}' claim",
    "Token '{}' claim has expired",
    "Token is blacklisted",
    "No active account found with the given credentials",
    "No active account found for the given token.",
]


_MESSAGE_ATTRIBUTES = ("default_detail", "message", "invalid_page_message")


def _drf_messages() -> list[str]:
    """Every message DRF's fields, serializers, relations, validators,
    exceptions and paginators hold, as written (English)."""
    found = set()
    with translation.override(None):  # no catalog: the message ids themselves
        for module in (fields, serializers, relations, validators, exceptions, pagination):
            for cls in vars(module).values():
                if not isinstance(cls, type) or not cls.__module__.startswith("rest_framework"):
                    continue
                held = list((getattr(cls, "default_error_messages", None) or {}).values())
                held += [cls.__dict__[name] for name in _MESSAGE_ATTRIBUTES if name in cls.__dict__]
                found.update(str(message) for message in held if message)
    return sorted(found)


def test_drf_messages_are_found():
    messages = _drf_messages()
    assert "This field is required." in messages
    assert 'Method "{method}" not allowed.' in messages
    assert "Must be a valid UUID." in messages
    assert len(messages) > 70


@pytest.mark.parametrize("message", _drf_messages() + SIMPLEJWT_MESSAGES)
def test_drf_and_simplejwt_messages_have_russian_without_english_words(message):
    with translation.override("ru"):
        russian = translation.gettext(message)
    assert russian != message, "no Russian: add it to locale/ru/LC_MESSAGES/django.po"
    words = re.findall(r"[A-Za-z][A-Za-z0-9]+", _FILLED_IN.sub("", russian))
    assert set(words) <= NAMES, f"English in {russian!r}"


def test_simplejwt_catalog_is_loaded():
    """simplejwt ships its Russian as `ru_RU`, read for `ru` once the app is installed."""
    from django.conf import settings

    assert "rest_framework_simplejwt" in settings.INSTALLED_APPS
    with translation.override("ru"):
        assert translation.gettext("User is inactive") == "Пользователь неактивен"
