"""A teacher proposes a new time for a booked lesson; the student accepts (the
booking moves, the package is unchanged) or declines; unanswered by the
deadline, the lesson keeps its time. Both sides are told."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditLog
from billing.models import LessonPackage
from booking import services
from booking.errors import BookingStarted, ProposalClosed, ProposalPending, SlotUnavailable
from booking.models import Booking, MoveProposal
from guitaronline.core.errors import Forbidden, InvalidInput
from notifications.services import outbox_dispatch
from tests.clients import client_for, signed_in
from tests.factories import StudentFactory, TeacherFactory, make_package, make_slot
from tests.pages import text
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson(school):
    """A lesson of `school.student` in three hours: inside the window where a student's own move would cost it."""
    slot = make_slot(school.teacher, starts_in=timedelta(hours=3))
    booking = services.booking_hold(student=school.student, slot_id=slot.pk)
    return services.booking_confirm(booking=booking, actor=school.student)


@pytest.fixture
def later(school):
    return make_slot(school.teacher, starts_in=timedelta(days=5))


def propose(lesson, later, **extra):
    return services.booking_move_propose(booking=lesson, teacher=lesson.slot.teacher, new_slot_id=later.pk, **extra)


def lessons_left(school) -> int:
    return LessonPackage.objects.get(pk=school.package.pk).lessons_left


def test_accepting_moves_the_lesson_and_leaves_the_package_as_it_was(school, lesson, later):
    proposal = propose(lesson, later, message="Can we do Friday?")
    assert proposal.expires_at == lesson.slot.start_at  # never past the lesson
    assert lessons_left(school) == 9

    moved = services.move_proposal_accept(proposal=proposal, student=school.student)

    assert (moved.slot_id, moved.status, moved.rescheduled_from_id) == (later.pk, "confirmed", lesson.pk)
    assert lessons_left(school) == 9  # the old lesson came back (inside the window too), the new one was taken
    proposal.refresh_from_db()
    assert (proposal.status, proposal.moved_to_id) == ("accepted", moved.pk)
    assert Booking.objects.get(pk=lesson.pk).status == "canceled"


def test_declining_keeps_the_lesson_and_a_second_answer_is_refused(school, lesson, later):
    proposal = propose(lesson, later)
    services.move_proposal_decline(proposal=proposal, student=school.student)
    before = booking_snapshot()
    for answer in (services.move_proposal_accept, services.move_proposal_decline):
        with pytest.raises(ProposalClosed):
            answer(proposal=proposal, student=school.student)
    assert booking_snapshot() == before
    assert Booking.objects.get(pk=lesson.pk).status == "confirmed"


def test_unanswered_proposals_expire_and_the_lesson_keeps_its_time(school, lesson, later):
    proposal = propose(lesson, later)
    with pytest.raises(ProposalClosed):
        services.move_proposal_accept(proposal=proposal, student=school.student, now=proposal.expires_at)
    assert services.move_proposals_expire(now=proposal.expires_at - timedelta(seconds=1)) == 0
    assert services.move_proposals_expire(now=proposal.expires_at) == 1
    assert services.move_proposals_expire(now=proposal.expires_at) == 0
    assert MoveProposal.objects.get(pk=proposal.pk).status == "expired"
    assert Booking.objects.get(pk=lesson.pk).status == "confirmed"
    assert AuditLog.objects.filter(action="booking.move_expired").count() == 1


def test_a_time_taken_meanwhile_cannot_be_accepted(school, lesson, later):
    proposal = propose(lesson, later)
    other = StudentFactory()
    make_package(other)
    services.booking_hold(student=other, slot_id=later.pk)
    before = booking_snapshot()
    with pytest.raises(SlotUnavailable):
        services.move_proposal_accept(proposal=proposal, student=school.student)
    assert booking_snapshot() == before


def test_canceling_the_lesson_withdraws_its_proposal(school, lesson, later):
    proposal = propose(lesson, later)
    services.booking_cancel(booking=lesson, actor=school.student)
    assert MoveProposal.objects.get(pk=proposal.pk).status == "withdrawn"


