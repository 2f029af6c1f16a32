import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog
from booking.models import Booking
from scheduling.models import Slot
from tests.clients import client_for
from tests.factories import PASSWORD, TeacherFactory
from tests.scheduling.factories import SlotFactory, confirmed_booking, hold_booking, hour_from_now, past_booking

pytestmark = pytest.mark.django_db

OPEN = reverse("api:scheduling-slots-open")
MY = reverse("api:scheduling-slots-my")
CREATE = reverse("api:scheduling-slots")
RECURRING = reverse("api:scheduling-slots-recurring")


def detail(slot_id) -> str:
    return reverse("api:scheduling-slot-detail", args=[slot_id])


def listed_ids(client, url) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200
    return [item["id"] for item in response.json()["results"]]


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_paths_have_no_trailing_slash():
    assert (OPEN, MY, CREATE, RECURRING, detail(7)) == (
        "/api/v1/scheduling/slots/open",
        "/api/v1/scheduling/slots/my",
        "/api/v1/scheduling/slots",
        "/api/v1/scheduling/slots/recurring",
        "/api/v1/scheduling/slots/7",
    )


# --- permission matrix ------------------------------------------------------


@pytest.fixture
def clients(api, teacher, student, staff):
    """Teacher A owns the slot; teacher B is another teacher."""
    return {
        "teacher_a": client_for(teacher),
        "teacher_b": client_for(TeacherFactory()),
        "student": client_for(student),
        "staff": client_for(staff),
        "anonymous": api,
    }


@pytest.fixture
def owned_slot(teacher):
    return SlotFactory(teacher=teacher)


def _new_slot_body() -> dict:
    start = hour_from_now(24 * 20)
    return {"start_at": start.isoformat(), "end_at": (start + dt.timedelta(hours=1)).isoformat()}


_RECURRING_BODY = {"weekday": 2, "start_time": "10:00", "end_time": "11:00", "slot_minutes": 60, "weeks": 2}

MATRIX = {
    # (method, endpoint): expected status for teacher_a, teacher_b, student, staff, anonymous
    ("get", "open"): (200, 200, 200, 200, 200),
    ("get", "my"): (200, 200, 403, 403, 401),
    ("post", "create"): (201, 201, 403, 403, 401),
    ("post", "recurring"): (201, 201, 403, 403, 401),
    ("delete", "detail"): (204, 404, 403, 403, 401),
}
WHO = ("teacher_a", "teacher_b", "student", "staff", "anonymous")


@pytest.mark.parametrize(
    ("method", "endpoint", "who", "expected"),
    [(method, endpoint, who, codes[i]) for (method, endpoint), codes in MATRIX.items() for i, who in enumerate(WHO)],
)
def test_permission_matrix(clients, owned_slot, method, endpoint, who, expected):
    url = {"open": OPEN, "my": MY, "create": CREATE, "recurring": RECURRING, "detail": detail(owned_slot.pk)}[endpoint]
    body = {"create": _new_slot_body(), "recurring": _RECURRING_BODY}.get(endpoint)
    response = getattr(clients[who], method)(url, body, format="json") if body else getattr(clients[who], method)(url)

    assert response.status_code == expected, response.content
    if expected >= 400:
        code = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}[expected]
        assert error_code(response) == code
    if endpoint == "detail":
        assert Slot.objects.filter(pk=owned_slot.pk).exists() is (expected != 204)


# --- GET slots/open ---------------------------------------------------------


def test_open_slots_shape_and_offsets(api, teacher):
    slot = SlotFactory(teacher=teacher)
    response = api.get(OPEN)

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    assert body["results"] == [
        {
            "id": slot.pk,
            "teacher": teacher.pk,
            "start_at": slot.start_at.astimezone(ZoneInfo("Europe/Moscow")).isoformat(),
            "end_at": slot.end_at.astimezone(ZoneInfo("Europe/Moscow")).isoformat(),
        }
    ]
    assert body["results"][0]["start_at"].endswith("+03:00")
    assert dt.datetime.fromisoformat(body["results"][0]["start_at"]) == slot.start_at


