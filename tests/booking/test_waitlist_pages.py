"""The waitlist pages: the form on the teacher page, My waitlists, leaving,
the offer page; and who may reach each page and API endpoint."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from booking import services
from booking.models import WaitlistOffer
from tests.areas import assert_other_area
from tests.booking.waitlist_helpers import join, open_offer
from tests.clients import client_for, signed_in
from tests.factories import StaffFactory, StudentFactory
from tests.pages import messages_of
from tests.snapshots import waitlist_snapshot

pytestmark = pytest.mark.django_db


def text(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", body).strip()


def teacher_page(teacher) -> str:
    return reverse("booking:teacher-detail", args=[teacher.pk])


def test_students_see_the_join_form_on_the_teacher_page_others_do_not(school):
    join_url = reverse("booking:waitlist-join", args=[school.teacher.pk])
    assert join_url in signed_in(school.student).get(teacher_page(school.teacher)).content.decode()
    for viewer in (signed_in(school.teacher), signed_in(StaffFactory()), Client()):
        assert join_url not in viewer.get(teacher_page(school.teacher)).content.decode()


def test_joining_from_the_teacher_page_with_a_window(school):
    browser = signed_in(school.student)
    response = browser.post(
        reverse("booking:waitlist-join", args=[school.teacher.pk]),
        {"weekday": "1", "start_time": "18:00", "end_time": "21:00"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("booking:waitlist-list")
    page = text(response)
    assert "You are on the waitlist." in page
    assert "Tuesdays, 18:00–21:00 (Europe/Moscow)" in page
    assert school.teacher.teacher_profile.display_name in page
    assert "You are on this teacher's waitlist." in text(browser.get(teacher_page(school.teacher)))


def test_joining_any_time(school):
    browser = signed_in(school.student)
    browser.post(reverse("booking:waitlist-join", args=[school.teacher.pk]), {"weekday": "", "start_time": ""})
    assert "Any day, any time" in text(browser.get(reverse("booking:waitlist-list")))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start_time": "21:00", "end_time": "18:00"}, "The window must end after it starts."),
        ({"start_time": "18:00"}, "Give both ends of the time window, or neither."),
        ({"start_time": "25:99", "end_time": "26:00"}, "Enter a valid time."),
    ],
)
def test_a_bad_window_is_explained_and_nothing_changes(school, data, message):
    before = waitlist_snapshot()
    response = signed_in(school.student).post(reverse("booking:waitlist-join", args=[school.teacher.pk]), data)
    assert response.status_code == 302 and response["Location"] == teacher_page(school.teacher)
    assert message in messages_of(response)
    assert waitlist_snapshot() == before


def test_joining_twice_says_so(school):
    browser = signed_in(school.student)
    url = reverse("booking:waitlist-join", args=[school.teacher.pk])
    browser.post(url, {})
    before = waitlist_snapshot()
    response = browser.post(url, {})
    assert "You are already on this waitlist with this time window." in messages_of(response)
    assert waitlist_snapshot() == before


def test_leaving_from_my_waitlists(school):
    entry = join(school.student, school.teacher)
    browser = signed_in(school.student)
    assert (
        reverse("booking:waitlist-leave", args=[entry.pk])
        in browser.get(reverse("booking:waitlist-list")).content.decode()
    )
    response = browser.post(reverse("booking:waitlist-leave", args=[entry.pk]), follow=True)
    assert "You have left the waitlist." in text(response)
    assert "You are on no waitlist." in text(response)
    entry.refresh_from_db()
    assert not entry.active


def test_my_waitlists_show_an_open_offer_with_its_link(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    page = signed_in(waiting.first).get(reverse("booking:waitlist-list")).content.decode()
    assert reverse("booking:waitlist-offer", args=[offer.pk]) in page
    assert "Offered to you:" in page
    assert "Offered to you:" not in signed_in(waiting.second).get(reverse("booking:waitlist-list")).content.decode()


def test_the_offer_page_holds_the_slot_then_shows_the_booking(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    browser = signed_in(waiting.first)
    page = text(browser.get(reverse("booking:waitlist-offer", args=[offer.pk])))
    assert "Hold this time" in page and "This time is kept for you until" in page
    response = browser.post(reverse("booking:waitlist-accept", args=[offer.pk]), follow=True)
    assert "Confirm the booking" in text(response)
    page = text(browser.get(reverse("booking:waitlist-offer", args=[offer.pk])))
    assert "You took this offer." in page
    offer.refresh_from_db()
    again = browser.post(reverse("booking:waitlist-accept", args=[offer.pk]))  # a double submit
    assert again["Location"] == reverse("booking:booking-detail", args=[offer.booking_id])


def test_a_lapsed_offer_cannot_be_taken_from_its_page(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    WaitlistOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    browser = signed_in(waiting.first)
    page = text(browser.get(reverse("booking:waitlist-offer", args=[offer.pk])))
    assert "This offer is no longer open." in page and "Hold this time" not in page
    before = waitlist_snapshot()
    response = browser.post(reverse("booking:waitlist-accept", args=[offer.pk]))
    assert response["Location"] == reverse("booking:waitlist-offer", args=[offer.pk])
    assert "This offer is no longer open." in messages_of(response)
    assert waitlist_snapshot() == before


# --- who reaches what ------------------------------------------------------------------------------

ROLES = ("owner", "other_student", "teacher", "staff", "anonymous")


@pytest.fixture
def world(waiting):
    services.booking_cancel(booking=waiting.booking, actor=waiting.booker)
    offer = open_offer(waiting.slot)
    return {
        "users": {
            "owner": waiting.first,
            "other_student": StudentFactory(),
            "teacher": waiting.teacher,
            "staff": StaffFactory(),
            "anonymous": None,
        },
        "entry": waiting.first_entry,
        "offer": offer,
        "teacher": waiting.teacher,
    }


def page_client(user) -> Client:
    return signed_in(user) if user else Client()


# (method, url builder, {role: status}); a page's 302 for anonymous is the login redirect
PAGES = [
    ("get", lambda w: reverse("booking:waitlist-list"), {"owner": 200, "other_student": 200}),
    ("post", lambda w: reverse("booking:waitlist-leave", args=[w["entry"].pk]), {"owner": 302}),
    ("get", lambda w: reverse("booking:waitlist-offer", args=[w["offer"].pk]), {"owner": 200}),
    ("post", lambda w: reverse("booking:waitlist-accept", args=[w["offer"].pk]), {"owner": 302}),
    ("post", lambda w: reverse("booking:waitlist-join", args=[w["teacher"].pk]), {"owner": 302, "other_student": 302}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", range(len(PAGES)))
def test_waitlist_pages_permission_matrix(world, role, case):
    method, url, allowed = PAGES[case]
    user = world["users"][role]
    before = waitlist_snapshot()
    response = getattr(page_client(user), method)(url(world))
    if role in allowed:
        assert response.status_code == allowed[role]
        return
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    elif role in ("teacher", "staff"):  # the students' area
        assert_other_area(response, "students")
    else:
        assert response.status_code == 404
    assert waitlist_snapshot() == before


REFUSED = {"teacher": 403, "staff": 403, "anonymous": 401}  # students-only endpoints
APIS = [
    ("get", lambda w: "/api/v1/booking/waitlist/my", {"owner": 200, "other_student": 200, **REFUSED}),
    ("post", lambda w: "/api/v1/booking/waitlist", {"owner": 409, "other_student": 201, **REFUSED}),
    ("delete", lambda w: f"/api/v1/booking/waitlist/{w['entry'].pk}", {"owner": 204, "other_student": 404, **REFUSED}),
    (
        "post",
        lambda w: f"/api/v1/booking/waitlist/offers/{w['offer'].pk}/accept",
        {"owner": 201, "other_student": 404, **REFUSED},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", range(len(APIS)))
def test_waitlist_api_permission_matrix(world, role, case):
    method, url, expected = APIS[case]
    user = world["users"][role]
    api = client_for(user) if user else APIClient()
    before = waitlist_snapshot()
    response = getattr(api, method)(url(world), {"teacher_id": world["teacher"].pk}, format="json")
    assert response.status_code == expected[role], response.content
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
        assert waitlist_snapshot() == before


def test_staff_read_the_waitlist_in_the_admin_without_changing_it(world, django_assert_max_num_queries):
    staff = signed_in(world["users"]["staff"])
    for model in ("waitlistentry", "waitlistoffer"):
        with django_assert_max_num_queries(15):
            response = staff.get(reverse(f"admin:booking_{model}_changelist"))
        assert response.status_code == 200
    page = staff.get(reverse("admin:booking_waitlistoffer_change", args=[world["offer"].pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert staff.get(reverse("admin:booking_waitlistentry_add")).status_code == 403
