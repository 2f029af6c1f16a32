"""Lesson writes. Lessons are created and canceled by the booking service
only; teachers mark them and write notes and homework."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import change_record
from guitaronline.core.errors import Forbidden, InvalidInput
from lessons.errors import LessonCanceled, LessonFinished, LessonNotStarted
from lessons.models import Lesson

FINISHED = (Lesson.Status.COMPLETED, Lesson.Status.NO_SHOW)
TEXT_MAX_LENGTH = 10000


def _payload(lesson: Lesson, **extra) -> dict:
    return {
        "lesson_id": lesson.pk,
        "teacher_id": lesson.teacher_id,
        "student_id": lesson.student_id,
        "start_at": lesson.start_at.isoformat(),
        "end_at": lesson.end_at.isoformat(),
        **extra,
    }


@transaction.atomic
def lesson_create(*, teacher, student, start_at: datetime, end_at: datetime, actor) -> Lesson:
    lesson = Lesson.objects.create(teacher=teacher, student=student, start_at=start_at, end_at=end_at)
    change_record(actor=actor, action="lesson.created", entity=lesson, payload=_payload(lesson))
    return lesson


@transaction.atomic
def lesson_cancel(*, lesson: Lesson, actor) -> Lesson:
    """Cancel a scheduled lesson (with its booking). Canceling twice is a no-op."""
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    if lesson.status == Lesson.Status.CANCELED:
        return lesson
    if lesson.status in FINISHED:
        raise LessonFinished()
    lesson.status = Lesson.Status.CANCELED
    lesson.save(update_fields=["status", "updated_at"])
    change_record(actor=actor, action="lesson.canceled", entity=lesson, payload=_payload(lesson))
    return lesson


def _ensure_teacher(lesson: Lesson, actor) -> None:
    if actor.pk != lesson.teacher_id:
        raise Forbidden()


def _clean_text(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > TEXT_MAX_LENGTH:
        raise InvalidInput(details={field: [_("At most %(max)d characters.") % {"max": TEXT_MAX_LENGTH}]})
    return value


@transaction.atomic
def lesson_mark(
    *,
    lesson: Lesson,
    status: str,
    actor,
    notes: str | None = None,
    homework: str | None = None,
    now: datetime | None = None,
) -> Lesson:
    """The lesson's teacher marks it completed or no-show, after its start."""
    now = now or timezone.now()
    if status not in FINISHED:
        raise InvalidInput(details={"status": [_("Use completed or no_show.")]})
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    _ensure_teacher(lesson, actor)
    if lesson.status == Lesson.Status.CANCELED:
        raise LessonCanceled()
    if lesson.status == status and notes is None and homework is None:
        return lesson
    if lesson.status in FINISHED and lesson.status != status:
        raise LessonFinished()
    if now < lesson.start_at:
        raise LessonNotStarted()
    fields = ["status", "finished_at", "updated_at"]
    notes, homework = _clean_text(notes, "notes"), _clean_text(homework, "homework")
    if notes is not None:
        lesson.notes = notes
        fields.append("notes")
    if homework is not None:
        lesson.homework = homework
        fields.append("homework")
    first_mark = lesson.status != status
    lesson.status = status
    lesson.finished_at = lesson.finished_at or now
    lesson.save(update_fields=fields)
    if first_mark:
        action = "lesson.completed" if status == Lesson.Status.COMPLETED else "lesson.no_show"
        change_record(actor=actor, action=action, entity=lesson, payload=_payload(lesson, homework=lesson.homework))
    else:
        change_record(actor=actor, action="lesson.notes_updated", entity=lesson, payload=_payload(lesson))
    return lesson


@transaction.atomic
def lesson_update_notes(
    *,
    lesson: Lesson,
    actor,
    notes: str | None = None,
    homework: str | None = None,
    meeting_url: str | None = None,
) -> Lesson:
    """The teacher's notes, homework and meeting link; any time except after cancel."""
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    _ensure_teacher(lesson, actor)
    if lesson.status == Lesson.Status.CANCELED:
        raise LessonCanceled()
    changed = []
    for field, value in (
        ("notes", _clean_text(notes, "notes")),
        ("homework", _clean_text(homework, "homework")),
        ("meeting_url", _clean_text(meeting_url, "meeting_url")),
    ):
        if value is not None and getattr(lesson, field) != value:
            setattr(lesson, field, value)
            changed.append(field)
    if not changed:
        return lesson
    lesson.save(update_fields=[*changed, "updated_at"])
    change_record(actor=actor, action="lesson.notes_updated", entity=lesson, payload=_payload(lesson, fields=changed))
    return lesson


# kind -> (how long before the start, the field that records it was sent)
REMINDERS = {"24h": (timedelta(hours=24), "reminded_24h_at"), "1h": (timedelta(hours=1), "reminded_1h_at")}


def lesson_reminders_emit(*, now: datetime | None = None) -> int:
    """Emit `lesson.reminder` (24 h and 1 h before) once per lesson and kind.

    A reminder is due when its moment has come and the lesson was booked
    before that moment (a lesson booked 3 hours ahead gets no "tomorrow"
    reminder); the 24-hour one is skipped once the 1-hour one is due.
    Each is claimed by a compare-and-swap on its field, so concurrent runs
    never emit twice.
    """
    now = now or timezone.now()
    emitted = 0
    for kind, (lead, field) in REMINDERS.items():
        due = Lesson.objects.filter(
            status=Lesson.Status.SCHEDULED,
            start_at__gt=now,
            start_at__lte=now + lead,
            created_at__lte=F("start_at") - lead,
            **{f"{field}__isnull": True},
        )
        if kind == "24h":
            due = due.filter(start_at__gt=now + REMINDERS["1h"][0])
        for lesson in due.order_by("start_at").iterator():
            with transaction.atomic():
                claimed = Lesson.objects.filter(pk=lesson.pk, **{f"{field}__isnull": True}).update(**{field: now})
                if claimed:
                    change_record(
                        actor=None, action="lesson.reminder", entity=lesson, payload=_payload(lesson, kind=kind)
                    )
                    emitted += 1
    return emitted
