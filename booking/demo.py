"""Demo data of SPEC §8, a school a newcomer can judge: four teachers in
different zones, styles and levels, ten students, a past (lessons completed
with notes and homework, a no-show, a late cancellation, payments in every
state in two currencies), a running weekly series, a waitlist entry with an
offer, a teacher's time off, and one dead-letter event, so that every page
and both dashboards have something to show.

Everything goes through the services, the past by giving them the `now` of
the day it happened. Idempotent: each part is made once (a teacher's slots
only while the teacher has never had any, so a slot the teacher removed
stays removed).
"""

from __future__ import annotations

import datetime as dt
from typing import cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.demo import seed_demo_students, seed_demo_teachers, seed_demo_users
from audit.models import OutboxEvent
from billing import demo as billing_demo
from billing import payments as billing_payments
from booking import services, waitlist
from booking.models import Booking, Series
from lessons import services as lesson_services
from lessons.models import Lesson
from scheduling import services as scheduling_services
from scheduling.models import Slot

# (start, end) in the teacher's own time zone, every day of the week
DEMO_HOURS = ((dt.time(10), dt.time(12)), (dt.time(17), dt.time(20)))
DEMO_WEEKS = 3  # the current week and two more: open slots over the next 14 days
SERIES_WEEKS = 8
DAY = dt.timedelta(days=1)


def _open_week(teacher, *, now: dt.datetime) -> int:
    """The teacher's open hours for DEMO_WEEKS weeks, once: nothing when the
    teacher has ever had a slot (a removed one stays removed)."""
    if Slot.objects.filter(teacher=teacher).exists():
        return 0
    created = 0
    for weekday in range(7):
        for start, end in DEMO_HOURS:
            result = scheduling_services.slot_create_recurring(
                teacher=teacher,
                weekday=weekday,
                start_time=start,
                end_time=end,
                slot_minutes=60,
                weeks=DEMO_WEEKS,
                now=now,
            )
            created += len(result.created)
    return created


