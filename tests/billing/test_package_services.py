from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing import services
from billing.errors import InvalidTransition, NoActivePackage
from billing.models import LessonPackage
from guitaronline.core.errors import InvalidInput
from tests.billing.factories import LessonPackageFactory
from tests.billing.helpers import assert_one_change_record, change_records, db_state
from tests.factories import StaffFactory, StudentFactory, TeacherFactory

pytestmark = pytest.mark.django_db

Status = LessonPackage.Status


# --- package_create ---------------------------------------------------------


def _create_kwargs(student, staff, now, **overrides):
    values = {
        "student": student,
        "lessons_total": 8,
        "price": Decimal("12000.00"),
        "currency": "RUB",
        "expires_at": now + timedelta(days=60),
        "actor": staff,
        "now": now,
    }
    values.update(overrides)
    return values


def test_package_create_makes_an_active_full_package(student, staff, now):
    package = services.package_create(**_create_kwargs(student, staff, now, currency=" rub "))

    package.refresh_from_db()
    assert package.student == student
    assert (package.lessons_total, package.lessons_left) == (8, 8)
    assert package.price == Decimal("12000.00")
    assert package.currency == "RUB"
    assert package.status == Status.ACTIVE
    assert package.expires_at == now + timedelta(days=60)
    assert_one_change_record(
        "billing.package.created",
        package,
        {
            "student_id": student.pk,
            "lessons_total": 8,
            "price": "12000.00",
            "currency": "RUB",
            "expires_at": (now + timedelta(days=60)).isoformat(),
            "payment_id": None,
        },
        actor=staff,
    )


def test_package_create_allows_a_free_package(student, staff, now):
    package = services.package_create(**_create_kwargs(student, staff, now, price=Decimal("0")))
    assert package.price == Decimal("0.00")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lessons_total", 0),
        ("lessons_total", -3),
        ("lessons_total", True),
        ("lessons_total", "5"),
        ("lessons_total", 2_147_483_648),
        ("price", Decimal("-0.01")),
        ("price", Decimal("1.234")),
        ("price", Decimal("NaN")),
        ("price", Decimal("10000000000")),
        ("price", 12.5),
        ("price", "twelve"),
        ("currency", "RU"),
        ("currency", "RUBL"),
        ("currency", "R1B"),
        ("currency", ""),
        ("currency", None),
        ("expires_at", "now"),
        ("expires_at", "past"),
        ("expires_at", "naive"),
        ("expires_at", "2030-01-01"),
    ],
)
def test_package_create_refuses_bad_input_and_writes_nothing(student, staff, now, field, value):
    special = {
        "now": now,
        "past": now - timedelta(seconds=1),
        "naive": datetime(2031, 1, 1, 12, 0),  # naive on purpose
    }
    value = special.get(value, value) if field == "expires_at" else value
    before = db_state(student)

    with pytest.raises(InvalidInput) as excinfo:
        services.package_create(**_create_kwargs(student, staff, now, **{field: value}))

    assert excinfo.value.code == "validation_error"
    assert list(excinfo.value.details) == [field]
    assert db_state(student) == before


@pytest.mark.parametrize("factory", [TeacherFactory, StaffFactory])
def test_package_create_is_for_students_only(staff, now, factory):
    not_a_student = factory()
    before = db_state(not_a_student)

    with pytest.raises(InvalidInput) as excinfo:
        services.package_create(**_create_kwargs(not_a_student, staff, now))

    assert list(excinfo.value.details) == ["student_id"]
    assert db_state(not_a_student) == before


# --- package_consume_lesson -------------------------------------------------


def test_consume_takes_a_lesson_from_the_package_expiring_first(student, now):
    later = LessonPackageFactory(student=student, expires_at=now + timedelta(days=60), lessons_left=5)
    sooner = LessonPackageFactory(student=student, expires_at=now + timedelta(days=10), lessons_left=5)

    package = services.package_consume_lesson(student=student, now=now, actor=student)

    assert package.pk == sooner.pk
    sooner.refresh_from_db()
    later.refresh_from_db()
    assert (sooner.lessons_left, sooner.status) == (4, Status.ACTIVE)
    assert later.lessons_left == 5
    assert_one_change_record(
        "billing.package.lesson_consumed",
        sooner,
        {"student_id": student.pk, "lessons_left": 4, "status": "active"},
        actor=student,
    )


