from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AdminAction, IdempotencyRecord, OutboxEvent
from billing.models import LessonPackage
from booking import services
from booking.models import Booking
from lessons.models import Lesson
from tests.clients import client_for
from tests.factories import StaffFactory, make_package, make_slot
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db


def error_code(response) -> str:
    return response.json()["error"]["code"]


@pytest.fixture
def clients(school, api):
    staff = StaffFactory()
    return {
        "owner": client_for(school.student),
        "other_student": client_for(school.other_student),
        "teacher": client_for(school.teacher),
        "other_teacher": client_for(school.other_teacher),
        "staff": client_for(staff),
        "anonymous": api,
    }


def test_hold_confirm_cancel_through_the_api(school, clients):
    owner = clients["owner"]
    held = owner.post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json")
    assert held.status_code == 201
    body = held.json()
    assert body["status"] == "hold"
    assert body["slot"] == {
        "id": school.slot.pk,
        "teacher": school.teacher.pk,
        "start_at": body["slot"]["start_at"],
        "end_at": body["slot"]["end_at"],
    }
    assert body["hold_expires_at"] is not None and body["lesson_id"] is None

    confirmed = owner.post(f"/api/v1/booking/{body['id']}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["lesson_id"] == Lesson.objects.get().pk

    canceled = owner.post(f"/api/v1/booking/{body['id']}/cancel")
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["lesson_returned"] is True


def test_hold_errors_have_their_codes(school, clients):
    owner = clients["owner"]
    assert error_code(owner.post("/api/v1/booking/holds", {"slot_id": "x"}, format="json")) == "validation_error"
    assert owner.post("/api/v1/booking/holds", {"slot_id": 999999}, format="json").status_code == 404
    clients["other_student"].post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json")
    taken = owner.post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json")
    assert taken.status_code == 409 and error_code(taken) == "slot_unavailable"
    LessonPackage.objects.filter(student=school.student).update(lessons_left=0, status="depleted")
    no_package = owner.post("/api/v1/booking/holds", {"slot_id": make_slot(school.teacher).pk}, format="json")
    assert no_package.status_code == 409 and error_code(no_package) == "no_active_package"
    assert clients["teacher"].post("/api/v1/booking/holds", {"slot_id": school.slot.pk}).status_code == 403
    assert clients["anonymous"].post("/api/v1/booking/holds", {"slot_id": school.slot.pk}).status_code == 401


def test_reschedule_through_the_api_links_the_bookings(school, clients):
    booking = services.booking_hold(student=school.student, slot_id=school.slot.pk)
    services.booking_confirm(booking=booking, actor=school.student)
    new_slot = make_slot(school.teacher)
    response = clients["owner"].post(
        f"/api/v1/booking/{booking.pk}/reschedule", {"new_slot_id": new_slot.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["rescheduled_from"] == booking.pk
    assert response.json()["status"] == "confirmed"
    old = clients["owner"].get(f"/api/v1/booking/{booking.pk}").json()
    assert old["status"] == "canceled" and old["rescheduled_to"] == response.json()["id"]


# Who may do what to student A's booking: (action, role) -> status
MATRIX = {
    "detail": {
        "owner": 200,
        "teacher": 200,
        "staff": 200,
        "other_student": 404,
        "other_teacher": 404,
        "anonymous": 401,
    },
    "confirm": {
        "owner": 200,
        "teacher": 403,
        "staff": 403,
        "other_student": 404,
        "other_teacher": 404,
        "anonymous": 401,
    },
    "cancel": {
        "owner": 200,
        "teacher": 200,
        "staff": 200,
        "other_student": 404,
        "other_teacher": 404,
        "anonymous": 401,
    },
    "reschedule": {
        "owner": 201,
        "teacher": 403,
        "staff": 403,
        "other_student": 404,
        "other_teacher": 404,
        "anonymous": 401,
    },
}


@pytest.mark.parametrize("action", list(MATRIX))
@pytest.mark.parametrize("role", ["owner", "teacher", "staff", "other_student", "other_teacher", "anonymous"])
def test_permission_matrix_over_booking_endpoints(school, clients, action, role):
    booking = services.booking_hold(student=school.student, slot_id=school.slot.pk)
    if action == "reschedule":
        services.booking_confirm(booking=booking, actor=school.student)
    new_slot = make_slot(school.teacher)
    before = booking_snapshot()
    client = clients[role]
    if action == "detail":
        response = client.get(f"/api/v1/booking/{booking.pk}")
    elif action == "reschedule":
        response = client.post(f"/api/v1/booking/{booking.pk}/reschedule", {"new_slot_id": new_slot.pk}, format="json")
    elif action == "cancel":  # with a reason, as the slot's teacher must give one
        response = client.post(f"/api/v1/booking/{booking.pk}/cancel", {"reason": "Ill"}, format="json")
    else:
        response = client.post(f"/api/v1/booking/{booking.pk}/{action}")
    expected = MATRIX[action][role]
    assert response.status_code == expected, response.content
    if expected >= 400 or action == "detail":
        assert booking_snapshot() == before
        if expected >= 400:
            assert set(response.json()) == {"error"}


def test_my_bookings_for_student_and_teacher(school, clients):
    services.booking_hold(student=school.student, slot_id=school.slot.pk)
    services.booking_hold(student=school.other_student, slot_id=make_slot(school.other_teacher).pk)
    mine = clients["owner"].get("/api/v1/booking/my").json()
    assert mine["count"] == 1 and mine["results"][0]["student"] == school.student.pk
    teachers = clients["teacher"].get("/api/v1/booking/my").json()
    assert teachers["count"] == 1 and teachers["results"][0]["slot"]["teacher"] == school.teacher.pk
    assert clients["anonymous"].get("/api/v1/booking/my").status_code == 401


def test_a_dead_hold_reads_as_expired_before_any_job(school, clients, settings):
    booking = services.booking_hold(
        student=school.student,
        slot_id=school.slot.pk,
        now=timezone.now() - timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 1),
    )
    assert clients["owner"].get(f"/api/v1/booking/{booking.pk}").json()["status"] == "expired"
    listed = clients["owner"].get("/api/v1/booking/my?status=expired").json()
    assert [row["id"] for row in listed["results"]] == [booking.pk]
    assert Booking.objects.get().status == "hold"


def test_my_bookings_and_lessons_use_constant_queries(school, clients, django_assert_num_queries):
    def add_confirmed(n):
        for _ in range(n):
            booking = services.booking_hold(student=school.student, slot_id=make_slot(school.teacher).pk)
            services.booking_confirm(booking=booking, actor=school.student)

    make_package(school.student, lessons=100)
    add_confirmed(1)
    owner = clients["owner"]
    counts = {}
    for path in ("/api/v1/booking/my", "/api/v1/lessons/my"):
        with CaptureQueriesContext(connection) as ctx:
            owner.get(path)
        counts[path] = len(ctx.captured_queries)
    add_confirmed(49)
    for path in ("/api/v1/booking/my?page_size=50", "/api/v1/lessons/my?page_size=50"):
        with django_assert_num_queries(counts[path.split("?")[0]]):
            response = owner.get(path)
        assert len(response.json()["results"]) == 50


# --- idempotency --------------------------------------------------------------


def test_an_idempotency_key_replays_the_first_answer(school, clients):
    owner = clients["owner"]
    first = owner.post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = owner.post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="booking.held").count() == 1


def test_the_same_key_with_another_body_is_refused(school, clients):
    owner = clients["owner"]
    owner.post("/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = make_slot(school.teacher)
    reused = owner.post("/api/v1/booking/holds", {"slot_id": other.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert reused.status_code == 409
    assert error_code(reused) == "idempotency_key_reused"
    assert Booking.objects.count() == 1


def test_keys_belong_to_one_user_and_errors_are_not_kept(school, clients):
    clients["other_student"].post(
        "/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    refused = clients["owner"].post(
        "/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    assert refused.status_code == 409 and error_code(refused) == "slot_unavailable"
    assert IdempotencyRecord.objects.count() == 1  # only the success was kept


def test_a_bad_idempotency_key_is_a_validation_error(school, clients):
    response = clients["owner"].post(
        "/api/v1/booking/holds", {"slot_id": school.slot.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x" * 300
    )
    assert response.status_code == 400
    assert not Booking.objects.exists()


# --- lessons --------------------------------------------------------------------


def test_teacher_marks_a_lesson_after_its_start_and_the_student_reads_the_notes(school, clients):
    booking = services.booking_hold(student=school.student, slot_id=school.slot.pk)
    booking = services.booking_confirm(booking=booking, actor=school.student)
    path = f"/api/v1/lessons/{booking.lesson_id}"
    early = clients["teacher"].post(f"{path}/complete", {"notes": "n"}, format="json")
    assert early.status_code == 409 and error_code(early) == "lesson_not_started"
    Lesson.objects.filter(pk=booking.lesson_id).update(start_at=timezone.now() - timedelta(minutes=5))
    done = clients["teacher"].post(f"{path}/complete", {"notes": "Good vibrato", "homework": "Scales"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    seen = clients["owner"].get(path).json()
    assert (seen["notes"], seen["homework"]) == ("Good vibrato", "Scales")
    assert clients["owner"].post(f"{path}/no-show").status_code == 404
    assert clients["other_teacher"].post(f"{path}/no-show").status_code == 404
    assert clients["other_student"].get(path).status_code == 404
    assert clients["staff"].get(path).status_code == 200
    changed = clients["teacher"].post(f"{path}/no-show")
    assert changed.status_code == 409 and error_code(changed) == "lesson_finished"


def test_teacher_updates_notes_and_meeting_link(school, clients):
    booking = services.booking_confirm(
        booking=services.booking_hold(student=school.student, slot_id=school.slot.pk), actor=school.student
    )
    path = f"/api/v1/lessons/{booking.lesson_id}"
    response = clients["teacher"].patch(path, {"meeting_url": "https://meet.example.org/abc"}, format="json")
    assert response.status_code == 200
    assert response.json()["meeting_url"] == "https://meet.example.org/abc"
    assert clients["teacher"].patch(path, {"meeting_url": "not a url"}, format="json").status_code == 400
    assert clients["owner"].patch(path, {"notes": "mine"}, format="json").status_code == 404


def test_lessons_my_filters_validate(school, clients):
    assert clients["owner"].get("/api/v1/lessons/my?from=yesterday").status_code == 400
    assert clients["owner"].get("/api/v1/lessons/my?status=nope").status_code == 400
    assert clients["owner"].get("/api/v1/lessons/my?status=scheduled").status_code == 200


# --- staff endpoints ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/booking/holds/expire"),
        ("get", "/api/v1/admin/kpi/overview"),
        ("get", "/api/v1/admin/ops/overview"),
        ("get", "/api/v1/audit/outbox/pending"),
    ],
)
def test_staff_endpoints_are_for_staff_only(clients, method, path):
    assert getattr(clients["anonymous"], method)(path).status_code == 401
    for role in ("owner", "teacher"):
        response = getattr(clients[role], method)(path)
        assert response.status_code == 403
        assert error_code(response) == "permission_denied"
    assert getattr(clients["staff"], method)(path).status_code == 200


def test_expire_holds_endpoint(school, clients, settings):
    services.booking_hold(
        student=school.student,
        slot_id=school.slot.pk,
        now=timezone.now() - timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 1),
    )
    response = clients["staff"].post("/api/v1/booking/holds/expire")
    assert response.json() == {"expired": 1}
    assert AdminAction.objects.filter(action="admin.holds.expire").count() == 1


def test_kpi_and_ops_overviews_count_and_are_recorded(school, clients, settings):
    booking = services.booking_hold(student=school.student, slot_id=school.slot.pk)
    services.booking_confirm(booking=booking, actor=school.student)
    services.booking_hold(
        student=school.other_student,
        slot_id=make_slot(school.teacher).pk,
        now=timezone.now() - timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 1),
    )
    kpi = clients["staff"].get("/api/v1/admin/kpi/overview").json()
    assert kpi["bookings"]["confirmed"] == 1 and kpi["bookings"]["expired"] == 1 and kpi["bookings"]["total"] == 2
    assert kpi["lessons"]["scheduled"] == 1
    assert kpi["users"]["student"] == 2 and kpi["users"]["teacher"] == 2
    assert kpi["packages"]["active"] == 2
    settings.OUTBOX_MAX_RETRIES = 3  # the one limit; a caller cannot redefine the dead letter
    ops = clients["staff"].get("/api/v1/admin/ops/overview?max_retries=9").json()
    assert ops["stale_booking_holds"] == 1 and ops["max_retries"] == 3
    assert ops["outbox_pending"] == OutboxEvent.objects.filter(status="pending").count()
    actions = list(AdminAction.objects.values_list("action", flat=True))
    assert sorted(actions) == ["admin.kpi.view", "admin.ops.view"]
