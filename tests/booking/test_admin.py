import pytest
from django.urls import reverse

from audit.models import AdminAction
from booking import services
from booking.models import Booking
from lessons.models import Lesson
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_booking_and_lesson_changelists_render_with_constant_queries(
    school, staff_client, django_assert_max_num_queries
):
    booking = services.booking_hold(student=school.student, slot_id=school.slot.pk)
    services.booking_confirm(booking=booking, actor=school.student)
    for name in ("admin:booking_booking_changelist", "admin:lessons_lesson_changelist"):
        with django_assert_max_num_queries(12):
            assert staff_client.get(reverse(name)).status_code == 200
    assert staff_client.get(reverse("admin:booking_booking_change", args=[booking.pk])).status_code == 200


def test_admin_cancel_on_the_students_behalf_goes_through_the_service(school, staff_client):
    booking = services.booking_confirm(
        booking=services.booking_hold(student=school.student, slot_id=school.slot.pk), actor=school.student
    )
    response = staff_client.post(
        reverse("admin:booking_booking_changelist"),
        {"action": "cancel_bookings", "_selected_action": [booking.pk]},
        follow=True,
    )
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELED
    assert booking.lesson_returned is True  # three days ahead: outside the refund window
    assert Lesson.objects.get().status == Lesson.Status.CANCELED
    assert AdminAction.objects.filter(action="admin.booking.cancel", target_id=str(booking.pk)).count() == 1


def test_bookings_cannot_be_added_or_deleted_in_the_admin(staff_client):
    assert staff_client.get(reverse("admin:booking_booking_add")).status_code == 403


def test_admin_cancel_reports_a_refused_booking_and_cancels_the_others(school, staff_client):
    from datetime import timedelta

    from tests.factories import make_slot

    confirmed = services.booking_confirm(
        booking=services.booking_hold(student=school.student, slot_id=school.slot.pk), actor=school.student
    )
    dead = services.booking_hold(student=school.student, slot_id=make_slot(school.teacher).pk)
    Booking.objects.filter(pk=dead.pk).update(hold_expires_at=dead.hold_expires_at - timedelta(hours=1))

    response = staff_client.post(
        reverse("admin:booking_booking_changelist"),
        {"action": "cancel_bookings", "_selected_action": [dead.pk, confirmed.pk]},
        follow=True,
    )

    shown = [str(message) for message in response.context["messages"]]
    assert f"Booking #{confirmed.pk} canceled." in shown
    assert any(text.startswith(f"Booking #{dead.pk}: ") for text in shown)
    assert Booking.objects.get(pk=confirmed.pk).status == Booking.Status.CANCELED
    assert Booking.objects.get(pk=dead.pk).status == Booking.Status.HOLD  # refused: nothing written
    actions = AdminAction.objects.filter(action="admin.booking.cancel")
    assert list(actions.values_list("target_id", flat=True)) == [str(confirmed.pk)]
