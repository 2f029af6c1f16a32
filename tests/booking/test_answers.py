"""The hold and confirm answers are built from the booking the service just
wrote; they must equal what reading the booking again gives, within a
known number of statements."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking import services
from booking.models import Booking
from tests.clients import client_for
from tests.factories import make_slot

pytestmark = pytest.mark.django_db

# were 18 and 25: the audit record, the lesson taken and the lesson created now join the caller's
# transaction without savepoints, a hold leaves the locked "taken" check to its read of the slot's
# bookings, and a confirm writes its three records and events in one INSERT each (`records_batched`)
HOLD_STATEMENTS = 13
CONFIRM_STATEMENTS = 11


def test_the_hold_answer_equals_a_fresh_read(school):
    owner = client_for(school.student)
    held = owner.post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json")
    assert held.status_code == 201
    assert held.json() == owner.get(f"/api/v1/booking/{held.json()['id']}").json()
    assert held.json()["status"] == "hold"


def test_the_confirm_answer_equals_a_fresh_read(school):
    owner = client_for(school.student)
    booking_id = owner.post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json").json()["id"]
    confirmed = owner.post(f"/api/v1/booking/{booking_id}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json() == owner.get(f"/api/v1/booking/{booking_id}").json()
    assert confirmed.json()["status"] == "confirmed"
    again = owner.post(f"/api/v1/booking/{booking_id}/confirm")  # confirming twice answers the same
    assert again.json() == confirmed.json()


def test_the_confirm_answer_of_a_rescheduled_booking_names_its_successor(school):
    owner = client_for(school.student)
    booking = services.booking_hold(student=school.student, slot_id=school.slot.pk)
    services.booking_confirm(booking=booking, actor=school.student)
    successor = services.booking_reschedule(
        booking=booking, new_slot_id=make_slot(school.teacher).pk, actor=school.student
    )
    answer = owner.post(f"/api/v1/booking/{booking.pk}/confirm")
    assert answer.status_code == 409  # canceled by the reschedule
    fresh = owner.get(f"/api/v1/booking/{booking.pk}").json()
    assert fresh["rescheduled_to"] == successor.pk
    confirmed = owner.post(f"/api/v1/booking/{successor.pk}/confirm")
    assert confirmed.json() == owner.get(f"/api/v1/booking/{successor.pk}").json()
    assert confirmed.json()["rescheduled_from"] == booking.pk


def test_a_hold_over_a_dead_hold_expires_it_and_answers_the_new_hold(school):
    dead = services.booking_hold(student=school.other_student, slot_id=school.slot.pk)
    Booking.objects.filter(pk=dead.pk).update(hold_expires_at=dead.hold_expires_at - timedelta(hours=1))
    owner = client_for(school.student)
    held = owner.post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json")
    assert held.status_code == 201
    assert held.json() == owner.get(f"/api/v1/booking/{held.json()['id']}").json()
    assert Booking.objects.get(pk=dead.pk).status == Booking.Status.EXPIRED


def test_a_hold_and_a_confirm_stay_within_their_statements(school, django_assert_max_num_queries):
    owner = client_for(school.student)
    with django_assert_max_num_queries(HOLD_STATEMENTS):
        booking_id = owner.post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json").json()["id"]
    with django_assert_max_num_queries(CONFIRM_STATEMENTS):
        assert owner.post(f"/api/v1/booking/{booking_id}/confirm").status_code == 200


def test_a_hold_on_a_taken_slot_is_refused_before_any_transaction(school):
    services.booking_hold(student=school.other_student, slot_id=school.slot.pk)
    contender = client_for(school.student)
    with CaptureQueriesContext(connection) as statements:
        answer = contender.post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "slot_unavailable"
    sql = [statement["sql"] for statement in statements.captured_queries]
    assert not [s for s in sql if s.startswith(("SAVEPOINT", "BEGIN"))], sql  # no transaction of its own
    assert len(sql) <= 2, sql  # who is asking, and whether the slot is taken