def test_open_slots_hide_taken_and_show_dead_holds(api, teacher):
    now = timezone.now()
    booked, held, dead = SlotFactory(teacher=teacher), SlotFactory(teacher=teacher), SlotFactory(teacher=teacher)
    confirmed_booking(slot=booked)
    hold_booking(slot=held, expires_at=now + dt.timedelta(minutes=10))
    hold_booking(slot=dead, expires_at=now - dt.timedelta(minutes=1))

    assert [item["id"] for item in api.get(OPEN).json()["results"]] == [dead.pk]


def test_open_slots_filters(api, teacher):
    base = hour_from_now(24 * 10).replace(hour=12)
    first = SlotFactory(teacher=teacher, start_at=base, end_at=base + dt.timedelta(hours=1))
    second = SlotFactory(
        teacher=teacher, start_at=base + dt.timedelta(days=1), end_at=base + dt.timedelta(days=1, hours=1)
    )
    other = SlotFactory(start_at=base, end_at=base + dt.timedelta(hours=1))

    def ids(**params):
        response = api.get(OPEN, params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    assert ids(teacher=teacher.pk) == [first.pk, second.pk]
    assert ids(teacher=other.teacher_id) == [other.pk]
    day = base.date()
    assert ids(teacher=teacher.pk, **{"from": (day + dt.timedelta(days=1)).isoformat()}) == [second.pk]
    assert ids(teacher=teacher.pk, to=day.isoformat()) == [first.pk]  # a date includes that whole day
    assert ids(**{"from": base.isoformat(), "to": (base + dt.timedelta(minutes=1)).isoformat()}) == [first.pk, other.pk]
    assert ids(**{"from": (base + dt.timedelta(minutes=1)).isoformat().replace("+00:00", "Z")}) == [second.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "yesterday"},
        {"from": "2027-02-30"},
        {"to": "2027-13-01T10:00"},
        {"from": "2027-03-02T25:00:00Z"},
        {"from": "2027-03-05", "to": "2027-03-04"},
        {"from": "2027-03-05T10:00Z", "to": "2027-03-05T10:00Z"},
        {"to": "9999-12-31"},
        {"from": "0001-01-01T00:00:00"},
        {"teacher": "abc"},
        {"teacher": "0"},
    ],
)
def test_open_slots_bad_filters_are_400(api, params):
    response = api.get(OPEN, params)
    assert response.status_code == 400
    assert error_code(response) == "validation_error"


def test_open_slots_same_queries_for_1_and_50_slots(api, django_assert_num_queries):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = api.get(OPEN, {"page_size": 100})
        assert response.status_code == 200
        return len(captured), response.json()["count"]

    SlotFactory()
    one = queries()
    teachers = TeacherFactory.create_batch(5)
    for i in range(49):
        SlotFactory(teacher=teachers[i % 5])
    fifty = queries()

    assert (one[1], fifty[1]) == (1, 50)
    assert one[0] == fifty[0]
    with django_assert_num_queries(2):  # count + page
        api.get(OPEN, {"page_size": 100})


@pytest.fixture
def shared_for_10_seconds(settings, monkeypatch):
    """Open slots shared through the cache, on a clock the test moves."""
    from guitaronline.core import shared_answers

    settings.OPEN_SLOTS_CACHE_SECONDS = 10
    clock = [1_000_000.0]
    monkeypatch.setattr(shared_answers.time, "time", lambda: clock[0])
    return clock


def test_open_slots_answer_is_shared_for_the_cache_period(api, teacher, student, shared_for_10_seconds):
    first, second = SlotFactory(teacher=teacher), SlotFactory(teacher=teacher)
    assert listed_ids(api, OPEN) == [first.pk, second.pk]

    confirmed_booking(slot=first)
    with CaptureQueriesContext(connection) as captured:
        assert listed_ids(api, OPEN) == [first.pk, second.pk]  # shared: taken a moment ago, still listed
    assert len(captured) == 0
    assert listed_ids(api, f"{OPEN}?teacher={teacher.pk}") == [second.pk]  # another question

    student.timezone = "Europe/Berlin"
    student.save(update_fields=["timezone"])
    body = client_for(student).get(OPEN).json()  # the same shared page, in the viewer's own zone
    assert [item["id"] for item in body["results"]] == [first.pk, second.pk]
    assert body["results"][1]["start_at"] == second.start_at.astimezone(ZoneInfo("Europe/Berlin")).isoformat()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)

    shared_for_10_seconds[0] += 11
    assert listed_ids(api, OPEN) == [second.pk]  # refreshed after the period