@pytest.mark.parametrize("case", ["started", "own slot", "another teacher's slot", "pending", "not the teacher"])
def test_what_cannot_be_proposed_changes_nothing(school, lesson, later, case):
    teacher, slot_id, now, expected = school.teacher, later.pk, None, None
    if case == "started":
        now, expected = lesson.slot.start_at, BookingStarted
    elif case == "own slot":
        slot_id, expected = lesson.slot_id, InvalidInput
    elif case == "another teacher's slot":
        slot_id, expected = make_slot(TeacherFactory()).pk, InvalidInput
    elif case == "pending":
        propose(lesson, later)
        slot_id, expected = make_slot(school.teacher, starts_in=timedelta(days=6)).pk, ProposalPending
    else:
        teacher, expected = school.other_teacher, Forbidden
    before = booking_snapshot()
    proposals = MoveProposal.objects.count()
    with pytest.raises(expected):
        services.booking_move_propose(booking=lesson, teacher=teacher, new_slot_id=slot_id, now=now)
    assert booking_snapshot() == before and MoveProposal.objects.count() == proposals


def test_the_other_student_cannot_answer(school, lesson, later):
    proposal = propose(lesson, later)
    with pytest.raises(Forbidden):
        services.move_proposal_accept(proposal=proposal, student=school.other_student)


def test_both_sides_are_told(school, lesson, later):
    school.student.language = "ru"
    school.student.save(update_fields=["language"])
    outbox_dispatch()
    mail.outbox.clear()
    proposal = propose(lesson, later, message="Пятница подойдёт?")
    outbox_dispatch()
    [asked] = mail.outbox
    assert asked.to == [school.student.email]
    assert asked.subject.startswith("Для урока") and "Пятница подойдёт?" in asked.body
    assert reverse("booking:booking-detail", args=[lesson.pk]) + "\n" in asked.body  # the link, on its own line

    mail.outbox.clear()
    services.move_proposal_decline(proposal=proposal, student=school.student)
    outbox_dispatch()
    [told] = mail.outbox
    assert told.to == [school.teacher.email] and told.subject.startswith("New time declined")


# --- pages and API ------------------------------------------------------------------------


def test_the_teacher_proposes_on_the_page_and_the_student_accepts_on_theirs(school, lesson, later):
    teacher = signed_in(school.teacher)
    page = teacher.get(reverse("booking:teacher-move", args=[lesson.pk]))
    assert f'value="{later.pk}"' in page.content.decode()
    teacher.post(reverse("booking:teacher-move", args=[lesson.pk]), {"new_slot": later.pk, "message": "Friday?"})
    proposal = MoveProposal.objects.get()

    student = signed_in(school.student)
    shown = text(student.get(reverse("booking:booking-detail", args=[lesson.pk])))
    assert "Your teacher proposes a new time" in shown and "Friday?" in shown
    response = student.post(reverse("booking:proposal-accept", args=[proposal.pk]), follow=True)
    assert "Your lesson is moved to" in text(response)
    assert Booking.objects.get(slot=later, status="confirmed").student == school.student


def test_the_api_proposes_lists_and_answers(school, lesson, later):
    made = client_for(school.teacher).post(
        f"/api/v1/booking/{lesson.pk}/propose-move", {"new_slot_id": later.pk}, format="json"
    )
    assert made.status_code == 201, made.content
    proposal_id = made.json()["id"]
    student = client_for(school.student)
    assert [p["id"] for p in student.get("/api/v1/booking/proposals/my").json()] == [proposal_id]
    refused = client_for(school.other_student).post(f"/api/v1/booking/proposals/{proposal_id}/accept")
    assert refused.status_code == 404
    accepted = student.post(f"/api/v1/booking/proposals/{proposal_id}/accept")
    assert (accepted.status_code, accepted.json()["slot"]["id"]) == (200, later.pk)
    again = student.post(f"/api/v1/booking/proposals/{proposal_id}/decline")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "proposal_closed")
