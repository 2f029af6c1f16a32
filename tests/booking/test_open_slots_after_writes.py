"""The open-slot listing shows a user's own writes at once, although it is
shared through the cache: every write that changes which slots may be held
(hold, confirm, cancel, reschedule, expiry, a teacher's slots and rules)
outdates the shared answer. The cache's clock is frozen here, so nothing in
these tests goes stale by time: only the writes refresh the listing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from booking import services
from booking.errors import SlotUnavailable
from scheduling import services as scheduling_services
from tests.clients import client_for
from tests.factories import make_slot

pytestmark = pytest.mark.django_db(transaction=True)  # the listing is outdated when a write commits

OPEN = reverse("api:scheduling-slots-open")


@pytest.fixture(autouse=True)
def shared_without_end(settings, monkeypatch):
    """The listing shared through the cache, on a clock that never moves."""
    from guitaronline.core import shared_answers

    settings.OPEN_SLOTS_CACHE_SECONDS = 10
    monkeypatch.setattr(shared_answers.time, "time", lambda: 1_000_000.0)


def listed(client=None) -> list[int]:
    response = (client or APIClient()).get(OPEN)
    assert response.status_code == 200
    return [item["id"] for item in response.json()["results"]]


def test_a_hold_and_its_release_show_at_once(school):
    student = client_for(school.student)
    assert listed(student) == [school.slot.pk]
    booking_id = student.post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json").json()["id"]
    assert listed(student) == [] and listed() == []  # the student's own hold, and everyone else's view
    student.post(f"/api/v1/booking/{booking_id}/cancel")
    assert listed(student) == [school.slot.pk]


def test_a_confirmed_booking_stays_taken_and_its_cancel_frees_the_slot(school):
    assert listed() == [school.slot.pk]
    booking = services.booking_hold(student=school.student, slot_id=school.slot.pk)
    booking = services.booking_confirm(booking=booking, actor=school.student)
    assert listed() == []
    services.booking_cancel(booking=booking, actor=school.student)
    assert listed() == [school.slot.pk]


def test_a_reschedule_frees_the_old_time_and_takes_the_new(school):
    later = make_slot(school.teacher)
    booking = services.booking_confirm(
        booking=services.booking_hold(student=school.student, slot_id=school.slot.pk), actor=school.student
    )
    assert listed() == [later.pk]
    services.booking_reschedule(booking=booking, new_slot_id=later.pk, actor=school.student)
    assert listed() == [school.slot.pk]


def test_the_expiry_job_frees_the_slot_of_a_dead_hold(school, settings):
    services.booking_hold(student=school.student, slot_id=school.slot.pk)
    assert listed() == []
    later = timezone.now() + timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 1)
    assert services.bookings_expire_holds(now=later) == 1
    assert listed() == [school.slot.pk]


def test_a_teachers_new_and_removed_slots_show_at_once(school):
    assert listed() == [school.slot.pk]
    start = school.slot.start_at + timedelta(days=1)
    added = scheduling_services.slot_create(teacher=school.teacher, start_at=start, end_at=start + timedelta(hours=1))
    assert listed() == [school.slot.pk, added.pk]
    services.slot_remove(teacher=school.teacher, slot=school.slot)
    assert listed() == [added.pk]


def test_a_teachers_rules_and_publication_show_at_once(school, staff):
    profile = school.teacher.teacher_profile
    services.slot_remove(teacher=school.teacher, slot=school.slot)
    slot = make_slot(school.teacher, starts_in=timedelta(days=3))
    assert listed() == [slot.pk]
    account_services.teacher_profile_update(profile=profile, display_name=profile.display_name, min_notice_hours=168)
    assert listed() == []  # the slot is three days ahead: inside a week's notice
    account_services.teacher_profile_update(profile=profile, display_name=profile.display_name, min_notice_hours=2)
    assert listed() == [slot.pk]
    account_services.teacher_profile_set_published(profile=profile, published=False, actor=staff)
    assert listed() == []


def test_a_write_that_rolls_back_outdates_nothing(school, django_assert_num_queries):
    """A refused hold writes nothing, so the shared answer is still good: no query."""
    listed()
    services.booking_hold(student=school.student, slot_id=school.slot.pk)
    listed()
    with pytest.raises(SlotUnavailable):
        services.booking_hold(student=school.other_student, slot_id=school.slot.pk)
    with django_assert_num_queries(0):
        assert listed() == []
