"""The waitlist's rules, through its services: joining and leaving, offers
on freed slots in joining order, the reservation, lapse and pass-on,
acceptance, windows in the student's zone, and the database constraints."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditLog
from billing.models import LessonPackage
from booking import services, waitlist
from booking.errors import SlotUnavailable
from booking.models import Booking, WaitlistEntry, WaitlistOffer
from guitaronline.core.errors import Forbidden, InvalidInput, NotFound
from scheduling import services as scheduling_services
from tests.booking.waitlist_helpers import events, join, next_weekday_at, open_offer, student_with_package
from tests.factories import TeacherFactory, book, make_slot, slot_at
from tests.snapshots import waitlist_snapshot

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


def later(minutes: int) -> datetime:
    return timezone.now() + timedelta(minutes=minutes)


# --- joining and leaving --------------------------------------------------------------


def test_joining_records_the_window_in_the_students_zone(school):
    entry = join(school.student, school.teacher, weekday=1, start=time(18), end=time(21))
    assert (entry.active, entry.weekday, entry.start_time, entry.end_time) == (True, 1, time(18), time(21))
    assert entry.timezone == school.student.timezone == "Europe/Moscow"
    assert events("booking.waitlist.joined") == ["booking.waitlist.joined"]
    log = AuditLog.objects.get(action="booking.waitlist.joined")
    assert log.actor == school.student and log.payload["start_time"] == "18:00:00"


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"start": time(18)}, "end_time"),
        ({"end": time(21)}, "start_time"),
        ({"start": time(21), "end": time(18)}, "end_time"),
        ({"start": time(18), "end": time(18)}, "end_time"),
        ({"weekday": 7}, "weekday"),
    ],
)
def test_a_bad_window_is_refused_and_nothing_changes(school, window, field):
    before = waitlist_snapshot()
    with pytest.raises(InvalidInput) as error:
        join(school.student, school.teacher, **window)
    assert field in error.value.details
    assert waitlist_snapshot() == before


def test_only_students_join_and_only_published_teachers_have_a_waitlist(school):
    hidden = TeacherFactory(profile__published=False)
    before = waitlist_snapshot()
    with pytest.raises(Forbidden):
        join(school.other_teacher, school.teacher)
    with pytest.raises(NotFound):
        join(school.student, hidden)
    with pytest.raises(NotFound):
        join(school.student, school.other_student)  # not a teacher at all
    assert waitlist_snapshot() == before


@pytest.mark.parametrize("window", [{}, {"weekday": 2}, {"start": time(9), "end": time(12)}])
def test_the_same_window_twice_is_refused(school, window):
    join(school.student, school.teacher, **window)
    before = waitlist_snapshot()
    with pytest.raises(waitlist.AlreadyWaitlisted):
        join(school.student, school.teacher, **window)
    assert waitlist_snapshot() == before


def test_other_windows_and_other_teachers_are_separate_entries(school):
    join(school.student, school.teacher)
    join(school.student, school.teacher, weekday=1)
    join(school.student, school.teacher, weekday=1, start=time(18), end=time(21))
    join(school.student, school.other_teacher)
    assert WaitlistEntry.objects.filter(student=school.student, active=True).count() == 4


def test_a_student_may_wait_on_a_limited_number_of_waitlists(school, monkeypatch):
    monkeypatch.setattr(waitlist, "MAX_ACTIVE_ENTRIES", 2)
    join(school.student, school.teacher)
    join(school.student, school.other_teacher)
    before = waitlist_snapshot()
    with pytest.raises(waitlist.WaitlistLimitReached):
        join(school.student, school.teacher, weekday=3)
    assert waitlist_snapshot() == before


def test_leaving_ends_the_entry_once_and_allows_joining_again(school):
    entry = join(school.student, school.teacher)
    now = later(5)
    left = waitlist.waitlist_leave(entry=entry, actor=school.student, now=now)
    assert (left.active, left.left_at) == (False, now)
    assert AuditLog.objects.get(action="booking.waitlist.left").payload["reason"] == "left"
    before = waitlist_snapshot()
    waitlist.waitlist_leave(entry=entry, actor=school.student)
    assert waitlist_snapshot() == before  # leaving twice changes nothing
    again = join(school.student, school.teacher)
    assert again.pk != entry.pk and again.active


def test_nobody_else_removes_a_students_entry(school):
    entry = join(school.student, school.teacher)
    before = waitlist_snapshot()
    for actor in (school.other_student, school.teacher):
        with pytest.raises(Forbidden):
            waitlist.waitlist_leave(entry=entry, actor=actor)
    assert waitlist_snapshot() == before


# --- a freed slot is offered, in joining order ------------------------------------------------


def test_a_canceled_booking_offers_the_slot_to_the_first_waiting_student(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    assert offer.entry == waiting.first_entry
    assert WaitlistOffer.objects.count() == 1  # one offer at a time per slot
    assert events("booking.canceled", "booking.waitlist.offered") == ["booking.canceled", "booking.waitlist.offered"]
    payload = AuditLog.objects.get(action="booking.waitlist.offered").payload
    assert payload["student_id"] == waiting.first.pk and payload["slot_id"] == waiting.slot.pk


def test_the_offer_lasts_waitlist_offer_minutes(waiting, settings):
    settings.WAITLIST_OFFER_MINUTES = 45
    now = timezone.now()
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker, now=now)
    assert open_offer(waiting.slot).expires_at == now + timedelta(minutes=45)


def test_without_the_setting_an_offer_lasts_30_minutes(waiting, settings):
    if hasattr(settings, "WAITLIST_OFFER_MINUTES"):
        del settings.WAITLIST_OFFER_MINUTES
    now = timezone.now()
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker, now=now)
    assert open_offer(waiting.slot).expires_at == now + timedelta(minutes=30)


def test_an_offer_never_outlasts_the_last_moment_the_slot_can_be_held(school, settings):
    slot = make_slot(school.teacher, starts_in=timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS, minutes=10))
    booker = student_with_package()
    booking = book(booker, slot)
    join(school.student, school.teacher)
    services.booking_cancel(booking=booking, actor=booker)
    assert open_offer(slot).expires_at == slot.start_at - timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS)


def test_while_the_offer_is_open_the_slot_is_reserved_for_its_student(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    before = waitlist_snapshot()
    for student in (waiting.second, waiting.student, waiting.booker):
        with pytest.raises(SlotUnavailable):
            services.booking_hold(student=student, slot_id=waiting.slot.pk)
    assert waitlist_snapshot() == before


def test_holding_the_offered_slot_accepts_the_offer_and_confirming_ends_the_entry(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    hold = services.booking_hold(student=waiting.first, slot_id=waiting.slot.pk)  # the teacher page, not the link
    offer.refresh_from_db()
    assert (offer.status, offer.booking) == ("accepted", hold)
    waiting.first_entry.refresh_from_db()
    assert waiting.first_entry.active  # a hold is not a booking yet
    services.booking_confirm(booking=hold, actor=waiting.first)
    waiting.first_entry.refresh_from_db()
    assert not waiting.first_entry.active and waiting.first_entry.left_at is not None
    left = AuditLog.objects.get(action="booking.waitlist.left")
    assert left.payload["reason"] == "booked" and left.payload["booking_id"] == hold.pk
    assert events("booking.waitlist.accepted") == ["booking.waitlist.accepted"]
    waiting.second_entry.refresh_from_db()
    assert waiting.second_entry.active


def test_a_released_hold_from_an_offer_goes_to_the_next_student(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    hold = services.booking_hold(student=waiting.first, slot_id=waiting.slot.pk)
    services.booking_cancel(booking=hold, actor=waiting.first)
    assert open_offer(waiting.slot).entry == waiting.second_entry
    waiting.first_entry.refresh_from_db()
    assert waiting.first_entry.active  # never booked: still waiting for another time


def test_an_offer_lapses_and_passes_to_the_next_student(waiting, settings):
    now = timezone.now()
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker, now=now)
    first = open_offer(waiting.slot)
    assert waitlist.waitlist_offers_advance(now=now + timedelta(minutes=29)) == {
        "lapsed": 0,
        "withdrawn": 0,
        "offered": 0,
    }
    result = waitlist.waitlist_offers_advance(now=now + timedelta(minutes=31))
    assert result == {"lapsed": 1, "withdrawn": 0, "offered": 1}
    first.refresh_from_db()
    assert first.status == "lapsed" and first.closed_at == now + timedelta(minutes=31)
    assert open_offer(waiting.slot).entry == waiting.second_entry
    waiting.first_entry.refresh_from_db()
    assert waiting.first_entry.active  # a missed offer does not cost the place on the waitlist
    assert events("booking.waitlist.lapsed") == ["booking.waitlist.lapsed"]


def test_after_every_waiting_student_let_it_lapse_the_slot_is_open_to_all(waiting):
    now = timezone.now()
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker, now=now)
    waitlist.waitlist_offers_advance(now=now + timedelta(minutes=31))
    waitlist.waitlist_offers_advance(now=now + timedelta(minutes=62))
    assert open_offer(waiting.slot) is None
    assert WaitlistOffer.objects.filter(slot=waiting.slot, status="lapsed").count() == 2
    later_now = now + timedelta(minutes=63)
    assert waitlist.waitlist_offers_advance(now=later_now)["offered"] == 0  # each is offered a slot once
    services.booking_hold(student=waiting.student, slot_id=waiting.slot.pk, now=later_now)


def test_an_offer_past_its_time_reserves_nothing_even_before_the_job(waiting):
    now = timezone.now()
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker, now=now)
    offer = open_offer(waiting.slot)
    hold = services.booking_hold(student=waiting.student, slot_id=waiting.slot.pk, now=now + timedelta(minutes=31))
    assert hold.status == "hold"
    offer.refresh_from_db()
    assert offer.status == "lapsed"  # tidied up by the hold that took the slot
    assert waitlist.waitlist_offers_advance(now=now + timedelta(minutes=32))["offered"] == 0


def test_leaving_passes_an_open_offer_on(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    waitlist.waitlist_leave(entry=waiting.first_entry, actor=waiting.first)
    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    assert open_offer(waiting.slot).entry == waiting.second_entry
    assert "booking.waitlist.withdrawn" in events("booking.waitlist.withdrawn")


def test_a_student_without_a_usable_package_is_skipped(waiting):
    LessonPackage.objects.filter(student=waiting.first).update(lessons_left=0, status="depleted")
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    assert open_offer(waiting.slot).entry == waiting.second_entry


def test_a_student_gets_one_open_offer_at_a_time(waiting):
    other = make_slot(waiting.teacher)
    other_booking = book(waiting.booker, other)
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    services.booking_cancel(booking=other_booking, actor=waiting.booker)
    assert open_offer(waiting.slot).entry == waiting.first_entry
    assert open_offer(other).entry == waiting.second_entry


def test_the_teacher_canceling_withdraws_the_slot_instead_of_offering_it(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.teacher, reason="A concert that evening")
    assert not WaitlistOffer.objects.filter(slot=waiting.slot).exists()


def test_a_slot_too_soon_to_hold_is_not_offered(school, settings):
    slot = make_slot(school.teacher, starts_in=timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS, minutes=10))
    booker = student_with_package()
    booking = book(booker, slot)
    join(school.student, school.teacher)
    services.booking_cancel(booking=booking, actor=booker, now=timezone.now() + timedelta(minutes=20))
    assert not WaitlistOffer.objects.exists()


def test_a_reschedule_offers_the_old_time_and_respects_a_reservation(waiting):
    free = make_slot(waiting.teacher)
    successor = services.booking_reschedule(booking=waiting.booking, new_slot_id=free.pk, actor=waiting.booker)
    assert open_offer(waiting.slot).entry == waiting.first_entry
    before = waitlist_snapshot()
    with pytest.raises(SlotUnavailable):  # the booker may not move back onto the reserved time
        services.booking_reschedule(booking=successor, new_slot_id=waiting.slot.pk, actor=waiting.booker)
    assert waitlist_snapshot() == before


def test_rescheduling_onto_ones_own_offer_takes_it(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    mine = book(waiting.first, make_slot(waiting.teacher))
    successor = services.booking_reschedule(booking=mine, new_slot_id=waiting.slot.pk, actor=waiting.first)
    offer = WaitlistOffer.objects.get(slot=waiting.slot)
    assert (offer.status, offer.booking) == ("accepted", successor)
    waiting.first_entry.refresh_from_db()
    assert not waiting.first_entry.active


# --- expired holds and new slots ----------------------------------------------------------------


def test_an_expired_hold_offers_the_slot_through_the_expiry_job(school, settings):
    now = timezone.now()
    holder = student_with_package()
    hold = services.booking_hold(student=holder, slot_id=school.slot.pk, now=now)
    entry = join(school.student, school.teacher)
    later_now = now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 1)
    assert services.bookings_expire_holds(now=later_now) == 1
    hold.refresh_from_db()
    assert hold.status == "expired"
    offer = open_offer(school.slot)
    assert offer.entry == entry and offer.expires_at == later_now + timedelta(minutes=30)


def test_a_dead_hold_cleared_by_a_new_hold_is_not_offered(school, settings):
    now = timezone.now()
    services.booking_hold(student=student_with_package(), slot_id=school.slot.pk, now=now)
    join(school.other_student, school.teacher)
    later_now = now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 1)
    services.booking_hold(student=school.student, slot_id=school.slot.pk, now=later_now)
    assert not WaitlistOffer.objects.exists()


def test_a_new_slot_in_a_window_is_offered_by_the_periodic_step(school):
    start = next_weekday_at(1, time(19), MOSCOW)  # a Tuesday, 19:00 in Moscow
    entry = join(school.student, school.teacher, weekday=1, start=time(18), end=time(21))
    new = slot_at(school.teacher, start)
    assert waitlist.waitlist_offers_advance() == {"lapsed": 0, "withdrawn": 0, "offered": 1}
    assert open_offer(new).entry == entry
    assert waitlist.waitlist_offers_advance()["offered"] == 0  # once


def test_a_new_slot_outside_the_window_is_not_offered(school):
    join(school.student, school.teacher, weekday=1, start=time(18), end=time(21))
    slot_at(school.teacher, next_weekday_at(1, time(20, 30), MOSCOW))  # ends 21:30: not wholly inside
    slot_at(school.teacher, next_weekday_at(2, time(19), MOSCOW))  # a Wednesday
    slot_at(school.teacher, next_weekday_at(1, time(17), MOSCOW))  # too early
    assert waitlist.waitlist_offers_advance()["offered"] == 0
    assert not WaitlistOffer.objects.exists()


def test_a_freed_slot_outside_the_window_is_not_offered(waiting):
    local_weekday = waiting.slot.start_at.astimezone(MOSCOW).weekday()  # the student's zone
    window = join(waiting.student, waiting.teacher, weekday=(local_weekday + 1) % 7)
    WaitlistEntry.objects.filter(pk__in=[waiting.first_entry.pk, waiting.second_entry.pk]).update(
        active=False, left_at=timezone.now()
    )
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    assert not WaitlistOffer.objects.filter(entry=window).exists()


def test_slots_already_open_when_the_student_joined_are_not_offered(school):
    slot_at(school.teacher, next_weekday_at(1, time(19), MOSCOW))
    join(school.student, school.teacher)
    assert waitlist.waitlist_offers_advance()["offered"] == 0


def test_the_periodic_step_offers_a_freed_slot_once_its_first_student_is_free_again(waiting):
    other = make_slot(waiting.teacher)
    other_booking = book(waiting.booker, other)
    WaitlistEntry.objects.filter(pk=waiting.second_entry.pk).update(active=False, left_at=timezone.now())
    now = timezone.now()
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker, now=now)
    services.booking_cancel(booking=other_booking, actor=waiting.booker, now=now)
    assert open_offer(other) is None  # the only waiting student has an open offer already
    services.booking_hold(student=waiting.first, slot_id=waiting.slot.pk, now=now)  # takes the first one
    assert waitlist.waitlist_offers_advance(now=now)["offered"] == 1
    assert open_offer(other).entry == waiting.first_entry


def test_an_offer_of_a_slot_that_cannot_be_held_any_more_is_withdrawn(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    scheduling_services.slot_delete(teacher=waiting.teacher, slot=waiting.slot)
    assert waitlist.waitlist_offers_advance() == {"lapsed": 0, "withdrawn": 1, "offered": 0}
    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    assert AuditLog.objects.get(action="booking.waitlist.withdrawn").payload["reason"] == "slot_unavailable"


# --- accepting through the offer link -----------------------------------------------------------


def test_accepting_holds_the_slot_for_the_offers_student(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    booking = services.waitlist_offer_accept(offer=offer, student=waiting.first)
    assert (booking.status, booking.student, booking.slot) == ("hold", waiting.first, waiting.slot)
    offer.refresh_from_db()
    assert offer.status == "accepted" and offer.booking == booking
    assert services.waitlist_offer_accept(offer=offer, student=waiting.first) == booking  # a retry


def test_a_lapsed_or_someone_elses_offer_cannot_be_accepted(waiting):
    now = timezone.now()
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker, now=now)
    offer = open_offer(waiting.slot)
    before = waitlist_snapshot()
    with pytest.raises(Forbidden):
        services.waitlist_offer_accept(offer=offer, student=waiting.second)
    with pytest.raises(waitlist.WaitlistOfferClosed) as error:
        services.waitlist_offer_accept(offer=offer, student=waiting.first, now=now + timedelta(minutes=31))
    assert error.value.details == {"status": "lapsed"}
    assert waitlist_snapshot() == before


def test_accepting_without_a_usable_package_changes_nothing(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    LessonPackage.objects.filter(student=waiting.first).update(lessons_left=0, status="depleted")
    before = waitlist_snapshot()
    with pytest.raises(Exception) as error:
        services.waitlist_offer_accept(offer=offer, student=waiting.first)
    assert error.value.code == "no_active_package"
    assert waitlist_snapshot() == before


# --- windows in the student's zone ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_utc", "fits"),
    [
        (datetime(2027, 1, 12, 17, 0, tzinfo=UTC), True),  # Tue 18:00 CET
        (datetime(2027, 7, 13, 16, 0, tzinfo=UTC), True),  # Tue 18:00 CEST: the same wall-clock time
        (datetime(2027, 7, 13, 17, 0, tzinfo=UTC), True),  # Tue 19:00 CEST
        (datetime(2027, 7, 13, 19, 0, tzinfo=UTC), False),  # Tue 21:00–22:00 CEST: ends after the window
        (datetime(2027, 1, 12, 16, 0, tzinfo=UTC), False),  # Tue 17:00 CET
        (datetime(2027, 1, 13, 17, 0, tzinfo=UTC), False),  # a Wednesday
    ],
)
def test_a_window_is_read_on_the_wall_clock_of_the_students_zone(start_utc, fits):
    entry = WaitlistEntry(weekday=1, start_time=time(18), end_time=time(21), timezone="Europe/Berlin")
    assert waitlist.slot_fits_window(entry=entry, start_at=start_utc, end_at=start_utc + timedelta(hours=1)) is fits


def test_no_window_fits_every_slot_and_a_weekday_alone_fits_that_whole_day():
    start = datetime(2027, 1, 12, 22, 30, tzinfo=UTC)  # Wed 01:30 in Moscow, Tue 23:30 in Berlin
    end = start + timedelta(hours=1)
    assert waitlist.slot_fits_window(entry=WaitlistEntry(timezone="Europe/Moscow"), start_at=start, end_at=end)
    assert waitlist.slot_fits_window(
        entry=WaitlistEntry(weekday=2, timezone="Europe/Moscow"), start_at=start, end_at=end
    )
    assert not waitlist.slot_fits_window(
        entry=WaitlistEntry(weekday=2, timezone="Europe/Berlin"), start_at=start, end_at=end
    )


def test_the_window_keeps_the_zone_the_student_joined_in(school):
    entry = join(school.student, school.teacher, weekday=1, start=time(18), end=time(21))
    type(school.student).objects.filter(pk=school.student.pk).update(timezone="America/New_York")
    new = slot_at(school.teacher, next_weekday_at(1, time(19), MOSCOW))
    assert waitlist.waitlist_offers_advance()["offered"] == 1
    assert open_offer(new).entry == entry


# --- the database has the last word ---------------------------------------------------------------


def _offer(entry, slot, status="offered"):
    closed = None if status == "offered" else timezone.now()
    return WaitlistOffer.objects.create(entry=entry, slot=slot, status=status, expires_at=later(30), closed_at=closed)


def test_one_active_entry_per_window_also_without_a_window(school):
    WaitlistEntry.objects.create(student=school.student, teacher=school.teacher, timezone="UTC")
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistEntry.objects.create(student=school.student, teacher=school.teacher, timezone="UTC")
    WaitlistEntry.objects.create(
        student=school.student, teacher=school.teacher, timezone="UTC", active=False, left_at=timezone.now()
    )


def test_at_most_one_open_offer_per_slot_and_per_entry_and_one_offer_per_entry_and_slot(school):
    first = join(school.student, school.teacher)
    second = join(school.other_student, school.teacher)
    other_slot = make_slot(school.teacher)
    _offer(first, school.slot)
    with pytest.raises(IntegrityError), transaction.atomic():
        _offer(second, school.slot)
    with pytest.raises(IntegrityError), transaction.atomic():
        _offer(first, other_slot)
    with pytest.raises(IntegrityError), transaction.atomic():
        _offer(first, school.slot, status="lapsed")
    _offer(second, school.slot, status="lapsed")


@pytest.mark.parametrize(
    "fields",
    [
        {"weekday": 7},
        {"start_time": time(18)},
        {"start_time": time(18), "end_time": time(17)},
        {"active": False},
    ],
)
def test_entry_check_constraints(school, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistEntry.objects.create(student=school.student, teacher=school.teacher, timezone="UTC", **fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "bogus", "closed_at": timezone.now()},
        {"status": "lapsed"},
        {"status": "accepted", "closed_at": timezone.now()},
        {"closed_at": timezone.now()},
    ],
)
def test_offer_check_constraints(school, fields):
    entry = join(school.student, school.teacher)
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistOffer.objects.create(entry=entry, slot=school.slot, expires_at=later(30), **fields)


def test_the_periodic_task_is_a_thin_wrapper_on_a_beat_schedule(waiting, monkeypatch):
    from django_celery_beat.models import PeriodicTask

    from booking import tasks

    assert tasks.advance_waitlist_offers.name == "booking.advance_waitlist_offers"
    schedule = PeriodicTask.objects.get(task="booking.advance_waitlist_offers")
    assert (schedule.interval.every, schedule.interval.period, schedule.enabled) == (60, "seconds", True)
    now = timezone.now()
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker, now=now)
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=31))
    assert tasks.advance_waitlist_offers() == {"lapsed": 1, "withdrawn": 0, "offered": 1}
    assert Booking.objects.filter(slot=waiting.slot, status__in=["hold", "confirmed"]).count() == 0
