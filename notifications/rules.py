"""Who is told what about each outbox event.

Rules read only the event's payload and `accounts` (SPEC §1: notifications
reads the outbox and accounts). Each returns the messages to render; an
event type without a rule notifies nobody and is simply marked processed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from django.conf import settings
from django.urls import reverse

from accounts import verification
from accounts.models import User
from audit.models import OutboxEvent

IN_APP = "in_app"
EMAIL = "email"
BOTH = (IN_APP, EMAIL)


@dataclass(frozen=True)
class Message:
    recipient: User
    template: str
    context: dict = field(default_factory=dict)
    link: str = ""
    channels: tuple[str, ...] = BOTH
    to: str = ""  # another address than the recipient's (a new one to confirm, the old one told of a change)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _teacher_name(user: User | None) -> str:
    return user.display_name if user is not None else ""


def _lesson_context(payload: dict, users: dict[int, User]) -> dict:
    teacher = users.get(payload.get("teacher_id", 0))
    student = users.get(payload.get("student_id", 0))
    return {
        "start": _dt(payload.get("start_at")),
        "end": _dt(payload.get("end_at")),
        "teacher_name": _teacher_name(teacher),
        "student_name": student.full_name if student else "",
    }


def _link(payload: dict, *, for_student: bool) -> str:
    """The page a message points to: the lesson, else the student's booking or
    payment (its receipt), else the recipient's home (URL names only; no
    domain app is imported)."""
    if payload.get("lesson_id"):
        return reverse("lessons:detail", args=[payload["lesson_id"]])
    if for_student and payload.get("booking_id"):
        return reverse("booking:booking-detail", args=[payload["booking_id"]])
    if for_student and payload.get("payment_id"):
        return reverse("billing:payment-detail", args=[payload["payment_id"]])
    return reverse("booking:dashboard" if for_student else "booking:teacher-dashboard")


def _to_both(payload: dict, users: dict[int, User], template: str, link=_link, **extra) -> list[Message]:
    """`{template}_student` to the student and `{template}_teacher` to the
    teacher, each pointing where `link(payload, for_student=...)` says."""
    context = {**_lesson_context(payload, users), **extra}
    messages = []
    if student := users.get(payload.get("student_id", 0)):
        messages.append(Message(student, f"{template}_student", context, link(payload, for_student=True)))
    if teacher := users.get(payload.get("teacher_id", 0)):
        messages.append(Message(teacher, f"{template}_teacher", context, link(payload, for_student=False)))
    return messages


def _to_student(
    payload: dict, users: dict[int, User], template: str, channels=BOTH, link: str | None = None, **extra
) -> list[Message]:
    student = users.get(payload.get("student_id", 0))
    if student is None:
        return []
    context = {**_lesson_context(payload, users), **payload, **extra}
    return [Message(student, template, context, link or _link(payload, for_student=True), channels)]


def booking_confirmed(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    if event.payload.get("rescheduled_from") or event.payload.get("series_id"):
        return []  # told once, by booking.rescheduled or booking.series.created
    return _to_both(event.payload, users, "booking_confirmed")


def booking_canceled(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    payload = event.payload
    if payload.get("rescheduling") or payload.get("with_series") or payload.get("lesson_returned") is None:
        return []  # part of a reschedule or of a series canceled, or only a hold was let go
    if payload.get("by_teacher"):
        # the teacher knows; the student picks a make-up time among the teacher's open slots
        make_up = reverse("booking:teacher-detail", args=[payload["teacher_id"]])
        return _to_student(payload, users, "booking_canceled_by_teacher", link=make_up)
    return _to_both(payload, users, "booking_canceled", lesson_returned=payload["lesson_returned"])


def booking_rescheduled(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    payload = event.payload
    return _to_both(
        payload,
        users,
        "booking_rescheduled",
        previous_start=_dt(payload.get("previous_start_at")),
    )


def _move_context(payload: dict) -> dict:
    return {"new_start": _dt(payload.get("new_start_at")), "expires": _dt(payload.get("expires_at"))}


def move_proposed(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    """The student is asked; the link opens the booking, where they accept or decline."""
    return _to_student(event.payload, users, "move_proposed", **_move_context(event.payload))


def _to_teacher(payload: dict, users: dict[int, User], template: str, **extra) -> list[Message]:
    teacher = users.get(payload.get("teacher_id", 0))
    if teacher is None:
        return []
    context = {**_lesson_context(payload, users), **payload, **extra}
    return [Message(teacher, template, context, _link(payload, for_student=False))]


def move_declined(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    return _to_teacher(event.payload, users, "move_declined_teacher", **_move_context(event.payload))


def move_expired(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    return _to_both(event.payload, users, "move_expired", **_move_context(event.payload))


def _series_context(payload: dict) -> dict:
    weeks = [
        {"date": date.fromisoformat(week["date"]), "reason": week["reason"]}
        for week in payload.get("skipped") or payload.get("missed") or []
    ]
    return {
        "booked": [_dt(start) for start in payload.get("booked") or payload.get("canceled") or []],
        "not_booked": weeks,
        "local_time": time.fromisoformat(payload["local_time"]),
    }


def _series_link(payload: dict, *, for_student: bool) -> str:
    return reverse("booking:series-list") if for_student else reverse("booking:teacher-dashboard")


def series_created(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    return _to_both(event.payload, users, "series_booked", link=_series_link, **_series_context(event.payload))


def series_extended(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    """The student hears of a week that could not be booked, or of a package running out."""
    payload = event.payload
    if not (payload.get("missed") or payload.get("low")):
        return []
    low = payload.get("low")
    link = reverse("billing:product-list") if low else _series_link(payload, for_student=True)
    context = {**_series_context(payload), "lessons_left": payload["lessons_left"], "low": low}
    return _to_student(payload, users, "series_extended", link=link, **context)


def series_canceled(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    payload = event.payload
    return _to_both(
        payload,
        users,
        "series_canceled",
        link=_series_link,
        **_series_context(payload),
        lessons_returned=payload.get("lessons_returned", 0),
    )


def booking_expired(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    return _to_student(event.payload, users, "booking_expired", channels=(IN_APP,))


def lesson_completed(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    return _to_student(event.payload, users, "lesson_completed")


def lesson_no_show(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    return _to_student(event.payload, users, "lesson_no_show")


def lesson_teacher_no_show(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    return _to_student(event.payload, users, "lesson_teacher_no_show")


def lesson_reminder(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    return _to_both(event.payload, users, "lesson_reminder", kind=event.payload.get("kind"))


def package_created(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    if event.payload.get("payment_id"):
        return []  # bought: the receipt tells the student
    return _to_student(event.payload, users, "package_created", expires=_dt(event.payload.get("expires_at")))


def package_expired(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    if not event.payload.get("lessons_left"):
        return []
    return _to_student(event.payload, users, "package_expired", expires=_dt(event.payload.get("expires_at")))


def payment_status_changed(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    status = event.payload.get("to")
    if status not in ("succeeded", "refunded"):
        return []
    return _to_student(event.payload, users, f"payment_{status}", expires=_dt(event.payload.get("expires_at")))


def waitlist_offered(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    """A freed slot offered to a waiting student; the link opens the offer page, which holds it for them."""
    payload = event.payload
    student = users.get(payload.get("student_id", 0))
    if student is None or not payload.get("offer_id"):
        return []
    context = {**_lesson_context(payload, users), "expires": _dt(payload.get("expires_at"))}
    return [Message(student, "waitlist_offer", context, reverse("booking:waitlist-offer", args=[payload["offer_id"]]))]


def _account(event: OutboxEvent, users: dict[int, User]) -> User | None:
    return users.get(int(event.aggregate_id)) if event.aggregate_id.isdigit() else None


def _verify(user: User, email: str, *, welcome: bool = False) -> Message:
    """The confirmation link for `email` (made when the e-mail is sent), to that address."""
    context = {
        "name": user.full_name,
        "email": email,
        "welcome": welcome,
        "required": verification.mode() == verification.MANDATORY,
        "hours": settings.ACCOUNTS_EMAIL_VERIFICATION_HOURS,
    }
    return Message(user, "verify_email", context, channels=(EMAIL,), to=email)


def user_registered(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    """A welcome in the inbox; by e-mail, the welcome asks to confirm the address (unless the school confirms none)."""
    user = _account(event, users)
    if user is None:
        return []
    welcome = Message(user, "welcome", {"name": user.full_name}, reverse("accounts:home"))
    if not verification.sends_links() or user.email_verified:
        return [welcome]
    return [replace(welcome, channels=(IN_APP,)), _verify(user, user.email, welcome=True)]


def email_verification_requested(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    """The link again, for the address still waiting (none if it was confirmed meanwhile)."""
    user = _account(event, users)
    email = event.payload.get("email", "")
    if user is None or email != verification.address_to_confirm(user):
        return []
    return [_verify(user, email)]


def email_change_requested(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    return email_verification_requested(event, users)


def email_verified(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    """A changed address: the old one is told, in case the change was not its owner's doing."""
    user = _account(event, users)
    previous = event.payload.get("previous_email")
    if user is None or not event.payload.get("changed") or not previous:
        return []
    context = {"name": user.full_name, "email": event.payload["email"], "previous": previous}
    return [Message(user, "email_changed", context, reverse("accounts:profile"), channels=(EMAIL,), to=previous)]