def test_consume_of_the_last_lesson_depletes_the_package(student, now):
    package = LessonPackageFactory(student=student, lessons_total=3, lessons_left=1)

    services.package_consume_lesson(student=student, now=now)

    package.refresh_from_db()
    assert (package.lessons_left, package.status) == (0, Status.DEPLETED)
    assert_one_change_record(
        "billing.package.lesson_consumed",
        package,
        {"student_id": student.pk, "lessons_left": 0, "status": "depleted"},
    )


def test_consume_skips_unusable_packages_and_uses_the_usable_one(student, now):
    LessonPackageFactory(student=student, status=Status.CANCELED, expires_at=now + timedelta(days=1))
    LessonPackageFactory(student=student, expires_at=now - timedelta(minutes=1))  # active, past expiry
    usable = LessonPackageFactory(student=student, expires_at=now + timedelta(days=5))

    assert services.package_consume_lesson(student=student, now=now).pk == usable.pk


@pytest.mark.parametrize(
    "unusable",
    [
        {"status": Status.EXPIRED},
        {"status": Status.CANCELED},
        {"status": Status.DEPLETED, "lessons_left": 0},
        {"status": Status.ACTIVE, "lessons_left": 0},  # inconsistent row: still never below zero
        {"expires_past": timedelta(seconds=1)},  # active but past expires_at: expired on read
        {"expires_past": timedelta(0)},  # expires exactly now
        {"other_student": True},
    ],
)
def test_consume_without_a_usable_package_raises_and_changes_nothing(student, now, unusable):
    fields = {key: value for key, value in unusable.items() if key in ("status", "lessons_left")}
    if "expires_past" in unusable:
        fields["expires_at"] = now - unusable["expires_past"]
    owner = StudentFactory() if unusable.get("other_student") else student
    package = LessonPackageFactory(student=owner, **fields)
    before = db_state(package)

    with pytest.raises(NoActivePackage) as excinfo:
        services.package_consume_lesson(student=student, now=now)

    assert (excinfo.value.code, excinfo.value.status_code) == ("no_active_package", 409)
    assert db_state(package) == before


def test_consume_joins_the_callers_transaction(student, now):
    package = LessonPackageFactory(student=student, lessons_left=2)
    before = db_state(package)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.package_consume_lesson(student=student, now=now)
        raise RuntimeError("the booking failed after taking the lesson")

    assert db_state(package) == before


def test_consume_locks_the_package_row(student, now, postgres_only):
    LessonPackageFactory(student=student)

    with CaptureQueriesContext(connection) as queries:
        services.package_consume_lesson(student=student, now=now)

    locking = [query["sql"] for query in queries if "FOR UPDATE" in query["sql"]]
    assert len(locking) == 1
    assert "billing_lessonpackage" in locking[0]


# --- package_return_lesson --------------------------------------------------


def test_return_lesson_adds_one(student, now):
    package = LessonPackageFactory(student=student, lessons_total=10, lessons_left=4)

    returned = services.package_return_lesson(package=package, actor=student, now=now)

    assert returned.lessons_left == 5
    assert package.lessons_left == 5  # the caller's instance follows
    package.refresh_from_db()
    assert (package.lessons_left, package.status) == (5, Status.ACTIVE)
    assert_one_change_record(
        "billing.package.lesson_returned",
        package,
        {"student_id": student.pk, "lessons_left": 5, "status": "active"},
        actor=student,
    )


def test_return_lesson_never_goes_above_the_total(student, now):
    package = LessonPackageFactory(student=student, lessons_total=3, lessons_left=3)
    before = db_state(package)

    returned = services.package_return_lesson(package=package, now=now)

    assert returned.lessons_left == 3
    assert db_state(package) == before


def test_return_lesson_revives_a_depleted_package(student, now):
    package = LessonPackageFactory(student=student, lessons_total=3, lessons_left=0, status=Status.DEPLETED)

    services.package_return_lesson(package=package, now=now)

    package.refresh_from_db()
    assert (package.lessons_left, package.status) == (1, Status.ACTIVE)
    assert change_records("billing.package.expired", package) == ([], [])


def test_return_lesson_to_a_depleted_package_past_expiry_leaves_it_expired(student, now):
    package = LessonPackageFactory(
        student=student, lessons_total=3, lessons_left=0, status=Status.DEPLETED, expires_at=now - timedelta(hours=1)
    )

    services.package_return_lesson(package=package, now=now)

    package.refresh_from_db()
    assert (package.lessons_left, package.status) == (1, Status.EXPIRED)
    assert_one_change_record(
        "billing.package.lesson_returned", package, {"student_id": student.pk, "lessons_left": 1, "status": "expired"}
    )
    assert_one_change_record(
        "billing.package.expired",
        package,
        {"student_id": student.pk, "lessons_left": 1, "expires_at": package.expires_at.isoformat()},
    )


