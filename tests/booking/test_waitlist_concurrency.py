"""Races on PostgreSQL with real threads and connections (skipped on SQLite)."""

from collections import Counter

import pytest

from booking import services, waitlist
from booking.models import Booking, WaitlistOffer
from tests.booking.waitlist_helpers import join, student_with_package
from tests.clients import client_for
from tests.factories import TeacherFactory, book, make_slot
from tests.races import errors, race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


def test_a_reserved_slot_goes_to_its_student_however_many_race_for_it():
    teacher = TeacherFactory()
    slot = make_slot(teacher)
    booker = student_with_package()
    booking = book(booker, slot)
    first = student_with_package()
    join(first, teacher)
    services.booking_cancel(booking=booking, actor=booker)
    offer = WaitlistOffer.objects.get(slot=slot, status="offered")
    racers = [student_with_package() for _ in range(15)] + [first]

    def hold(student):
        response = client_for(student).post("/api/v1/booking/holds", {"slot_id": slot.pk}, format="json")
        return (response.status_code, response.json().get("error", {}).get("code", "held"), student.pk)

    results = race(*[lambda s=s: hold(s) for s in racers])
    assert not errors(results), results
    assert Counter(status for status, _, _ in results) == {409: 15, 201: 1}
    assert [pk for status, _, pk in results if status == 201] == [first.pk]
    offer.refresh_from_db()
    assert offer.status == "accepted"
    assert Booking.objects.get(slot=slot, status="hold").student == first


def test_concurrent_periodic_steps_offer_a_new_slot_once():
    teacher = TeacherFactory()
    students = [student_with_package() for _ in range(4)]
    for student in students:
        join(student, teacher)
    slots = [make_slot(teacher) for _ in range(3)]
    results = race(*[waitlist.waitlist_offers_advance] * 6)
    assert not errors(results), results
    assert sum(result["offered"] for result in results) == 3
    offers = WaitlistOffer.objects.filter(status="offered")
    assert sorted(offers.values_list("slot_id", flat=True)) == sorted(slot.pk for slot in slots)
    assert sorted(offers.values_list("entry__student_id", flat=True)) == sorted(s.pk for s in students[:3])
