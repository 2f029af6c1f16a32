"""How far ahead slots may start: SCHEDULING_MAX_DAYS_AHEAD days from now,
checked by the scheduling services on every path (API, the teacher's pages;
the admin writes no slots), and absurd dates (year 1, year 9999, a zone
shift past datetime's range) refused with a clear message, never a 500."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from guitaronline.core.errors import InvalidInput
from scheduling import services
from scheduling.errors import SlotTooFarAhead
from scheduling.models import Slot
from tests.clients import client_for
from tests.factories import TeacherFactory
from tests.scheduling.factories import SlotFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Monday 1 March 2027, 09:00 UTC (10:00 in Berlin)
NOW = dt.datetime(2027, 3, 1, 9, tzinfo=UTC)
CREATE = reverse("api:scheduling-slots")
RECURRING_API = reverse("api:scheduling-slots-recurring")
OPEN = reverse("api:scheduling-slots-open")
ADD = reverse("scheduling:slot-add")
RECURRING_PAGE = reverse("scheduling:slot-add-recurring")


@pytest.fixture(autouse=True)
def english():
    """Service messages in English (the site's default language is Russian)."""
    with translation.override("en"):
        yield


@pytest.fixture
def berlin_teacher():
    return TeacherFactory(timezone="Europe/Berlin")


@pytest.fixture
def frozen_now(monkeypatch):
    """`timezone.now()` is NOW for the pages, the API and the services they call."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def signed_in(user, language: str = "en") -> Client:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def error_of(response) -> dict:
    return response.json()["error"]


def recurring(teacher, *, weeks: int, weekday: int = 1, now=NOW):
    """Tuesdays 18:00-19:00 in the teacher's zone, one slot a week."""
    return services.slot_create_recurring(
        teacher=teacher,
        weekday=weekday,
        start_time=dt.time(18),
        end_time=dt.time(19),
        slot_minutes=60,
        weeks=weeks,
        now=now,
    )


# --- the setting ----------------------------------------------------------------------


def test_the_default_bound_is_365_days(settings):
    assert settings.SCHEDULING_MAX_DAYS_AHEAD == 365


def _start_django(value: str) -> subprocess.CompletedProcess:
    env = {key: item for key, item in os.environ.items() if not key.startswith(("DJANGO_", "SCHEDULING_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "guitaronline.settings", "SCHEDULING_MAX_DAYS_AHEAD": value})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("value", ["0", "-1", "3651", "1000000000"])
def test_an_unusable_bound_refuses_to_start_naming_the_variable(value):
    started = _start_django(value)
    assert started.returncode != 0
    assert f"Refusing to start: SCHEDULING_MAX_DAYS_AHEAD must be 1 to 3650 days, not {value}." in started.stderr


def test_a_usable_bound_starts():
    assert _start_django("30").returncode == 0


# --- slot_create ---------------------------------------------------------------------


def test_a_slot_may_start_exactly_at_the_bound(teacher):
    start = NOW + dt.timedelta(days=365)
    slot = services.slot_create(teacher=teacher, start_at=start, end_at=start + dt.timedelta(hours=1), now=NOW)
    assert Slot.objects.get(pk=slot.pk).start_at == start


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(NOW + dt.timedelta(days=365, seconds=1), id="a-second-late"),
        pytest.param(NOW + dt.timedelta(days=400), id="next-year"),
        pytest.param(dt.datetime(9999, 12, 31, 22, tzinfo=UTC), id="year-9999"),
    ],
)
def test_a_slot_starting_later_is_refused_on_start_at_and_nothing_changes(teacher, unchanged, start):
    with unchanged(), pytest.raises(SlotTooFarAhead) as refused:
        services.slot_create(teacher=teacher, start_at=start, end_at=start + dt.timedelta(hours=1), now=NOW)
    error = refused.value
    assert (error.code, error.status_code) == ("slot_too_far_ahead", 400)
    assert error.details == {"start_at": ["A slot can start at most 365 days from now."]}
    assert isinstance(error, InvalidInput)


def test_the_bound_follows_the_setting(teacher, settings, unchanged):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 1
    start = NOW + dt.timedelta(days=1)
    services.slot_create(teacher=teacher, start_at=start, end_at=start + dt.timedelta(hours=1), now=NOW)
    later = start + dt.timedelta(hours=1)
    with unchanged(), pytest.raises(SlotTooFarAhead) as refused:
        services.slot_create(teacher=teacher, start_at=later, end_at=later + dt.timedelta(hours=1), now=NOW)
    assert refused.value.details == {"start_at": ["A slot can start at most 1 day from now."]}


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        pytest.param(
            dt.datetime(9999, 12, 31, 20, tzinfo=ZoneInfo("America/New_York")),
            dt.datetime(9999, 12, 31, 21, tzinfo=ZoneInfo("America/New_York")),
            "start_at",
            id="year-10000-in-utc",
        ),
        pytest.param(
            dt.datetime(1, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            dt.datetime(1, 1, 1, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            "start_at",
            id="year-0-in-utc",
        ),
        pytest.param(
            dt.datetime(9999, 12, 31, 22, tzinfo=UTC),
            dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            "end_at",
            id="end-in-year-10000",
        ),
    ],
)
def test_a_date_outside_datetimes_range_in_utc_is_refused_by_the_service(teacher, unchanged, start, end, field):
    with unchanged(), pytest.raises(InvalidInput) as refused:
        services.slot_create(teacher=teacher, start_at=start, end_at=end, now=NOW)
    assert refused.value.details == {field: ["This date is too far from today."]}


# --- slot_create_recurring -------------------------------------------------------------


def test_a_weekly_rule_skips_the_occurrences_beyond_the_bound_and_says_why(berlin_teacher, settings):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 14  # until Monday 15 March 09:00 UTC
    result = recurring(berlin_teacher, weeks=4)

    created = sorted(slot.start_at for slot in result.created)
    assert created == [dt.datetime(2027, 3, 2, 17, tzinfo=UTC), dt.datetime(2027, 3, 9, 17, tzinfo=UTC)]
    assert result.skipped == [
        {
            "local_date": dt.date(2027, 3, day),
            "local_time": dt.time(18),
            "start_at": dt.datetime(2027, 3, day, 17, tzinfo=UTC),
            "reason": "beyond_max_days_ahead",
        }
        for day in (16, 23)
    ]
    assert Slot.objects.filter(teacher=berlin_teacher).count() == 2


def test_a_weekly_rule_entirely_beyond_the_bound_creates_nothing(berlin_teacher, settings, unchanged):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 1
    with unchanged():
        result = recurring(berlin_teacher, weeks=3, weekday=4)  # Fridays, the first in 4 days
    assert result.created == []
    assert [item["reason"] for item in result.skipped] == ["beyond_max_days_ahead"] * 3


def test_with_the_default_bound_the_longest_rule_never_reaches_it(berlin_teacher):
    """RECURRING_MAX_WEEKS weeks from the current week end well before 365 days."""
    result = recurring(berlin_teacher, weeks=services.RECURRING_MAX_WEEKS, weekday=6)
    assert len(result.created) == services.RECURRING_MAX_WEEKS
    assert result.skipped == []


# --- the API ---------------------------------------------------------------------------


def test_api_refuses_a_slot_beyond_the_bound_with_400_on_start_at(teacher, unchanged):
    start = timezone.now() + dt.timedelta(days=366)
    body = {"start_at": start.isoformat(), "end_at": (start + dt.timedelta(hours=1)).isoformat()}
    with unchanged():
        response = client_for(teacher).post(CREATE, body, format="json")
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "slot_too_far_ahead",
        "message": "A slot can start at most 365 days from now.",
        "details": {"start_at": ["A slot can start at most 365 days from now."]},
    }


def test_api_refuses_a_slot_in_year_9999(teacher, unchanged):
    body = {"start_at": "9999-12-31T22:00:00Z", "end_at": "9999-12-31T23:00:00Z"}
    with unchanged():
        response = client_for(teacher).post(CREATE, body, format="json")
    assert (response.status_code, error_of(response)["code"]) == (400, "slot_too_far_ahead")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_at": "9999-12-31T22:00:00-05:00", "end_at": "9999-12-31T18:00:00-05:00"}, "start_at"),
        ({"start_at": "0001-01-01T00:00:00+01:00", "end_at": "0001-01-01T01:00:00+01:00"}, "start_at"),
        ({"start_at": "2027-03-02T18:00:00Z", "end_at": "9999-12-31T23:59:59-14:00"}, "end_at"),
    ],
    ids=["year-10000-in-utc", "year-0-in-utc", "end-in-year-10000"],
)
def test_api_names_the_field_of_a_date_outside_datetimes_range(teacher, unchanged, body, field):
    with unchanged():
        response = client_for(teacher).post(CREATE, body, format="json")
    assert response.status_code == 400
    assert error_of(response)["details"] == {field: ["This date is too far from today."]}


