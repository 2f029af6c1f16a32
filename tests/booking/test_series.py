"""Weekly series: the same weekday and local time with one teacher, every
week, for N weeks, until a date, or open-ended; each week an ordinary
booking that takes one lesson; canceling this and later ones; across DST;
overlapping series racing."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog
from billing.errors import NoActivePackage
from billing.models import LessonPackage
from booking import selectors, services
from booking.errors import SeriesLongerThanPackage, SeriesNothingBookable
from booking.models import Booking, Series
from guitaronline.core.errors import InvalidInput
from notifications.services import outbox_dispatch
from scheduling.models import Slot
from tests.clients import client_for, signed_in
from tests.factories import StudentFactory, TeacherFactory, make_package
from tests.pages import text
from tests.races import race_n
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def teacher():
    return TeacherFactory(timezone="Europe/Berlin", full_name="Tanja Teacher")


def tuesday_after(days: int) -> date:
    day = (timezone.now().astimezone(BERLIN) + timedelta(days=days)).date()
    return day + timedelta(days=(1 - day.weekday()) % 7)


def weekly_slots(teacher, *, first: date, weeks: int, at: time = time(18)) -> list[Slot]:
    slots = []
    for week in range(weeks):
        start = datetime.combine(first + timedelta(weeks=week), at, tzinfo=BERLIN)
        slots.append(Slot.objects.create(teacher=teacher, start_at=start, end_at=start + timedelta(hours=1)))
    return slots


@pytest.fixture
def tuesdays(teacher):
    return weekly_slots(teacher, first=tuesday_after(3), weeks=10)


@pytest.fixture
def student():
    student = StudentFactory(full_name="Anna Weekly")
    make_package(student, lessons=10)
    return student


def lessons_left(student) -> int:
    return sum(LessonPackage.objects.filter(student=student).values_list("lessons_left", flat=True))


def test_a_series_books_every_free_week_and_says_why_the_others_are_not(student, teacher, tuesdays):
    other = StudentFactory()
    make_package(other)
    services.booking_confirm(booking=services.booking_hold(student=other, slot_id=tuesdays[2].pk), actor=other)
    tuesdays[4].delete()  # no slot that week

    series, weeks, booked = services.series_book(student=student, slot_id=tuesdays[0].pk, weeks=8)

    assert [week.reason for week in weeks] == ["", "", "taken", "", "no_slot", "", "", ""]
    assert [booking.slot_id for booking in booked] == [tuesdays[i].pk for i in (0, 1, 3, 5, 6, 7)]
    assert all(booking.status == "confirmed" and booking.series == series for booking in booked)
    assert lessons_left(student) == 4
    assert (series.weekday, series.local_time, series.weeks) == (1, time(18), 8)
    assert AuditLog.objects.filter(action="booking.series.created").count() == 1


def test_the_preview_shows_each_week_before_booking(student, tuesdays):
    weeks = selectors.series_preview(slot_id=tuesdays[0].pk, weeks=3)
    assert [(week.slot.pk, week.bookable) for week in weeks] == [(slot.pk, True) for slot in tuesdays[:3]]
    assert not Booking.objects.exists()


def test_a_series_longer_than_the_package_is_refused_whole(teacher, tuesdays):
    student = StudentFactory()
    make_package(student, lessons=5)
    before = booking_snapshot()
    with pytest.raises(SeriesLongerThanPackage) as refused:
        services.series_book(student=student, slot_id=tuesdays[0].pk, weeks=8)
    assert refused.value.details == {"lessons_left": 5, "bookable_weeks": 8}
    assert booking_snapshot() == before and not Series.objects.exists()


@pytest.mark.parametrize(
    ("terms", "field"),
    [({"weeks": 1}, "weeks"), ({"weeks": 53}, "weeks"), ({}, "weeks"), ({"weeks": 4, "open_ended": True}, "weeks")],
    ids=["one-week", "over-a-year", "no-end", "two-ends"],
)
def test_a_series_needs_one_sensible_end(student, tuesdays, terms, field):
    with pytest.raises(InvalidInput) as refused:
        services.series_book(student=student, slot_id=tuesdays[0].pk, **terms)
    assert field in refused.value.details and not Series.objects.exists()


def test_until_a_date(student, tuesdays):
    _, weeks, booked = services.series_book(
        student=student, slot_id=tuesdays[0].pk, until=tuesdays[3].start_at.astimezone(BERLIN).date()
    )
    assert len(weeks) == len(booked) == 4


def test_no_package_no_series(teacher, tuesdays):
    with pytest.raises(NoActivePackage):
        services.series_book(student=StudentFactory(), slot_id=tuesdays[0].pk, weeks=4)
    tuesdays_taken = StudentFactory()
    make_package(tuesdays_taken)
    for slot in tuesdays[:3]:
        services.booking_hold(student=tuesdays_taken, slot_id=slot.pk)
    with pytest.raises(SeriesNothingBookable):
        services.series_book(student=tuesdays_taken, slot_id=tuesdays[0].pk, weeks=3)


def test_an_open_ended_series_books_ahead_as_the_package_allows_and_warns(teacher, tuesdays):
    student = StudentFactory()
    make_package(student, lessons=6)
    series, _, booked = services.series_book(student=student, slot_id=tuesdays[0].pk, open_ended=True)
    assert len(booked) == 4  # SERIES_AHEAD_WEEKS

    later = tuesdays[3].start_at + timedelta(hours=2)  # three weeks on: weeks 5 to 8 come into reach
    assert services.series_extend(now=later) == {"series": 1, "booked": 2, "missed": 2}  # two lessons left
    assert services.series_extend(now=later) == {"series": 1, "booked": 0, "missed": 0}  # each week once
    extended = AuditLog.objects.filter(action="booking.series.extended").get()
    assert (extended.payload["lessons_left"], extended.payload["low"]) == (0, True)
    assert [week["reason"] for week in extended.payload["missed"]] == ["no_lesson", "no_lesson"]
    assert series.bookings.filter(status="confirmed").count() == 6

    make_package(student, lessons=10)  # bought more: the series books on from the next week in reach
    assert services.series_extend(now=tuesdays[4].start_at + timedelta(hours=2))["booked"] == 1


def test_cancel_this_and_all_later_ones_follows_the_24h_rule_for_each(student, tuesdays):
    series, _, booked = services.series_book(student=student, slot_id=tuesdays[0].pk, weeks=5)
    assert lessons_left(student) == 5

    canceled = services.series_cancel(series=series, actor=student, from_booking_id=booked[2].pk)

    assert [booking.pk for booking in canceled] == [booking.pk for booking in booked[2:]]
    assert all(booking.lesson_returned for booking in canceled)  # each more than 24 h ahead
    assert lessons_left(student) == 8
    assert Booking.objects.get(pk=booked[0].pk).status == "confirmed"
    series.refresh_from_db()
    assert series.status == "canceled"


def test_rescheduling_one_occurrence_keeps_it_in_the_series(student, teacher, tuesdays):
    series, _, booked = services.series_book(student=student, slot_id=tuesdays[0].pk, weeks=3)
    elsewhere = weekly_slots(teacher, first=tuesday_after(3) + timedelta(days=2), weeks=1)[0]
    moved = services.booking_reschedule(booking=booked[1], new_slot_id=elsewhere.pk, actor=student)
    assert moved.series_id == series.pk
    assert series.bookings.filter(status="confirmed").count() == 3


def test_a_series_keeps_the_teachers_wall_clock_across_dst(student, teacher):
    # Berlin moves to summer time on Sunday 28 March 2027: 18:00 is 17:00 UTC before, 16:00 UTC after.
    slots = weekly_slots(teacher, first=date(2027, 3, 16), weeks=4)
    _, _, booked = services.series_book(student=student, slot_id=slots[0].pk, weeks=4)
    assert len(booked) == 4
    assert [booking.slot.start_at.astimezone(ZoneInfo("UTC")).hour for booking in booked] == [17, 17, 16, 16]
    assert {booking.slot.start_at.astimezone(BERLIN).time() for booking in booked} == {time(18)}


@pytest.mark.django_db(transaction=True)
def test_overlapping_series_race_fairly_each_week_to_one(postgres_only):
    teacher = TeacherFactory(timezone="Europe/Berlin")
    slots = weekly_slots(teacher, first=tuesday_after(3), weeks=8)
    students = [StudentFactory() for _ in range(16)]
    for student in students:
        make_package(student, lessons=10)

    outcomes = race_n(16, lambda index: services.series_book(student=students[index], slot_id=slots[0].pk, weeks=8))

    taken = Booking.objects.filter(slot__in=slots, status="confirmed")
    assert sorted(taken.values_list("slot_id", flat=True)) == sorted(slot.pk for slot in slots)  # each week once
    won = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    lost = [outcome for outcome in outcomes if isinstance(outcome, SeriesNothingBookable)]
    assert len(won) + len(lost) == 16, outcomes
    assert sum(len(booked) for _, _, booked in won) == 8
    for student in students:  # nobody paid for a week they did not get
        assert lessons_left(student) == 10 - Booking.objects.filter(student=student, status="confirmed").count()


# --- pages, API and messages ---------------------------------------------------------------


def test_the_student_previews_then_books_on_the_pages(student, tuesdays):
    tuesdays[2].delete()
    page = signed_in(student)
    week = tuesdays[0].start_at.astimezone(BERLIN).date().isoformat()
    teacher_page = page.get(
        reverse("booking:teacher-detail", args=[tuesdays[0].teacher_id]), {"week": week}
    ).content.decode()
    assert f"{reverse('booking:series-new')}?slot={tuesdays[0].pk}" in teacher_page
    preview = page.get(reverse("booking:series-new"), {"slot": tuesdays[0].pk, "length": "weeks", "weeks": 4})
    shown = text(preview)
    assert shown.count("bookable") - shown.count("not bookable") == 3
    assert "the teacher has no open slot at this time" in shown and "Book 3 weeks" in shown

    booked = page.post(
        reverse("booking:series-new"), {"slot": tuesdays[0].pk, "length": "weeks", "weeks": 4, "until": ""}, follow=True
    )
    assert "3 weekly lessons are booked." in text(booked)
    assert Booking.objects.filter(student=student, series__isnull=False, status="confirmed").count() == 3


def test_the_api_previews_books_lists_and_cancels(student, tuesdays):
    api = client_for(student)
    preview = api.get("/api/v1/booking/series/preview", {"slot_id": tuesdays[0].pk, "weeks": 3}).json()
    assert [(w["slot_id"], w["bookable"], w["reason"]) for w in preview["weeks"]] == [
        (slot.pk, True, "") for slot in tuesdays[:3]
    ]
    made = api.post("/api/v1/booking/series", {"slot_id": tuesdays[0].pk, "weeks": 3}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert [b["slot_id"] for b in body["bookings"]] == [slot.pk for slot in tuesdays[:3]]
    assert [s["id"] for s in api.get("/api/v1/booking/series/my").json()["results"]] == [body["id"]]
    canceled = api.post(
        f"/api/v1/booking/series/{body['id']}/cancel", {"from_booking_id": body["bookings"][1]["id"]}, format="json"
    ).json()
    assert [b["status"] for b in canceled["bookings"]] == ["confirmed", "canceled", "canceled"]
    LessonPackage.objects.filter(student=student).update(lessons_left=1)
    too_long = api.post("/api/v1/booking/series", {"slot_id": tuesdays[3].pk, "weeks": 3}, format="json")
    assert (too_long.status_code, too_long.json()["error"]["code"]) == (409, "series_exceeds_package")


# 8 weeks of a hold made and confirmed at once; the teacher's lock is taken once, a week whose
# slot has no waitlist offer does not look for one on its new booking, and every week's audit
# records and outbox events are written with the series' in one INSERT each
SERIES_OF_8_STATEMENTS = 98  # was 169


def test_a_series_of_eight_weeks_stays_within_its_statements(student, tuesdays, django_assert_max_num_queries):
    with django_assert_max_num_queries(SERIES_OF_8_STATEMENTS):
        _, _, booked = services.series_book(student=student, slot_id=tuesdays[0].pk, weeks=8)
    assert len(booked) == 8
    assert AuditLog.objects.filter(action="booking.confirmed", entity_id__in=[b.pk for b in booked]).count() == 8


def test_a_series_is_told_once_not_week_by_week(student, tuesdays):
    outbox_dispatch()
    mail.outbox.clear()
    series, _, booked = services.series_book(student=student, slot_id=tuesdays[0].pk, weeks=4)
    outbox_dispatch()
    to_student = [m for m in mail.outbox if m.to == [student.email]]
    assert len(to_student) == 1 and to_student[0].subject.startswith("Weekly lessons booked")
    assert len([m for m in mail.outbox if m.to == [series.teacher.email]]) == 1
    mail.outbox.clear()
    services.series_cancel(series=series, actor=student, from_booking_id=booked[1].pk)
    outbox_dispatch()
    [told] = [m for m in mail.outbox if m.to == [student.email]]
    assert "3 lessons are canceled" in told.body and "3 lessons went back to your package" in told.body


def test_when_the_weeks_went_to_someone_else_the_page_shows_them_afresh(student, tuesdays):
    rival = StudentFactory()
    make_package(rival)
    for slot in tuesdays[:2]:
        services.booking_hold(student=rival, slot_id=slot.pk)  # taken after the student's preview
    page = signed_in(student).post(
        reverse("booking:series-new"), {"slot": tuesdays[0].pk, "length": "weeks", "weeks": 2, "until": ""}
    )
    shown = text(page)
    assert page.status_code == 200 and "None of these weeks can be booked now." in shown
    assert shown.count("not bookable") == 2 and not Series.objects.exists()
