"""Who may open each student page: visitors are sent to log in, other roles
get the 404 page, nothing changes on a refused POST."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.areas import assert_other_area
from tests.clients import signed_in
from tests.factories import StaffFactory, TeacherFactory, book
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db


def student_pages(school) -> list[tuple[str, str]]:
    """(method, url) of every page only a student may use."""
    booking = book(school.student, school.slot)
    return [
        ("get", reverse("booking:dashboard")),
        ("get", reverse("booking:booking-list")),
        ("get", reverse("booking:booking-detail", args=[booking.pk])),
        ("get", reverse("booking:reschedule", args=[booking.pk])),
        ("post", reverse("booking:reschedule", args=[booking.pk])),
        ("post", reverse("booking:confirm", args=[booking.pk])),
        ("post", reverse("booking:cancel", args=[booking.pk])),
        ("post", reverse("booking:hold", args=[school.teacher.pk])),
        ("get", reverse("billing:package-list")),
    ]


SIGNED_IN_PAGES = [
    ("get", "notifications:list"),
    ("post", "notifications:mark-all-read"),
]


def test_visitors_are_sent_to_log_in_from_every_student_page(school, client):
    for method, url in [*student_pages(school), *((m, reverse(name)) for m, name in SIGNED_IN_PAGES)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}", url


@pytest.mark.parametrize("role", ["teacher", "staff"])
def test_other_roles_are_told_every_student_page_is_the_students_and_change_nothing(school, role):
    user = TeacherFactory() if role == "teacher" else StaffFactory()
    pages = student_pages(school)
    before = booking_snapshot()
    client = signed_in(user)
    for method, url in pages:
        response = getattr(client, method)(url, HTTP_ACCEPT_LANGUAGE="en")
        assert_other_area(response, "students")
        assert "This area is for students" in response.content.decode(), (role, url)
    assert booking_snapshot() == before
    # the slot's own teacher is no exception on the student's pages
    assert_other_area(signed_in(school.teacher).get(pages[2][1]), "students")


def test_the_old_student_home_address_leads_to_the_dashboard(school):
    response = signed_in(school.student).get(reverse("accounts:student-home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:dashboard")
    assert reverse("booking:dashboard") == "/student/"


def test_public_pages_are_open_to_visitors(school, client):
    assert client.get(reverse("booking:teacher-list")).status_code == 200
    assert client.get(reverse("booking:teacher-detail", args=[school.teacher.pk])).status_code == 200


def test_every_form_on_the_student_pages_carries_a_csrf_token(school):
    """The site runs with CSRF checks on: a POST without the token is refused."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(school.student)
    response = client.post(reverse("booking:hold", args=[school.teacher.pk]), {"slot": school.slot.pk})
    assert response.status_code == 403