def test_api_errors_of_the_bound_come_in_russian(teacher, unchanged):
    teacher.language = "ru"
    teacher.save(update_fields=["language"])
    start = timezone.now() + dt.timedelta(days=400)
    with unchanged():
        response = client_for(teacher).post(
            CREATE,
            {"start_at": start.isoformat(), "end_at": (start + dt.timedelta(hours=1)).isoformat()},
            format="json",
        )
        overflow = client_for(teacher).post(
            CREATE, {"start_at": "9999-12-31T22:00:00-05:00", "end_at": "9999-12-31T18:00:00-05:00"}, format="json"
        )
    assert error_of(response)["details"] == {"start_at": ["Слот может начинаться не позднее чем через 365 дней."]}
    assert error_of(overflow)["details"] == {"start_at": ["Эта дата слишком далека от сегодняшней."]}


def test_api_weekly_rule_reports_occurrences_beyond_the_bound(teacher, settings):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 10
    response = client_for(teacher).post(
        RECURRING_API,
        {"weekday": 2, "start_time": "10:00", "end_time": "11:00", "slot_minutes": 60, "weeks": 5},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    beyond = [item for item in body["skipped"] if item["reason"] == "beyond_max_days_ahead"]
    assert len(beyond) >= 2
    latest = timezone.now() + dt.timedelta(days=10)
    assert all(dt.datetime.fromisoformat(item["start_at"]) > latest for item in beyond)
    assert all(dt.datetime.fromisoformat(item["start_at"]) <= latest for item in body["created"])
    assert Slot.objects.filter(teacher=teacher).count() == len(body["created"])


def test_api_range_ending_on_the_last_day_datetime_holds_is_a_clear_400(student):
    response = client_for(student).get(OPEN, {"to": "9999-12-31"})
    assert response.status_code == 400
    assert error_of(response)["details"] == {"to": ["This date is too far from today."]}


# --- the teacher's pages ------------------------------------------------------------------


def test_page_shows_the_bound_on_the_start_time_and_adds_nothing(berlin_teacher, frozen_now, unchanged):
    with unchanged():
        response = signed_in(berlin_teacher).post(
            ADD, {"date": "2028-03-02", "start_time": "18:00", "end_time": "19:00"}
        )
    assert response.status_code == 200
    assert response.context["form"].errors == {"start_time": ["A slot can start at most 365 days from now."]}
    assert "A slot can start at most 365 days from now." in response.content.decode()


def test_page_adds_a_slot_at_the_bound(berlin_teacher, frozen_now):
    response = signed_in(berlin_teacher).post(ADD, {"date": "2028-02-29", "start_time": "09:00", "end_time": "10:00"})
    assert response.status_code == 302
    assert Slot.objects.get(teacher=berlin_teacher).start_at == dt.datetime(2028, 2, 29, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "data"),
    [
        ("America/New_York", {"date": "9999-12-31", "start_time": "20:00", "end_time": "21:00"}),
        ("Asia/Tokyo", {"date": "0001-01-01", "start_time": "05:00", "end_time": "06:00"}),
    ],
    ids=["year-10000-in-utc", "year-0-in-utc"],
)
def test_page_refuses_a_date_outside_datetimes_range_on_the_date_field(unchanged, zone, data):
    teacher = TeacherFactory(timezone=zone)
    with unchanged():
        response = signed_in(teacher).post(ADD, data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"date": ["This date is too far from today."]}


