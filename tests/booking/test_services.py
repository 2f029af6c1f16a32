from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import OutboxEvent
from billing.errors import NoActivePackage
from billing.models import LessonPackage
from booking import services
from booking.errors import (
    BookingNotActive,
    BookingNotConfirmed,
    BookingStarted,
    HoldExpired,
    SlotTooSoon,
    SlotUnavailable,
)
from booking.models import Booking
from booking.selectors import open_slots
from guitaronline.core.errors import Forbidden, InvalidInput, NotFound
from lessons.models import Lesson
from tests.factories import StaffFactory, TeacherFactory, make_package, make_slot
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db


def events(*types: str) -> list[str]:
    return list(OutboxEvent.objects.filter(event_type__in=types).values_list("event_type", flat=True))


def hold(school, slot=None, now=None):
    return services.booking_hold(student=school.student, slot_id=(slot or school.slot).pk, now=now)


def confirmed(school, slot=None, now=None):
    booking = hold(school, slot, now=now)
    return services.booking_confirm(booking=booking, actor=school.student, now=now)


# --- hold -------------------------------------------------------------------


def test_hold_reserves_the_slot_for_the_hold_minutes(school, settings):
    now = timezone.now()
    booking = hold(school, now=now)
    assert booking.status == Booking.Status.HOLD
    assert booking.hold_expires_at == now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES)
    assert booking.package is None and booking.lesson is None
    assert events("booking.held") == ["booking.held"]
    school.package.refresh_from_db()
    assert school.package.lessons_left == 10  # a hold takes no lesson


def test_hold_needs_an_active_package_with_lessons(school):
    school.package.lessons_left = 0
    school.package.status = LessonPackage.Status.DEPLETED
    school.package.save()
    before = booking_snapshot()
    with pytest.raises(NoActivePackage):
        hold(school)
    assert booking_snapshot() == before


def test_hold_refuses_a_package_past_its_expiry_even_before_the_job(school):
    LessonPackage.objects.filter(pk=school.package.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    before = booking_snapshot()
    with pytest.raises(NoActivePackage):
        hold(school)
    assert booking_snapshot() == before


def test_a_second_hold_on_a_taken_slot_is_refused(school):
    services.booking_hold(student=school.other_student, slot_id=school.slot.pk)
    before = booking_snapshot()
    with pytest.raises(SlotUnavailable):
        hold(school)
    assert booking_snapshot() == before


def test_a_confirmed_slot_cannot_be_held(school):
    booking = services.booking_hold(student=school.other_student, slot_id=school.slot.pk)
    services.booking_confirm(booking=booking, actor=school.other_student)
    with pytest.raises(SlotUnavailable):
        hold(school)


def test_an_expired_hold_never_blocks_the_slot_even_before_any_job(school, settings):
    now = timezone.now()
    stale = services.booking_hold(student=school.other_student, slot_id=school.slot.pk, now=now)
    later = now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES, seconds=1)
    booking = hold(school, now=later)
    assert booking.status == Booking.Status.HOLD
    stale.refresh_from_db()
    assert stale.status == Booking.Status.EXPIRED
    assert events("booking.expired") == ["booking.expired"]


