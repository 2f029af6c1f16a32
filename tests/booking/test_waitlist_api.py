"""The waitlist API's contract: shapes, status and error codes, and that a
refusal changes nothing."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import services
from booking.models import WaitlistEntry, WaitlistOffer
from scheduling.models import Slot
from tests.booking.waitlist_helpers import join, open_offer
from tests.clients import client_for
from tests.factories import TeacherFactory
from tests.snapshots import waitlist_snapshot

pytestmark = pytest.mark.django_db

JOIN = "/api/v1/booking/waitlist"
MY = "/api/v1/booking/waitlist/my"


def accept_url(offer) -> str:
    return f"/api/v1/booking/waitlist/offers/{offer.pk}/accept"


def test_a_student_joins_with_a_window_and_lists_their_waitlists(school):
    api = client_for(school.student)
    body = {"teacher_id": school.teacher.pk, "weekday": 1, "start_time": "18:00", "end_time": "21:00"}
    response = api.post(JOIN, body, format="json")
    assert response.status_code == 201
    entry = response.json()
    assert (
        entry["teacher"] == school.teacher.pk and entry["teacher_name"] == school.teacher.teacher_profile.display_name
    )
    assert (entry["weekday"], entry["start_time"], entry["end_time"]) == (1, "18:00:00", "21:00:00")
    assert (entry["timezone"], entry["active"], entry["open_offer"]) == ("Europe/Moscow", True, None)
    listed = api.get(MY).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == entry["id"]


def test_joining_without_a_window_means_any_time(school):
    response = client_for(school.student).post(JOIN, {"teacher_id": school.teacher.pk}, format="json")
    assert response.status_code == 201
    assert (response.json()["weekday"], response.json()["start_time"]) == (None, None)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"weekday": 1, "start_time": "21:00", "end_time": "18:00"}, 400, "validation_error"),
        ({"start_time": "18:00"}, 400, "validation_error"),
        ({"weekday": 9}, 400, "validation_error"),
        ({"start_time": "late"}, 400, "validation_error"),
        ({"teacher_id": "x"}, 400, "validation_error"),
        ({"teacher_id": 987654}, 404, "not_found"),
    ],
)
def test_a_bad_join_is_refused_with_its_code_and_changes_nothing(school, body, status, code):
    before = waitlist_snapshot()
    response = client_for(school.student).post(JOIN, {"teacher_id": school.teacher.pk, **body}, format="json")
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert waitlist_snapshot() == before


def test_joining_twice_is_a_conflict(school):
    api = client_for(school.student)
    api.post(JOIN, {"teacher_id": school.teacher.pk}, format="json")
    before = waitlist_snapshot()
    response = api.post(JOIN, {"teacher_id": school.teacher.pk}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_on_waitlist"
    assert waitlist_snapshot() == before


def test_an_unpublished_teacher_has_no_waitlist(school):
    hidden = TeacherFactory(profile__published=False)
    response = client_for(school.student).post(JOIN, {"teacher_id": hidden.pk}, format="json")
    assert response.status_code == 404


def test_leaving_through_the_api(school):
    entry = join(school.student, school.teacher)
    response = client_for(school.student).delete(f"{JOIN}/{entry.pk}")
    assert response.status_code == 204
    entry.refresh_from_db()
    assert not entry.active
    assert client_for(school.student).delete(f"{JOIN}/{entry.pk}").status_code == 204  # a repeat is harmless
    assert client_for(school.student).get(MY).json()["count"] == 0


def test_my_waitlists_show_the_open_offer_and_accepting_holds_the_slot(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    api = client_for(waiting.first)
    (entry,) = api.get(MY).json()["results"]
    assert entry["open_offer"]["id"] == offer.pk and entry["open_offer"]["slot"]["id"] == waiting.slot.pk
    assert entry["open_offer"]["status"] == "offered"
    response = api.post(accept_url(offer))
    assert response.status_code == 201
    booking = response.json()
    assert (booking["status"], booking["slot"]["id"], booking["student"]) == ("hold", waiting.slot.pk, waiting.first.pk)
    confirmed = api.post(f"/api/v1/booking/{booking['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert api.get(MY).json()["count"] == 0  # booked through the offer: off the waitlist


def test_accepting_someone_elses_offer_is_not_found_and_a_lapsed_one_is_a_conflict(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    WaitlistOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    before = waitlist_snapshot()
    response = client_for(waiting.second).post(accept_url(offer))
    assert response.status_code == 404
    response = client_for(waiting.first).post(accept_url(offer))
    assert response.status_code == 409 and response.json()["error"] == {
        "code": "waitlist_offer_closed",
        "message": "This offer is no longer open.",
        "details": {"status": "lapsed"},
    }
    assert waitlist_snapshot() == before


def test_my_waitlists_run_the_same_queries_for_1_and_many_entries(school, django_assert_num_queries):
    teachers = [TeacherFactory() for _ in range(12)]
    api = client_for(school.student)
    join(school.student, teachers[0])
    with CaptureQueriesContext(connection) as one:
        api.get(MY)
    for teacher in teachers[1:]:
        join(school.student, teacher, weekday=2, start=time(9), end=time(12))
    for number, teacher in enumerate(teachers[1:4]):  # some with an open offer
        entry = WaitlistEntry.objects.get(student=school.student, teacher=teacher)
        slot = Slot.objects.create(
            teacher=teacher,
            start_at=timezone.now() + timedelta(days=3, hours=number),
            end_at=timezone.now() + timedelta(days=3, hours=number + 1),
        )
        WaitlistOffer.objects.create(entry=entry, slot=slot, expires_at=timezone.now() + timedelta(minutes=30))
    with django_assert_num_queries(len(one)):
        response = api.get(MY)
    assert response.json()["count"] == 12
    assert sum(1 for entry in response.json()["results"] if entry["open_offer"]) == 3
