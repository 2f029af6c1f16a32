"""Booking at its edges, found by trying the site as its users would: a hold
confirmed after its lesson started, a reschedule retried with another slot,
an accepted offer whose booking ended, and more holds than lessons left.
Each refusal is a 409 with its code, and changes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from billing.models import LessonPackage
from booking import services
from booking.errors import BookingRescheduled, BookingStarted, HoldLimitReached
from booking.models import Booking, WaitlistEntry, WaitlistOffer
from booking.waitlist import WaitlistOfferClosed
from tests.clients import client_for
from tests.factories import StudentFactory, TeacherFactory, make_package, make_slot
from tests.snapshots import booking_snapshot as snapshot

pytestmark = pytest.mark.django_db


def error(response) -> dict:
    return response.json()["error"]


# --- no confirm once the lesson has started ------------------------------------------


@pytest.fixture
def hold_of_a_soon_lesson(school, settings):
    """A live hold on a lesson starting in five minutes (held with no notice, and a
    hold that lasts half an hour), so it is still alive when the lesson starts."""
    settings.BOOKING_HOLD_MINUTES = 30
    slot = make_slot(school.teacher, starts_in=timedelta(minutes=5))
    profile = school.teacher.teacher_profile
    profile.min_notice_hours = 0
    profile.save(update_fields=["min_notice_hours"])
    return services.booking_hold(student=school.student, slot_id=slot.pk)


def test_a_hold_is_confirmed_before_its_lesson_starts(hold_of_a_soon_lesson, school):
    booking = services.booking_confirm(booking=hold_of_a_soon_lesson, actor=school.student)
    assert booking.status == Booking.Status.CONFIRMED


@pytest.mark.parametrize("minutes_after_start", [0, 1, 20])
def test_a_hold_is_not_confirmed_once_its_lesson_has_started(hold_of_a_soon_lesson, school, minutes_after_start):
    booking = hold_of_a_soon_lesson
    now = booking.slot.start_at + timedelta(minutes=minutes_after_start)
    assert booking.hold_expires_at > now  # the hold itself is still alive
    before = snapshot()
    with pytest.raises(BookingStarted) as refused:
        services.booking_confirm(booking=booking, actor=school.student, now=now)
    assert (refused.value.code, refused.value.status_code) == ("booking_started", 409)
    assert snapshot() == before
    assert LessonPackage.objects.get(pk=school.package.pk).lessons_left == 10


def test_the_api_refuses_a_confirm_after_the_start_and_takes_no_lesson(hold_of_a_soon_lesson, school):
    Booking.objects.filter(pk=hold_of_a_soon_lesson.pk).update(hold_expires_at=timezone.now() + timedelta(hours=1))
    hold_of_a_soon_lesson.slot.__class__.objects.filter(pk=hold_of_a_soon_lesson.slot_id).update(
        start_at=timezone.now() - timedelta(minutes=1)
    )
    before = snapshot()
    response = client_for(school.student).post(f"/api/v1/booking/{hold_of_a_soon_lesson.pk}/confirm")
    assert (response.status_code, error(response)["code"]) == (409, "booking_started")
    assert snapshot() == before


# --- reschedule retries ---------------------------------------------------------------------


@pytest.fixture
def moved(school):
    """A confirmed booking moved once, to `school.new_slot`."""
    booking = services.booking_confirm(
        booking=services.booking_hold(student=school.student, slot_id=school.slot.pk), actor=school.student
    )
    school.new_slot, school.other_slot = make_slot(school.teacher), make_slot(school.teacher)
    school.successor = services.booking_reschedule(
        booking=booking, new_slot_id=school.new_slot.pk, actor=school.student
    )
    school.booking = booking
    return school


def test_a_retry_of_a_reschedule_with_the_same_slot_returns_its_successor(moved):
    before = snapshot()
    again = services.booking_reschedule(booking=moved.booking, new_slot_id=moved.new_slot.pk, actor=moved.student)
    assert again == moved.successor
    assert snapshot() == before


def test_another_slot_for_a_booking_already_moved_is_refused_naming_the_successor(moved):
    before = snapshot()
    with pytest.raises(BookingRescheduled) as refused:
        services.booking_reschedule(booking=moved.booking, new_slot_id=moved.other_slot.pk, actor=moved.student)
    assert (refused.value.code, refused.value.status_code) == ("booking_rescheduled", 409)
    assert refused.value.details == {"rescheduled_to": moved.successor.pk, "slot_id": moved.new_slot.pk}
    assert snapshot() == before


def test_the_api_answers_a_retry_with_201_and_another_slot_with_409(moved):
    client = client_for(moved.student)
    url = f"/api/v1/booking/{moved.booking.pk}/reschedule"
    same = client.post(url, {"new_slot_id": moved.new_slot.pk}, format="json")
    assert (same.status_code, same.json()["id"]) == (201, moved.successor.pk)
    before = snapshot()
    other = client.post(url, {"new_slot_id": moved.other_slot.pk}, format="json")
    assert other.status_code == 409
    assert error(other)["code"] == "booking_rescheduled"
    assert error(other)["details"]["rescheduled_to"] == moved.successor.pk
    assert snapshot() == before
    assert Booking.objects.filter(slot=moved.other_slot).count() == 0


# --- an accepted offer whose booking has ended -------------------------------------------------


@pytest.fixture
def accepted_offer(school):
    """`school.other_student` waited for the teacher and accepted the offer of a freed slot."""
    booker = StudentFactory()
    make_package(booker)
    booking = services.booking_confirm(
        booking=services.booking_hold(student=booker, slot_id=school.slot.pk), actor=booker
    )
    WaitlistEntry.objects.create(student=school.other_student, teacher=school.teacher, timezone="UTC")
    services.booking_cancel(booking=booking, actor=booker)
    offer = WaitlistOffer.objects.get(slot=school.slot, status=WaitlistOffer.Status.OFFERED)
    school.offer_booking = services.waitlist_offer_accept(offer=offer, student=school.other_student)
    school.offer = offer
    return school


def test_accepting_an_accepted_offer_again_returns_its_live_booking(accepted_offer):
    again = services.waitlist_offer_accept(offer=accepted_offer.offer, student=accepted_offer.other_student)
    assert again == accepted_offer.offer_booking


def test_accepting_an_offer_whose_booking_was_canceled_is_refused(accepted_offer):
    services.booking_cancel(booking=accepted_offer.offer_booking, actor=accepted_offer.other_student)
    before = snapshot()
    with pytest.raises(WaitlistOfferClosed) as refused:
        services.waitlist_offer_accept(offer=accepted_offer.offer, student=accepted_offer.other_student)
    assert (refused.value.code, refused.value.status_code) == ("waitlist_offer_closed", 409)
    assert snapshot() == before
    response = client_for(accepted_offer.other_student).post(
        f"/api/v1/booking/waitlist/offers/{accepted_offer.offer.pk}/accept"
    )
    assert (response.status_code, error(response)["code"]) == (409, "waitlist_offer_closed")
    assert snapshot() == before


# --- no more holds than lessons left ----------------------------------------------------------


@pytest.fixture
def two_lessons_left(school):
    LessonPackage.objects.filter(pk=school.package.pk).update(lessons_left=2)
    school.slots = [make_slot(school.teacher) for _ in range(3)]
    return school


def test_a_student_holds_as_many_slots_as_lessons_left_and_no_more(two_lessons_left):
    school = two_lessons_left
    first, second = (services.booking_hold(student=school.student, slot_id=slot.pk) for slot in school.slots[:2])
    before = snapshot()
    with pytest.raises(HoldLimitReached) as refused:
        services.booking_hold(student=school.student, slot_id=school.slots[2].pk)
    assert (refused.value.code, refused.value.status_code) == ("hold_limit_reached", 409)
    assert refused.value.details == {"lessons_left": 2, "live_holds": 2}
    assert snapshot() == before
    # a released hold, or a dead one, makes room again
    services.booking_cancel(booking=first, actor=school.student)
    third = services.booking_hold(student=school.student, slot_id=school.slots[2].pk)
    later = second.hold_expires_at + timedelta(seconds=1)
    assert services.booking_hold(student=school.student, slot_id=school.slot.pk, now=later).status == "hold"
    assert third.status == "hold"


def test_confirming_a_hold_keeps_the_count_right(two_lessons_left):
    """Two lessons, two holds; one confirmed: one lesson left, one hold: still full."""
    school = two_lessons_left
    first = services.booking_hold(student=school.student, slot_id=school.slots[0].pk)
    services.booking_hold(student=school.student, slot_id=school.slots[1].pk)
    services.booking_confirm(booking=first, actor=school.student)
    with pytest.raises(HoldLimitReached):
        services.booking_hold(student=school.student, slot_id=school.slots[2].pk)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["as many lessons as you have left", "buy a lesson package"]), ("ru", ["столько уроков", "купите пакет"])],
)
def test_the_refusal_says_how_to_get_a_package_in_both_languages(two_lessons_left, language, words):
    school = two_lessons_left
    for slot in school.slots[:2]:
        services.booking_hold(student=school.student, slot_id=slot.pk)
    school.student.language = language
    school.student.save(update_fields=["language"])
    response = client_for(school.student).post("/api/v1/booking/holds", {"slot_id": school.slots[2].pk}, format="json")
    assert (response.status_code, error(response)["code"]) == (409, "hold_limit_reached")
    for word in words:
        assert word in error(response)["message"]
    page = client_for(school.student)
    page.force_login(school.student)
    followed = page.post(
        reverse("booking:hold", args=[school.teacher.pk]), {"slot": school.slots[2].pk}, follow=True
    ).content.decode()
    with translation.override(language):
        for word in words:
            assert word in followed
        assert f'<a href="{reverse("billing:product-list")}">' in followed  # the page that sells lessons


@pytest.mark.django_db(transaction=True)
def test_concurrent_holds_of_one_student_never_pass_the_lessons_left(postgres_only):
    from tests.races import race

    teacher, student = TeacherFactory(), StudentFactory()
    make_package(student, lessons=3)
    slots = [make_slot(teacher) for _ in range(12)]
    outcomes = race(*[lambda slot=slot: services.booking_hold(student=student, slot_id=slot.pk) for slot in slots])
    held = [outcome for outcome in outcomes if isinstance(outcome, Booking)]
    assert len(held) == 3
    assert all(isinstance(outcome, HoldLimitReached) for outcome in outcomes if outcome not in held), outcomes
    assert Booking.objects.filter(student=student, status="hold").count() == 3
