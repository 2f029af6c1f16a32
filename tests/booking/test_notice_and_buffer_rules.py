"""A teacher's booking rules: minimum notice and a buffer between lessons,
enforced on every path (open slots, the hold and reschedule services, the
API, the pages), refused with stable codes and the database unchanged."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from accounts import services as account_services
from accounts.models import TeacherProfile
from booking import selectors
from booking import services as booking_services
from booking.errors import SlotBuffer, SlotTooSoon, SlotUnavailable
from booking.models import Booking
from guitaronline.core.errors import InvalidInput
from tests.booking.holding import slot_get_open
from tests.clients import client_for, signed_in
from tests.factories import StudentFactory, TeacherFactory, book, in_days, make_package, slot_at
from tests.scheduling.factories import hold_booking, past_booking
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db

BUFFER_MESSAGE = "Too close to another lesson of this teacher."
TOO_SOON_MESSAGE = "This lesson starts too soon to be booked."


@pytest.fixture(autouse=True)
def _english():
    """The messages below are asserted in English (the site's default is Russian)."""
    with translation.override("en"):
        yield


def student_with_package():
    student = StudentFactory()
    make_package(student)
    return student


def set_rules(teacher, *, notice: int | None = None, buffer: int = 0) -> None:
    TeacherProfile.objects.filter(pk=teacher.pk).update(min_notice_hours=notice, buffer_minutes=buffer)


@pytest.fixture
def other_student(db):
    return student_with_package()


@pytest.fixture
def booked(berlin_teacher, other_student):
    """Another student's confirmed lesson 10:00–11:00 UTC four days ahead;
    the teacher keeps 30 minutes free around their lessons."""
    set_rules(berlin_teacher, buffer=30)
    return book(other_student, slot_at(berlin_teacher, in_days(4, hour=10)))


def near(booked, minutes_from_start: int, length: int = 60):
    """A slot of the same teacher starting `minutes_from_start` after the booked lesson's start."""
    return slot_at(booked.slot.teacher, booked.slot.start_at + timedelta(minutes=minutes_from_start), minutes=length)


BUFFER_CASES = [
    # (minutes from the booked start, length, open?) around 10:00–11:00 with a 30-minute buffer
    pytest.param(60, 60, False, id="back-to-back-after"),
    pytest.param(75, 60, False, id="15-min-gap-after"),
    pytest.param(89, 60, False, id="29-min-gap-after"),
    pytest.param(90, 60, True, id="30-min-gap-after"),
    pytest.param(-60, 60, False, id="back-to-back-before"),
    pytest.param(-75, 60, False, id="15-min-gap-before"),
    pytest.param(-90, 60, True, id="30-min-gap-before"),
    pytest.param(-45, 30, False, id="short-slot-15-min-before"),
    pytest.param(24 * 60, 60, True, id="next-day"),
]


# --- open slots and the slot to hold (booking.selectors) ------------------------------------


@pytest.mark.parametrize(("offset", "length", "is_open"), BUFFER_CASES)
def test_the_buffer_applies_to_open_slots_and_to_the_slot_to_hold(booked, offset, length, is_open):
    slot = near(booked, offset, length)
    assert (slot in selectors.open_slots()) is is_open
    assert (slot in selectors.open_slots(teacher_id=booked.slot.teacher_id)) is is_open
    if is_open:
        assert slot_get_open(slot_id=slot.pk, for_update=True) == slot
    else:
        with pytest.raises(SlotBuffer) as raised:
            slot_get_open(slot_id=slot.pk, for_update=True)
        assert (raised.value.code, raised.value.status_code) == ("slot_buffer", 409)
        assert str(raised.value.message) == BUFFER_MESSAGE
        assert raised.value.details == {"buffer_minutes": 30}


@pytest.mark.parametrize(
    ("taker", "blocks"),
    [
        ("confirmed", True),
        ("live-hold", True),
        ("expired-hold", False),
        ("canceled", False),
        ("other-teacher", False),
        ("no-buffer", False),
    ],
)
def test_only_the_teachers_taken_slots_count_for_the_buffer(berlin_teacher, taker, blocks):
    now = timezone.now()
    set_rules(berlin_teacher, buffer=0 if taker == "no-buffer" else 30)
    owner = TeacherFactory() if taker == "other-teacher" else berlin_teacher
    taken = slot_at(owner, in_days(4, hour=10))
    if taker in ("confirmed", "other-teacher", "no-buffer"):
        book(student_with_package(), taken)
    elif taker == "live-hold":
        hold_booking(slot=taken, expires_at=now + timedelta(minutes=5))
    elif taker == "expired-hold":
        hold_booking(slot=taken, expires_at=now - timedelta(seconds=1))
    else:
        past_booking(slot=taken, status=Booking.Status.CANCELED)
    candidate = slot_at(berlin_teacher, taken.end_at)
    assert (candidate not in selectors.open_slots(now=now)) is blocks
    if blocks:
        with pytest.raises(SlotBuffer):
            slot_get_open(slot_id=candidate.pk, now=now)
    else:
        assert slot_get_open(slot_id=candidate.pk, now=now) == candidate


def test_a_taken_slot_is_unavailable_before_it_is_a_buffer_matter(booked):
    with pytest.raises(SlotUnavailable):
        slot_get_open(slot_id=booked.slot_id)


def test_the_slot_a_reschedule_frees_does_not_count_for_the_buffer(booked):
    adjacent = near(booked, 60)
    with pytest.raises(SlotBuffer):
        slot_get_open(slot_id=adjacent.pk, for_update=True)
    assert slot_get_open(slot_id=adjacent.pk, for_update=True, releasing_slot_id=booked.slot_id) == adjacent


@pytest.mark.parametrize(
    ("notice", "school_notice", "hours_ahead", "is_open"),
    [
        pytest.param(24, 2, 23.9, False, id="teacher-24h-inside"),
        pytest.param(24, 2, 24, True, id="teacher-24h-exactly"),
        pytest.param(24, 2, 25, True, id="teacher-24h-outside"),
        pytest.param(0, 2, 0.5, True, id="teacher-no-notice-soon"),
        pytest.param(0, 2, -0.5, False, id="teacher-no-notice-started"),
        pytest.param(None, 6, 5, False, id="school-default-inside"),
        pytest.param(None, 6, 7, True, id="school-default-outside"),
    ],
)
def test_the_teachers_notice_applies_to_open_slots_and_to_the_slot_to_hold(
    settings, berlin_teacher, notice, school_notice, hours_ahead, is_open
):
    settings.BOOKING_MIN_NOTICE_HOURS = school_notice
    set_rules(berlin_teacher, notice=notice)
    now = timezone.now().replace(microsecond=0)
    slot = slot_at(berlin_teacher, now + timedelta(hours=hours_ahead))
    assert (slot in selectors.open_slots(now=now)) is is_open
    if is_open:
        assert slot_get_open(slot_id=slot.pk, now=now) == slot
    else:
        with pytest.raises(SlotTooSoon) as raised:
            slot_get_open(slot_id=slot.pk, now=now)
        assert (raised.value.code, raised.value.status_code) == ("slot_too_soon", 409)
        assert raised.value.details == {"min_notice_hours": school_notice if notice is None else notice}


def test_open_slots_stay_one_query_with_rules_and_takers(berlin_teacher, django_assert_num_queries):
    set_rules(berlin_teacher, notice=3, buffer=15)
    other = TeacherFactory()
    set_rules(other, buffer=45)
    student = StudentFactory()
    make_package(student, lessons=50)
    book(student, slot_at(berlin_teacher, in_days(3, hour=6)))
    slot_at(berlin_teacher, in_days(3, hour=8))
    with django_assert_num_queries(1):
        one = list(selectors.open_slots())
    for day in range(4, 29):
        book(student, slot_at(berlin_teacher, in_days(day, hour=6)))
        slot_at(berlin_teacher, in_days(day, hour=7))  # back to back: inside the buffer
        slot_at(other, in_days(day, hour=8))
    with django_assert_num_queries(1):
        many = list(selectors.open_slots())
    assert len(one) == 1 and len(many) == 1 + 25


# --- the services --------------------------------------------------------------------------


def test_hold_refuses_a_slot_inside_the_buffer_and_changes_nothing(booked, new_york_student):
    slot = near(booked, 60)
    before = booking_snapshot()
    with pytest.raises(SlotBuffer):
        booking_services.booking_hold(student=new_york_student, slot_id=slot.pk)
    assert booking_snapshot() == before
    assert booking_services.booking_hold(student=new_york_student, slot_id=near(booked, 120).pk).status == "hold"


def test_a_live_hold_also_keeps_the_buffer(berlin_teacher, new_york_student, other_student):
    set_rules(berlin_teacher, buffer=30)
    first = slot_at(berlin_teacher, in_days(4, hour=10))
    booking_services.booking_hold(student=other_student, slot_id=first.pk)
    before = booking_snapshot()
    with pytest.raises(SlotBuffer):
        booking_services.booking_hold(student=new_york_student, slot_id=slot_at(berlin_teacher, first.end_at).pk)
    assert booking_snapshot() == before


def test_hold_refuses_a_slot_inside_the_teachers_notice_and_changes_nothing(berlin_teacher, new_york_student):
    set_rules(berlin_teacher, notice=48)
    slot = slot_at(berlin_teacher, in_days(1))
    before = booking_snapshot()
    with pytest.raises(SlotTooSoon) as raised:
        booking_services.booking_hold(student=new_york_student, slot_id=slot.pk)
    assert raised.value.details == {"min_notice_hours": 48}
    assert booking_snapshot() == before


def test_reschedule_refuses_a_slot_inside_the_buffer_and_changes_nothing(booked, berlin_teacher, new_york_student):
    mine = book(new_york_student, slot_at(berlin_teacher, in_days(6, hour=10)))
    before = booking_snapshot()
    with pytest.raises(SlotBuffer):
        booking_services.booking_reschedule(booking=mine, new_slot_id=near(booked, 60).pk, actor=new_york_student)
    assert booking_snapshot() == before


def test_reschedule_refuses_a_slot_inside_the_notice_and_changes_nothing(berlin_teacher, new_york_student):
    mine = book(new_york_student, slot_at(berlin_teacher, in_days(6)))
    set_rules(berlin_teacher, notice=72)
    before = booking_snapshot()
    with pytest.raises(SlotTooSoon):
        booking_services.booking_reschedule(
            booking=mine, new_slot_id=slot_at(berlin_teacher, in_days(2)).pk, actor=new_york_student
        )
    assert booking_snapshot() == before


def test_reschedule_next_to_the_lesson_it_moves_is_allowed(berlin_teacher, new_york_student):
    set_rules(berlin_teacher, buffer=30)
    mine = book(new_york_student, slot_at(berlin_teacher, in_days(6, hour=10)))
    successor = booking_services.booking_reschedule(
        booking=mine, new_slot_id=slot_at(berlin_teacher, mine.slot.end_at).pk, actor=new_york_student
    )
    assert successor.status == "confirmed"


# --- the API ---------------------------------------------------------------------------------


def error_of(response) -> dict:
    assert set(response.json()) == {"error"}
    return response.json()["error"]


def test_api_hold_answers_409_slot_buffer_and_slot_too_soon(booked, new_york_student):
    api = client_for(new_york_student)
    before = booking_snapshot()
    response = api.post("/api/v1/booking/holds", {"slot_id": near(booked, 60).pk}, format="json")
    assert response.status_code == 409
    assert error_of(response) == {
        "code": "slot_buffer",
        "message": BUFFER_MESSAGE,
        "details": {"buffer_minutes": 30},
    }
    set_rules(booked.slot.teacher, notice=168, buffer=30)
    response = api.post("/api/v1/booking/holds", {"slot_id": near(booked, 24 * 60).pk}, format="json")
    assert response.status_code == 409
    assert error_of(response)["code"] == "slot_too_soon"
    assert error_of(response)["details"] == {"min_notice_hours": 168}
    assert booking_snapshot() == before


def test_api_reschedule_answers_409_slot_buffer(booked, berlin_teacher, new_york_student):
    mine = book(new_york_student, slot_at(berlin_teacher, in_days(6, hour=10)))
    before = booking_snapshot()
    response = client_for(new_york_student).post(
        f"/api/v1/booking/{mine.pk}/reschedule", {"new_slot_id": near(booked, -60).pk}, format="json"
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "slot_buffer"
    assert booking_snapshot() == before


def test_api_open_slots_leave_out_slots_inside_the_rules(api, booked):
    inside, outside = near(booked, 60), near(booked, 120)
    ids = {
        slot["id"]
        for slot in api.get(f"/api/v1/scheduling/slots/open?teacher={booked.slot.teacher_id}").json()["results"]
    }
    assert outside.pk in ids and inside.pk not in ids and booked.slot_id not in ids


# --- the pages -----------------------------------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_hold_form_refuses_a_slot_inside_the_buffer(booked, new_york_student):
    teacher_id = booked.slot.teacher_id
    before = booking_snapshot()
    response = signed_in(new_york_student).post(
        reverse("booking:hold", args=[teacher_id]), {"slot": near(booked, 60).pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:teacher-detail", args=[teacher_id])
    assert messages_of(response) == [BUFFER_MESSAGE]
    assert booking_snapshot() == before


def test_the_hold_form_refuses_a_slot_inside_the_notice(berlin_teacher, new_york_student):
    set_rules(berlin_teacher, notice=48)
    before = booking_snapshot()
    response = signed_in(new_york_student).post(
        reverse("booking:hold", args=[berlin_teacher.pk]), {"slot": slot_at(berlin_teacher, in_days(1)).pk}
    )
    assert messages_of(response) == [TOO_SOON_MESSAGE]
    assert booking_snapshot() == before


def test_the_reschedule_form_refuses_a_slot_inside_the_buffer(booked, berlin_teacher, new_york_student):
    mine = book(new_york_student, slot_at(berlin_teacher, in_days(6, hour=10)))
    before = booking_snapshot()
    response = signed_in(new_york_student).post(
        reverse("booking:reschedule", args=[mine.pk]), {"slot": near(booked, 75).pk}
    )
    assert response["Location"] == reverse("booking:reschedule", args=[mine.pk])
    assert messages_of(response) == [BUFFER_MESSAGE]
    assert booking_snapshot() == before


def test_the_teacher_page_shows_the_rules_and_only_bookable_slots(booked, new_york_student, settings):
    teacher = booked.slot.teacher
    inside, outside = near(booked, 60), near(booked, 120)
    client = signed_in(new_york_student)
    week = booked.slot.start_at.astimezone(ZoneInfo(new_york_student.timezone)).date().isoformat()
    url = reverse("booking:teacher-detail", args=[teacher.pk])
    html = client.get(f"{url}?week={week}").content.decode()
    assert f'name="slot" value="{outside.pk}"' in html
    assert f'name="slot" value="{inside.pk}"' not in html
    assert f'name="slot" value="{booked.slot_id}"' not in html
    assert f"Book at least {settings.BOOKING_MIN_NOTICE_HOURS} hours before the lesson" in html
    assert "<dt>Break between lessons</dt><dd>30 minutes</dd>" in html

    set_rules(teacher, notice=1, buffer=0)
    html = client.get(url).content.decode()
    assert "Book at least 1 hour before the lesson" in html
    assert "Break between lessons" not in html
    set_rules(teacher, notice=0)
    assert "Book until the lesson starts" in client.get(url).content.decode()


# --- the teacher's profile form and the constraints ---------------------------------------------------


PROFILE_DATA = {"display_name": "Anna", "bio": "", "styles": "", "levels": ["beginner"], "lesson_minutes": "60"}


def test_the_profile_form_saves_the_rules(berlin_teacher):
    client = signed_in(berlin_teacher)
    page = client.get(reverse("accounts:teacher-profile")).content.decode()
    assert 'name="min_notice_hours"' in page and 'name="buffer_minutes"' in page
    response = client.post(
        reverse("accounts:teacher-profile"), {**PROFILE_DATA, "min_notice_hours": "12", "buffer_minutes": "15"}
    )
    assert response.status_code == 302
    profile = TeacherProfile.objects.get(pk=berlin_teacher.pk)
    assert (profile.min_notice_hours, profile.buffer_minutes, profile.notice_hours) == (12, 15, 12)

    client.post(reverse("accounts:teacher-profile"), {**PROFILE_DATA, "min_notice_hours": "", "buffer_minutes": ""})
    profile.refresh_from_db()
    assert (profile.min_notice_hours, profile.buffer_minutes) == (None, 0)  # the school's notice, no buffer


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_notice_hours", "-1"),
        ("min_notice_hours", "169"),
        ("min_notice_hours", "a day"),
        ("buffer_minutes", "-5"),
        ("buffer_minutes", "121"),
        ("buffer_minutes", "1.5"),
    ],
)
def test_the_profile_form_refuses_out_of_range_rules(berlin_teacher, field, value):
    set_rules(berlin_teacher, notice=5, buffer=10)
    fields = ["display_name", "min_notice_hours", "buffer_minutes", "updated_at"]
    before = TeacherProfile.objects.values(*fields).get(pk=berlin_teacher.pk)
    response = signed_in(berlin_teacher).post(
        reverse("accounts:teacher-profile"),
        {**PROFILE_DATA, "min_notice_hours": "5", "buffer_minutes": "10", field: value},
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert TeacherProfile.objects.values(*fields).get(pk=berlin_teacher.pk) == before


@pytest.mark.parametrize(
    ("field", "value"), [("min_notice_hours", 169), ("buffer_minutes", 121), ("buffer_minutes", -1)]
)
def test_the_service_refuses_out_of_range_rules(berlin_teacher, field, value):
    profile = TeacherProfile.objects.get(pk=berlin_teacher.pk)
    with pytest.raises(InvalidInput) as raised:
        account_services.teacher_profile_update(profile=profile, display_name="Anna", **{field: value})
    assert list(raised.value.details) == [field]
    profile.refresh_from_db()
    assert (profile.min_notice_hours, profile.buffer_minutes) == (None, 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("min_notice_hours", 169), ("min_notice_hours", -1), ("buffer_minutes", 121), ("buffer_minutes", -1)],
)
def test_the_database_refuses_out_of_range_rules(berlin_teacher, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        TeacherProfile.objects.filter(pk=berlin_teacher.pk).update(**{field: value})


def test_the_database_accepts_the_edges(berlin_teacher):
    TeacherProfile.objects.filter(pk=berlin_teacher.pk).update(min_notice_hours=168, buffer_minutes=120)
    TeacherProfile.objects.filter(pk=berlin_teacher.pk).update(min_notice_hours=0, buffer_minutes=0)
    TeacherProfile.objects.filter(pk=berlin_teacher.pk).update(min_notice_hours=None)