def password_reset_requested(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    """The reset link, if the address is an active account's with a password;
    nothing otherwise (the request answered the same either way)."""
    email = event.payload.get("email", "")
    user = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if user is None or not user.has_usable_password():
        return []
    timeout = settings.PASSWORD_RESET_TIMEOUT
    context = {
        "name": user.get_short_name(),
        "email": user.email,
        "hours": timeout // 3600 if timeout % 3600 == 0 else 0,
        "minutes": timeout // 60,
    }
    return [Message(user, "password_reset", context, channels=(EMAIL,))]


def login_paused(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    """The owner of an account hears that wrong passwords from one address
    paused its logins from there (once per account and window), by e-mail,
    with the way to a new password."""
    user = _account(event, users)
    if user is None or not user.is_active:
        return []
    payload = event.payload
    context = {
        "name": user.get_short_name(),
        "address": payload.get("source", ""),
        "at": _dt(payload.get("at")),
        "minutes": payload.get("minutes", 0),
    }
    return [Message(user, "login_paused", context, reverse("accounts:password-reset"), channels=(EMAIL,))]


RULES: dict[str, Callable[[OutboxEvent, dict[int, User]], list[Message]]] = {
    "identity.user.registered": user_registered,
    "identity.user.email_verification_requested": email_verification_requested,
    "identity.user.email_change_requested": email_change_requested,
    "identity.user.email_verified": email_verified,
    "identity.password_reset.requested": password_reset_requested,
    "identity.login.paused": login_paused,
    "booking.confirmed": booking_confirmed,
    "booking.canceled": booking_canceled,
    "booking.rescheduled": booking_rescheduled,
    "booking.expired": booking_expired,
    "booking.move_proposed": move_proposed,
    "booking.series.created": series_created,
    "booking.series.extended": series_extended,
    "booking.series.canceled": series_canceled,
    "booking.move_declined": move_declined,
    "booking.move_expired": move_expired,
    "booking.waitlist.offered": waitlist_offered,
    "lesson.completed": lesson_completed,
    "lesson.no_show": lesson_no_show,
    "lesson.teacher_no_show": lesson_teacher_no_show,
    "lesson.reminder": lesson_reminder,
    "billing.package.created": package_created,
    "billing.package.expired": package_expired,
    "billing.payment.status_changed": payment_status_changed,
}


def user_ids(events: Iterable[OutboxEvent]) -> set[int]:
    """Everyone a batch of events may concern, to load them in one query."""
    ids: set[int] = set()
    for event in events:
        for key in ("student_id", "teacher_id"):
            if isinstance(event.payload.get(key), int):
                ids.add(event.payload[key])
        if event.event_type.startswith(("identity.user.", "identity.login.")) and event.aggregate_id.isdigit():
            ids.add(int(event.aggregate_id))
    return ids


def messages_for(event: OutboxEvent, users: dict[int, User]) -> list[Message]:
    rule = RULES.get(event.event_type)
    return rule(event, users) if rule else []