def test_hold_respects_the_minimum_notice(school, settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 2
    soon = make_slot(school.teacher, starts_in=timedelta(hours=1, minutes=30))
    before = booking_snapshot()
    with pytest.raises(SlotTooSoon):
        hold(school, soon)
    assert booking_snapshot() == before


def test_only_students_hold_and_unpublished_teachers_are_not_bookable(school):
    with pytest.raises(Forbidden):
        services.booking_hold(student=school.teacher, slot_id=school.slot.pk)
    hidden = TeacherFactory(profile__published=False)
    with pytest.raises(SlotUnavailable):
        hold(school, make_slot(hidden))
    with pytest.raises(NotFound):
        services.booking_hold(student=school.student, slot_id=999999)
    assert not Booking.objects.exists()


def test_the_database_refuses_two_active_bookings_of_one_slot(school):
    Booking.objects.create(student=school.student, slot=school.slot, status="hold", hold_expires_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            student=school.other_student, slot=school.slot, status="hold", hold_expires_at=timezone.now()
        )


# --- confirm ----------------------------------------------------------------


def test_confirm_takes_one_lesson_and_creates_exactly_one_lesson(school):
    booking = confirmed(school)
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.confirmed_at is not None
    school.package.refresh_from_db()
    assert school.package.lessons_left == 9
    lesson = Lesson.objects.get()
    assert booking.lesson == lesson
    assert (lesson.teacher, lesson.student) == (school.teacher, school.student)
    assert (lesson.start_at, lesson.end_at) == (school.slot.start_at, school.slot.end_at)
    assert sorted(events("booking.confirmed", "lesson.created", "billing.package.lesson_consumed")) == [
        "billing.package.lesson_consumed",
        "booking.confirmed",
        "lesson.created",
    ]


def test_confirming_twice_is_a_no_op(school):
    booking = confirmed(school)
    before = booking_snapshot()
    again = services.booking_confirm(booking=booking, actor=school.student)
    assert again.pk == booking.pk and again.status == Booking.Status.CONFIRMED
    assert booking_snapshot() == before


def test_a_dead_hold_cannot_be_confirmed(school, settings):
    now = timezone.now()
    booking = hold(school, now=now)
    before = booking_snapshot()
    with pytest.raises(HoldExpired):
        services.booking_confirm(
            booking=booking, actor=school.student, now=now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES)
        )
    assert booking_snapshot() == before


def test_only_the_holder_confirms(school):
    booking = hold(school)
    before = booking_snapshot()
    for intruder in (school.other_student, school.teacher):
        with pytest.raises(Forbidden):
            services.booking_confirm(booking=booking, actor=intruder)
    assert booking_snapshot() == before


def test_confirm_fails_cleanly_when_the_package_ran_out_after_the_hold(school):
    booking = hold(school)
    LessonPackage.objects.filter(pk=school.package.pk).update(lessons_left=0, status="depleted")
    before = booking_snapshot()
    with pytest.raises(NoActivePackage):
        services.booking_confirm(booking=booking, actor=school.student)
    assert booking_snapshot() == before


def test_canceled_or_expired_bookings_cannot_be_confirmed(school):
    booking = hold(school)
    services.booking_cancel(booking=booking, actor=school.student)
    with pytest.raises(BookingNotActive):
        services.booking_confirm(booking=booking, actor=school.student)


# --- cancel -----------------------------------------------------------------


def test_cancel_more_than_the_window_ahead_returns_the_lesson(school):
    booking = confirmed(school)
    canceled = services.booking_cancel(booking=booking, actor=school.student)
    assert canceled.status == Booking.Status.CANCELED
    assert canceled.lesson_returned is True
    assert canceled.canceled_by == school.student
    school.package.refresh_from_db()
    assert school.package.lessons_left == 10
    assert Lesson.objects.get().status == Lesson.Status.CANCELED
    assert "booking.canceled" in events("booking.canceled")
    assert events("lesson.canceled", "billing.package.lesson_returned") != []


def test_cancel_inside_the_window_keeps_the_lesson_used(school, settings):
    slot = make_slot(school.teacher, starts_in=timedelta(hours=settings.BOOKING_REFUND_WINDOW_HOURS - 1))
    booking = confirmed(school, slot)
    canceled = services.booking_cancel(booking=booking, actor=school.student)
    assert canceled.lesson_returned is False
    school.package.refresh_from_db()
    assert school.package.lessons_left == 9
    assert Lesson.objects.get().status == Lesson.Status.CANCELED


def test_the_refund_window_boundary_is_exclusive(school, settings):
    now = timezone.now()
    booking = confirmed(school, now=now)
    at_boundary = school.slot.start_at - timedelta(hours=settings.BOOKING_REFUND_WINDOW_HOURS)
    assert services.booking_cancel(booking=booking, actor=school.student, now=at_boundary).lesson_returned is False


