from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import OutboxEvent
from billing.models import LessonPackage, Payment
from tests.billing.factories import LessonPackageFactory, PaymentFactory
from tests.billing.helpers import db_state
from tests.clients import client_for
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/billing"
PACKAGE_KEYS = {"id", "lessons_total", "lessons_left", "status", "expires_at", "price", "currency"}
PAYMENT_KEYS = {
    "id", "product_id", "package_id", "amount", "currency", "status", "provider", "checkout_url",
    "paid_at", "refunded_amount", "refunded_at", "created_at",
}  # fmt: skip


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return body["error"]


def assert_aware_iso(value: str) -> None:
    assert datetime.fromisoformat(value).utcoffset() is not None


def test_routes_have_stable_names():
    assert reverse("api:billing-packages-my") == f"{BASE}/packages/my"
    assert reverse("api:billing-packages-student", kwargs={"student_id": 7}) == f"{BASE}/packages/students/7"
    assert reverse("api:billing-packages-list") == f"{BASE}/packages"
    assert reverse("api:billing-packages-detail", kwargs={"pk": 7}) == f"{BASE}/packages/7"
    assert reverse("api:billing-packages-expire") == f"{BASE}/packages/expire"
    assert reverse("api:billing-payments-my") == f"{BASE}/payments/my"
    assert reverse("api:billing-payments-list") == f"{BASE}/payments"
    assert reverse("api:billing-payments-detail", kwargs={"pk": 7}) == f"{BASE}/payments/7"
    assert reverse("api:billing-payments-status", kwargs={"pk": 7}) == f"{BASE}/payments/7/status"


# --- packages: reads --------------------------------------------------------


def test_my_packages_lists_own_packages_in_the_contract_shape(student, student_api):
    package = LessonPackageFactory(student=student, lessons_total=10, lessons_left=7, price=Decimal("15000"))
    LessonPackageFactory()  # someone else's

    response = student_api.get(f"{BASE}/packages/my")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    (item,) = body["results"]
    assert set(item) == PACKAGE_KEYS
    assert item["id"] == package.pk
    assert (item["lessons_total"], item["lessons_left"], item["status"]) == (10, 7, "active")
    assert (item["price"], item["currency"]) == ("15000.00", "RUB")
    assert_aware_iso(item["expires_at"])
    assert datetime.fromisoformat(item["expires_at"]) == package.expires_at


def test_a_package_past_expiry_shows_expired_before_any_job(student, student_api, staff_api):
    package = LessonPackageFactory(student=student, expires_at=timezone.now() - timedelta(minutes=1))

    for client, path in [
        (student_api, f"{BASE}/packages/my"),
        (staff_api, f"{BASE}/packages/students/{student.pk}"),
    ]:
        (item,) = client.get(path).json()["results"]
        assert item["status"] == "expired"
    assert student_api.get(f"{BASE}/packages/{package.pk}").json()["status"] == "expired"

    package.refresh_from_db()
    assert package.status == LessonPackage.Status.ACTIVE  # reading changed nothing
    assert not OutboxEvent.objects.filter(event_type="billing.package.expired").exists()


def test_package_lists_filter_by_the_status_shown(student, student_api):
    live = LessonPackageFactory(student=student)
    overdue = LessonPackageFactory(student=student, expires_at=timezone.now() - timedelta(days=1))

    active = student_api.get(f"{BASE}/packages/my", {"status": "active"}).json()["results"]
    expired = student_api.get(f"{BASE}/packages/my", {"status": "expired"}).json()["results"]

    assert [item["id"] for item in active] == [live.pk]
    assert [item["id"] for item in expired] == [overdue.pk]
    assert_error(student_api.get(f"{BASE}/packages/my", {"status": "bogus"}), 400, "validation_error")


def test_package_lists_are_paginated(student, student_api):
    LessonPackageFactory.create_batch(3, student=student)

    body = student_api.get(f"{BASE}/packages/my", {"page_size": 2}).json()

    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"]
    assert_error(student_api.get(f"{BASE}/packages/my", {"page": 9}), 404, "not_found")


def test_student_packages_for_the_student_and_staff(student, student_api, staff_api):
    package = LessonPackageFactory(student=student)

    for client in (student_api, staff_api):
        body = client.get(f"{BASE}/packages/students/{student.pk}").json()
        assert [item["id"] for item in body["results"]] == [package.pk]
        assert set(body["results"][0]) == PACKAGE_KEYS


