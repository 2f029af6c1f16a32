"""The teacher's schedule pages: the week of slots (in the teacher's zone,
across DST changes), add a slot, add weekly availability, remove a free slot."""

from __future__ import annotations

import datetime as dt
import re
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditLog
from booking.models import Booking
from scheduling.models import Slot
from tests.areas import assert_other_area
from tests.clients import signed_in
from tests.factories import StaffFactory, StudentFactory, TeacherFactory, book, hold, make_slot, slot_at
from tests.pages import html, is_login_redirect, messages_of, text

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = reverse("booking:teacher-week")
ADD = reverse("scheduling:slot-add")
RECURRING = reverse("scheduling:slot-add-recurring")


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def remove_url(slot: Slot) -> str:
    return reverse("booking:slot-remove", args=[slot.pk])


def week_of(day: str) -> str:
    return f"{WEEK}?week={day}"


def day_sections(response) -> dict[str, str]:
    """The week page's text per day: {"2030-03-25": "Monday 25 March 18:00–19:00 Free Remove ..."}."""
    sections = re.findall(
        r'<li class="week__day[^"]*">(.*?)</li>\s*(?=<li class="week__day|</ol>)', html(response), re.S
    )
    result = {}
    for section in sections:
        day = re.search(r'<time datetime="(\d{4}-\d{2}-\d{2})">', section).group(1)
        section = re.sub(r"</?time[^>]*>", "", section)  # keep "17:00–18:00" together
        result[day] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)).strip()
    return result


# --- who may open the pages ---------------------------------------------------------


@pytest.mark.parametrize("url", [WEEK, ADD, RECURRING])
def test_anonymous_visitors_are_sent_to_log_in(url):
    assert is_login_redirect(Client().get(url))


def test_anonymous_remove_is_sent_to_log_in_and_removes_nothing(berlin_teacher, unchanged):
    slot = make_slot(berlin_teacher)
    with unchanged():
        assert is_login_redirect(Client().post(remove_url(slot)))


@pytest.mark.parametrize("factory", [StudentFactory, StaffFactory])
@pytest.mark.parametrize("url", [WEEK, ADD, RECURRING])
def test_students_and_staff_are_told_the_schedule_pages_are_the_teachers(factory, url, unchanged):
    client = signed_in(factory())
    assert_other_area(client.get(url), "teachers")
    if url != WEEK:  # the week takes GET only
        with unchanged():
            response = client.post(url, {"date": "2030-01-15", "start_time": "18:00", "end_time": "19:00"})
        assert_other_area(response, "teachers")


@pytest.mark.parametrize("factory", [StudentFactory, StaffFactory, TeacherFactory])
def test_nobody_but_the_owner_can_remove_a_slot(berlin_teacher, factory, unchanged):
    slot = make_slot(berlin_teacher)
    with unchanged():
        response = signed_in(factory()).post(remove_url(slot))
    if factory is TeacherFactory:  # another teacher: not theirs, so not found
        assert response.status_code == 404
    else:
        assert_other_area(response, "teachers")


def test_removing_an_unknown_or_removed_slot_is_404(berlin_teacher, unchanged):
    slot = make_slot(berlin_teacher)
    client = signed_in(berlin_teacher)
    assert client.post(remove_url(slot)).status_code == 302
    with unchanged():
        assert client.post(remove_url(slot)).status_code == 404
        assert client.post("/teacher/schedule/999999/remove/").status_code == 404
        assert client.post("/teacher/schedule/99999999999999999999/remove/").status_code == 404


def test_remove_takes_post_only(berlin_teacher, unchanged):
    slot = make_slot(berlin_teacher)
    with unchanged():
        assert signed_in(berlin_teacher).get(remove_url(slot)).status_code == 405


# --- the week view ---------------------------------------------------------------------


def test_a_slot_at_16_utc_shows_17_00_in_berlin_in_winter(berlin_teacher):
    slot_at(berlin_teacher, utc(2030, 1, 15, 16))
    response = signed_in(berlin_teacher).get(week_of("2030-01-15"))
    assert response.status_code == 200
    assert "17:00–18:00" in day_sections(response)["2030-01-15"]
    assert '<time datetime="2030-01-15T17:00:00+01:00">17:00</time>' in html(response)
    assert "Times are shown in Europe/Berlin." in text(response)


