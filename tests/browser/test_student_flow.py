"""A student's whole journey in a real browser: register, get a package (as
staff would give one), find a teacher, hold a slot and see the time left,
confirm, cancel one booking (seeing first that the lesson comes back) and
move another to a new time. Once in English, once in Russian.

The steps find elements by structure (forms, data attributes), not by their
words, so the same flow drives both languages; each run then checks the
words a person reads in that language.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import TeacherProfile, User
from billing.models import LessonPackage
from booking import services as booking_services
from booking.models import Booking
from notifications import services as notification_services
from tests.factories import (
    PASSWORD,
    StaffFactory,
    StudentFactory,
    TeacherFactory,
    make_package,
    make_slot,
    paid_package,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MOSCOW = ZoneInfo("Europe/Moscow")

ENGLISH = {
    "code": "en",
    "dashboard": "Hello, Olga!",
    "hold_left": re.compile(r"Your hold expires at \d\d:\d\d \(in 10 minutes\)\."),
    "confirmed": "Confirmed",
    "booked": "Your lesson is booked",
    "returned_notice": "If you cancel now, the lesson will be returned to your package.",
    "canceled": "The booking is canceled. The lesson has been returned to your package.",
    "moved": "Your lesson is moved to",
    "footer": "Times are shown in Europe/Moscow.",
    "notification": "Lesson booked",
}
RUSSIAN = {
    "code": "ru",
    "dashboard": "Здравствуйте, Ольга!",
    "hold_left": re.compile(r"Ваша бронь действует до \d\d:\d\d \(ещё 10 минут\)\."),
    "confirmed": "Подтверждена",
    "booked": "Вы записаны на урок",
    "returned_notice": "Если отменить запись сейчас, урок вернётся в ваш пакет уроков.",
    "canceled": "Запись отменена. Урок возвращён в ваш пакет уроков.",
    "moved": "Ваш урок перенесён на",
    "footer": "Время указано в часовом поясе Europe/Moscow.",
    "notification": "Вы записаны на урок",
}
RUSSIAN_MONTHS = re.compile(
    r"\d{1,2} (января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"
)


def _slots(teacher):
    """Four free hours on one day eight days ahead, 10:00–17:00 Moscow time."""
    day = timezone.localtime(timezone.now(), MOSCOW).date() + timedelta(days=8)
    starts = [datetime.combine(day, time(hour), MOSCOW) for hour in (10, 12, 14, 16)]
    return [make_slot(teacher, starts_in=start - timezone.now()) for start in starts]


def _register(page, live_server, *, name: str, email: str, language: str) -> None:
    page.goto(f"{live_server.url}/accounts/register/")
    if language == "ru":  # switch the site to Russian first, then pick Русский in the form
        page.select_option("#lang-select", "ru")
        page.click("form.lang button[type=submit]")
        page.wait_for_load_state("networkidle")
    page.fill("input[name=full_name]", name)
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    if language == "ru":
        page.select_option("select[name=language]", label="Русский")
    else:
        page.select_option("select[name=language]", "en")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/student/")


def _open_teacher(page, name: str) -> None:
    page.click(f"text={name}")
    page.wait_for_load_state("networkidle")
    if page.locator(".empty-state a").count():  # this week is empty: jump to the week of the next slots
        page.click(".empty-state a")
        page.wait_for_load_state("networkidle")


def _hold_and_confirm(page, slot_id: int, words: dict) -> None:
    page.click(f'form.slot__form:has(input[name=slot][value="{slot_id}"]) button')
    page.wait_for_url(re.compile(r"/bookings/\d+/$"))
    expiry = page.inner_text(".hold__expiry")
    assert words["hold_left"].search(expiry), expiry
    clock = page.locator("[data-clock]")
    assert re.fullmatch(r"\d{1,2}:\d\d", clock.inner_text()), clock.inner_text()  # the JS countdown runs
    page.click("button[data-confirm]")
    page.wait_for_load_state("networkidle")
    badge = page.inner_text(".badge")
    assert badge == words["confirmed"], badge
    assert words["booked"] in page.inner_text(".messages")


def _flow(page, live_server, screenshot, words: dict) -> None:
    lang = words["code"]
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    teacher = TeacherFactory(full_name="Elena Strings", language=lang)
    TeacherProfile.objects.filter(pk=teacher.pk).update(styles="blues, fingerstyle", bio="Blues and fingerstyle.")
    first, second, _spare, last = _slots(teacher)
    email = f"olga-{lang}@example.org"
    name = "Ольга Петрова" if lang == "ru" else "Olga Petrova"

    _register(page, live_server, name=name, email=email, language=lang)
    student = User.objects.get(email=email)
    assert student.language == lang
    assert words["dashboard"] in page.inner_text("main")
    assert page.get_attribute("html", "lang") == lang
    staff = StaffFactory()
    accounts_services.email_mark_verified(user=student, actor=staff)  # the link itself: test_account_trust.py
    package = paid_package(student, lessons=5, staff=staff)
    page.reload()
    screenshot(f"student-{lang}-01-dashboard")

    page.click(".quick-links a[href='/teachers/']")
    page.wait_for_url(f"{live_server.url}/teachers/")
    screenshot(f"student-{lang}-02-teachers")
    _open_teacher(page, "Elena Strings")
    assert words["footer"] in page.inner_text("body")
    screenshot(f"student-{lang}-03-teacher-page")

    _hold_and_confirm(page, first.pk, words)
    screenshot(f"student-{lang}-04-confirmed")
    page.goto(f"{live_server.url}/teachers/{teacher.pk}/?week={first.start_at.astimezone(MOSCOW).date()}")
    page.click(f'form.slot__form:has(input[name=slot][value="{second.pk}"]) button')
    page.wait_for_url(re.compile(r"/bookings/\d+/$"))
    screenshot(f"student-{lang}-05-hold")
    page.click("button[data-confirm]")
    page.wait_for_load_state("networkidle")

    # My bookings: the notice comes before the click
    page.goto(f"{live_server.url}/student/")
    page.click(".quick-links a[href='/bookings/']")
    page.wait_for_url(f"{live_server.url}/bookings/")
    first_booking = Booking.objects.get(slot=first)
    item = page.locator(f"li.booking-item:has(a[href='/bookings/{first_booking.pk}/'])")
    assert item.locator(".cancel-form .status--ok").count() == 1
    assert words["returned_notice"] in item.inner_text()
    screenshot(f"student-{lang}-06-my-bookings")
    item.locator(".cancel-form button").click()
    page.wait_for_load_state("networkidle")
    assert words["canceled"] in page.inner_text(".messages")
    first_booking.refresh_from_db()
    assert first_booking.status == Booking.Status.CANCELED and first_booking.lesson_returned is True
    assert LessonPackage.objects.get(student=student).lessons_left == 4  # 5 - 2 confirmed + 1 returned
    screenshot(f"student-{lang}-07-canceled")

    # Reschedule the second booking to the last slot of the day
    second_booking = Booking.objects.get(slot=second)
    page.click(f"a[href='/bookings/{second_booking.pk}/reschedule/']")
    page.wait_for_url(re.compile(r"/reschedule/$"))
    assert page.locator(f'input[name=slot][value="{first.pk}"]').count() == 1  # freed by the cancel
    screenshot(f"student-{lang}-08-reschedule")
    page.click(f'form.slot__form:has(input[name=slot][value="{last.pk}"]) button')
    page.wait_for_url(re.compile(r"/bookings/\d+/$"))
    successor = Booking.objects.get(rescheduled_from=second_booking)
    assert page.url.endswith(f"/bookings/{successor.pk}/")
    assert successor.status == Booking.Status.CONFIRMED
    assert words["moved"] in page.inner_text(".messages")
    assert page.inner_text(".badge") == words["confirmed"]
    assert "16:00" in page.inner_text("main")
    screenshot(f"student-{lang}-09-rescheduled")

    # Packages and payments, then the in-app notifications the outbox produced
    page.goto(f"{live_server.url}/packages/")
    package.refresh_from_db()
    assert f"{package.lessons_left} " in page.inner_text(".package-item dl")
    assert page.locator(".package-item .data-table .badge--succeeded").count() == 1
    screenshot(f"student-{lang}-10-packages")
    notification_services.outbox_process_batch()
    page.goto(f"{live_server.url}/notifications/")
    assert page.locator(".notification--unread").count() >= 2
    assert words["notification"] in page.inner_text(".notification-list")
    screenshot(f"student-{lang}-11-notifications")
    page.click("form[action='/notifications/read/'] button")
    page.wait_for_load_state("networkidle")
    assert page.locator(".notification--unread").count() == 0

    page.goto(f"{live_server.url}/student/")
    upcoming = page.inner_text(".dashboard__lessons")
    assert "16:00" in upcoming and "12:00" not in upcoming and "10:00" not in upcoming
    if lang == "ru":
        assert RUSSIAN_MONTHS.search(upcoming), upcoming
        assert "Ваши уроки" in upcoming
    screenshot(f"student-{lang}-12-dashboard-after")
    assert not [line for line in console if "Content Security Policy" in line], console


def test_the_countdown_disables_confirm_when_the_hold_runs_out(page, live_server, login, screenshot):
    student = StudentFactory(language="en")
    make_package(student)
    booking = booking_services.booking_hold(student=student, slot_id=make_slot(TeacherFactory()).pk)
    login(student.email, PASSWORD)
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() + timedelta(seconds=4))
    page.goto(f"{live_server.url}/bookings/{booking.pk}/")
    assert page.locator("[data-clock-row]").is_visible()
    assert page.locator("[data-expired-note]").is_hidden()
    page.wait_for_selector("[data-expired-note]", state="visible", timeout=10_000)
    screenshot("student-en-hold-ran-out")
    assert page.locator("button[data-confirm]").is_disabled()
    assert page.locator("[data-clock-row]").is_hidden()
    assert page.locator(".hold__expiry").is_hidden()
    page.click("[data-expired-note] a")  # back to the teacher's slots to hold again
    page.wait_for_url(re.compile(r"/teachers/\d+/$"))
    screenshot("student-en-hold-ran-out-teacher-page")


def test_pages_fit_a_phone_screen(page, live_server, login, screenshot):
    student = StudentFactory(language="en")
    teacher = TeacherFactory(full_name="Elena Strings")
    make_package(student)
    slots = _slots(teacher)
    booking_services.booking_confirm(
        booking=booking_services.booking_hold(student=student, slot_id=slots[0].pk), actor=student
    )
    page.set_viewport_size({"width": 390, "height": 844})
    login(student.email, PASSWORD)
    for name, path in [
        ("bookings", "/bookings/"),
        ("teacher", f"/teachers/{teacher.pk}/?week={slots[1].start_at.astimezone(MOSCOW).date()}"),
    ]:
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (name, width)  # nothing sticks out sideways
        screenshot(f"student-en-phone-{name}")


def test_a_student_books_cancels_and_reschedules_in_english(page, live_server, screenshot):
    _flow(page, live_server, screenshot, ENGLISH)


def test_a_student_books_cancels_and_reschedules_in_russian(page, live_server, screenshot):
    _flow(page, live_server, screenshot, RUSSIAN)