def test_open_slots_dates_without_offset_are_read_in_each_viewers_zone_when_shared(
    api, teacher, student, shared_for_10_seconds
):
    """`from=<date>` is midnight in the viewer's zone: Moscow and Berlin ask different questions."""
    day = (timezone.now() + dt.timedelta(days=10)).date()
    start = dt.datetime.combine(day, dt.time(0, 30), tzinfo=ZoneInfo("Europe/Moscow"))  # 22:30 UTC the day before
    slot = SlotFactory(teacher=teacher, start_at=start, end_at=start + dt.timedelta(hours=1))
    url = f"{OPEN}?from={day.isoformat()}"

    assert listed_ids(api, url) == [slot.pk]  # anonymous: Moscow, 00:30 is after midnight
    student.timezone = "Europe/Berlin"
    student.save(update_fields=["timezone"])
    assert listed_ids(client_for(student), url) == []  # Berlin: 23:30 the day before


def test_open_slots_pages_are_shared_with_their_links(api, teacher, shared_for_10_seconds):
    slots = [SlotFactory(teacher=teacher) for _ in range(3)]
    first = api.get(OPEN, {"page_size": 2}).json()
    again = api.get(OPEN, {"page_size": 2}).json()
    second = api.get(OPEN, {"page_size": 2, "page": 2}).json()

    assert first == again
    assert api.get(OPEN, {"page_size": 2})["Content-Type"] == "application/json"  # as DRF's own answer
    assert (first["count"], [item["id"] for item in first["results"]]) == (3, [slots[0].pk, slots[1].pk])
    assert first["next"].endswith("page=2&page_size=2") and first["previous"] is None
    assert [item["id"] for item in second["results"]] == [slots[2].pk]
    assert api.get(OPEN, {"page": 9}).status_code == 404


