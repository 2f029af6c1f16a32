"""In-app notifications: list (unread marked), mark one, mark all."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from notifications.models import Notification
from tests.clients import signed_in
from tests.factories import StudentFactory, TeacherFactory
from tests.notifications.factories import notify
from tests.pages import messages_of, queries_of, text

pytestmark = pytest.mark.django_db


def url() -> str:
    return reverse("notifications:list")


def test_list_shows_own_in_app_notifications_with_unread_marked():
    student = StudentFactory()
    unread = notify(student, "Lesson booked")
    notify(student, "Welcome to GuitarOnline", read=True)
    notify(student, "An e-mail copy", channel=Notification.Channel.EMAIL)
    notify(StudentFactory(), "Somebody else's")
    response = signed_in(student).get(url())
    html = response.content.decode()
    shown = text(response)
    assert "Lesson booked" in shown and "Welcome to GuitarOnline" in shown
    assert "An e-mail copy" not in shown and "Somebody else's" not in shown
    assert html.count("notification--unread") == 1
    assert "New Lesson booked" in shown
    assert f'action="{reverse("notifications:mark-read", args=[unread.pk])}"' in html
    assert "Your lesson is on Monday.<br>See you there." in html
    assert 'href="/accounts/student/"' in html


def test_mark_one_read():
    student = StudentFactory()
    first, second = notify(student), notify(student)
    response = signed_in(student).post(reverse("notifications:mark-read", args=[first.pk]), {"page": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{url()}?page=1"
    assert messages_of(response) == ["The notification is marked as read."]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None


def test_mark_all_read():
    student = StudentFactory()
    mine = [notify(student) for _ in range(3)]
    theirs = notify(StudentFactory())
    response = signed_in(student).post(reverse("notifications:mark-all-read"))
    assert response["Location"] == url()
    assert messages_of(response) == ["3 notifications marked as read."]
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    response = signed_in(student).post(reverse("notifications:mark-all-read"))
    assert messages_of(response) == ["You have no unread notifications."]


def test_someone_elses_notification_is_not_found_and_stays_unread():
    owner, intruder = StudentFactory(), StudentFactory()
    notification = notify(owner)
    response = signed_in(intruder).post(reverse("notifications:mark-read", args=[notification.pk]))
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
    assert signed_in(intruder).post(reverse("notifications:mark-read", args=[uuid.uuid4()])).status_code == 404


def test_mark_read_needs_post_and_login(client):
    student = StudentFactory()
    notification = notify(student)
    target = reverse("notifications:mark-read", args=[notification.pk])
    assert client.post(target)["Location"] == f"{reverse('accounts:login')}?next={target}"
    assert signed_in(student).get(target).status_code == 405


def test_teachers_read_their_own_notifications_too():
    teacher = TeacherFactory()
    notify(teacher, "New lesson")
    assert "New lesson" in text(signed_in(teacher).get(url()))


def test_empty_list():
    assert "You have no notifications yet." in text(signed_in(StudentFactory()).get(url()))


def test_notification_queries_do_not_grow(django_assert_num_queries):
    student = StudentFactory()
    notify(student)
    client = signed_in(student)
    expected = queries_of(client, url())
    for number in range(49):
        notify(student, read=number % 2 == 0)
    with django_assert_num_queries(expected):
        response = client.get(url())
    assert response.content.decode().count('class="card notification') == 20