def test_the_same_slot_shows_in_the_viewers_own_zone(berlin_teacher):
    """The page follows the signed-in teacher's zone, not the server's."""
    slot_at(berlin_teacher, utc(2030, 1, 15, 16))
    berlin_teacher.timezone = "America/New_York"
    berlin_teacher.save(update_fields=["timezone"])
    response = signed_in(berlin_teacher).get(week_of("2030-01-15"))
    assert "11:00–12:00" in day_sections(response)["2030-01-15"]


def test_the_week_shows_seven_days_from_monday_with_paging_links(berlin_teacher):
    response = signed_in(berlin_teacher).get(week_of("2030-01-17"))  # a Thursday
    days = day_sections(response)
    assert list(days) == [f"2030-01-{day}" for day in range(14, 21)]
    assert days["2030-01-14"].startswith("Monday Mon 14 January")  # the full and the short weekday
    assert days["2030-01-20"].startswith("Sunday Sun 20 January")
    assert "No slots" in days["2030-01-16"]
    page = html(response)
    assert f'href="{week_of("2030-01-07")}" rel="prev"' in page
    assert f'href="{week_of("2030-01-21")}" rel="next"' in page
    assert f'href="{WEEK}">This week</a>' in page


def test_the_week_of_the_spring_change_ends_at_the_local_midnight(berlin_teacher):
    """Berlin puts its clocks forward on Sunday 31 March 2030: that week has
    167 hours. Its last local minute is Sunday 23:59 CEST (21:59 UTC)."""
    slot_at(berlin_teacher, utc(2030, 3, 25, 17))  # Monday 18:00 CET
    slot_at(berlin_teacher, utc(2030, 3, 31, 16))  # Sunday 18:00 CEST
    slot_at(berlin_teacher, utc(2030, 3, 31, 21, 15), minutes=30)  # Sunday 23:15 CEST
    slot_at(berlin_teacher, utc(2030, 3, 31, 22, 30))  # Monday 1 April 00:30 CEST: next week
    client = signed_in(berlin_teacher)

    days = day_sections(client.get(week_of("2030-03-27")))
    assert min(days) == "2030-03-25"
    assert "18:00–19:00" in days["2030-03-25"]
    assert "18:00–19:00" in days["2030-03-31"]
    assert "23:15–23:45" in days["2030-03-31"]
    assert "00:30" not in " ".join(days.values())

    next_week = client.get(week_of("2030-04-01"))
    assert "00:30–01:30" in day_sections(next_week)["2030-04-01"]
    assert f'href="{week_of("2030-03-25")}" rel="prev"' in html(next_week)


def test_the_week_of_the_autumn_change_keeps_its_last_hour(berlin_teacher):
    """Berlin puts its clocks back on Sunday 27 October 2030: that week has
    169 hours, and Sunday 23:30 CET (22:30 UTC) still belongs to it."""
    slot_at(berlin_teacher, utc(2030, 10, 21, 16))  # Monday 18:00 CEST
    slot_at(berlin_teacher, utc(2030, 10, 27, 17))  # Sunday 18:00 CET
    slot_at(berlin_teacher, utc(2030, 10, 27, 22, 30), minutes=30)  # Sunday 23:30 CET
    client = signed_in(berlin_teacher)
    days = day_sections(client.get(week_of("2030-10-21")))
    assert "18:00–19:00" in days["2030-10-21"]
    assert "18:00–19:00" in days["2030-10-27"]
    assert "23:30–00:00" in days["2030-10-27"]
    assert "No slots" in day_sections(client.get(week_of("2030-10-28")))["2030-10-28"]


def test_the_week_shows_free_held_and_booked_slots(berlin_teacher, moscow_student, other_moscow_student):
    free = make_slot(berlin_teacher, starts_in=dt.timedelta(days=3))
    held = make_slot(berlin_teacher, starts_in=dt.timedelta(days=3, hours=2))
    booked = make_slot(berlin_teacher, starts_in=dt.timedelta(days=3, hours=4))
    hold(other_moscow_student, held)
    lesson = book(moscow_student, booked).lesson
    make_slot(TeacherFactory(), starts_in=dt.timedelta(days=3, hours=6))  # someone else's

    response = signed_in(berlin_teacher).get(week_of(free.start_at.date().isoformat()))
    page = html(response)
    assert page.count('class="week-slot ') == 3
    assert (
        page.count("week-slot--free") == 1
        and page.count("week-slot--held") == 1
        and page.count("week-slot--booked") == 1
    )
    assert "Sasha Student" in page
    assert "Olga Other" not in page  # a hold shows no name
    assert f'href="{reverse("lessons:detail", args=[lesson.pk])}"' in page
    # Remove only on the free slot
    assert page.count('action="/teacher/schedule/') == 1
    assert f'action="{remove_url(free)}"' in page
    assert "csrfmiddlewaretoken" in page


