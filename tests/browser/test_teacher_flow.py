"""A teacher's week in a real browser: weekly availability through the page,
a student's booking (through `booking.services`, as the student pages make
it), marking the lesson completed with homework, and the student reading the
homework. Once in English and once in Russian."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, timezone, translation

from booking import services as booking_services
from lessons.models import Lesson
from scheduling.models import Slot
from tests.factories import PASSWORD, StudentFactory, TeacherFactory, make_package

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = ZoneInfo("Europe/Berlin")
HOMEWORK = "Play the C major scale at 60 bpm, 10 minutes a day."
NOTES = "Good posture; keep the wrist relaxed."

# What each language shows (the Russian strings come from the translation catalogue).
TEXTS = {
    "en": {
        "greeting": "Hello, Tatiana Teacher!",
        "profile": "Your public profile",
        "created": "slots created.",
        "completed": "Completed",
        "homework": "Homework",
        "notes": "Teacher's notes",
        "student": "Student",
        "teacher": "Teacher",
    },
    "ru": {
        "greeting": "Здравствуйте, Tatiana Teacher!",
        "profile": "Ваш публичный профиль",
        "created": "слота созданы.",  # 2 or 4 slots: the plural form of 2–4
        "completed": "Проведён",
        "homework": "Домашнее задание",
        "notes": "Заметки преподавателя",
        "student": "Ученик",
        "teacher": "Преподаватель",
    },
}


def local_day(day: dt.date, language: str) -> tuple[str, str]:
    """The weekday (short, as the seven columns show it) and the date, in `language`."""
    with translation.override(language):
        return formats.date_format(day, "D"), formats.date_format(day, "j E")


def main_text(page) -> str:
    return " ".join(page.inner_text("main").split())


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_teacher_opens_a_week_marks_the_lesson_and_the_student_reads_the_homework(
    page, live_server, login, screenshot, language
):
    texts = TEXTS[language]
    teacher = TeacherFactory(full_name="Tatiana Teacher", timezone="Europe/Berlin", language=language)
    shot = f"teacher-flow-{language}"

    # 1. The teacher signs in and lands on the dashboard.
    login(teacher.email, PASSWORD)
    assert page.url == f"{live_server.url}/teacher/"
    assert texts["greeting"] in main_text(page)
    assert texts["profile"] in main_text(page)
    assert page.locator("html").get_attribute("lang") == language
    screenshot(f"{shot}-1-dashboard")

    # 2. Weekly availability through the page: in two days' weekday, 18:00-20:00, 60-minute slots, 2 weeks.
    page.click("main a[href='/teacher/schedule/recurring/']")
    weekday = (timezone.localtime(timezone.now(), BERLIN).weekday() + 2) % 7
    page.select_option("select[name=weekday]", str(weekday))
    page.fill("input[name=start_time]", "18:00")
    page.fill("input[name=end_time]", "20:00")
    page.fill("input[name=slot_minutes]", "60")
    page.fill("input[name=weeks]", "2")
    screenshot(f"{shot}-2-recurring-form")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/teacher/schedule/?week=*")

    slots = list(Slot.objects.filter(teacher=teacher).order_by("start_at"))
    assert len(slots) in (2, 4)  # this week's occurrence may have passed already
    first = slots[0].start_at.astimezone(BERLIN)
    assert (first.weekday(), first.hour, first.minute) == (weekday, 18, 0)
    messages = page.inner_text(".messages")
    assert f"{len(slots)} {texts['created']}" in messages
    week = main_text(page)
    weekday_name, date_text = local_day(first.date(), language)
    assert f"{weekday_name} {date_text}" in week
    assert "18:00–19:00" in week and "19:00–20:00" in week
    assert page.locator(".week-slot--free").count() == 2
    screenshot(f"{shot}-3-week-with-slots")

    # 3. A student with a package books the first slot, as the student pages do.
    student = StudentFactory(full_name="Sasha Student", timezone="Europe/Moscow", language=language)
    make_package(student)
    booking = booking_services.booking_hold(student=student, slot_id=slots[0].pk)
    booking = booking_services.booking_confirm(booking=booking, actor=student)
    page.reload()
    assert page.locator(".week-slot--booked").count() == 1
    assert page.locator(".week-slot--free").count() == 1
    assert "Sasha Student" in page.inner_text(".week-slot--booked")
    screenshot(f"{shot}-4-week-booked")

    # 4. The lesson has taken place (its time is moved into the past), and the teacher marks it.
    now = timezone.now().replace(microsecond=0)
    Lesson.objects.filter(pk=booking.lesson_id).update(
        start_at=now - dt.timedelta(minutes=70), end_at=now - dt.timedelta(minutes=10)
    )
    page.click(".week-slot--booked a")
    page.wait_for_url(f"**/lessons/{booking.lesson_id}/")
    assert page.locator("form[action$='/mark/']").count() == 1
    page.check("input[name=mark-status][value=completed]")
    page.fill("textarea[name=mark-notes]", NOTES)
    page.fill("textarea[name=mark-homework]", HOMEWORK)
    screenshot(f"{shot}-5-mark-form")
    page.click("form[action$='/mark/'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/lessons/{booking.lesson_id}/"
    assert page.locator(".message.success").count() == 1
    lesson = Lesson.objects.get(pk=booking.lesson_id)
    assert (lesson.status, lesson.homework, lesson.notes) == ("completed", HOMEWORK, NOTES)
    marked = main_text(page)
    assert texts["completed"] in marked and texts["homework"] in marked and HOMEWORK in marked
    assert page.locator("form[action$='/mark/']").count() == 0
    screenshot(f"{shot}-6-lesson-marked")

    # The teacher's other pages now show the lesson: students, the student's history, the dashboard.
    page.goto(f"{live_server.url}/teacher/")
    page.click("main a[href='/teacher/students/']")
    assert "Sasha Student" in page.inner_text("main table")
    screenshot(f"{shot}-6a-students")
    page.click(f"main a[href='/teacher/students/{student.pk}/']")
    assert HOMEWORK in main_text(page)
    screenshot(f"{shot}-6b-student-history")
    page.goto(f"{live_server.url}/teacher/")
    screenshot(f"{shot}-6c-dashboard")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the days stack
    page.goto(f"{live_server.url}/teacher/schedule/?week={first.date().isoformat()}")
    screenshot(f"{shot}-6d-week-on-a-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # 5. The student signs in and reads the homework.
    page.click("header form[action='/accounts/logout/'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    login(student.email, PASSWORD)
    page.goto(f"{live_server.url}/lessons/?when=past")
    assert HOMEWORK in main_text(page)
    screenshot(f"{shot}-7-student-past-lessons")
    page.click(f"main a[href='/lessons/{booking.lesson_id}/']")
    page.wait_for_url(f"**/lessons/{booking.lesson_id}/")
    lesson_page = main_text(page)
    for words in (HOMEWORK, NOTES, texts["homework"], texts["notes"], texts["completed"], texts["teacher"]):
        assert words in lesson_page, words
    assert "Tatiana Teacher" in lesson_page
    assert page.locator("main form").count() == 0  # the student only reads
    screenshot(f"{shot}-8-student-lesson")