@pytest.mark.parametrize("student_id", ["999999999", "abc", "0"])
def test_student_packages_of_an_unknown_student_is_not_found(staff_api, student_id):
    assert_error(staff_api.get(f"{BASE}/packages/students/{student_id}"), 404, "not_found")


def test_student_packages_of_a_teacher_is_not_found(staff_api, teacher):
    assert_error(staff_api.get(f"{BASE}/packages/students/{teacher.pk}"), 404, "not_found")


# --- packages: create -------------------------------------------------------


def _package_body(student, **overrides):
    body = {
        "student_id": student.pk,
        "lessons_total": 8,
        "price": "12000.00",
        "currency": "RUB",
        "expires_at": (timezone.now() + timedelta(days=60)).isoformat(),
    }
    body.update(overrides)
    return body


def test_staff_create_a_package(staff, staff_api, student):
    response = staff_api.post(f"{BASE}/packages", _package_body(student, currency="rub"), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == PACKAGE_KEYS
    package = LessonPackage.objects.get(pk=body["id"])
    assert package.student == student
    assert body["status"] == "active"
    assert (body["lessons_total"], body["lessons_left"], body["price"], body["currency"]) == (8, 8, "12000.00", "RUB")
    assert OutboxEvent.objects.filter(event_type="billing.package.created", aggregate_id=str(package.pk)).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"student_id": 999999999}, "student_id"),
        ({"student_id": "abc"}, "student_id"),
        ({"student_id": "teacher"}, "student_id"),
        ({"lessons_total": 0}, "lessons_total"),
        ({"lessons_total": "many"}, "lessons_total"),
        ({"lessons_total": 10**12}, "lessons_total"),
        ({"price": "-1.00"}, "price"),
        ({"price": "1.005"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"currency": "RU"}, "currency"),
        ({"currency": "RUBLES"}, "currency"),
        ({"currency": "12$"}, "currency"),
        ({"expires_at": "yesterday"}, "expires_at"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": None}, "expires_at"),
        ({"student_id": None}, "student_id"),
    ],
)
def test_package_create_refuses_bad_input_with_400(staff_api, student, teacher, overrides, field):
    if overrides.get("student_id") == "teacher":
        overrides = {"student_id": teacher.pk}
    before = db_state(student)

    response = staff_api.post(f"{BASE}/packages", _package_body(student, **overrides), format="json")

    error = assert_error(response, 400, "validation_error")
    assert field in error["details"]
    assert db_state(student) == before


def test_package_create_refuses_a_missing_field(staff_api, student):
    body = _package_body(student)
    del body["price"]

    error = assert_error(staff_api.post(f"{BASE}/packages", body, format="json"), 400, "validation_error")

    assert "price" in error["details"]


def test_package_create_refuses_malformed_json(staff_api):
    response = staff_api.generic("POST", f"{BASE}/packages", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


# --- packages: expire -------------------------------------------------------


def test_staff_expire_overdue_packages(staff, staff_api):
    LessonPackageFactory.create_batch(2, expires_at=timezone.now() - timedelta(hours=1))
    LessonPackageFactory()

    first = staff_api.post(f"{BASE}/packages/expire")
    second = staff_api.post(f"{BASE}/packages/expire")

    assert (first.status_code, first.json()) == (200, {"expired": 2})
    assert (second.status_code, second.json()) == (200, {"expired": 0})
    events = OutboxEvent.objects.filter(event_type="billing.package.expired")
    assert events.count() == 2


# --- payments ---------------------------------------------------------------


def test_staff_record_a_payment(staff_api):
    package = LessonPackageFactory(currency="RUB")

    response = staff_api.post(
        f"{BASE}/payments", {"package_id": package.pk, "amount": "15000.00", "currency": "RUB"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == PAYMENT_KEYS
    assert body["package_id"] == package.pk
    assert (body["amount"], body["currency"], body["status"], body["paid_at"]) == ("15000.00", "RUB", "pending", None)
    assert_aware_iso(body["created_at"])
    assert Payment.objects.get(pk=body["id"]).provider_reference == f"offline-{body['id']}"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"package_id": 999999999}, "package_id"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "1.999"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"currency": "EUR"}, "currency"),
        ({"currency": "EURO"}, "currency"),
    ],
)
def test_payment_create_refuses_bad_input_with_400(staff_api, body, field):
    package = LessonPackageFactory(currency="RUB")
    payload = {"package_id": package.pk, "amount": "100.00", "currency": "RUB", **body}
    before = db_state(package)

    error = assert_error(staff_api.post(f"{BASE}/payments", payload, format="json"), 400, "validation_error")

    assert field in error["details"]
    assert db_state(package) == before