def test_page_refuses_year_9999_with_the_bound(berlin_teacher, unchanged):
    with unchanged():
        response = signed_in(berlin_teacher).post(
            ADD, {"date": "9999-12-31", "start_time": "20:00", "end_time": "21:00"}
        )
    assert response.context["form"].errors == {"start_time": ["A slot can start at most 365 days from now."]}


def test_page_errors_of_the_bound_come_in_russian(berlin_teacher, frozen_now, unchanged):
    with unchanged():
        response = signed_in(berlin_teacher, language="ru").post(
            ADD, {"date": "2028-03-02", "start_time": "18:00", "end_time": "19:00"}
        )
    assert response.context["form"].errors == {"start_time": ["Слот может начинаться не позднее чем через 365 дней."]}


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_page_weekly_rule_reports_the_occurrences_beyond_the_bound(berlin_teacher, frozen_now, settings):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 14
    data = {"weekday": "1", "start_time": "18:00", "end_time": "19:00", "slot_minutes": "60", "weeks": "4"}
    response = signed_in(berlin_teacher).post(RECURRING_PAGE, data, follow=True)
    assert messages_of(response) == [
        "2 slots created.",
        "2 slots skipped: 2 fell beyond the limit of 14 days ahead (16 March 18:00, 23 March 18:00).",
    ]
    assert Slot.objects.filter(teacher=berlin_teacher).count() == 2


