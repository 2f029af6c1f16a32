from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from guitaronline.core.errors import NotFound
from guitaronline.core.ids import object_id
from guitaronline.core.tallies import Tally, tally
from lessons.models import HomeworkItem, Lesson


def with_homework(lessons: QuerySet[Lesson]) -> QuerySet[Lesson]:
    """Lessons with their homework items in order (one query for all of them)."""
    return lessons.prefetch_related(
        Prefetch("homework_items", queryset=HomeworkItem.objects.order_by("position", "id"))
    )


def lessons_for_user(
    *, user, status: str | None = None, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Lesson]:
    """A student's lessons, or the lessons a teacher gives."""
    lessons = Lesson.objects.select_related("teacher", "student", "teacher__teacher_profile")
    # One side per role: `student = x OR teacher = x` can use neither (student_id, start_at)
    # nor (teacher_id, start_at), and PostgreSQL walks every scheduled lesson by start instead.
    if getattr(user, "is_student", False):
        lessons = lessons.filter(student=user)
    elif getattr(user, "is_teacher", False):
        lessons = lessons.filter(teacher=user)
    else:
        lessons = lessons.filter(Q(student=user) | Q(teacher=user))
    if status:
        lessons = lessons.filter(status=status)
    if start:
        lessons = lessons.filter(start_at__gte=start)
    if end:
        lessons = lessons.filter(start_at__lt=end)
    return lessons.order_by("start_at", "id")


def student_next_lessons(*, student, now: datetime | None = None, count: int = 5) -> list[Lesson]:
    """The student's next scheduled lessons, soonest first, with only what the
    dashboard shows: the times, the teacher's name and the booking's id."""
    lessons = lessons_for_user(user=student, status=Lesson.Status.SCHEDULED, start=now or timezone.now())
    lessons = (
        lessons.select_related(None)
        .select_related("teacher__teacher_profile", "booking")
        .only("start_at", "end_at", "teacher__full_name", "teacher__teacher_profile__display_name", "booking__id")
    )
    return list(lessons[:count])


def _lesson_id(lesson_id) -> int:
    return object_id(lesson_id)


def lesson_for_user(*, user, lesson_id) -> Lesson:
    """A lesson its student, its teacher or staff may read, with its homework
    items; not-found otherwise."""
    lessons = with_homework(Lesson.objects.select_related("teacher", "student", "teacher__teacher_profile"))
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
    lessons = with_homework(Lesson.objects.select_related("teacher", "student", "teacher__teacher_profile")).filter(
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
    if not teacher.is_authenticated or not teacher.is_teacher:
        raise NotFound()
    students = User.objects.filter(Exists(Lesson.objects.filter(teacher=teacher, student=OuterRef("pk"))))
    try:
        return students.get(pk=object_id(student_id))
    except User.DoesNotExist as exc:
        raise NotFound() from exc


def lessons_between(*, teacher, student) -> QuerySet[Lesson]:
    """Every lesson of `student` with `teacher`, newest first, with the
    homework items: the history with this teacher, the same for both of them."""
    return with_homework(Lesson.objects.filter(teacher=teacher, student=student)).order_by("-start_at", "-id")


def teacher_of_student(*, student, teacher_id) -> User:
    """Access helper: the teacher if `student` has or had a lesson with them
    (with the teacher's profile); not-found for anyone else, and when the
    caller is not a student."""
    if not student.is_authenticated or not student.is_student:
        raise NotFound()
    teachers = User.objects.filter(Exists(Lesson.objects.filter(student=student, teacher=OuterRef("pk"))))
    try:
        return teachers.select_related("teacher_profile").get(pk=object_id(teacher_id))
    except User.DoesNotExist as exc:
        raise NotFound() from exc


def _homework_item(items: QuerySet[HomeworkItem], item_id) -> HomeworkItem:
    try:
        return items.select_related("lesson").get(pk=object_id(item_id))
    except HomeworkItem.DoesNotExist as exc:
        raise NotFound() from exc


def homework_item_for_teacher(*, user, item_id) -> HomeworkItem:
    """Access helper: a homework item of a lesson `user` teaches; not-found otherwise."""
    if not user.is_authenticated:
        raise NotFound()
    return _homework_item(HomeworkItem.objects.filter(lesson__teacher=user), item_id)


def homework_item_for_student(*, user, item_id) -> HomeworkItem:
    """Access helper: a homework item of a lesson `user` takes; not-found otherwise."""
    if not user.is_authenticated:
        raise NotFound()
    return _homework_item(HomeworkItem.objects.filter(lesson__student=user), item_id)


def homework_item_for_user(*, user, item_id) -> HomeworkItem:
    """Access helper: a homework item of a lesson `user` teaches or takes;
    not-found for anyone else (what each may change, the services decide)."""
    if not user.is_authenticated:
        raise NotFound()
    return _homework_item(HomeworkItem.objects.filter(Q(lesson__teacher=user) | Q(lesson__student=user)), item_id)


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


# --- the calendar feed -------------------------------------------------------------

CALENDAR_PAST_DAYS = 30
_CALENDAR_TOKEN_LENGTHS = range(20, 65)  # token_urlsafe(32) is 43 characters; the column holds 64


def calendar_owner(*, token) -> User:
    """The active user whose calendar feed `token` opens; not-found for any
    other token (malformed, unknown, replaced) and for a deactivated user."""
    if not isinstance(token, str) or len(token) not in _CALENDAR_TOKEN_LENGTHS:
        raise NotFound()
    try:
        return User.objects.get(calendar_token=token, is_active=True)
    except User.DoesNotExist as exc:
        raise NotFound() from exc


def lessons_for_calendar(*, user, now: datetime | None = None) -> QuerySet[Lesson]:
    """The lessons of `user`'s calendar feed: those starting in the last
    CALENDAR_PAST_DAYS days and all later ones, every status (a canceled one
    tells calendar apps to remove it), by start, with the names to show."""
    now = now or timezone.now()
    return lessons_for_user(user=user, start=now - timedelta(days=CALENDAR_PAST_DAYS))


def lessons_by_status() -> Tally:
    return tally(Lesson.objects.all(), "status", Lesson.Status)
