"""Races on PostgreSQL with real threads and connections (skipped on SQLite)."""

import json
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from billing.errors import NoActivePackage
from billing.models import LessonPackage
from booking import services
from booking.errors import BookingNotActive, HoldExpired
from booking.models import Booking
from lessons.models import Lesson
from tests.clients import client_for
from tests.factories import StudentFactory, TeacherFactory, make_package, make_slot
from tests.races import errors, race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


def test_64_simultaneous_holds_on_one_slot_have_exactly_one_winner(capsys):
    teacher = TeacherFactory()
    slot = make_slot(teacher)
    students = [StudentFactory() for _ in range(64)]
    for student in students:
        make_package(student)
    clients = [client_for(student) for student in students]

    def hold(client=None):
        started = time.perf_counter()
        response = client.post("/api/v1/booking/holds", {"slot_id": slot.pk}, format="json")
        code = response.json().get("error", {}).get("code") if response.status_code != 201 else "held"
        return response.status_code, code, time.perf_counter() - started

    started = time.perf_counter()
    results = race(*[lambda c=c: hold(c) for c in clients])
    elapsed = time.perf_counter() - started
    assert not errors(results), results
    statuses = Counter((status, code) for status, code, _ in results)
    assert statuses == {(201, "held"): 1, (409, "slot_unavailable"): 63}
    assert Booking.objects.filter(slot=slot, status="hold").count() == 1
    latencies = sorted(seconds for *_, seconds in results)
    with capsys.disabled():
        print(
            f"\n[concurrency] 64 holds on one slot: 1 winner, 63 x 409 slot_unavailable, 0 x 5xx; "
            f"wall {elapsed:.2f}s, p50 {latencies[31] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
        )


@pytest.mark.parametrize("lessons_left", [0, 1, 7])
def test_32_simultaneous_confirms_take_exactly_the_lessons_left(lessons_left, capsys):
    teacher = TeacherFactory()
    student = StudentFactory()
    package = make_package(student, lessons=32)  # a hold needs a lesson left for it
    holds = [services.booking_hold(student=student, slot_id=make_slot(teacher).pk) for _ in range(32)]
    LessonPackage.objects.filter(pk=package.pk).update(lessons_left=lessons_left)

    started = time.perf_counter()
    results = race(*[lambda b=b: services.booking_confirm(booking=b, actor=student) for b in holds])
    elapsed = time.perf_counter() - started
    confirmed = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, NoActivePackage)]
    assert len(confirmed) == lessons_left
    assert len(refused) == 32 - lessons_left
    package.refresh_from_db()
    assert package.lessons_left == 0
    assert Lesson.objects.count() == lessons_left
    assert Booking.objects.filter(status="confirmed").count() == lessons_left
    with capsys.disabled():
        print(
            f"\n[concurrency] 32 confirms, {lessons_left} lessons left: {len(confirmed)} confirmed, "
            f"{len(refused)} x no_active_package, balance 0, wall {elapsed:.2f}s"
        )


def test_a_confirm_racing_the_expiry_job_never_confirms_a_dead_hold(settings, capsys):
    teacher = TeacherFactory()
    student = StudentFactory()
    make_package(student, lessons=100)
    outcomes = Counter()
    for _ in range(20):
        now = timezone.now()
        booking = services.booking_hold(student=student, slot_id=make_slot(teacher).pk, now=now)
        expiry = booking.hold_expires_at
        results = race(
            lambda b=booking, t=expiry - timedelta(milliseconds=1): services.booking_confirm(
                booking=b, actor=student, now=t
            ),
            lambda t=expiry + timedelta(milliseconds=1): services.bookings_expire_holds(now=t),
        )
        booking.refresh_from_db()
        confirm_result, expired_count = results
        if isinstance(confirm_result, Booking):
            assert booking.status == "confirmed" and expired_count == 0
            outcomes["confirmed first"] += 1
        else:
            assert isinstance(confirm_result, BookingNotActive), confirm_result
            assert booking.status == "expired" and expired_count == 1
            assert booking.lesson_id is None
            outcomes["expired first"] += 1
        # and a confirm at or after the expiry instant never succeeds
        late = services.booking_hold(student=student, slot_id=make_slot(teacher).pk, now=now)
        with pytest.raises(HoldExpired):
            services.booking_confirm(booking=late, actor=student, now=late.hold_expires_at)
        services.booking_cancel(booking=late, actor=student, now=now)
    assert Lesson.objects.count() == Booking.objects.filter(status="confirmed").count()
    with capsys.disabled():
        print(f"\n[concurrency] confirm vs expiry, 20 rounds: {dict(outcomes)}; no dead hold confirmed")


def test_idempotent_repeats_racing_make_one_change():
    teacher = TeacherFactory()
    student = StudentFactory()
    make_package(student)
    slot = make_slot(teacher)
    clients = [client_for(student) for _ in range(20)]

    def post(client):
        response = client.post(
            "/api/v1/booking/holds", {"slot_id": slot.pk}, format="json", HTTP_IDEMPOTENCY_KEY="race-1"
        )
        return response.status_code, response.json()

    results = race(*[lambda c=c: post(c) for c in clients])
    assert not errors(results), results
    assert {status for status, _ in results} == {201}
    assert len({json.dumps(body) for _, body in results}) == 1
    assert Booking.objects.count() == 1
