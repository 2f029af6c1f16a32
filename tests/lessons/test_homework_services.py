"""Homework items' rules, through lessons.services: the lesson's teacher
adds, edits and removes; the lesson's student ticks done; nobody else; a
refusal changes nothing; every change is audited."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditLog, OutboxEvent
from booking import services as booking_services
from guitaronline.core.errors import Forbidden, InvalidInput
from lessons import selectors, services
from lessons.errors import LessonCanceled
from lessons.models import HomeworkItem
from tests.lessons.factories import add_homework
from tests.snapshots import homework_snapshot

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(
        AuditLog.objects.filter(action__startswith="lesson.homework.").order_by("pk").values_list("action", flat=True)
    )


def test_the_teacher_adds_items_in_order(people):
    first = add_homework(people.lesson, "Romanza, first part")
    second = add_homework(
        people.lesson, "Alternate picking, 16ths at 90 bpm", kind="technique", details="  Metronome on 2 and 4  "
    )
    assert (first.position, second.position) == (0, 1)
    assert (second.kind, second.details, second.done, second.done_at) == (
        "technique",
        "Metronome on 2 and 4",
        False,
        None,
    )
    assert actions() == ["lesson.homework.added", "lesson.homework.added"]
    event = OutboxEvent.objects.filter(event_type="lesson.homework.added").last()
    assert event.payload["student_id"] == people.student.pk and event.payload["title"] == second.title


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "song"}, "kind"),
        ({"details": "x" * 2001}, "details"),
    ],
)
def test_a_bad_item_is_refused_and_nothing_changes(people, fields, field):
    before = homework_snapshot()
    with pytest.raises(InvalidInput) as error:
        services.homework_item_add(
            lesson=people.lesson, actor=people.teacher, **{"kind": "piece", "title": "Scales", **fields}
        )
    assert field in error.value.details
    assert homework_snapshot() == before


def test_only_the_lessons_teacher_adds_homework(people):
    before = homework_snapshot()
    for actor in (people.student, people.other_teacher, people.staff):
        with pytest.raises(Forbidden):
            services.homework_item_add(lesson=people.lesson, actor=actor, kind="piece", title="Scales")
    assert homework_snapshot() == before


def test_no_homework_on_a_canceled_lesson(people):
    item = add_homework(people.lesson)
    booking_services.booking_cancel(booking=people.lesson.booking, actor=people.student)
    before = homework_snapshot()
    with pytest.raises(LessonCanceled):
        add_homework(people.lesson)
    with pytest.raises(LessonCanceled):
        services.homework_item_set_done(item=item, actor=people.student, done=True)
    with pytest.raises(LessonCanceled):
        services.homework_item_remove(item=item, actor=people.teacher)
    assert homework_snapshot() == before


def test_the_teacher_edits_an_item(people):
    item = add_homework(people.lesson)
    item = services.homework_item_update(
        item=item, actor=people.teacher, title="Romanza, whole piece", kind="practice_target", position=5
    )
    assert (item.title, item.kind, item.position) == ("Romanza, whole piece", "practice_target", 5)
    log = AuditLog.objects.get(action="lesson.homework.updated")
    assert sorted(log.payload["fields"]) == ["kind", "position", "title"]
    before = homework_snapshot()
    services.homework_item_update(item=item, actor=people.teacher, title="Romanza, whole piece")
    assert homework_snapshot() == before  # nothing to change: nothing recorded


def test_the_student_ticks_done_and_undone(people):
    item = add_homework(people.lesson)
    now = timezone.now() + timedelta(days=1)
    item = services.homework_item_set_done(item=item, actor=people.student, done=True, now=now)
    assert (item.done, item.done_at) == (True, now)
    again = services.homework_item_set_done(item=item, actor=people.student, done=True)
    assert again.done_at == now  # ticking twice keeps the first moment
    item = services.homework_item_set_done(item=item, actor=people.student, done=False)
    assert (item.done, item.done_at) == (False, None)
    assert actions() == ["lesson.homework.added", "lesson.homework.done", "lesson.homework.undone"]
    assert AuditLog.objects.get(action="lesson.homework.done").actor == people.student


def test_the_student_cannot_edit_and_the_teacher_cannot_tick(people):
    item = add_homework(people.lesson)
    before = homework_snapshot()
    with pytest.raises(Forbidden):
        services.homework_item_update(item=item, actor=people.student, title="Nothing to practise")
    with pytest.raises(Forbidden):
        services.homework_item_update(item=item, actor=people.student, title="Nothing", done=True)
    with pytest.raises(Forbidden):
        services.homework_item_set_done(item=item, actor=people.teacher, done=True)
    for stranger in (people.other_student, people.other_teacher, people.staff):
        with pytest.raises(Forbidden):
            services.homework_item_set_done(item=item, actor=stranger, done=True)
        with pytest.raises(Forbidden):
            services.homework_item_update(item=item, actor=stranger, title="x")
    assert homework_snapshot() == before


def test_the_teacher_removes_an_item_and_the_audit_keeps_what_it_said(people):
    item = add_homework(people.lesson, details="bars 1-16")
    before = homework_snapshot()
    with pytest.raises(Forbidden):
        services.homework_item_remove(item=item, actor=people.student)
    assert homework_snapshot() == before
    services.homework_item_remove(item=item, actor=people.teacher)
    assert not HomeworkItem.objects.exists()
    payload = AuditLog.objects.get(action="lesson.homework.removed").payload
    assert (payload["title"], payload["details"], payload["item_id"]) == ("Romanza, first part", "bars 1-16", item.pk)


def test_access_helpers_give_not_found_to_strangers(people):
    from guitaronline.core.errors import NotFound

    item = add_homework(people.lesson)
    assert selectors.homework_item_for_user(user=people.student, item_id=item.pk) == item
    assert selectors.homework_item_for_teacher(user=people.teacher, item_id=item.pk) == item
    assert selectors.homework_item_for_student(user=people.student, item_id=item.pk) == item
    for user, helper in (
        (people.other_student, selectors.homework_item_for_user),
        (people.staff, selectors.homework_item_for_user),
        (people.student, selectors.homework_item_for_teacher),
        (people.teacher, selectors.homework_item_for_student),
    ):
        with pytest.raises(NotFound):
            helper(user=user, item_id=item.pk)
    with pytest.raises(NotFound):
        selectors.homework_item_for_user(user=people.student, item_id="x")


@pytest.mark.parametrize(
    "fields",
    [{"kind": "song"}, {"done": True}, {"done_at": timezone.now()}, {"title": ""}],
)
def test_item_constraints(people, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        HomeworkItem.objects.create(lesson=people.lesson, **{"kind": "piece", "title": "Scales", **fields})