@pytest.mark.parametrize(
    ("days", "weeks", "russian"),
    [
        (1, 3, "3 слота пропущены: 3 — дальше чем на 1 день вперёд"),
        (3, 2, "1 слот пропущен: 1 — дальше чем на 3 дня вперёд"),
    ],
)
def test_page_weekly_rule_skips_in_russian(berlin_teacher, frozen_now, settings, days, weeks, russian):
    settings.SCHEDULING_MAX_DAYS_AHEAD = days
    data = {"weekday": "1", "start_time": "18:00", "end_time": "19:00", "slot_minutes": "60", "weeks": str(weeks)}
    response = signed_in(berlin_teacher, language="ru").post(RECURRING_PAGE, data, follow=True)
    assert any(message.startswith(russian + " (") for message in messages_of(response)), messages_of(response)


# --- the admin -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"start_at__year": "9999"},
        {"start_at__year": "9999", "start_at__month": "12"},
        {"start_at__year": "9999", "start_at__month": "12", "start_at__day": "31"},
        {"start_at__year": "10000"},
        {"start_at__year": "0"},
    ],
    ids=["year", "month", "day", "year-10000", "year-0"],
)
@pytest.mark.parametrize("changelist", ["admin:scheduling_slot_changelist", "admin:lessons_lesson_changelist"])
def test_admin_date_drill_down_at_the_end_of_the_calendar_is_no_500(staff, changelist, query):
    SlotFactory()
    client = Client()
    client.force_login(staff)
    response = client.get(reverse(changelist), query)
    assert response.status_code in (200, 302)
    if response.status_code == 302:  # the admin's answer to lookups it cannot use
        assert response["Location"].endswith("?e=1")