def test_open_slots_read_the_viewers_zone_from_the_token_without_loading_the_user(api, teacher, student):
    from accounts.services import auth_login

    slot = SlotFactory(teacher=teacher)
    student.timezone = "Asia/Tokyo"
    student.save(update_fields=["timezone"])
    access = auth_login(email=student.email, password=PASSWORD, source="203.0.113.7")["access"]
    student.timezone = "Europe/Berlin"  # changed after the token was minted: the next token carries it
    student.save(update_fields=["timezone"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    with CaptureQueriesContext(connection) as captured:
        body = api.get(OPEN).json()
    assert body["results"][0]["start_at"] == slot.start_at.astimezone(ZoneInfo("Asia/Tokyo")).isoformat()
    assert len(captured) == 2  # the count and the page, as for an anonymous visitor: no user read
    assert client_for(student).get(OPEN).json()["results"][0]["start_at"].endswith(("+01:00", "+02:00"))  # no claim


def test_open_slots_refuse_a_bad_token_like_every_endpoint(api, teacher):
    SlotFactory(teacher=teacher)
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api.get(OPEN)
    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"


# --- GET slots/my -----------------------------------------------------------


def test_my_slots_marks_taken_and_shows_only_own(teacher_api, teacher):
    now = timezone.now()
    free, held = SlotFactory(teacher=teacher), SlotFactory(teacher=teacher)
    hold_booking(slot=held, expires_at=now + dt.timedelta(minutes=10))
    SlotFactory()  # another teacher's
    past = SlotFactory(
        teacher=teacher, start_at=now - dt.timedelta(days=2), end_at=now - dt.timedelta(days=2, hours=-1)
    )

    response = teacher_api.get(MY)
    assert response.status_code == 200
    assert [(item["id"], item["taken"]) for item in response.json()["results"]] == [(free.pk, False), (held.pk, True)]
    assert set(response.json()["results"][0]) == {"id", "teacher", "start_at", "end_at", "taken"}

    with_past = teacher_api.get(MY, {"from": (now - dt.timedelta(days=3)).date().isoformat()})
    assert [item["id"] for item in with_past.json()["results"]] == [past.pk, free.pk, held.pk]


def test_my_slots_bad_range_is_400(teacher_api):
    response = teacher_api.get(MY, {"from": "soon"})
    assert (response.status_code, error_code(response)) == (400, "validation_error")


# --- POST slots -------------------------------------------------------------


def test_create_slot(teacher_api, teacher, settings):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 3650  # 2030 is further ahead than the default bound
    response = teacher_api.post(
        CREATE, {"start_at": "2030-03-02T18:00:00+01:00", "end_at": "2030-03-02T19:00:00+01:00"}, format="json"
    )

    assert response.status_code == 201, response.content
    slot = Slot.objects.get(teacher=teacher)
    assert slot.start_at == dt.datetime(2030, 3, 2, 17, tzinfo=dt.UTC)
    assert response.json() == {
        "id": slot.pk,
        "teacher": teacher.pk,
        "start_at": "2030-03-02T20:00:00+03:00",
        "end_at": "2030-03-02T21:00:00+03:00",
    }
    assert AuditLog.objects.filter(action="scheduling.slot.created", entity_id=str(slot.pk)).exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"start_at": "2030-03-02T18:00:00", "end_at": "2030-03-02T19:00:00"}, 400, "validation_error"),
        ({"start_at": "2030-03-02T18:00:00Z"}, 400, "validation_error"),
        ({"start_at": "not a date", "end_at": "2030-03-02T19:00:00Z"}, 400, "validation_error"),
        ({"start_at": "0001-01-01T00:00:00+03:00", "end_at": "2030-03-02T19:00:00Z"}, 400, "validation_error"),
        ({"start_at": "2030-03-02T18:00:00Z", "end_at": "2030-03-02T18:10:00Z"}, 400, "validation_error"),
        ({"start_at": "2030-03-02T18:00:00Z", "end_at": "2030-03-02T17:00:00Z"}, 400, "validation_error"),
        ({"start_at": "2020-03-02T18:00:00Z", "end_at": "2020-03-02T19:00:00Z"}, 400, "slot_in_past"),
        ({"start_at": "2030-03-02T17:30:00Z", "end_at": "2030-03-02T18:30:00Z"}, 409, "slot_overlap"),
    ],
    ids=["naive", "missing-end", "garbage", "overflow", "too-short", "reversed", "past", "overlap"],
)
def test_create_slot_refused(teacher_api, teacher, unchanged, settings, body, status, code):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 3650  # 2030 is further ahead than the default bound
    SlotFactory(
        teacher=teacher,
        start_at=dt.datetime(2030, 3, 2, 17, tzinfo=dt.UTC),
        end_at=dt.datetime(2030, 3, 2, 18, tzinfo=dt.UTC),
    )
    with unchanged():
        response = teacher_api.post(CREATE, body, format="json")
    assert (response.status_code, error_code(response)) == (status, code), response.content


# --- POST slots/recurring ---------------------------------------------------


def test_create_recurring(teacher_api, teacher):
    response = teacher_api.post(
        RECURRING,
        {"weekday": 2, "start_time": "10:00", "end_time": "12:00", "slot_minutes": 60, "weeks": 3},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"created", "skipped"}
    assert len(body["created"]) + len(body["skipped"]) == 6
    assert {item["reason"] for item in body["skipped"]} <= {"past"}
    moscow = ZoneInfo("Europe/Moscow")  # the teacher's zone
    for item in body["created"]:
        start = dt.datetime.fromisoformat(item["start_at"]).astimezone(moscow)
        assert (start.weekday(), start.hour in (10, 11), start.minute) == (2, True, 0)
    assert Slot.objects.filter(teacher=teacher).count() == len(body["created"])


