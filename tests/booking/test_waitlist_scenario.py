"""THE waitlist scenario, end to end through services, the notification
dispatcher, the pages and the API: two students wait for a teacher, a
confirmed booking of that teacher is canceled, the first is offered the slot
(e-mail and in-app, the link works), the slot is reserved for them, their
offer lapses, the second is offered it and books through the link."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from booking import services, waitlist
from booking.models import Booking, WaitlistEntry, WaitlistOffer
from notifications import services as notification_services
from notifications.models import Notification
from tests.booking.waitlist_helpers import open_offer
from tests.clients import client_for, signed_in
from tests.snapshots import waitlist_snapshot

pytestmark = pytest.mark.django_db


def offer_notifications(student) -> list[Notification]:
    return list(Notification.objects.filter(recipient=student, event_type="booking.waitlist.offered").order_by("pk"))


def test_a_freed_slot_goes_to_the_waiting_students_in_order(waiting, settings):
    settings.SITE_URL = "https://school.example.org"
    first, second = waiting.first, waiting.second
    now = timezone.now()

    # a confirmed booking of the teacher is canceled: the first student is offered the slot
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker, now=now)
    offer = open_offer(waiting.slot)
    assert offer.entry.student == first
    notification_services.outbox_dispatch()
    in_app, email = sorted(offer_notifications(first), key=lambda n: n.channel != "in_app")
    assert (in_app.channel, email.channel, email.status) == ("in_app", "email", "sent")
    link = reverse("booking:waitlist-offer", args=[offer.pk])
    assert in_app.link == link
    assert "is free for you" in in_app.subject
    assert "It is kept for you until" in in_app.content.body
    sent = next(message for message in mail.outbox if message.to == [first.email])
    assert f"https://school.example.org{link}" in sent.body
    assert offer_notifications(second) == []  # one offer at a time

    # the link works for the first student (and only for them)
    page = signed_in(first).get(link)
    assert page.status_code == 200 and "Hold this time" in page.content.decode()
    assert signed_in(second).get(link).status_code == 404

    # the slot is reserved for the first student: the second one's hold is refused
    before = waitlist_snapshot()
    refused = client_for(second).post("/api/v1/booking/holds", {"slot_id": waiting.slot.pk}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "slot_unavailable"
    assert waitlist_snapshot() == before

    # the first offer lapses and passes to the second student
    moved = now + timedelta(minutes=waitlist.offer_minutes() + 1)
    assert waitlist.waitlist_offers_advance(now=moved - timedelta(minutes=2))["lapsed"] == 0
    result = waitlist.waitlist_offers_advance(now=moved)
    assert result == {"lapsed": 1, "withdrawn": 0, "offered": 1}
    offer.refresh_from_db()
    assert offer.status == "lapsed"
    second_offer = open_offer(waiting.slot)
    assert second_offer.entry.student == second
    notification_services.outbox_dispatch()
    (second_in_app,) = [n for n in offer_notifications(second) if n.channel == "in_app"]
    second_link = reverse("booking:waitlist-offer", args=[second_offer.pk])
    assert second_in_app.link == second_link
    assert "no longer open" in signed_in(first).get(link).content.decode()  # the lapsed one says so

    # the second student books through the offer link: hold, then the normal confirm
    browser = signed_in(second)
    assert browser.get(second_link).status_code == 200
    response = browser.post(reverse("booking:waitlist-accept", args=[second_offer.pk]))
    booking = Booking.objects.get(student=second, slot=waiting.slot)
    assert response.status_code == 302 and response["Location"] == reverse("booking:booking-detail", args=[booking.pk])
    assert booking.status == "hold"
    second_offer.refresh_from_db()
    assert (second_offer.status, second_offer.booking) == ("accepted", booking)
    browser.post(reverse("booking:confirm", args=[booking.pk]))
    booking.refresh_from_db()
    assert booking.status == "confirmed" and booking.lesson is not None

    # the second student has been served and left the waitlist; the first one still waits
    assert list(WaitlistEntry.objects.filter(active=True).values_list("student", flat=True)) == [first.pk]
    assert list(
        WaitlistOffer.objects.filter(slot=waiting.slot).order_by("pk").values_list("entry__student", "status")
    ) == [(first.pk, "lapsed"), (second.pk, "accepted")]
