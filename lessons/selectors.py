from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from guitaronline.core.errors import NotFound
from lessons.models import Lesson


def lessons_for_user(
    *, user, status: str | None = None, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Lesson]:
    """A student's lessons, or the lessons a teacher gives."""
    lessons = Lesson.objects.select_related("teacher", "student", "teacher__teacher_profile")
    lessons = lessons.filter(Q(student=user) | Q(teacher=user))
    if status:
        lessons = lessons.filter(status=status)
    if start:
        lessons = lessons.filter(start_at__gte=start)
    if end:
        lessons = lessons.filter(start_at__lt=end)
    return lessons.order_by("start_at", "id")


def _lesson_id(lesson_id) -> int:
    try:
        return int(lesson_id)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc


def lesson_for_user(*, user, lesson_id) -> Lesson:
    """A lesson its student, its teacher or staff may read; not-found otherwise."""
    lessons = Lesson.objects.select_related("teacher", "student", "teacher__teacher_profile")
    if not user.is_staff:
        lessons = lessons.filter(Q(student=user) | Q(teacher=user))
    try:
        return lessons.get(pk=_lesson_id(lesson_id))
    except Lesson.DoesNotExist as exc:
        raise NotFound() from exc


def lesson_for_teacher(*, user, lesson_id) -> Lesson:
    """A lesson only its teacher may change; not-found for anyone else."""
    try:
        return Lesson.objects.select_related("teacher", "student").get(pk=_lesson_id(lesson_id), teacher=user)
    except Lesson.DoesNotExist as exc:
        raise NotFound() from exc