def local_day(slot: Slot) -> str:
    return slot.start_at.astimezone(BERLIN).date().isoformat()


def test_a_started_slot_has_no_remove_button(berlin_teacher):
    started = make_slot(berlin_teacher, starts_in=-dt.timedelta(minutes=10))
    page = html(signed_in(berlin_teacher).get(week_of(local_day(started))))
    assert "week-slot--free week-slot--past" in page
    assert f'action="{remove_url(started)}"' not in page


def test_a_removed_slot_is_not_shown(berlin_teacher):
    kept = make_slot(berlin_teacher, starts_in=dt.timedelta(days=3))
    gone = make_slot(berlin_teacher, starts_in=dt.timedelta(days=3, hours=2))
    Slot.objects.filter(pk=gone.pk).update(removed_at=kept.start_at - dt.timedelta(days=1))
    page = html(signed_in(berlin_teacher).get(week_of(local_day(kept))))
    assert f'action="{remove_url(kept)}"' in page
    assert f'action="{remove_url(gone)}"' not in page


@pytest.mark.parametrize("week", ["nonsense", "2030-02-30", "0001-01-01", "9999-12-31", ""])
def test_a_bad_week_shows_the_current_week(berlin_teacher, week):
    response = signed_in(berlin_teacher).get(f"{WEEK}?week={week}")
    assert response.status_code == 200
    assert "week__day--today" in html(response)
    assert "This week</a>" not in html(response)


