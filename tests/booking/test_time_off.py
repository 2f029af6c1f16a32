"""A teacher's time off: the free slots in those days go, no new ones open,
the lessons still booked there are listed for the teacher to cancel; staff
who run bookings enter it too. Days are the teacher's own calendar."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog
from booking import selectors, services
from guitaronline.core.capabilities import CapabilityMissing
from guitaronline.core.errors import InvalidInput
from scheduling import services as scheduling_services
from scheduling.errors import SlotInTimeOff, TimeOffOverlap
from scheduling.models import Slot, TimeOff
from tests.clients import client_for, signed_in
from tests.factories import StudentFactory, TeacherFactory, make_package, staff_in
from tests.pages import text
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def teacher():
    return TeacherFactory(timezone="Europe/Berlin", full_name="Tanja Teacher")


def berlin_day(days_ahead: int):
    return (timezone.now().astimezone(BERLIN) + timedelta(days=days_ahead)).date()


def slot_at(teacher, day, hour: int) -> Slot:
    start = datetime.combine(day, time(hour), tzinfo=BERLIN)
    return Slot.objects.create(teacher=teacher, start_at=start, end_at=start + timedelta(hours=1))


def booked(slot) -> object:
    student = StudentFactory(full_name="Boris Booked")
    make_package(student)
    booking = services.booking_hold(student=student, slot_id=slot.pk)
    return services.booking_confirm(booking=booking, actor=student)


@pytest.fixture
def week(teacher):
    """Slots in Berlin on days 4 to 8 ahead: early (00:00), midday and late (23:00)."""
    return {day: [slot_at(teacher, berlin_day(day), hour) for hour in (0, 12, 23)] for day in range(4, 9)}


def test_the_free_slots_of_those_days_go_and_the_booked_lessons_stay_listed(teacher, week):
    lesson = booked(week[6][1])

    time_off, removed = services.time_off_take(
        teacher=teacher, start_date=berlin_day(5), end_date=berlin_day(7), reason="Holiday", actor=teacher
    )

    assert removed == 8  # three days of three slots, but the booked one
    live = set(selectors.teacher_slots_taken(teacher=teacher).values_list("pk", flat=True))
    assert live == {slot.pk for slot in week[4] + week[8]} | {lesson.slot_id}
    assert [booking.pk for booking in selectors.bookings_in_time_off(time_off=time_off)] == [lesson.pk]
    assert time_off.start_at == datetime.combine(berlin_day(5), time(0), tzinfo=BERLIN)
    assert time_off.end_at == datetime.combine(berlin_day(8), time(0), tzinfo=BERLIN)
    assert AuditLog.objects.filter(action="scheduling.time_off.created").count() == 1


def test_no_new_slot_opens_in_time_off_and_a_weekly_rule_skips_it(teacher):
    services.time_off_take(teacher=teacher, start_date=berlin_day(3), end_date=berlin_day(9), actor=teacher)
    start = datetime.combine(berlin_day(5), time(18), tzinfo=BERLIN)
    with pytest.raises(SlotInTimeOff):
        scheduling_services.slot_create(teacher=teacher, start_at=start, end_at=start + timedelta(hours=1))

    result = scheduling_services.slot_create_recurring(
        teacher=teacher,
        weekday=berlin_day(5).weekday(),
        start_time=time(18),
        end_time=time(19),
        slot_minutes=60,
        weeks=3,
    )

    assert berlin_day(5) in [skip["local_date"] for skip in result.skipped if skip["reason"] == "time_off"]
    assert all(slot.start_at.astimezone(BERLIN).date() > berlin_day(9) for slot in result.created)


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [(6, 5, "end_date"), (-3, -1, "end_date"), (1, 400, "end_date")],
    ids=["last-before-first", "over", "too-long"],
)
def test_days_that_make_no_sense_are_refused_and_change_nothing(teacher, week, first, last, field):
    before = booking_snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.time_off_take(teacher=teacher, start_date=berlin_day(first), end_date=berlin_day(last), actor=teacher)
    assert field in refused.value.details
    assert booking_snapshot() == before and not TimeOff.objects.exists()


def test_time_off_overlapping_other_time_off_is_refused(teacher, week):
    services.time_off_take(teacher=teacher, start_date=berlin_day(5), end_date=berlin_day(6), actor=teacher)
    before = booking_snapshot()
    with pytest.raises(TimeOffOverlap):
        services.time_off_take(teacher=teacher, start_date=berlin_day(6), end_date=berlin_day(8), actor=teacher)
    assert booking_snapshot() == before and TimeOff.objects.count() == 1
    services.time_off_take(
        teacher=teacher, start_date=berlin_day(7), end_date=berlin_day(7), actor=teacher
    )  # next to it


def test_the_database_refuses_overlapping_time_off(teacher, postgres_only):
    start = timezone.now() + timedelta(days=3)
    TimeOff.objects.create(
        teacher=teacher,
        start_date=start.date(),
        end_date=start.date(),
        start_at=start,
        end_at=start + timedelta(days=1),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeOff.objects.create(
            teacher=teacher,
            start_date=start.date(),
            end_date=start.date(),
            start_at=start + timedelta(hours=12),
            end_at=start + timedelta(days=2),
        )


def test_support_enters_time_off_for_a_teacher_and_finance_or_another_teacher_cannot(teacher, week):
    days = {"start_date": berlin_day(5), "end_date": berlin_day(5)}
    for outsider in (staff_in("finance"), TeacherFactory()):
        with pytest.raises(CapabilityMissing):
            services.time_off_take(teacher=teacher, actor=outsider, **days)
    support = staff_in("support")
    time_off, removed = services.time_off_take(teacher=teacher, actor=support, **days)
    assert (time_off.created_by, removed) == (support, 3)


def test_taking_time_off_back_opens_the_days_again(teacher):
    time_off, _ = services.time_off_take(
        teacher=teacher, start_date=berlin_day(5), end_date=berlin_day(5), actor=teacher
    )
    services.time_off_cancel(time_off=time_off, actor=teacher)
    start = datetime.combine(berlin_day(5), time(18), tzinfo=BERLIN)
    assert scheduling_services.slot_create(teacher=teacher, start_at=start, end_at=start + timedelta(hours=1))


# --- the teacher's page --------------------------------------------------------------------


def test_the_page_saves_time_off_and_lists_the_lessons_left_to_cancel(teacher, week):
    lesson = booked(week[6][1])
    page = signed_in(teacher)
    response = page.post(
        reverse("booking:teacher-time-off"),
        {"start_date": berlin_day(6).isoformat(), "end_date": berlin_day(6).isoformat(), "reason": "Festival"},
        follow=True,
    )
    shown = text(response)
    assert "Time off saved; 2 free slots in these days are removed." in shown
    assert "1 lesson is still booked in these days: cancel it below." in shown
    assert "Boris Booked" in shown and "Festival" in shown
    assert reverse("booking:teacher-cancel", args=[lesson.pk]) in response.content.decode()


def test_the_page_shows_bad_days_as_form_errors(teacher):
    response = signed_in(teacher).post(
        reverse("booking:teacher-time-off"),
        {"start_date": berlin_day(6).isoformat(), "end_date": berlin_day(2).isoformat()},
    )
    assert response.status_code == 200
    assert "The last day cannot come before the first." in text(response)
    assert not TimeOff.objects.exists()


def test_the_page_speaks_russian(teacher):
    teacher.language = "ru"
    teacher.save(update_fields=["language"])
    page = text(signed_in(teacher).get(reverse("booking:teacher-time-off")))
    assert "Отпуск и выходные" in page and "Первый день" in page


# --- the API --------------------------------------------------------------------------------


def test_the_api_takes_lists_and_removes_time_off(teacher, week):
    lesson = booked(week[5][2])
    api = client_for(teacher)
    created = api.post(
        "/api/v1/scheduling/time-off",
        {"start_date": berlin_day(5).isoformat(), "end_date": berlin_day(5).isoformat()},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["slots_removed"], [b["id"] for b in body["bookings"]]) == (2, [lesson.pk])

    overlap = api.post(
        "/api/v1/scheduling/time-off",
        {"start_date": berlin_day(4).isoformat(), "end_date": berlin_day(5).isoformat()},
        format="json",
    )
    assert (overlap.status_code, overlap.json()["error"]["code"]) == (409, "time_off_overlap")
    assert [period["id"] for period in api.get("/api/v1/scheduling/time-off").json()] == [body["id"]]
    assert client_for(TeacherFactory()).delete(f"/api/v1/scheduling/time-off/{body['id']}").status_code == 404
    assert api.delete(f"/api/v1/scheduling/time-off/{body['id']}").status_code == 204
    assert not TimeOff.objects.exists()


def test_support_adds_time_off_in_the_admin(client, teacher, week):
    support = staff_in("support")
    client.force_login(support)
    response = client.post(
        reverse("admin:scheduling_timeoff_add"),
        {"teacher": teacher.pk, "start_date": berlin_day(4).isoformat(), "end_date": berlin_day(4).isoformat()},
    )
    assert response.status_code == 302, text(response)
    assert TimeOff.objects.get().created_by == support
    assert not selectors.teacher_slots_taken(teacher=teacher).filter(pk__in=[s.pk for s in week[4]]).exists()