def test_the_teacher_canceling_always_returns_the_lesson(school, settings):
    slot = make_slot(school.teacher, starts_in=timedelta(hours=3))
    booking = confirmed(school, slot)
    canceled = services.booking_cancel(booking=booking, actor=school.teacher, reason="  I am ill.  ")
    assert (canceled.lesson_returned, canceled.cancel_reason) == (True, "I am ill.")
    school.package.refresh_from_db()
    assert school.package.lessons_left == 10
    slot.refresh_from_db()
    assert slot.removed_at is not None  # the teacher cannot teach then: the time is withdrawn
    assert not open_slots(teacher_id=school.teacher.pk).filter(pk=slot.pk).exists()
    event = OutboxEvent.objects.filter(event_type="booking.canceled", aggregate_id=str(booking.pk)).get()
    assert (event.payload["by_teacher"], event.payload["reason"]) == (True, "I am ill.")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_the_teacher_cancels_only_with_a_reason_the_student_can_read(school, reason):
    booking = confirmed(school)
    before = booking_snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.booking_cancel(booking=booking, actor=school.teacher, reason=reason)
    assert "reason" in refused.value.details
    assert booking_snapshot() == before


def test_the_teacher_cannot_cancel_a_lesson_that_has_started(school):
    slot = make_slot(school.teacher, starts_in=timedelta(hours=3))
    booking = confirmed(school, slot)
    before = booking_snapshot()
    with pytest.raises(BookingStarted):
        services.booking_cancel(
            booking=booking, actor=school.teacher, reason="Late", now=slot.start_at + timedelta(minutes=1)
        )
    assert booking_snapshot() == before


def test_staff_cancel_on_the_students_behalf_follows_the_window(school):
    slot = make_slot(school.teacher, starts_in=timedelta(hours=3))
    booking = confirmed(school, slot)
    assert services.booking_cancel(booking=booking, actor=StaffFactory()).lesson_returned is False


def test_canceling_twice_is_a_no_op(school):
    booking = confirmed(school)
    services.booking_cancel(booking=booking, actor=school.student)
    before = booking_snapshot()
    assert services.booking_cancel(booking=booking, actor=school.student).status == Booking.Status.CANCELED
    assert booking_snapshot() == before


def test_canceling_a_hold_touches_no_package(school):
    booking = hold(school)
    canceled = services.booking_cancel(booking=booking, actor=school.student)
    assert canceled.status == Booking.Status.CANCELED and canceled.lesson_returned is None
    school.package.refresh_from_db()
    assert school.package.lessons_left == 10


def test_strangers_cannot_cancel_and_students_cannot_cancel_after_the_start(school):
    booking = confirmed(school)
    before = booking_snapshot()
    for intruder in (school.other_student, school.other_teacher):
        with pytest.raises(Forbidden):
            services.booking_cancel(booking=booking, actor=intruder)
    with pytest.raises(BookingStarted):
        services.booking_cancel(booking=booking, actor=school.student, now=school.slot.start_at)
    assert booking_snapshot() == before


def test_an_expired_hold_cannot_be_canceled(school, settings):
    now = timezone.now()
    booking = hold(school, now=now)
    later = now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES)
    with pytest.raises(BookingNotActive):
        services.booking_cancel(booking=booking, actor=school.student, now=later)


# --- reschedule ---------------------------------------------------------------


def test_reschedule_cancels_and_confirms_in_one_step(school):
    booking = confirmed(school)
    new_slot = make_slot(school.teacher, starts_in=timedelta(days=5))
    successor = services.booking_reschedule(booking=booking, new_slot_id=new_slot.pk, actor=school.student)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELED and booking.lesson_returned is True
    assert successor.status == Booking.Status.CONFIRMED
    assert successor.rescheduled_from == booking
    assert successor.slot == new_slot
    school.package.refresh_from_db()
    assert school.package.lessons_left == 9  # returned by the cancel, taken by the confirm
    assert Lesson.objects.filter(status=Lesson.Status.SCHEDULED).get() == successor.lesson
    assert events("booking.rescheduled") == ["booking.rescheduled"]


