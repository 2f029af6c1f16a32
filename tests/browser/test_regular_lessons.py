"""Regular students and the teacher's side in a real browser: a student books
an 8-week series, one week of which is not free; a teacher proposes a new
time and the student accepts it; a teacher enters time off, cancels the
lesson in it, and the student finds the lesson back in the package."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from billing.models import LessonPackage
from booking import services
from booking.models import Booking, MoveProposal
from scheduling.models import Slot
from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, StudentFactory, TeacherFactory, make_package

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MOSCOW = ZoneInfo("Europe/Moscow")


def _tuesdays(teacher, weeks: int) -> list[Slot]:
    day = timezone.localtime(timezone.now(), MOSCOW).date() + timedelta(days=4)
    day += timedelta(days=(1 - day.weekday()) % 7)
    slots = []
    for week in range(weeks):
        start = datetime.combine(day + timedelta(weeks=week), time(18), MOSCOW)
        slots.append(Slot.objects.create(teacher=teacher, start_at=start, end_at=start + timedelta(hours=1)))
    return slots


def _lessons_left(student) -> int:
    return sum(LessonPackage.objects.filter(student=student).values_list("lessons_left", flat=True))


def test_a_student_books_eight_weeks_and_one_that_is_not_free_is_skipped(page, live_server, login, screenshot):
    teacher = TeacherFactory(full_name="Elena Weekly", timezone="Europe/Moscow")
    slots = _tuesdays(teacher, 8)
    someone = StudentFactory()
    make_package(someone)
    services.booking_confirm(booking=services.booking_hold(student=someone, slot_id=slots[3].pk), actor=someone)
    student = StudentFactory(language="en", full_name="Anna Tuesday")
    make_package(student, lessons=10)
    login(student.email, PASSWORD)

    page.goto(f"{live_server.url}/teachers/{teacher.pk}/?week={slots[0].start_at.astimezone(MOSCOW):%Y-%m-%d}")
    page.click(f'a[data-weekly][href$="slot={slots[0].pk}"]')
    page.check("input[name=length][value=weeks]")
    page.fill("input[name=weeks]", "8")
    page.click("main form[method=get] button[type=submit]")
    page.wait_for_load_state("networkidle")
    screenshot("series-en-01-preview")
    weeks = page.locator("li.series-week")
    assert weeks.count() == 8
    assert page.locator('li.series-week[data-week-bookable="no"]').count() == 1
    assert "taken" in page.locator('li.series-week[data-week-bookable="no"]').inner_text()

    page.click("button[data-book-series]")
    page.wait_for_url(re.compile(r"/series/#series-\d+$"))
    screenshot("series-en-02-my-series")
    assert "7 weekly lessons are booked." in page.inner_text(".messages")
    assert Booking.objects.filter(student=student, status="confirmed", series__isnull=False).count() == 7
    assert _lessons_left(student) == 3


def test_the_teacher_proposes_a_new_time_and_the_student_accepts(page, browser, live_server, login, screenshot):
    teacher = TeacherFactory(full_name="Elena Mover", timezone="Europe/Moscow", language="ru")
    now_slot, later = _tuesdays(teacher, 2)
    student = StudentFactory(language="en", full_name="Boris Flexible")
    make_package(student, lessons=5)
    booking = services.booking_confirm(
        booking=services.booking_hold(student=student, slot_id=now_slot.pk), actor=student
    )

    login(teacher.email, PASSWORD)
    page.goto(f"{live_server.url}/teacher/bookings/{booking.pk}/move/")
    page.check(f"input[name=new_slot][value='{later.pk}']")
    page.fill("textarea[name=message]", "Можно на неделю позже?")
    screenshot("move-ru-01-teacher-proposes")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Новое время предложено ученику" in page.inner_text(".messages")
    proposal = MoveProposal.objects.get()

    student_page = browser.new_page(locale="en-GB")
    student_page.goto(f"{live_server.url}/accounts/login/")
    student_page.fill("input[name=username]", student.email)
    student_page.fill("input[name=password]", PASSWORD)
    student_page.click("main form button[type=submit]")
    student_page.goto(f"{live_server.url}/bookings/{booking.pk}/")
    assert "Your teacher proposes a new time" in student_page.inner_text("#proposal")
    student_page.screenshot(path=str(SCREENSHOTS / "move-en-02-student-sees.png"), full_page=True)
    student_page.click("button[data-accept-proposal]")
    student_page.wait_for_url(re.compile(r"/bookings/\d+/$"))
    assert "Your lesson is moved to" in student_page.inner_text(".messages")
    proposal.refresh_from_db()
    assert proposal.status == "accepted" and proposal.moved_to.slot == later
    assert _lessons_left(student) == 4  # one lesson, as before the move
    student_page.close()


def test_time_off_then_the_lesson_in_it_is_canceled_and_comes_back(page, browser, live_server, login, screenshot):
    teacher = TeacherFactory(full_name="Elena Away", timezone="Europe/Moscow", language="en")
    booked, free = _tuesdays(teacher, 2)
    student = StudentFactory(language="ru", full_name="Вера Ждущая")
    make_package(student, lessons=5)
    booking = services.booking_confirm(booking=services.booking_hold(student=student, slot_id=booked.pk), actor=student)
    assert _lessons_left(student) == 4
    day = booked.start_at.astimezone(MOSCOW).date()

    login(teacher.email, PASSWORD)
    page.goto(f"{live_server.url}/teacher/time-off/")
    page.fill("input[name=start_date]", day.isoformat())
    page.fill("input[name=end_date]", (day + timedelta(days=7)).isoformat())
    page.fill("input[name=reason]", "Festival tour")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    screenshot("time-off-en-01-saved")
    assert "1 lesson is still booked in these days" in page.inner_text(".messages")
    assert not Slot.objects.filter(pk=free.pk, removed_at__isnull=True).exists()  # the free Tuesday went

    page.click(f'a[href="/teacher/bookings/{booking.pk}/cancel/"]')
    page.fill("textarea[name=reason]", "I am on tour, sorry")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "is canceled; it went back to" in page.inner_text(".messages")

    student_page = browser.new_page(locale="ru-RU")
    student_page.goto(f"{live_server.url}/accounts/login/")
    student_page.fill("input[name=username]", student.email)
    student_page.fill("input[name=password]", PASSWORD)
    student_page.click("main form button[type=submit]")
    student_page.goto(f"{live_server.url}/bookings/{booking.pk}/")
    shown = student_page.inner_text("main")
    assert "Причина, которую назвал преподаватель: I am on tour, sorry" in shown
    assert "Урок возвращён в ваш пакет уроков." in shown
    student_page.screenshot(path=str(SCREENSHOTS / "time-off-ru-02-student.png"), full_page=True)
    student_page.goto(f"{live_server.url}/packages/")
    assert student_page.locator(".package-item .facts dd").first.inner_text() == "5 из 5"
    assert _lessons_left(student) == 5
    student_page.close()