def test_the_week_view_runs_the_same_queries_for_1_and_50_slots(
    berlin_teacher, moscow_student, other_moscow_student, django_assert_num_queries
):
    today = dt.datetime.now(BERLIN).date()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)  # next week: all bookable
    url = week_of(monday.isoformat())

    def fill(count: int) -> None:
        Slot.objects.filter(teacher=berlin_teacher).delete()
        for number in range(count):
            start = dt.datetime.combine(monday + dt.timedelta(days=number % 7), dt.time(8), tzinfo=BERLIN)
            slot_at(berlin_teacher, start + dt.timedelta(hours=number // 7))

    client = signed_in(berlin_teacher)
    fill(1)
    with django_assert_num_queries(4):  # session, user, unread count, the slots with who takes them
        client.get(url)
    fill(50)
    slots = list(Slot.objects.filter(teacher=berlin_teacher).order_by("start_at"))
    for slot in slots[:10]:
        book(moscow_student, slot)
    for slot in slots[10:15]:
        hold(other_moscow_student, slot)
    with django_assert_num_queries(4):
        response = client.get(url)
    page = html(response)
    assert page.count('class="week-slot ') == 50
    assert page.count("Sasha Student") == 10
    assert page.count("week-slot--held") == 5


# --- add a slot ---------------------------------------------------------------------------


def test_the_add_form_asks_for_date_and_times_in_the_teachers_zone(berlin_teacher):
    response = signed_in(berlin_teacher).get(ADD)
    page = html(response)
    for name, kind in [("date", "date"), ("start_time", "time"), ("end_time", "time")]:
        assert f'type="{kind}" name="{name}"' in page
        assert f'for="id_{name}"' in page
    assert "csrfmiddlewaretoken" in page
    assert "Europe/Berlin" in text(response)


def test_adding_a_slot_stores_the_teachers_local_time_in_utc(berlin_teacher, settings):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 3650  # 2030 is further ahead than the default bound
    response = signed_in(berlin_teacher).post(
        ADD, {"date": "2030-01-15", "start_time": "17:00", "end_time": "18:30"}, follow=True
    )
    slot = Slot.objects.get(teacher=berlin_teacher)
    assert (slot.start_at, slot.end_at) == (utc(2030, 1, 15, 16), utc(2030, 1, 15, 17, 30))
    assert response.redirect_chain == [(week_of("2030-01-15"), 302)]
    assert messages_of(response) == ["Slot added: 15 January, 17:00."]
    assert "17:00–18:30" in day_sections(response)["2030-01-15"]
    assert AuditLog.objects.filter(action="scheduling.slot.created").count() == 1


def test_adding_a_summer_slot_uses_the_summer_offset(berlin_teacher, settings):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 3650  # 2030 is further ahead than the default bound
    signed_in(berlin_teacher).post(ADD, {"date": "2030-07-02", "start_time": "17:00", "end_time": "18:00"})
    assert Slot.objects.get(teacher=berlin_teacher).start_at == utc(2030, 7, 2, 15)


ADD_ERRORS = [
    pytest.param(
        {"date": "2030-01-15", "start_time": "17:30", "end_time": "18:30"},
        None,
        "This slot overlaps another of your slots.",
        id="overlap",
    ),
    pytest.param(
        {"date": "2020-01-15", "start_time": "17:00", "end_time": "18:00"},
        "start_time",
        "A slot cannot start in the past.",
        id="past",
    ),
    pytest.param(
        {"date": "2030-01-16", "start_time": "18:00", "end_time": "17:00"},
        "end_time",
        "The end must be after the start.",
        id="end-before-start",
    ),
    pytest.param(
        {"date": "2030-01-16", "start_time": "08:00", "end_time": "18:00"},
        "end_time",
        "A slot lasts between 15 minutes and 4 hours.",
        id="too-long",
    ),
    pytest.param(
        {"date": "2030-03-31", "start_time": "02:30", "end_time": "03:30"},
        "start_time",
        "This time does not exist on that day in your time zone (the clocks are put forward).",
        id="dst-gap",
    ),
    pytest.param(
        {"date": "2030-01-16", "start_time": "25:00", "end_time": "18:00"},
        "start_time",
        "Enter a valid time.",
        id="bad-time",
    ),
    pytest.param(
        {"date": "16.01.2030x", "start_time": "17:00", "end_time": "18:00"},
        "date",
        "Enter a valid date.",
        id="bad-date",
    ),
    pytest.param({"date": "", "start_time": "", "end_time": ""}, "date", "This field is required.", id="empty"),
]


@pytest.mark.parametrize(("data", "field", "error"), ADD_ERRORS)
def test_a_refused_slot_shows_the_error_and_changes_nothing(berlin_teacher, unchanged, settings, data, field, error):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 3650  # 2030 is further ahead than the default bound
    slot_at(berlin_teacher, utc(2030, 1, 15, 16))  # 17:00–18:00 Berlin
    with unchanged():
        response = signed_in(berlin_teacher).post(ADD, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert error in (form.non_field_errors() if field is None else form.errors[field])
    assert error in text(response)
    assert "Please correct the errors below." in html(response)


def test_service_errors_come_in_the_teachers_language(berlin_teacher, settings, unchanged):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 3650  # 2030 is further ahead than the default bound
    slot_at(berlin_teacher, utc(2030, 1, 15, 16))
    with unchanged():
        response = signed_in(berlin_teacher, language="ru").post(
            ADD, {"date": "2030-01-15", "start_time": "17:30", "end_time": "18:30"}
        )
    assert "Этот слот пересекается с другим вашим слотом." in text(response)
    with unchanged():
        response = signed_in(berlin_teacher, language="ru").post(
            ADD, {"date": "2020-01-15", "start_time": "17:00", "end_time": "18:00"}
        )
    assert "Слот не может начинаться в прошлом." in text(response)


# --- weekly availability -------------------------------------------------------------------


def recurring_data(**overrides) -> dict:
    data = {"weekday": "1", "start_time": "18:00", "end_time": "20:00", "slot_minutes": "60", "weeks": "8"}
    return {**data, **overrides}


def test_the_recurring_form_offers_weekdays_and_the_rule_fields(berlin_teacher):
    page = html(signed_in(berlin_teacher).get(RECURRING))
    assert '<option value="0">Monday</option>' in page
    assert '<option value="6">Sunday</option>' in page
    for name in ["start_time", "end_time", "slot_minutes", "weeks"]:
        assert f'name="{name}"' in page
    assert 'value="60"' in page and 'value="8"' in page
    assert "csrfmiddlewaretoken" in page


def test_weekly_availability_keeps_the_local_time_across_the_spring_change(berlin_teacher, frozen_now):
    frozen_now(utc(2027, 3, 1, 9))  # Monday 1 March 2027; clocks go forward on Sunday 28 March
    response = signed_in(berlin_teacher).post(RECURRING, recurring_data(weeks="8"), follow=True)
    slots = list(Slot.objects.filter(teacher=berlin_teacher).order_by("start_at"))
    assert len(slots) == 16
    assert {slot.start_at.astimezone(BERLIN).strftime("%H:%M") for slot in slots} == {"18:00", "19:00"}
    assert slots[0].start_at == utc(2027, 3, 2, 17)  # 18:00 CET
    assert slots[-2].start_at == utc(2027, 4, 20, 16)  # 18:00 CEST
    assert messages_of(response) == ["16 slots created."]
    assert response.redirect_chain == [(week_of("2027-03-02"), 302)]
    assert "18:00–19:00" in day_sections(response)["2027-03-02"]


def test_weekly_availability_reports_what_it_skipped_and_why(berlin_teacher, frozen_now):
    frozen_now(utc(2027, 3, 1, 9))  # 10:00 in Berlin
    slot_at(berlin_teacher, utc(2027, 3, 8, 8))  # Monday 8 March 09:00 CET
    client = signed_in(berlin_teacher)

    response = client.post(
        RECURRING, recurring_data(weekday="0", start_time="08:00", end_time="10:00", weeks="2"), follow=True
    )
    assert messages_of(response) == [
        "1 slot created.",
        "3 slots skipped: 2 had already started; 1 overlapped one of your slots (8 March 09:00).",
    ]
    assert Slot.objects.filter(teacher=berlin_teacher, start_at=utc(2027, 3, 8, 7)).exists()

    response = client.post(
        RECURRING, recurring_data(weekday="6", start_time="02:00", end_time="03:00", weeks="5"), follow=True
    )
    assert messages_of(response) == [
        "4 slots created.",
        "1 slot skipped: 1 fell on a time the clocks skip that day (28 March 02:00).",
    ]


def test_weekly_availability_that_creates_nothing_says_so(berlin_teacher, frozen_now, unchanged):
    frozen_now(utc(2027, 3, 1, 9))
    with unchanged():
        response = signed_in(berlin_teacher).post(
            RECURRING, recurring_data(weekday="0", start_time="07:00", end_time="08:00", weeks="1"), follow=True
        )
    assert messages_of(response) == ["No slot was created.", "1 slot skipped: 1 had already started."]
    assert response.redirect_chain == [(WEEK, 302)]


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"slot_minutes": "5"}, "slot_minutes", "A slot lasts between 15 and 240 minutes."),
        ({"weeks": "30"}, "weeks", "Use 1 to 26 weeks."),
        ({"weeks": "0"}, "weeks", "Use 1 to 26 weeks."),
        ({"end_time": "18:30"}, "end_time", "The end must be at least one slot length after the start."),
        ({"weekday": "7"}, "weekday", "Select a valid choice. 7 is not one of the available choices."),
        ({"start_time": "soon"}, "start_time", "Enter a valid time."),
        ({"weeks": "many"}, "weeks", "Enter a whole number."),
    ],
)
def test_a_refused_rule_shows_the_error_and_changes_nothing(berlin_teacher, unchanged, changes, field, error):
    with unchanged():
        response = signed_in(berlin_teacher).post(RECURRING, recurring_data(**changes))
    assert response.status_code == 200
    assert error in response.context["form"].errors[field]
    assert error in text(response)