def seed_demo(*, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    admin, teacher, student = seed_demo_users()
    teachers = seed_demo_teachers(admin=admin)
    students = seed_demo_students()
    first_time = not Slot.objects.filter(teacher__in=[teacher, *teachers]).exists()
    created = sum(_open_week(person, now=now) for person in (teacher, *teachers))
    products = billing_demo.seed_demo_products(admin=admin)
    euro = billing_demo.seed_demo_products(admin=admin, currency="EUR")
    billing_demo.seed_demo_payments(admin=admin, student=student, products=products, now=now)
    if first_time:
        _seed_the_past(admin=admin, teacher=teacher, student=student, now=now)
        _seed_the_school(admin=admin, teachers=teachers, students=students, products=products, euro=euro, now=now)
    return {"users": [admin, teacher, student], "slots_created": created, "products": products}


def _past_slot(teacher, start: dt.datetime) -> Slot:
    """A slot of the past, made as it was made then (three days before)."""
    return scheduling_services.slot_create(
        teacher=teacher, start_at=start, end_at=start + dt.timedelta(hours=1), now=start - 3 * DAY
    )


def _booked(student, slot: Slot) -> Booking:
    then = slot.start_at - 2 * DAY
    booking = services.booking_hold(student=student, slot_id=slot.pk, now=then)
    return services.booking_confirm(booking=booking, actor=student, now=then)


HOMEWORK = (
    ("Chromatic warm-up", "technique", "Frets 1–4 on every string, 60 bpm, alternate picking."),
    ("Romanza, bars 1–8", "piece", "Slowly, with the thumb on the bass notes; record yourself once."),
    ("C, G, Am, F", "practice_target", "Change between them on every beat for two minutes a day."),
)


def _seed_the_past(*, admin, teacher, student, now: dt.datetime) -> None:
    """The demo student's last two weeks with the demo teacher: three lessons
    completed with notes and homework, one missed, one canceled too late;
    and the next lesson, booked."""
    zone = ZoneInfo(teacher.timezone)
    today = now.astimezone(zone).date()
    days_ago = (14, 12, 9, 7, 4)
    starts = [dt.datetime.combine(today - ago * DAY, dt.time(11), zone) for ago in days_ago]
    slots = [_past_slot(teacher, start) for start in starts]
    for slot, (title, kind, details) in zip(slots[:3], HOMEWORK, strict=True):
        booking = _booked(student, slot)
        after = slot.end_at + dt.timedelta(minutes=5)
        lesson_services.lesson_mark(
            lesson=cast(Lesson, booking.lesson),
            status="completed",
            actor=teacher,
            notes="Good progress: steady tempo, cleaner changes. Keep the wrist loose.",
            now=after,
        )
        lesson_services.homework_item_add(
            lesson=cast(Lesson, booking.lesson), actor=teacher, kind=kind, title=title, details=details
        )
    missed = _booked(student, slots[3])
    lesson_services.lesson_mark(
        lesson=cast(Lesson, missed.lesson), status="no_show", actor=teacher, now=slots[3].end_at
    )
    late = _booked(student, slots[4])
    services.booking_cancel(booking=late, actor=student, now=slots[4].start_at - dt.timedelta(hours=3))
    coming = cast(
        Slot, Slot.objects.filter(teacher=teacher, start_at__gt=now + 3 * DAY, removed_at__isnull=True).first()
    )
    _booked_now(student, coming, now=now)  # and the next lesson, in a few days


def _seed_the_school(*, admin, teachers, students, products, euro, now: dt.datetime) -> None:
    """The other students' packages (one pays in euros, with a payment in each
    state), a running weekly series, a waitlist entry with its offer, a
    teacher's time off, and a message that could not be delivered."""
    daniel, _maria, kenji = teachers
    euro_student = students[3]
    billing_demo.seed_demo_payments(admin=admin, student=euro_student, products=euro, now=now)
    for number, person in enumerate(students):
        if person != euro_student:
            billing_payments.product_sell_offline(
                product=products[10], student=person, actor=admin, now=now - (number + 2) * DAY
            )

    # a weekly series: Tuesdays at 20:00 with Daniel, in Berlin (its clock changes in March)
    rule = scheduling_services.slot_create_recurring(
        teacher=daniel,
        weekday=1,
        start_time=dt.time(20),
        end_time=dt.time(21),
        slot_minutes=60,
        weeks=SERIES_WEEKS + 2,
        now=now,
    )
    first = next(slot for slot in rule.created if slot.start_at > now + 2 * DAY)
    if not Series.objects.exists():
        services.series_book(student=students[0], slot_id=first.pk, weeks=SERIES_WEEKS, now=now)

    # a waitlist entry with its offer: a student waits for Kenji; another books a slot and lets it go
    waitlist.waitlist_join(student=students[1], teacher_id=kenji.pk)
    freed = cast(Slot, Slot.objects.filter(teacher=kenji, start_at__gt=now + 3 * DAY, removed_at__isnull=True).first())
    booking = _booked_now(students[2], freed, now=timezone.now())
    services.booking_cancel(booking=booking, actor=students[2])  # freed after the entry joined: offered

    # Kenji's time off, eight and nine days ahead (his free slots then go)
    zone = ZoneInfo(kenji.timezone)
    day = now.astimezone(zone).date() + 8 * DAY
    services.time_off_take(
        teacher=kenji, start_date=day, end_date=day + DAY, reason="Concert tour", actor=kenji, now=now
    )

    # one e-mail the outbox gave up on, for the operations dashboard
    OutboxEvent.objects.create(
        event_type="booking.confirmed",
        aggregate_type="booking.booking",
        aggregate_id=str(booking.pk),
        payload={
            "booking_id": booking.pk,
            "student_id": students[2].pk,
            "teacher_id": kenji.pk,
            "slot_id": freed.pk,
            "start_at": freed.start_at.isoformat(),
            "end_at": freed.end_at.isoformat(),
            "status": "confirmed",
        },
        status=OutboxEvent.Status.FAILED,
        attempts=settings.OUTBOX_MAX_RETRIES,
        last_error="SMTPRecipientsRefused: {'yuki@example.invalid': (550, b'mailbox unavailable')}",
        processed_at=None,
    )


def _booked_now(student, slot: Slot, *, now: dt.datetime) -> Booking:
    booking = services.booking_hold(student=student, slot_id=slot.pk, now=now)
    return services.booking_confirm(booking=booking, actor=student, now=now)