@pytest.mark.parametrize("status", [Status.CANCELED, Status.EXPIRED])
def test_return_lesson_to_a_closed_package_keeps_its_status(student, now, status):
    package = LessonPackageFactory(student=student, lessons_left=2, status=status)

    services.package_return_lesson(package=package, now=now)

    package.refresh_from_db()
    assert (package.lessons_left, package.status) == (3, status)


def test_return_lesson_locks_the_package_row(student, now, postgres_only):
    package = LessonPackageFactory(student=student, lessons_left=2)

    with CaptureQueriesContext(connection) as queries:
        services.package_return_lesson(package=package, now=now)

    assert any("FOR UPDATE" in query["sql"] for query in queries)


# --- expiry -----------------------------------------------------------------


def test_package_expire_persists_expired_and_emits_once(student, staff, now):
    package = LessonPackageFactory(student=student, lessons_left=4, expires_at=now - timedelta(minutes=5))

    assert services.package_expire(package=package, now=now, actor=staff) is True
    assert services.package_expire(package=package, now=now, actor=staff) is False

    package.refresh_from_db()
    assert package.status == Status.EXPIRED
    assert_one_change_record(
        "billing.package.expired",
        package,
        {"student_id": student.pk, "lessons_left": 4, "expires_at": package.expires_at.isoformat()},
        actor=staff,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Status.ACTIVE, "expires_in": timedelta(seconds=1)},
        {"status": Status.DEPLETED, "lessons_left": 0, "expires_in": -timedelta(days=1)},
        {"status": Status.CANCELED, "expires_in": -timedelta(days=1)},
        {"status": Status.EXPIRED, "expires_in": -timedelta(days=1)},
    ],
)
def test_package_expire_leaves_other_packages_alone(student, now, fields):
    fields = dict(fields)
    package = LessonPackageFactory(student=student, expires_at=now + fields.pop("expires_in"), **fields)
    before = db_state(package)

    assert services.package_expire(package=package, now=now) is False
    assert services.packages_expire_overdue(now=now) == 0
    assert db_state(package) == before


def test_packages_expire_overdue_expires_every_overdue_package_once(now):
    overdue = [
        LessonPackageFactory(expires_at=now - timedelta(days=2)),
        LessonPackageFactory(expires_at=now),  # expires_at == now counts as past
    ]
    fresh = LessonPackageFactory(expires_at=now + timedelta(minutes=1))

    assert services.packages_expire_overdue(now=now) == 2
    assert services.packages_expire_overdue(now=now) == 0

    for package in overdue:
        package.refresh_from_db()
        assert package.status == Status.EXPIRED
        audits, events = change_records("billing.package.expired", package)
        assert (len(audits), len(events)) == (1, 1)
    fresh.refresh_from_db()
    assert fresh.status == Status.ACTIVE
    assert change_records("billing.package.expired", fresh) == ([], [])


# --- package_cancel ---------------------------------------------------------


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.DEPLETED])
def test_package_cancel_cancels_active_and_depleted_packages(student, staff, now, status):
    package = LessonPackageFactory(student=student, status=status, lessons_left=0 if status == Status.DEPLETED else 6)

    canceled = services.package_cancel(package=package, actor=staff, now=now)

    assert canceled.status == package.status == Status.CANCELED
    package.refresh_from_db()
    assert package.status == Status.CANCELED
    assert_one_change_record(
        "billing.package.canceled",
        package,
        {"student_id": student.pk, "from": status.value, "lessons_left": package.lessons_left},
        actor=staff,
    )


def test_package_cancel_twice_is_a_no_op(student, staff, now):
    package = LessonPackageFactory(student=student, status=Status.CANCELED)
    before = db_state(package)

    assert services.package_cancel(package=package, actor=staff, now=now).status == Status.CANCELED
    assert db_state(package) == before


@pytest.mark.parametrize(
    "fields", [{"status": Status.EXPIRED}, {"status": Status.ACTIVE, "expires_at_offset": -timedelta(seconds=1)}]
)
def test_package_cancel_refuses_an_expired_package(student, staff, now, fields):
    fields = dict(fields)
    offset = fields.pop("expires_at_offset", -timedelta(days=1))
    package = LessonPackageFactory(student=student, expires_at=now + offset, **fields)
    before = db_state(package)

    with pytest.raises(InvalidTransition) as excinfo:
        services.package_cancel(package=package, actor=staff, now=now)

    assert excinfo.value.code == "invalid_transition"
    assert excinfo.value.details == {"from": "expired", "to": "canceled"}
    assert db_state(package) == before