def test_create_recurring_reports_skipped_occurrences(teacher_api, teacher):
    taken = teacher_api.post(
        RECURRING,
        {"weekday": 4, "start_time": "10:00", "end_time": "11:00", "slot_minutes": 60, "weeks": 2},
        format="json",
    ).json()["created"]
    again = teacher_api.post(
        RECURRING,
        {"weekday": 4, "start_time": "10:00", "end_time": "11:00", "slot_minutes": 60, "weeks": 2},
        format="json",
    )

    assert again.status_code == 201
    assert again.json()["created"] == []
    overlap = [item for item in again.json()["skipped"] if item["reason"] == "overlap"]
    assert [item["start_at"] for item in overlap] == [item["start_at"] for item in taken]
    assert all(item["local_time"] == "10:00" for item in overlap)


@pytest.mark.parametrize(
    "changes",
    [{"weekday": 7}, {"weeks": 27}, {"weeks": 0}, {"slot_minutes": 5}, {"start_time": "25:00"}, {"end_time": "09:00"}],
)
def test_create_recurring_refused(teacher_api, unchanged, changes):
    body = {"weekday": 2, "start_time": "10:00", "end_time": "12:00", "slot_minutes": 60, "weeks": 3, **changes}
    with unchanged():
        response = teacher_api.post(RECURRING, body, format="json")
    assert (response.status_code, error_code(response)) == (400, "validation_error")


# --- DELETE slots/{id} ------------------------------------------------------


def test_delete_slot(teacher_api, owned_slot):
    response = teacher_api.delete(detail(owned_slot.pk))
    assert response.status_code == 204
    assert not Slot.objects.filter(pk=owned_slot.pk).exists()


def test_delete_slot_with_a_canceled_booking_removes_it(api, teacher_api, teacher, owned_slot):
    """The slot disappears for students and for its teacher, the booking keeps
    its slot, a second delete is 404, and the teacher can use the time again."""
    booking = past_booking(slot=owned_slot, status=Booking.Status.CANCELED)
    assert listed_ids(api, OPEN) == [owned_slot.pk]

    response = teacher_api.delete(detail(owned_slot.pk))

    assert response.status_code == 204
    assert listed_ids(api, OPEN) == []
    assert listed_ids(teacher_api, MY) == []
    booking.refresh_from_db()
    assert (booking.slot_id, booking.status) == (owned_slot.pk, Booking.Status.CANCELED)
    assert Slot.objects.get(pk=owned_slot.pk).removed_at is not None

    again = teacher_api.delete(detail(owned_slot.pk))
    assert (again.status_code, error_code(again)) == (404, "not_found")

    start = owned_slot.start_at + dt.timedelta(minutes=30)
    body = {"start_at": start.isoformat(), "end_at": (start + dt.timedelta(hours=1)).isoformat()}
    created = teacher_api.post(CREATE, body, format="json")
    assert created.status_code == 201, created.content
    assert listed_ids(teacher_api, MY) == [created.json()["id"]]


def test_delete_taken_slot_is_409(teacher_api, owned_slot, unchanged):
    confirmed_booking(slot=owned_slot)
    with unchanged():
        response = teacher_api.delete(detail(owned_slot.pk))
    assert (response.status_code, error_code(response)) == (409, "slot_in_use")


def test_delete_held_slot_is_409(teacher_api, owned_slot, unchanged):
    hold_booking(slot=owned_slot, expires_at=timezone.now() + dt.timedelta(minutes=10))
    with unchanged():
        response = teacher_api.delete(detail(owned_slot.pk))
    assert (response.status_code, error_code(response)) == (409, "slot_in_use")


def test_delete_past_slot_is_409(teacher_api, teacher, unchanged):
    start = hour_from_now(-5)
    slot = SlotFactory(teacher=teacher, start_at=start, end_at=start + dt.timedelta(hours=1))
    with unchanged():
        response = teacher_api.delete(detail(slot.pk))
    assert (response.status_code, error_code(response)) == (409, "slot_in_past")


def test_delete_unknown_slot_is_404(teacher_api):
    response = teacher_api.delete(detail(10**9))
    assert (response.status_code, error_code(response)) == (404, "not_found")
