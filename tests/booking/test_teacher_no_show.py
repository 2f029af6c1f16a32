"""The teacher's no-show: staff who cancel for students record it, and the
lesson goes back to the student. A student's no-show still counts as a lesson."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AdminAction, AuditLog
from billing.models import LessonPackage
from booking import services
from booking.errors import BookingNotConfirmed
from guitaronline.core.capabilities import CapabilityMissing
from lessons import services as lesson_services
from lessons.errors import LessonFinished, LessonNotStarted
from lessons.models import Lesson
from notifications.services import outbox_dispatch
from scheduling.models import Slot
from tests.factories import staff_in
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson(school):
    """A confirmed lesson of `school.student` (one lesson taken from the package)."""
    booking = services.booking_hold(student=school.student, slot_id=school.slot.pk)
    return services.booking_confirm(booking=booking, actor=school.student)


@pytest.fixture
def support():
    return staff_in("support")


def after_start(booking):
    return booking.slot.start_at + timedelta(minutes=70)


def lessons_left(school) -> int:
    return LessonPackage.objects.get(pk=school.package.pk).lessons_left


def test_the_teachers_no_show_gives_the_lesson_back_once(school, lesson, support):
    assert lessons_left(school) == 9
    services.lesson_teacher_no_show(booking=lesson, actor=support, now=after_start(lesson))
    services.lesson_teacher_no_show(booking=lesson, actor=support, now=after_start(lesson))

    assert Lesson.objects.get(pk=lesson.lesson_id).status == Lesson.Status.TEACHER_NO_SHOW
    assert lessons_left(school) == 10
    assert AuditLog.objects.filter(action="lesson.teacher_no_show").count() == 1
    assert AuditLog.objects.filter(action="billing.package.lesson_returned").count() == 1


def test_the_student_is_told_the_lesson_came_back(school, lesson, support):
    outbox_dispatch()
    mail.outbox.clear()
    services.lesson_teacher_no_show(booking=lesson, actor=support, now=after_start(lesson))
    outbox_dispatch()
    [message] = mail.outbox
    assert message.to == [school.student.email] and message.subject.startswith("Your teacher missed the lesson of")
    assert "The lesson has been returned to your package." in message.body


def test_a_students_no_show_counts_until_staff_find_the_teacher_missed_it(school, lesson, support):
    lesson_services.lesson_mark(
        lesson=lesson.lesson, status=Lesson.Status.NO_SHOW, actor=school.teacher, now=after_start(lesson)
    )
    assert lessons_left(school) == 9
    services.lesson_teacher_no_show(booking=lesson, actor=support, now=after_start(lesson))
    assert lessons_left(school) == 10
    with pytest.raises(LessonFinished):  # the teacher cannot mark it again
        lesson_services.lesson_mark(
            lesson=lesson.lesson, status=Lesson.Status.COMPLETED, actor=school.teacher, now=after_start(lesson)
        )


@pytest.mark.parametrize("case", ["not started", "completed", "no right", "canceled"])
def test_what_cannot_be_a_teachers_no_show_changes_nothing(school, lesson, support, case):
    actor, now, expected = support, after_start(lesson), None
    if case == "not started":
        now, expected = lesson.slot.start_at - timedelta(minutes=1), LessonNotStarted
    elif case == "completed":
        lesson_services.lesson_mark(lesson=lesson.lesson, status="completed", actor=school.teacher, now=now)
        expected = LessonFinished
    elif case == "no right":
        actor, expected = staff_in("finance"), CapabilityMissing
    else:
        services.booking_cancel(booking=lesson, actor=school.student)
        expected = BookingNotConfirmed
    before = booking_snapshot()
    with pytest.raises(expected):
        services.lesson_teacher_no_show(booking=lesson, actor=actor, now=now)
    assert booking_snapshot() == before


def test_support_records_it_in_the_admin(client, school, lesson, support):
    earlier = {"start_at": lesson.slot.start_at - timedelta(days=4), "end_at": lesson.slot.end_at - timedelta(days=4)}
    Slot.objects.filter(pk=lesson.slot_id).update(**earlier)  # the lesson took place
    Lesson.objects.filter(pk=lesson.lesson_id).update(**earlier)
    client.force_login(support)
    changelist = reverse("admin:booking_booking_changelist")
    response = client.post(changelist, {"action": "mark_teacher_no_show", "_selected_action": [lesson.pk]}, follow=True)
    assert "the teacher&#x27;s no-show is recorded" in response.content.decode()
    assert lessons_left(school) == 10
    assert AdminAction.objects.filter(action="admin.booking.teacher_no_show", target_id=str(lesson.pk)).exists()