def test_reschedule_inside_the_window_follows_the_cancel_rule(school):
    slot = make_slot(school.teacher, starts_in=timedelta(hours=5))
    booking = confirmed(school, slot)
    services.booking_reschedule(booking=booking, new_slot_id=school.slot.pk, actor=school.student)
    school.package.refresh_from_db()
    assert school.package.lessons_left == 8


def test_retrying_a_reschedule_returns_the_same_successor(school):
    booking = confirmed(school)
    new_slot = make_slot(school.teacher, starts_in=timedelta(days=5))
    first = services.booking_reschedule(booking=booking, new_slot_id=new_slot.pk, actor=school.student)
    before = booking_snapshot()
    again = services.booking_reschedule(booking=booking, new_slot_id=new_slot.pk, actor=school.student)
    assert again.pk == first.pk
    assert booking_snapshot() == before


def test_reschedule_to_a_taken_slot_changes_nothing(school):
    booking = confirmed(school)
    taken = make_slot(school.teacher, starts_in=timedelta(days=6))
    services.booking_hold(student=school.other_student, slot_id=taken.pk)
    before = booking_snapshot()
    with pytest.raises(SlotUnavailable):
        services.booking_reschedule(booking=booking, new_slot_id=taken.pk, actor=school.student)
    assert booking_snapshot() == before


def test_reschedule_without_a_lesson_to_spend_changes_nothing(school):
    package = school.package
    slot = make_slot(school.teacher, starts_in=timedelta(hours=5))
    booking = confirmed(school, slot)
    LessonPackage.objects.filter(pk=package.pk).update(lessons_left=0, status="depleted")
    before = booking_snapshot()
    with pytest.raises(NoActivePackage):
        services.booking_reschedule(booking=booking, new_slot_id=school.slot.pk, actor=school.student)
    assert booking_snapshot() == before


def test_reschedule_needs_a_confirmed_booking_of_ones_own_and_another_slot(school):
    held = hold(school)
    other = make_slot(school.teacher, starts_in=timedelta(days=5))
    with pytest.raises(BookingNotConfirmed):
        services.booking_reschedule(booking=held, new_slot_id=other.pk, actor=school.student)
    services.booking_cancel(booking=held, actor=school.student)
    booking = confirmed(school, other)
    with pytest.raises(Forbidden):
        services.booking_reschedule(booking=booking, new_slot_id=school.slot.pk, actor=school.other_student)
    with pytest.raises(InvalidInput):
        services.booking_reschedule(booking=booking, new_slot_id=other.pk, actor=school.student)


# --- expiry job -----------------------------------------------------------------


def test_expire_holds_persists_dead_holds_once_and_leaves_live_ones(school, settings):
    now = timezone.now()
    dead = hold(school, now=now - timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 1))
    live = services.booking_hold(student=school.other_student, slot_id=make_slot(school.teacher).pk, now=now)
    assert services.bookings_expire_holds(now=now) == 1
    assert services.bookings_expire_holds(now=now) == 0
    dead.refresh_from_db()
    live.refresh_from_db()
    assert (dead.status, live.status) == (Booking.Status.EXPIRED, Booking.Status.HOLD)
    assert events("booking.expired") == ["booking.expired"]


def test_a_second_package_is_used_when_the_first_runs_out(school):
    LessonPackage.objects.filter(pk=school.package.pk).update(lessons_left=1)
    spare = make_package(school.student, lessons=5, expires_in=timedelta(days=200))
    first = confirmed(school)
    second = confirmed(school, make_slot(school.teacher, starts_in=timedelta(days=4)))
    assert first.package == school.package
    assert second.package == spare