@pytest.mark.parametrize("fields", [{"status": "expired"}, {"status": "canceled"}, {"overdue": True}])
def test_payment_create_for_an_expired_or_canceled_package_is_409(staff_api, fields):
    if fields.get("overdue"):
        package = LessonPackageFactory(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        package = LessonPackageFactory(**fields)
    before = db_state(package)

    response = staff_api.post(
        f"{BASE}/payments", {"package_id": package.pk, "amount": "100.00", "currency": "RUB"}, format="json"
    )

    assert_error(response, 409, "package_inactive")
    assert db_state(package) == before


def test_staff_set_a_payment_status(staff_api):
    payment = PaymentFactory()

    response = staff_api.post(f"{BASE}/payments/{payment.pk}/status", {"status": "succeeded"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PAYMENT_KEYS
    assert body["status"] == "succeeded"
    assert_aware_iso(body["paid_at"])


def test_setting_the_same_payment_status_is_a_no_op(staff_api):
    payment = PaymentFactory(status=Payment.Status.SUCCEEDED)
    before = db_state(payment)

    response = staff_api.post(f"{BASE}/payments/{payment.pk}/status", {"status": "succeeded"}, format="json")

    assert (response.status_code, response.json()["status"]) == (200, "succeeded")
    assert db_state(payment) == before


def test_an_invalid_payment_transition_is_409(staff_api):
    payment = PaymentFactory(status=Payment.Status.REFUNDED)
    before = db_state(payment)

    response = staff_api.post(f"{BASE}/payments/{payment.pk}/status", {"status": "pending"}, format="json")

    error = assert_error(response, 409, "invalid_transition")
    assert error["details"] == {"from": "refunded", "to": "pending"}
    assert db_state(payment) == before


@pytest.mark.parametrize("body", [{"status": "paid"}, {"status": ""}, {}, {"status": None}])
def test_an_unknown_payment_status_is_400(staff_api, body):
    payment = PaymentFactory()
    before = db_state(payment)

    error = assert_error(
        staff_api.post(f"{BASE}/payments/{payment.pk}/status", body, format="json"), 400, "validation_error"
    )

    assert "status" in error["details"]
    assert db_state(payment) == before


def test_status_of_an_unknown_payment_is_404(staff_api):
    assert_error(
        staff_api.post(f"{BASE}/payments/999999999/status", {"status": "failed"}, format="json"), 404, "not_found"
    )


def test_my_payments_lists_payments_of_own_packages(student, student_api):
    mine = PaymentFactory(package=LessonPackageFactory(student=student), status=Payment.Status.SUCCEEDED)
    PaymentFactory()  # someone else's

    body = student_api.get(f"{BASE}/payments/my").json()

    assert body["count"] == 1
    (item,) = body["results"]
    assert set(item) == PAYMENT_KEYS
    assert (item["id"], item["package_id"], item["status"]) == (mine.pk, mine.package_id, "succeeded")
    assert student_api.get(f"{BASE}/payments/my", {"status": "pending"}).json()["count"] == 0


def test_payment_detail_for_its_owner(student, student_api):
    payment = PaymentFactory(package=LessonPackageFactory(student=student))

    body = student_api.get(f"{BASE}/payments/{payment.pk}").json()

    assert (body["id"], body["amount"]) == (payment.pk, "15000.00")


# --- query counts -----------------------------------------------------------


def _count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, {"page_size": 100}).status_code == 200
    return len(queries)


def test_my_packages_uses_the_same_queries_for_1_and_50_rows(student, student_api, django_assert_num_queries):
    LessonPackageFactory(student=student)
    one = _count_queries(student_api, f"{BASE}/packages/my")
    LessonPackageFactory.create_batch(49, student=student)

    with django_assert_num_queries(one):
        response = student_api.get(f"{BASE}/packages/my", {"page_size": 100})

    assert len(response.json()["results"]) == 50
    assert one <= 3  # the user, the count, the page


def test_my_payments_uses_the_same_queries_for_1_and_50_rows(student, student_api, django_assert_num_queries):
    package = LessonPackageFactory(student=student)
    PaymentFactory(package=package)
    one = _count_queries(student_api, f"{BASE}/payments/my")
    PaymentFactory.create_batch(24, package=package)
    PaymentFactory.create_batch(25, package=LessonPackageFactory(student=student))

    with django_assert_num_queries(one):
        response = student_api.get(f"{BASE}/payments/my", {"page_size": 100})

    assert len(response.json()["results"]) == 50
    assert one <= 3


def test_student_packages_for_staff_uses_the_same_queries_for_1_and_50_rows(staff_api, django_assert_num_queries):
    student = StudentFactory()
    LessonPackageFactory(student=student)
    one = _count_queries(staff_api, f"{BASE}/packages/students/{student.pk}")
    LessonPackageFactory.create_batch(49, student=student)

    with django_assert_num_queries(one):
        staff_api.get(f"{BASE}/packages/students/{student.pk}", {"page_size": 100})


# --- permission matrix ------------------------------------------------------


@pytest.fixture
def world(db):
    """Student A owns a package and a payment; B is another student."""
    student_a = StudentFactory()
    student_b = StudentFactory()
    package = LessonPackageFactory(student=student_a)
    payment = PaymentFactory(package=package)
    return {"a": student_a, "b": student_b, "package": package, "payment": payment}


def _client(who, world, teacher, staff, api):
    if who == "anonymous":
        return api
    user = {"a": world["a"], "b": world["b"], "teacher": teacher, "staff": staff}[who]
    return client_for(user)


WHO = ["a", "b", "teacher", "staff", "anonymous"]


def _request(name, world):
    """(method, path, body) of each endpoint, aimed at student A's objects."""
    later = (timezone.now() + timedelta(days=30)).isoformat()
    return {
        "packages_my": ("get", f"{BASE}/packages/my", None),
        "packages_student": ("get", f"{BASE}/packages/students/{world['a'].pk}", None),
        "package_detail": ("get", f"{BASE}/packages/{world['package'].pk}", None),
        "package_create": (
            "post",
            f"{BASE}/packages",
            {"student_id": world["a"].pk, "lessons_total": 4, "price": "1.00", "currency": "RUB", "expires_at": later},
        ),
        "packages_expire": ("post", f"{BASE}/packages/expire", None),
        "payments_my": ("get", f"{BASE}/payments/my", None),
        "payment_detail": ("get", f"{BASE}/payments/{world['payment'].pk}", None),
        "payment_create": (
            "post",
            f"{BASE}/payments",
            {"package_id": world["package"].pk, "amount": "10.00", "currency": "RUB"},
        ),
        "payment_status": ("post", f"{BASE}/payments/{world['payment'].pk}/status", {"status": "succeeded"}),
    }[name]


MATRIX = {
    #                    A    B    teacher staff anonymous
    "packages_my": (200, 200, 403, 403, 401),
    "packages_student": (200, 404, 404, 200, 401),
    "package_detail": (200, 404, 404, 200, 401),
    "package_create": (403, 403, 403, 201, 401),
    "packages_expire": (403, 403, 403, 200, 401),
    "payments_my": (200, 200, 403, 403, 401),
    "payment_detail": (200, 404, 404, 200, 401),
    "payment_create": (403, 403, 403, 201, 401),
    "payment_status": (403, 403, 403, 200, 401),
}
CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_permission_matrix(endpoint, who, world, teacher, staff, api):
    method, path, body = _request(endpoint, world)
    expected = MATRIX[endpoint][WHO.index(who)]
    before = db_state(world["package"], world["payment"])

    response = getattr(_client(who, world, teacher, staff, api), method)(path, body, format="json")

    if expected in CODES:
        assert_error(response, expected, CODES[expected])
        assert db_state(world["package"], world["payment"]) == before
    else:
        assert response.status_code == expected, response.content


def test_student_b_sees_none_of_student_as_rows(world):
    client = client_for(world["b"])

    assert client.get(f"{BASE}/packages/my").json()["count"] == 0
    assert client.get(f"{BASE}/payments/my").json()["count"] == 0
