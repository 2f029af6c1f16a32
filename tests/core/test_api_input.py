"""What the API does with input it cannot take: JSON nested too deep, paths
that no route takes, methods a route does not answer. Always the one error
shape, never a 500 or an HTML page."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditLog, IdempotencyRecord, OutboxEvent
from billing.models import LessonPackage
from booking.models import Booking
from tests.clients import client_for
from tests.factories import PASSWORD, StudentFactory, TeacherFactory, make_package, make_slot

LOGIN = "/api/v1/identity/auth/login"
HOLDS = "/api/v1/booking/holds"
LIMIT = 64  # guitaronline.core.parsers.MAX_JSON_DEPTH


def nested(levels: int, inner: str = "1") -> str:
    """`levels` arrays one in another around `inner`: `nested(2)` is `[[1]]`."""
    return "[" * levels + inner + "]" * levels


def with_extra(fields: dict, extra: str) -> str:
    """A JSON object of `fields` plus a key the endpoint ignores, holding `extra` (raw JSON)."""
    return json.dumps(fields)[:-1] + f', "extra": {extra}}}'


def error_of(response) -> dict:
    assert response["Content-Type"] == "application/json", response.content[:200]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def snapshot() -> dict:
    return {
        "bookings": list(Booking.objects.order_by("pk").values()),
        "packages": list(LessonPackage.objects.order_by("pk").values()),
        "audit": AuditLog.objects.count(),
        "outbox": OutboxEvent.objects.count(),
        "idempotency": IdempotencyRecord.objects.count(),
    }


# --- JSON nested too deep ------------------------------------------------------

TOO_DEEP = {
    "100000 arrays": nested(100_000),
    "10000 objects": '{"a":' * 10_000 + "1" + "}" * 10_000,
    "one level past the limit": nested(LIMIT + 1),
    "objects and arrays": '{"a":[' * 40 + "1" + "]}" * 40,
}


@pytest.fixture
def anonymous():
    return APIClient(raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize("body", TOO_DEEP.values(), ids=TOO_DEEP.keys())
def test_json_nested_too_deep_is_a_parse_error_on_the_login(anonymous, student, body):
    before = (AuditLog.objects.count(), student.last_login)

    response = anonymous.generic("POST", LOGIN, body, content_type="application/json")

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "parse_error"
    assert error["details"] == {"max_depth": LIMIT}
    student.refresh_from_db()
    assert (AuditLog.objects.count(), student.last_login) == before


@pytest.mark.django_db
def test_json_nested_up_to_the_limit_is_read(anonymous, student):
    body = with_extra({"email": student.email, "password": PASSWORD}, nested(LIMIT - 1))  # the object is a level

    response = anonymous.generic("POST", LOGIN, body, content_type="application/json")

    assert response.status_code == 200, response.content[:300]
    assert set(response.json()) == {"access", "refresh"}


@pytest.mark.django_db
def test_a_deep_body_is_refused_in_the_login_surrounding_it_too(anonymous, student):
    body = with_extra({"email": student.email, "password": PASSWORD}, nested(LIMIT))

    response = anonymous.generic("POST", LOGIN, body, content_type="application/json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@pytest.fixture
def holding(db):
    """A student who may hold the slot: the refusal below is for the body alone."""
    student = StudentFactory()
    slot = make_slot(TeacherFactory())
    make_package(student)
    api = client_for(student)
    api.raise_request_exception = False
    return api, slot


@pytest.mark.parametrize("idempotency_key", [None, "deep-1"])
@pytest.mark.parametrize("depth", [LIMIT, 100_000])
def test_a_hold_with_json_nested_too_deep_is_refused_and_writes_nothing(holding, depth, idempotency_key):
    api, slot = holding
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    before = snapshot()

    body = with_extra({"slot_id": slot.pk}, nested(depth))
    response = api.generic("POST", HOLDS, body, content_type="application/json", **headers)

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"
    assert snapshot() == before


def test_a_hold_with_json_nested_under_the_limit_is_taken(holding):
    api, slot = holding

    body = with_extra({"slot_id": slot.pk}, nested(LIMIT - 1))
    response = api.generic("POST", HOLDS, body, content_type="application/json")

    assert response.status_code == 201, response.content[:300]
    assert Booking.objects.get().slot_id == slot.pk


@pytest.mark.django_db
def test_malformed_json_says_where_in_numbers(anonymous):
    response = anonymous.generic(
        "POST", LOGIN, '{"email": "a@b.cd",\n "password" "x"}', content_type="application/json"
    )

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "parse_error"
    assert error["details"] == {"line": 2, "column": 13, "position": 32}


@pytest.mark.django_db
def test_a_body_that_is_not_utf8_is_a_parse_error(anonymous):
    response = anonymous.generic("POST", LOGIN, b'{"email": "\xff"}', content_type="application/json")

    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["details"]) == ("parse_error", {"position": 11})


@pytest.mark.django_db
def test_an_unsupported_charset_is_a_parse_error(anonymous):
    response = anonymous.generic("POST", LOGIN, b"{}", content_type="application/json; charset=bz2_codec")

    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["details"]) == ("parse_error", {"charset": "bz2_codec"})


# --- the depth scan ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[[[[[[["]', 1),  # brackets in a string do not count
        (r'["\"[[[[[[[[[[", "\\", [[]]]', 3),  # nor after an escaped quote; an escaped backslash ends nothing
        ('[[[[ "unterminated [[[[[[[[[[', 4),  # a string with no end runs to the end
        (nested(LIMIT), LIMIT),
    ],
)
def test_the_depth_scan_counts_brackets_outside_strings(text, depth):
    from guitaronline.core.parsers import json_depth_exceeds

    assert json_depth_exceeds(text, depth - 1) is (depth > 0)
    assert json_depth_exceeds(text, depth) is False


def test_the_depth_scan_stays_linear_on_unterminated_strings():
    """A quote the scan cannot close must not be retried from every later quote."""
    from guitaronline.core.parsers import json_depth_exceeds

    text = '"' + '\\"' * 200_000 + "[" * (LIMIT + 1)
    started = time.perf_counter()
    assert json_depth_exceeds(text, LIMIT) is False
    assert time.perf_counter() - started < 2  # about a millisecond; quadratic would take minutes


def test_the_parser_turns_a_recursion_error_into_a_parse_error():
    """Should the limit be set past what the interpreter can decode."""
    import io

    from rest_framework.exceptions import ParseError

    from guitaronline.core.parsers import JSONParser

    class Unlimited(JSONParser):
        max_depth = 10**9

    with pytest.raises(ParseError) as raised:
        Unlimited().parse(io.BytesIO(nested(100_000).encode()), "application/json", {})
    assert raised.value.get_codes() == "parse_error"


def test_the_api_reads_json_with_the_limited_parser():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] == ["guitaronline.core.parsers.JSONParser"]


# --- unknown paths and wrong methods -------------------------------------------------

UNKNOWN_API_PATHS = [
    "/api/v1/nope",
    "/api/v2/booking/holds",
    "/api/v1/booking/abc",
    "/api/",
    "/api",
    "/api/v1/booking/holds/",
]
METHODS = ["get", "post", "put", "patch", "delete", "options"]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
@pytest.mark.parametrize("path", UNKNOWN_API_PATHS)
def test_an_unknown_api_path_is_a_json_404_for_every_method(settings, debug, path):
    settings.DEBUG = debug
    client = Client(enforce_csrf_checks=True)  # a POST must not meet the CSRF page first
    for method in METHODS:
        response = getattr(client, method)(path, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404, (method, response.content[:200])
        error = error_of(response)
        assert (error["code"], error["message"]) == ("not_found", "Not found."), method


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
def test_an_unknown_api_path_is_a_json_404_for_a_signed_in_user_too(settings, debug, student):
    settings.DEBUG = debug
    session = Client(enforce_csrf_checks=True)
    session.force_login(student)
    for client in (session, client_for(student)):
        response = client.post("/api/v1/booking/nope", {"slot_id": 1}, content_type="application/json")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
def test_a_page_path_that_does_not_exist_stays_an_html_404(settings, debug):
    settings.DEBUG = debug
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
def test_a_known_api_path_with_a_wrong_method_is_a_json_405(settings, debug, student):
    settings.DEBUG = debug
    cases = [
        (APIClient(), "get", LOGIN, "GET"),
        (APIClient(), "delete", LOGIN, "DELETE"),
        (client_for(student), "delete", HOLDS, "DELETE"),
        (client_for(student), "put", "/api/v1/identity/users/me", "PUT"),
    ]
    for client, method, path, shown in cases:
        response = getattr(client, method)(path, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 405, (method, path)
        error = error_of(response)
        assert error["code"] == "method_not_allowed"
        assert error["message"] == f'Method "{shown}" not allowed.'
