"""Lesson writes. Lessons are created and canceled by the booking service
only; teachers mark them and write notes and homework, item by item
(`HomeworkItem`); students tick their homework items done."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import change_record
from guitaronline.core.errors import Forbidden, InvalidInput
from guitaronline.core.transactions import joins_transaction
from lessons.errors import LessonCanceled, LessonFinished, LessonNotStarted
from lessons.models import HomeworkItem, Lesson

FINISHED = (Lesson.Status.COMPLETED, Lesson.Status.NO_SHOW)  # what the teacher marks
CLOSED = (*FINISHED, Lesson.Status.TEACHER_NO_SHOW)
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


@joins_transaction  # a step of the caller's change (a confirm): no savepoint of its own
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
    if lesson.status in CLOSED:
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
    if lesson.status in CLOSED and lesson.status != status:
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


@transaction.atomic
def lesson_mark_teacher_no_show(*, lesson: Lesson, actor, now: datetime | None = None) -> tuple[Lesson, bool]:
    """Staff record that the teacher did not come (the lesson started; it was
    scheduled, or marked as the student's no-show by mistake). Returns the
    lesson and whether it changed: marking twice is a no-op. Giving the
    lesson back to the student is the booking's part
    (`booking.services.lesson_teacher_no_show`)."""
    now = now or timezone.now()
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    if lesson.status == Lesson.Status.TEACHER_NO_SHOW:
        return lesson, False
    if lesson.status == Lesson.Status.CANCELED:
        raise LessonCanceled()
    if lesson.status == Lesson.Status.COMPLETED:
        raise LessonFinished()
    if now < lesson.start_at:
        raise LessonNotStarted()
    previous = lesson.status
    lesson.status = Lesson.Status.TEACHER_NO_SHOW
    lesson.finished_at = lesson.finished_at or now
    lesson.save(update_fields=["status", "finished_at", "updated_at"])
    change_record(
        actor=actor, action="lesson.teacher_no_show", entity=lesson, payload=_payload(lesson, previous=previous)
    )
    return lesson, True


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


# --- homework items -------------------------------------------------------------------

HOMEWORK_TITLE_MAX_LENGTH = 200
HOMEWORK_DETAILS_MAX_LENGTH = 2000


def _item_payload(item: HomeworkItem, **extra) -> dict:
    return {
        "item_id": item.pk,
        "lesson_id": item.lesson_id,
        "teacher_id": item.lesson.teacher_id,
        "student_id": item.lesson.student_id,
        "kind": item.kind,
        "title": item.title,
        "done": item.done,
        **extra,
    }


def _clean_item(*, kind: str | None, title: str | None, details: str | None) -> dict:
    """The given fields, trimmed and checked; a missing one stays None."""
    errors, values = {}, {}
    if kind is not None:
        if kind not in HomeworkItem.Kind.values:
            errors["kind"] = [_("Choose a piece, a technique or a practice target.")]
        values["kind"] = kind
    if title is not None:
        title = title.strip()
        if not title:
            errors["title"] = [_("Give the homework a title.")]
        elif len(title) > HOMEWORK_TITLE_MAX_LENGTH:
            errors["title"] = [_("At most %(max)d characters.") % {"max": HOMEWORK_TITLE_MAX_LENGTH}]
        values["title"] = title
    if details is not None:
        details = details.strip()
        if len(details) > HOMEWORK_DETAILS_MAX_LENGTH:
            errors["details"] = [_("At most %(max)d characters.") % {"max": HOMEWORK_DETAILS_MAX_LENGTH}]
        values["details"] = details
    if errors:
        raise InvalidInput(details=errors)
    return values


def _lock_item(item: HomeworkItem) -> HomeworkItem:
    return HomeworkItem.objects.select_for_update(of=("self",)).select_related("lesson").get(pk=item.pk)


@transaction.atomic
def homework_item_add(*, lesson: Lesson, actor, kind: str, title: str, details: str = "") -> HomeworkItem:
    """The lesson's teacher adds a homework item (at the end of the list);
    any time except after a cancel."""
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    _ensure_teacher(lesson, actor)
    if lesson.status == Lesson.Status.CANCELED:
        raise LessonCanceled()
    values = _clean_item(kind=kind, title=title, details=details or "")
    last = lesson.homework_items.aggregate(last=Max("position"))["last"]
    item = HomeworkItem.objects.create(lesson=lesson, position=0 if last is None else last + 1, **values)
    change_record(actor=actor, action="lesson.homework.added", entity=item, payload=_item_payload(item))
    return item


@transaction.atomic
def homework_item_update(
    *,
    item: HomeworkItem,
    actor,
    kind: str | None = None,
    title: str | None = None,
    details: str | None = None,
    position: int | None = None,
    done: bool | None = None,
    now: datetime | None = None,
) -> HomeworkItem:
    """Change a homework item: its kind, title, details and position are the
    teacher's to edit; `done` is the student's to tick or untick. Anyone
    changing what is not theirs is refused and nothing changes."""
    now = now or timezone.now()
    item = _lock_item(item)
    lesson = item.lesson
    edits = {"kind": kind, "title": title, "details": details, "position": position}
    editing = any(value is not None for value in edits.values())
    if editing and actor.pk != lesson.teacher_id:
        raise Forbidden(message=_("Only the lesson's teacher can edit its homework."))
    if done is not None and actor.pk != lesson.student_id:
        raise Forbidden(message=_("Only the student ticks homework done."))
    if lesson.status == Lesson.Status.CANCELED:
        raise LessonCanceled()
    values = _clean_item(kind=kind, title=title, details=details)
    if position is not None:
        if position < 0:
            raise InvalidInput(details={"position": [_("Use a number from 0.")]})
        values["position"] = position
    changed = [field for field, value in values.items() if getattr(item, field) != value]
    for field in changed:
        setattr(item, field, values[field])
    ticked = done is not None and done != item.done
    if done is not None and ticked:
        item.done = done
        item.done_at = now if done else None
        changed += ["done", "done_at"]
    if not changed:
        return item
    item.save(update_fields=[*changed, "updated_at"])
    if editing:
        fields = [field for field in changed if field in edits]
        if fields:
            change_record(
                actor=actor, action="lesson.homework.updated", entity=item, payload=_item_payload(item, fields=fields)
            )
    if ticked:
        action = "lesson.homework.done" if done else "lesson.homework.undone"
        change_record(actor=actor, action=action, entity=item, payload=_item_payload(item))
    return item


def homework_item_set_done(*, item: HomeworkItem, actor, done: bool, now: datetime | None = None) -> HomeworkItem:
    """The lesson's student ticks a homework item done, or not done again."""
    return homework_item_update(item=item, actor=actor, done=done, now=now)


@transaction.atomic
def homework_item_remove(*, item: HomeworkItem, actor) -> None:
    """The lesson's teacher removes a homework item (the audit record keeps what it said)."""
    item = _lock_item(item)
    _ensure_teacher(item.lesson, actor)
    if item.lesson.status == Lesson.Status.CANCELED:
        raise LessonCanceled()
    change_record(
        actor=actor, action="lesson.homework.removed", entity=item, payload=_item_payload(item, details=item.details)
    )
    item.delete()
