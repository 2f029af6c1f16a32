from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role, User
from guitaronline.core.errors import NotFound
from guitaronline.core.ids import object_id
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
    return object_id(lesson_id)


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


# --- pages: lists, a teacher's students, the teacher's dashboard --------------

UPCOMING = "upcoming"
PAST = "past"
PERIODS = (UPCOMING, PAST)


def lessons_in_period(*, user, period: str = UPCOMING, now: datetime | None = None) -> QuerySet[Lesson]:
    """A student's lessons, or the lessons a teacher gives, of one period:
    `upcoming` (not yet ended, soonest first) or `past` (ended, newest first).
    Every status is listed; the page shows it."""
    now = now or timezone.now()
    lessons = Lesson.objects.select_related("teacher", "student", "teacher__teacher_profile").filter(
        Q(student=user) | Q(teacher=user)
    )
    if period == PAST:
        return lessons.filter(end_at__lte=now).order_by("-start_at", "-id")
    return lessons.filter(end_at__gt=now).order_by("start_at", "id")


def _scheduled_ahead(now: datetime) -> Q:
    """Lessons still to give: scheduled and not yet ended."""
    return Q(status=Lesson.Status.SCHEDULED, end_at__gt=now)


def students_of_teacher(*, teacher, now: datetime | None = None) -> QuerySet[User]:
    """The students `teacher` has or had lessons with (any status), by name,
    each annotated with `upcoming_count` (scheduled, not yet ended),
    `completed_count`, `lessons_count`, and `next_lesson_id`/`next_lesson_at`
    (None without an upcoming lesson). One query."""
    now = now or timezone.now()
    theirs = Lesson.objects.filter(teacher=teacher, student=OuterRef("pk"))
    upcoming = theirs.filter(_scheduled_ahead(now)).order_by("start_at", "id")

    def counted(condition: Q | None = None) -> Coalesce:
        lessons = theirs if condition is None else theirs.filter(condition)
        count = lessons.order_by().values("student").annotate(count=Count("pk")).values("count")
        return Coalesce(Subquery(count, output_field=IntegerField()), 0)

    return (
        User.objects.filter(Exists(theirs))
        .annotate(
            upcoming_count=counted(_scheduled_ahead(now)),
            completed_count=counted(Q(status=Lesson.Status.COMPLETED)),
            lessons_count=counted(),
            next_lesson_id=Subquery(upcoming.values("pk")[:1]),
            next_lesson_at=Subquery(upcoming.values("start_at")[:1]),
        )
        .order_by("full_name", "pk")
    )


def student_of_teacher(*, teacher, student_id) -> User:
    """Access helper: the student if `teacher` has or had a lesson with them;
    not-found for anyone else, and when the caller is not a teacher."""
    if not teacher.is_authenticated or teacher.role != Role.TEACHER:
        raise NotFound()
    students = User.objects.filter(Exists(Lesson.objects.filter(teacher=teacher, student=OuterRef("pk"))))
    try:
        return students.get(pk=object_id(student_id))
    except User.DoesNotExist as exc:
        raise NotFound() from exc


def lessons_between(*, teacher, student) -> QuerySet[Lesson]:
    """Every lesson of `student` with `teacher`, newest first (the student's history with this teacher)."""
    return Lesson.objects.filter(teacher=teacher, student=student).order_by("-start_at", "-id")


@dataclass(frozen=True)
class TeacherLessons:
    """What a teacher's home page shows of their lessons."""

    next_lessons: list[Lesson]
    to_mark_count: int


def teacher_lessons_overview(*, teacher, now: datetime | None = None, next_count: int = 5) -> TeacherLessons:
    """The next lessons and how many started lessons still wait to be marked."""
    now = now or timezone.now()
    mine = Lesson.objects.filter(teacher=teacher)
    return TeacherLessons(
        next_lessons=list(
            mine.filter(_scheduled_ahead(now)).select_related("student").order_by("start_at", "id")[:next_count]
        ),
        to_mark_count=mine.filter(status=Lesson.Status.SCHEDULED, start_at__lte=now).count(),
    )
