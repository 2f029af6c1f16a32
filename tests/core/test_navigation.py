import uuid

import pytest
from django.urls import reverse

from notifications.models import Notification
from tests.factories import StaffFactory, StudentFactory, TeacherFactory

pytestmark = pytest.mark.django_db


def nav(client, user) -> str:
    client.force_login(user)
    html = client.get(reverse("accounts:profile")).content.decode()
    return html[html.index('<nav class="site-nav"') : html.index("</nav>")]


def test_each_role_sees_its_own_pages_in_the_navigation(client):
    student = nav(client, StudentFactory(language="en"))
    for name in ("booking:teacher-list", "booking:booking-list", "lessons:list", "billing:package-list"):
        assert reverse(name) in student
    assert reverse("booking:teacher-week") not in student
    teacher = nav(client, TeacherFactory(language="en"))
    for name in ("booking:teacher-dashboard", "booking:teacher-week", "lessons:list", "lessons:students"):
        assert reverse(name) in teacher
    assert reverse("booking:booking-list") not in teacher
    assert reverse("admin:index") in nav(client, StaffFactory(language="en"))


def test_the_unread_badge_counts_only_my_unread_in_app_notifications(client):
    student = StudentFactory(language="en")
    for read_at in (None, None, "2026-01-01T00:00:00Z"):
        Notification.objects.create(
            recipient=student, event_id=uuid.uuid4(), event_type="x", channel="in_app", subject="s", body="b",
            status="sent", read_at=read_at,
        )  # fmt: skip
    Notification.objects.create(
        recipient=StudentFactory(), event_id=uuid.uuid4(), event_type="x", channel="in_app", subject="s", body="b"
    )
    html = nav(client, student)
    assert '<span class="nav-badge">2<span class="visually-hidden"> unread</span></span>' in html


def test_the_current_page_is_marked(client):
    html = nav(client, StudentFactory(language="en"))
    assert f'href="{reverse("accounts:profile")}" aria-current="page"' in html
