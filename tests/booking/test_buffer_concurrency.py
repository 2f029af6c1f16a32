"""The buffer under concurrency, on PostgreSQL with real threads and
connections (skipped on SQLite, which runs one writer at a time).

Each hold locks its own slot row, which does not cover the neighbouring
slot another student is holding at the same instant: without more, both
would see the other's slot free and both win. `slot_get_open` therefore
locks the teacher's profile row first, so holds of one teacher's slots run
one after the other and the second sees the first's booking."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import pairwise

import pytest

from accounts.models import TeacherProfile
from booking import services as booking_services
from booking.errors import SlotBuffer
from booking.models import Booking
from tests.clients import client_for
from tests.factories import StudentFactory, TeacherFactory, in_days, make_package, slot_at
from tests.races import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]

ROUNDS = 15


def buffered_teacher(minutes: int = 30):
    teacher = TeacherFactory()
    TeacherProfile.objects.filter(pk=teacher.pk).update(buffer_minutes=minutes)
    return teacher


def students(count: int):
    found = [StudentFactory() for _ in range(count)]
    for student in found:
        make_package(student, lessons=50)
    return found


def taken_slots(teacher) -> list:
    return sorted(
        Booking.objects.filter(slot__teacher=teacher, status__in=Booking.ACTIVE_STATUSES).values_list(
            "slot__start_at", "slot__end_at"
        )
    )


def test_two_holds_on_back_to_back_slots_never_both_win():
    teacher = buffered_teacher()
    first, second = students(2)
    outcomes = Counter()
    for day in range(ROUNDS):
        early = slot_at(teacher, in_days(3 + day, hour=10))
        late = slot_at(teacher, early.end_at)  # back to back: inside the 30-minute buffer
        results = race(
            lambda slot=early: booking_services.booking_hold(student=first, slot_id=slot.pk),
            lambda slot=late: booking_services.booking_hold(student=second, slot_id=slot.pk),
        )
        won = [result for result in results if isinstance(result, Booking)]
        refused = [result for result in results if isinstance(result, SlotBuffer)]
        assert (len(won), len(refused)) == (1, 1), results
        assert Booking.objects.filter(slot__in=[early, late], status="hold").count() == 1
        outcomes["early won" if won[0].slot_id == early.pk else "late won"] += 1
    print(f"\n[concurrency] back-to-back holds, {ROUNDS} rounds: {dict(outcomes)}; never both")


@pytest.mark.parametrize("through", ["service", "api"])
def test_many_holds_on_a_row_of_slots_keep_every_gap(through):
    """Eight students hold eight back-to-back slots of one teacher at once,
    several rounds: whoever wins, no two taken slots are closer than the buffer."""
    teacher = buffered_teacher(minutes=15)
    holders = students(8)
    clients = [client_for(student) for student in holders]

    def hold(index, slot):
        if through == "api":
            response = clients[index].post("/api/v1/booking/holds", {"slot_id": slot.pk}, format="json")
            return response.status_code, response.json().get("error", {}).get("code", "held")
        try:
            booking_services.booking_hold(student=holders[index], slot_id=slot.pk)
        except SlotBuffer as error:
            return 409, error.code
        return 201, "held"

    for day in range(5):
        start = in_days(5 + day, hour=8)
        row = [slot_at(teacher, start + timedelta(hours=index)) for index in range(len(holders))]
        results = race(*[lambda i=i, s=s: hold(i, s) for i, s in enumerate(row)])
        assert set(results) <= {(201, "held"), (409, "slot_buffer")}, results
        taken = [(s, e) for s, e in taken_slots(teacher) if s >= start]
        assert len(taken) == Counter(results)[(201, "held")] >= 1
        for (_, end), (next_start, _) in pairwise(taken):
            assert next_start - end >= timedelta(minutes=15), taken
