"""Teacher directory and teacher page: who sees what, times in the viewer's
zone, grouping by day, week paging, hold buttons, query counts."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import TeacherProfile, User
from booking.selectors import week_monday
from tests.clients import signed_in
from tests.factories import StaffFactory, StudentFactory, TeacherFactory, hold, in_days, slot_at
from tests.pages import queries_of, text

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")


def teacher_url(teacher, week: date | None = None) -> str:
    url = reverse("booking:teacher-detail", args=[teacher.pk])
    return f"{url}?week={week.isoformat()}" if week else url


def week_of(moment: datetime, zone=MOSCOW) -> date:
    return week_monday(moment.astimezone(zone).date())


def day_section(html: str, day: date) -> str:
    match = re.search(rf'id="day-{day.isoformat()}".*?</section>', html, re.S)
    assert match, f"no section for {day}"
    return match.group(0)


# --- directory -----------------------------------------------------------------


def test_directory_lists_published_active_teachers_only(client):
    shown = TeacherFactory(full_name="Anna Blues")
    TeacherFactory(full_name="Hidden Draft", profile__published=False)
    gone = TeacherFactory(full_name="Gone Away")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    TeacherProfile.objects.filter(pk=shown.pk).update(styles="blues, rock", lesson_minutes=45)

    response = client.get(reverse("booking:teacher-list"), HTTP_ACCEPT_LANGUAGE="en")
    page = text(response)
    assert response.status_code == 200
    assert "Anna Blues" in page
    assert "blues, rock" in page
    assert "45 minutes" in page
    assert "Hidden Draft" not in page
    assert "Gone Away" not in page
    assert f'href="{reverse("booking:teacher-detail", args=[shown.pk])}"' in response.content.decode()


def test_directory_filters_by_style_and_name(client):
    blues = TeacherFactory(full_name="Anna Blues")
    classical = TeacherFactory(full_name="Boris Bach")
    TeacherProfile.objects.filter(pk=blues.pk).update(styles="Blues, rock")
    TeacherProfile.objects.filter(pk=classical.pk).update(styles="classical")

    page = text(client.get(reverse("booking:teacher-list"), {"style": "blues"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Anna Blues" in page and "Boris Bach" not in page
    assert "1 teacher" in page

    page = text(client.get(reverse("booking:teacher-list"), {"q": "boris"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Boris Bach" in page and "Anna Blues" not in page

    page = text(client.get(reverse("booking:teacher-list"), {"style": "jazz"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "No teachers match these filters." in page


def test_directory_is_paginated_and_keeps_the_filter():
    for number in range(25):
        teacher = TeacherFactory(full_name=f"Teacher {number:02d}")
        TeacherProfile.objects.filter(pk=teacher.pk).update(styles="rock")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    first = client.get(reverse("booking:teacher-list"), {"style": "rock"})
    html = first.content.decode()
    assert html.count('class="card teacher-card"') == 20
    assert "Page 1 of 2" in text(first)
    assert 'href="?style=rock&amp;page=2"' in html
    second = client.get(reverse("booking:teacher-list"), {"style": "rock", "page": 2})
    assert second.content.decode().count('class="card teacher-card"') == 5


def test_directory_queries_do_not_grow_with_the_teachers(django_assert_num_queries):
    TeacherFactory()
    client = signed_in(StudentFactory())
    url = reverse("booking:teacher-list")
    expected = queries_of(client, url)
    for _ in range(49):
        TeacherFactory()
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.content.decode().count('class="card teacher-card"') == 20


# --- teacher page: who sees what ------------------------------------------------------------


def test_unpublished_or_unknown_teacher_is_not_found(client):
    draft = TeacherFactory(profile__published=False)
    student = StudentFactory()
    assert client.get(teacher_url(draft)).status_code == 404
    assert signed_in(student).get(teacher_url(draft)).status_code == 404
    assert client.get(reverse("booking:teacher-detail", args=[999999])).status_code == 404


def test_anonymous_visitor_sees_slots_in_the_default_zone_and_is_sent_to_login_to_hold(client, settings):
    teacher = TeacherFactory()
    start = in_days(4, 15)
    slot_at(teacher, start)
    url = teacher_url(teacher, week_of(start))
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert settings.DEFAULT_USER_TIMEZONE == "Europe/Moscow"
    assert ">18:00</time>–<time" in html and ">19:00</time>" in html
    assert "Times are shown in Europe/Moscow." in text(response)
    assert 'action="/teachers/' not in html  # no hold form for a visitor
    login = f"{reverse('accounts:login')}?next={url.replace('?', '%3F').replace('=', '%3D')}"
    assert f'href="{login}"' in html
    assert "Log in as a student to hold a slot." in text(response)


def test_teacher_viewer_sees_slots_but_no_hold_buttons(school):
    start = in_days(4, 15)
    slot_at(school.other_teacher, start)
    response = signed_in(school.teacher).get(teacher_url(school.other_teacher, week_of(start)))
    assert response.status_code == 200
    assert "Only students can book lessons." in text(response)
    assert reverse("booking:hold", args=[school.other_teacher.pk]) not in response.content.decode()


# --- teacher page: times, days, weeks -----------------------------------------------------------


def test_slots_show_in_the_students_zone_with_a_hold_button(school):
    start = in_days(4, 15)
    slot = slot_at(school.other_teacher, start)
    response = signed_in(school.student).get(teacher_url(school.other_teacher, week_of(start)))
    html = response.content.decode()
    section = day_section(html, start.astimezone(MOSCOW).date())
    assert '<time datetime="' + start.astimezone(MOSCOW).isoformat() + '">18:00</time>' in section
    assert ">19:00</time>" in section
    assert f'action="{reverse("booking:hold", args=[school.other_teacher.pk])}"' in section
    assert f'name="slot" value="{slot.pk}"' in section
    assert "csrfmiddlewaretoken" in section
    assert "Times are shown in Europe/Moscow." in text(response)


def test_the_same_slot_shows_in_new_york_time_for_a_new_york_student(school):
    User.objects.filter(pk=school.student.pk).update(timezone="America/New_York")
    new_york = ZoneInfo("America/New_York")
    start = in_days(4, 15)
    slot_at(school.other_teacher, start)
    response = signed_in(school.student).get(teacher_url(school.other_teacher, week_of(start, new_york)))
    local = start.astimezone(new_york)
    section = day_section(response.content.decode(), local.date())
    assert f">{local:%H:%M}</time>" in section
    assert ">18:00</time>" not in section
    assert "Times are shown in America/New_York." in text(response)


def test_a_slot_after_local_midnight_is_grouped_under_the_next_local_day(school):
    start = in_days(4, 22)  # 01:00 the next day in Moscow
    slot_at(school.other_teacher, start)
    moscow_day = start.astimezone(MOSCOW).date()
    assert moscow_day == start.date() + timedelta(days=1)
    response = signed_in(school.student).get(teacher_url(school.other_teacher, week_of(start)))
    assert ">01:00</time>" in day_section(response.content.decode(), moscow_day)


def _next_dst_change(zone: ZoneInfo, after: date) -> date:
    day = after
    for _ in range(400):
        if (
            datetime.combine(day, time(12), zone).utcoffset()
            != datetime.combine(day - timedelta(days=1), time(12), zone).utcoffset()
        ):
            return day
        day += timedelta(days=1)
    raise AssertionError("no DST change within a year")


def test_wall_clock_time_holds_across_a_dst_change(school):
    berlin = ZoneInfo("Europe/Berlin")
    User.objects.filter(pk=school.student.pk).update(timezone="Europe/Berlin")
    change = _next_dst_change(berlin, timezone.now().date() + timedelta(days=3))
    days = [change - timedelta(days=1), change]  # the day before and the day of the change (Sunday)
    for day in days:
        slot_at(school.other_teacher, datetime.combine(day, time(10), berlin))
    response = signed_in(school.student).get(teacher_url(school.other_teacher, week_monday(change)))
    html = response.content.decode()
    for day in days:
        assert ">10:00</time>–<time" in day_section(html, day)


def test_week_paging_links_and_the_week_parameter(school):
    this_monday = week_monday(timezone.localtime(timezone.now(), MOSCOW).date())
    later = this_monday + timedelta(days=14)
    start = datetime.combine(later + timedelta(days=2), time(12), MOSCOW)
    slot_at(school.other_teacher, start)
    client = signed_in(school.student)

    current = client.get(teacher_url(school.other_teacher)).content.decode()
    assert f'href="?week={(this_monday + timedelta(days=7)).isoformat()}" rel="next"' in current
    assert 'rel="prev"' not in current  # the weeks before this one are past
    assert ">12:00</time>" not in current

    asked = client.get(teacher_url(school.other_teacher, later + timedelta(days=3)))  # any day of the week
    html = asked.content.decode()
    assert ">12:00</time>" in day_section(html, later + timedelta(days=2))
    assert f'href="?week={(later - timedelta(days=7)).isoformat()}" rel="prev"' in html
    assert f'href="?week={(later + timedelta(days=7)).isoformat()}" rel="next"' in html


def test_an_empty_week_points_to_the_next_week_with_open_slots(school):
    this_monday = week_monday(timezone.localtime(timezone.now(), MOSCOW).date())
    later = this_monday + timedelta(days=21)
    slot_at(school.other_teacher, datetime.combine(later + timedelta(days=1), time(9), MOSCOW))
    response = signed_in(school.student).get(teacher_url(school.other_teacher))
    assert "No open slots this week." in text(response)
    assert f'href="?week={later.isoformat()}"' in response.content.decode()


@pytest.mark.parametrize("week", ["garbage", "2024-13-40", "0001-01-01", "99999-01-01"])
def test_a_malformed_week_shows_this_week(school, week):
    response = signed_in(school.student).get(teacher_url(school.other_teacher), {"week": week})
    assert response.status_code == 200
    this_monday = week_monday(timezone.localtime(timezone.now(), MOSCOW).date())
    assert f'href="?week={(this_monday + timedelta(days=7)).isoformat()}" rel="next"' in response.content.decode()


def test_taken_and_too_soon_slots_are_not_offered(school):
    start = in_days(4, 9)
    taken = slot_at(school.other_teacher, start)
    hold(school.other_student, taken)
    soon = slot_at(school.other_teacher, timezone.now() + timedelta(minutes=30))
    response = signed_in(school.student).get(teacher_url(school.other_teacher, week_of(start)))
    html = response.content.decode()
    assert f'name="slot" value="{taken.pk}"' not in html
    assert f'name="slot" value="{soon.pk}"' not in html


def test_teacher_page_queries_do_not_grow_with_the_slots(school, django_assert_num_queries):
    monday = week_monday(timezone.localtime(timezone.now(), MOSCOW).date()) + timedelta(days=14)
    first = datetime.combine(monday, time(0), MOSCOW)
    slot_at(school.other_teacher, first)
    client = signed_in(school.student)
    url = teacher_url(school.other_teacher, monday)
    expected = queries_of(client, url)
    for number in range(1, 50):
        slot_at(school.other_teacher, first + timedelta(hours=3 * number))
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.content.decode().count('name="slot"') == 50


def test_staff_may_browse_teachers():
    staff = StaffFactory()
    teacher = TeacherFactory()
    assert signed_in(staff).get(reverse("booking:teacher-list")).status_code == 200
    assert signed_in(staff).get(teacher_url(teacher)).status_code == 200