# --- remove a slot ----------------------------------------------------------------------------


def test_removing_a_free_slot(berlin_teacher):
    slot = make_slot(berlin_teacher)
    when = slot.start_at.astimezone(BERLIN)
    response = signed_in(berlin_teacher).post(remove_url(slot), follow=True)
    assert not Slot.objects.filter(pk=slot.pk).exists()
    assert response.redirect_chain == [(week_of(when.date().isoformat()), 302)]
    assert messages_of(response) == [f"Slot removed: {when.day} {when:%B}, {when:%H:%M}."]
    assert AuditLog.objects.filter(action="scheduling.slot.deleted").count() == 1


@pytest.mark.parametrize("taken", ["held", "booked"])
def test_removing_a_taken_slot_is_refused_with_a_message(berlin_teacher, moscow_student, unchanged, taken):
    slot = make_slot(berlin_teacher)
    hold(moscow_student, slot) if taken == "held" else book(moscow_student, slot)
    with unchanged():
        response = signed_in(berlin_teacher).post(remove_url(slot), follow=True)
    [message] = messages_of(response)
    assert message.endswith("was not removed: This slot is held or booked by a student.")
    assert 'class="message error"' in html(response)
    assert Booking.objects.filter(slot=slot).count() == 1


def test_removing_a_started_slot_is_refused(berlin_teacher, unchanged):
    slot = make_slot(berlin_teacher, starts_in=-dt.timedelta(minutes=5))
    with unchanged():
        response = signed_in(berlin_teacher, language="ru").post(remove_url(slot), follow=True)
    [message] = messages_of(response)
    assert message.endswith("Этот слот уже начался.")
