"""Randomised races on PostgreSQL: 1,000 holds, confirms, cancels and
reschedules across 16 threads on a few slots and packages, then the
invariants the school relies on."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Count, Q

from audit.models import AuditLog, OutboxEvent
from billing.models import LessonPackage
from booking import services
from booking.models import Booking
from guitaronline.core.errors import ApplicationError
from lessons.models import Lesson
from tests.factories import StudentFactory, TeacherFactory, make_package, make_slot
from tests.races import errors, race_n

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]

THREADS = 16
OPERATIONS = 1000


def test_random_races_keep_every_invariant(capsys):
    rng = random.Random(20261121)
    teachers = [TeacherFactory() for _ in range(2)]
    # a few slots, some inside the refund window, so cancels both return and keep lessons
    slots = [make_slot(teachers[i % 2], starts_in=timedelta(hours=5 + 3 * i)) for i in range(12)]
    slots += [make_slot(teachers[i % 2], starts_in=timedelta(days=2, hours=3 * i)) for i in range(12)]
    students = [StudentFactory() for _ in range(8)]
    for student in students:
        make_package(student, lessons=6)
    slot_ids = [slot.pk for slot in slots]
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def one_operation(worker_rng: random.Random) -> str:
        student = worker_rng.choice(students)
        kind = worker_rng.choices(["hold", "confirm", "cancel", "reschedule"], weights=[4, 3, 2, 2])[0]
        if kind == "hold":
            services.booking_hold(student=student, slot_id=worker_rng.choice(slot_ids))
            return kind
        mine = list(Booking.objects.filter(student=student).order_by("?").values_list("pk", flat=True)[:1])
        if not mine:
            return "nothing to do"
        booking = Booking.objects.get(pk=mine[0])
        if kind == "confirm":
            services.booking_confirm(booking=booking, actor=student)
        elif kind == "cancel":
            services.booking_cancel(booking=booking, actor=student)
        else:
            services.booking_reschedule(booking=booking, new_slot_id=worker_rng.choice(slot_ids), actor=student)
        return kind

    def worker(seed: float, count: int) -> None:
        worker_rng = random.Random(seed)
        for _ in range(count):
            try:
                result = one_operation(worker_rng)
            except ApplicationError as error:
                result = error.code
            except Exception as error:  # anything else is a defect: record it
                result = f"crash: {error.__class__.__name__}: {str(error).splitlines()[0][:120]}"
            with lock:
                outcomes[result] += 1

    started = time.perf_counter()
    shares = [OPERATIONS // THREADS + (1 if i < OPERATIONS % THREADS else 0) for i in range(THREADS)]
    seeds = [rng.random() for _ in shares]
    workers = race_n(THREADS, lambda index: worker(seeds[index], shares[index]), timeout=300)
    elapsed = time.perf_counter() - started
    assert not errors(workers), workers
    assert sum(outcomes.values()) == OPERATIONS
    crashes = {key: n for key, n in outcomes.items() if key.startswith("crash")}
    assert not crashes, crashes

    # 1. no slot with two active bookings
    doubled = Booking.objects.filter(status__in=["hold", "confirmed"]).values("slot").annotate(n=Count("pk"))
    assert not [row for row in doubled if row["n"] > 1]
    # 2. every package: lessons_left == total - confirmed-or-canceled bookings that kept their lesson
    for package in LessonPackage.objects.all():
        spent = (
            Booking.objects.filter(package=package)
            .filter(Q(status="confirmed") | Q(status="canceled", lesson_returned=False))
            .count()
        )
        assert package.lessons_left == package.lessons_total - spent, package
        assert 0 <= package.lessons_left <= package.lessons_total
    # 3. one lesson per booking that was ever confirmed, scheduled exactly when confirmed
    ever_confirmed = Booking.objects.filter(confirmed_at__isnull=False)
    assert ever_confirmed.filter(lesson__isnull=True).count() == 0
    assert Lesson.objects.count() == ever_confirmed.count()
    assert Lesson.objects.filter(status="scheduled").count() == Booking.objects.filter(status="confirmed").count()
    # 4. an audit record and an outbox event for every state change
    for action, rows in (
        ("booking.held", Booking.objects.filter(rescheduled_from__isnull=True)),  # a successor is never held
        ("booking.confirmed", ever_confirmed),
        ("booking.canceled", Booking.objects.filter(status="canceled")),
    ):
        ids = {str(pk) for pk in rows.values_list("pk", flat=True)}
        assert set(AuditLog.objects.filter(action=action).values_list("entity_id", flat=True)) >= ids
        assert set(OutboxEvent.objects.filter(event_type=action).values_list("aggregate_id", flat=True)) >= ids
    reschedules = Booking.objects.filter(rescheduled_from__isnull=False).count()
    assert OutboxEvent.objects.filter(event_type="booking.rescheduled").count() == reschedules

    with capsys.disabled():
        print(
            f"\n[invariants] {sum(outcomes.values())} operations on {THREADS} threads in {elapsed:.1f} s: "
            + ", ".join(f"{key} {n}" for key, n in outcomes.most_common())
            + f"; bookings {Booking.objects.count()}, lessons {Lesson.objects.count()}, reschedules {reschedules}; "
            "all invariants hold"
        )
