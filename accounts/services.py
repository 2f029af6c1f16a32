"""Account writes: registration, profile, passwords, calendar feed token,
teacher profile and booking rules, teacher publishing, login, JWT."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import auth_sessions, login_throttle, verification
from accounts.errors import (
    EmailAlreadyVerified,
    EmailTaken,
    InvalidCredentials,
    LoginPaused,
    TokenInvalid,
    WrongPassword,
)
from accounts.models import (
    BUFFER_MINUTES_MAX,
    MIN_NOTICE_HOURS_MAX,
    AuthSession,
    Language,
    Level,
    Role,
    TeacherProfile,
    User,
    new_calendar_token,
)
from accounts.validators import validate_timezone
from audit.services import audit_log_write, change_record, outbox_event_emit
from guitaronline.core import capabilities
from guitaronline.core.capabilities import Capability
from guitaronline.core.errors import InvalidInput, NotFound
from guitaronline.core.shared_answers import SLOT_AVAILABILITY, answers_outdated

SELF_SERVICE_ROLES = (Role.STUDENT, Role.TEACHER)


def _validated_timezone(value: str) -> str:
    try:
        validate_timezone(value)
    except ValidationError as exc:
        raise InvalidInput(details={"timezone": exc.messages}) from exc
    return value


def _validated_language(value: str) -> str:
    if value not in Language.values:
        raise InvalidInput(
            details={"language": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Language.values)}]}
        )
    return value


def _require_email_free(email: str, *, user: User | None = None) -> None:
    """Refuse an address another account has (any case); the unique index has the last word."""
    others = User.objects.filter(email__iexact=email)
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise EmailTaken()


def _validated_password(password: str, *, user: User | None = None) -> str:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(details={"password": exc.messages}) from exc
    return password


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    full_name: str,
    role: str = Role.STUDENT,
    timezone_name: str | None = None,
    language: str | None = None,
) -> User:
    """Create a student or teacher account; a teacher gets an unpublished profile."""
    if role not in SELF_SERVICE_ROLES:
        raise InvalidInput(details={"role": [_("Choose student or teacher.")]})
    email = User.objects.normalize_email(email)
    full_name = full_name.strip()
    if not full_name:
        raise InvalidInput(details={"full_name": [_("This field may not be blank.")]})
    user = User(email=email, full_name=full_name, role=role)
    if timezone_name:
        user.timezone = _validated_timezone(timezone_name)
    if language:
        user.language = _validated_language(language)
    _validated_password(password, user=user)
    user.set_password(password)
    _require_email_free(email)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration of the same e-mail won
        raise EmailTaken() from exc
    if role == Role.TEACHER:
        TeacherProfile.objects.create(user=user, display_name=full_name)
    change_record(actor=user, action="identity.user.registered", entity=user, payload={"role": role})
    return user


@transaction.atomic
def user_update_profile(
    *,
    user: User,
    full_name: str | None = None,
    timezone_name: str | None = None,
    language: str | None = None,
) -> User:
    changed: dict[str, str] = {}
    if full_name is not None and full_name.strip() and full_name.strip() != user.full_name:
        changed["full_name"] = full_name.strip()
    if timezone_name is not None and timezone_name != user.timezone:
        changed["timezone"] = _validated_timezone(timezone_name)
    if language is not None and language != user.language:
        changed["language"] = _validated_language(language)
    if not changed:
        return user
    for field, value in changed.items():
        setattr(user, field, value)
    user.save(update_fields=list(changed))
    change_record(actor=user, action="identity.user.updated", entity=user, payload=changed)
    return user


@transaction.atomic
def user_change_password(
    *, user: User, current_password: str, new_password: str, keep_device: str | None = None
) -> User:
    if not user.check_password(current_password):
        raise WrongPassword(details={"current_password": [str(WrongPassword.default_message)]})
    user_set_password(user=user, password=new_password, keep_device=keep_device)
    return user


@transaction.atomic
def user_set_password(
    *, user: User, password: str | None, keep_device: str | None = None, actor: User | None = None
) -> User:
    """Set a new password (after a change or a reset; None: no password works
    any more, set by staff), sign out every device but `keep_device` (the one
    that changed it; none after a reset) and lift every pause of the
    account's logins. `actor` is staff acting for the user."""
    if password is None:
        user.set_unusable_password()
    else:
        _validated_password(password, user=user)
        user.set_password(password)
    user.save(update_fields=["password"])
    ended = _devices_end(user=user, keep_device=keep_device)
    change_record(
        actor=actor or user,
        action="identity.user.password_changed",
        entity=user,
        payload={"devices_signed_out": ended, "usable": password is not None},
    )
    transaction.on_commit(partial(login_throttle.account_pauses_clear, email=user.email), robust=True)
    return user


# --- e-mail confirmation and change, password reset -------------------------


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Queue a password reset for an address. The request does the same
    work whether or not an account has it (one outbox row, no lookup), so it
    answers in the same time and tells nothing; the worker finds the
    account and sends the link (`notifications.rules.password_reset_requested`)."""
    outbox_event_emit(
        event_type="identity.password_reset.requested",
        aggregate=None,
        payload={"email": User.objects.normalize_email(email)},
    )


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Confirm the address a token names: the account's own, or the new one
    it asked for, which then replaces the old (if still free). A token works once."""
    user, email = verification.token_read(token, for_update=True)
    now = timezone.now()
    changed = email != user.email
    if changed:
        _require_email_free(email, user=user)
        previous, user.email, user.pending_email = user.email, email, ""
    user.email_verified_at = now
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "pending_email", "email_verified_at"])
    except IntegrityError as exc:  # the address was taken meanwhile
        raise EmailTaken() from exc
    payload = {"email": email, "changed": changed}
    if changed:
        payload["previous_email"] = previous
    change_record(actor=user, action="identity.user.email_verified", entity=user, payload=payload)
    return user


@transaction.atomic
def email_verification_resend(*, user: User) -> str:
    """Send the confirmation link again (through the outbox); returns the address it goes to."""
    email = verification.address_to_confirm(user)
    if not email or not verification.sends_links():
        raise EmailAlreadyVerified()
    outbox_event_emit(event_type="identity.user.email_verification_requested", aggregate=user, payload={"email": email})
    return email


@transaction.atomic
def user_change_email(*, user: User, email: str, password: str) -> User:
    """Ask for a new address. It replaces the old one once confirmed through
    the link sent to it (at once when the school confirms no addresses)."""
    if not user.check_password(password):
        raise WrongPassword(details={"password": [str(WrongPassword.default_message)]})
    email = User.objects.normalize_email(email)
    if email == user.email:
        if user.pending_email:  # back to the current address: the pending change is dropped
            user.pending_email = ""
            user.save(update_fields=["pending_email"])
            change_record(actor=user, action="identity.user.email_change_canceled", entity=user)
        return user
    _require_email_free(email, user=user)
    if not verification.sends_links():
        user.email, user.pending_email = email, ""
        user.save(update_fields=["email", "pending_email"])
        change_record(actor=user, action="identity.user.email_changed", entity=user, payload={"email": email})
        return user
    user.pending_email = email
    user.save(update_fields=["pending_email"])
    change_record(actor=user, action="identity.user.email_change_requested", entity=user, payload={"email": email})
    return user


@transaction.atomic
def email_mark_verified(*, user: User, actor: User) -> bool:
    """Staff vouch for an account's address (one they created, say). False if it was confirmed already."""
    if user.email_verified:
        return False
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    change_record(actor=actor, action="identity.user.email_verified", entity=user, payload={"by_staff": True})
    return True


@transaction.atomic
def user_calendar_token_rotate(*, user: User, actor: User | None = None) -> User:
    """Give the user a new calendar feed token: the old feed URL stops working
    at once. `actor` is staff acting for the user (the admin); by default the
    user. The token itself never goes into the audit record."""
    user.calendar_token = new_calendar_token()
    user.save(update_fields=["calendar_token"])
    audit_log_write(
        actor=actor or user,
        action="identity.user.calendar_token_rotated",
        entity=user,
        payload={"by_staff": actor is not None and actor.pk != user.pk},
    )
    return user


@transaction.atomic
def teacher_profile_update(
    *,
    profile: TeacherProfile,
    display_name: str,
    bio: str = "",
    styles: str = "",
    levels: Iterable[str] = (),
    lesson_minutes: int = 60,
    min_notice_hours: int | None = None,
    buffer_minutes: int = 0,
    actor: User | None = None,
) -> TeacherProfile:
    """Replace the teacher's public profile and booking rules (the teacher,
    or staff as `actor` in the admin). An empty `min_notice_hours` follows
    the school's BOOKING_MIN_NOTICE_HOURS."""
    levels = list(dict.fromkeys(levels))
    unknown = [level for level in levels if level not in Level.values]
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["levels"] = [
            ngettext("Unknown level: %(levels)s.", "Unknown levels: %(levels)s.", len(unknown))
            % {"levels": ", ".join(unknown)}
        ]
    if not display_name.strip():
        errors["display_name"] = [_("This field may not be blank.")]
    if not 15 <= lesson_minutes <= 240:
        errors["lesson_minutes"] = [
            _("Lesson length must be between %(min)d and %(max)d minutes.") % {"min": 15, "max": 240}
        ]
    if min_notice_hours is not None and not 0 <= min_notice_hours <= MIN_NOTICE_HOURS_MAX:
        errors["min_notice_hours"] = [
            _("Minimum notice must be between %(min)d and %(max)d hours.") % {"min": 0, "max": MIN_NOTICE_HOURS_MAX}
        ]
    if not 0 <= buffer_minutes <= BUFFER_MINUTES_MAX:
        errors["buffer_minutes"] = [
            _("The buffer must be between %(min)d and %(max)d minutes.") % {"min": 0, "max": BUFFER_MINUTES_MAX}
        ]
    if errors:
        raise InvalidInput(details=errors)
    profile.display_name = display_name.strip()
    profile.bio = bio.strip()
    profile.styles = styles.strip()
    profile.levels = levels
    profile.lesson_minutes = lesson_minutes
    profile.min_notice_hours = min_notice_hours
    profile.buffer_minutes = buffer_minutes
    profile.save(
        update_fields=[
            "display_name",
            "bio",
            "styles",
            "levels",
            "lesson_minutes",
            "min_notice_hours",
            "buffer_minutes",
            "updated_at",
        ]
    )
    change_record(
        actor=actor or profile.user,
        action="identity.teacher.updated",
        entity=profile,
        payload={
            "display_name": profile.display_name,
            "lesson_minutes": lesson_minutes,
            "min_notice_hours": min_notice_hours,
            "buffer_minutes": buffer_minutes,
        },
    )
    answers_outdated(SLOT_AVAILABILITY)  # the notice and the buffer decide which slots are open
    return profile


@transaction.atomic
def teacher_profile_set_published(*, profile: TeacherProfile, published: bool, actor: User) -> TeacherProfile:
    """Staff (with `publish_teachers`) publish or unpublish a teacher;
    repeating the same state is a no-op."""
    capabilities.require(actor, Capability.PUBLISH_TEACHERS)
    profile = TeacherProfile.objects.select_for_update().get(pk=profile.pk)
    if profile.is_published == published:
        return profile
    profile.is_published = published
    profile.published_at = timezone.now() if published else None
    profile.save(update_fields=["is_published", "published_at", "updated_at"])
    change_record(
        actor=actor,
        action="identity.teacher.published" if published else "identity.teacher.unpublished",
        entity=profile,
        payload={"teacher_id": profile.pk},
    )
    answers_outdated(SLOT_AVAILABILITY)
    return profile


# --- signing in and out -------------------------------------------------


def auth_authenticate(*, email: str, password: str, source: str, now: datetime | None = None) -> User:
    """The login rule, for the API (`auth_login`) and the login page: the
    account whose e-mail and password these are, from the client address
    `source`.

    After AUTH_LOGIN_ACCOUNT_FAILURES wrong passwords for one e-mail from one
    address, its logins from there are refused before the password is checked
    (`LoginPaused`) for AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS; other addresses go
    on as before. An unknown e-mail is counted the same way. The right
    password forgets the pair's wrong ones. Not one transaction: a refused
    login raises, and the owner's warning of a pause must stay written.
    """
    now = now or timezone.now()
    email = User.objects.normalize_email(email)
    attempt = login_throttle.attempt_start(email=email, source=source, now=now)
    if attempt.paused_until is not None:
        raise LoginPaused(retry_after=math.ceil((attempt.paused_until - now).total_seconds()))
    user = authenticate(username=email, password=password)
    if user is None:
        pause = login_throttle.failure_record(attempt, now=now)
        if pause is not None and pause.first_in_window:
            _login_paused_record(email=email, source=source, now=now, until=pause.until)
        raise InvalidCredentials()
    login_throttle.success_record(attempt)
    return user


def _login_paused_record(*, email: str, source: str, now: datetime, until: datetime) -> None:
    """The audit record and the owner's warning (`notifications.rules.login_paused`),
    once per account and window, if the e-mail is an active account's."""
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        return
    change_record(
        actor=None,
        action="identity.login.paused",
        entity=user,
        payload={
            "source": source,
            "at": now.isoformat(),
            "until": until.isoformat(),
            "failures": settings.AUTH_LOGIN_ACCOUNT_FAILURES,
            "minutes": math.ceil(settings.AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS / 60),
        },
    )


def auth_login(*, email: str, password: str, source: str, user_agent: str = "") -> dict[str, str]:
    """Log in through the API: the login rule (`auth_authenticate`), then a
    new signed-in device and its token pair."""
    user = auth_authenticate(email=email, password=password, source=source)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        audit_log_write(actor=user, action="identity.user.logged_in", entity=user, payload={"via": "api"})
        return auth_sessions.api_start(user=user, user_agent=user_agent, ip=source)


def _parse_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # type: ignore[arg-type]  # the stubs omit the encoded token
    except TokenError as exc:
        raise TokenInvalid() from exc


def _consume_refresh(token: RefreshToken) -> OutstandingToken:
    """Blacklist the token, insert first: of two concurrent uses, exactly one
    gets the row; the other hits the unique key and is refused."""
    outstanding, _created = OutstandingToken.objects.get_or_create(
        jti=token["jti"],
        defaults={
            "user_id": token.get("user_id"),
            "token": str(token),
            "created_at": token.current_time,
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError as exc:
        raise TokenInvalid() from exc
    return outstanding


@transaction.atomic
def auth_refresh_rotate(*, refresh: str, source: str = "", user_agent: str = "") -> dict[str, str]:
    """Exchange a refresh token for a new pair of the same device; the old one
    stops working. A signed-out device's token is refused."""
    token = _parse_refresh(refresh)
    device = auth_sessions.api_device_lock(token)
    outstanding = _consume_refresh(token)
    user = User.objects.filter(pk=token.get("user_id"), is_active=True).first()
    if user is None or (outstanding.user_id is not None and outstanding.user_id != user.pk):
        raise TokenInvalid()
    return auth_sessions.api_rotate(user=user, device=device, user_agent=user_agent, ip=source)


def _already_blacklisted(raw: str) -> bool:
    try:
        jti = RefreshToken(raw, verify=False).get("jti")  # type: ignore[arg-type]  # the stubs omit the encoded token
    except TokenError:
        return False
    return bool(jti) and BlacklistedToken.objects.filter(token__jti=jti).exists()


@transaction.atomic
def auth_logout(*, user: User, refresh: str) -> None:
    """Sign out the device of this refresh token of this user. Logging out
    twice is a no-op."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # the stubs omit the encoded token
    except TokenError as exc:
        if _already_blacklisted(refresh):
            return
        raise TokenInvalid() from exc
    if str(token.get("user_id")) != str(user.pk):
        raise TokenInvalid()
    try:
        _consume_refresh(token)
    except TokenInvalid:
        return
    device = auth_sessions.parse_id(token.get(auth_sessions.SESSION_ID_CLAIM))
    if device is not None:
        auth_sessions.end(AuthSession.objects.filter(pk=device, user=user))
    audit_log_write(actor=user, action="identity.user.logged_out", entity=user, payload={"via": "api"})


def browser_signed_in(*, user: User, session_key: str, user_agent: str, ip: str | None) -> str:
    """A browser has signed in (the login page, registration, the admin):
    its device, whose id the session keeps. The device row is the record."""
    return str(auth_sessions.browser_start(user=user, session_key=session_key, user_agent=user_agent, ip=ip).pk)


@transaction.atomic
def browser_signed_out(*, user: User, device: str | None) -> None:
    """A browser has signed out: its device ends (its `ended_at` is the record)."""
    device_id = auth_sessions.parse_id(device)
    if device_id is not None:
        auth_sessions.end(AuthSession.objects.filter(pk=device_id, user=user))


def _devices_end(*, user: User, keep_device: str | None = None) -> int:
    """Sign out every device of `user` but `keep_device`, and blacklist every
    other refresh token of theirs (those from before devices were recorded
    among them). Returns how many devices were signed out."""
    devices = AuthSession.objects.filter(user=user)
    tokens = OutstandingToken.objects.filter(user=user)
    keep = auth_sessions.parse_id(keep_device)
    if keep is not None:
        kept = AuthSession.objects.filter(pk=keep, user=user).values_list("refresh_jti", flat=True).first()
        devices = devices.exclude(pk=keep)
        if kept:
            tokens = tokens.exclude(jti=kept)
    return auth_sessions.end(devices, refresh_tokens=tokens)


@transaction.atomic
def auth_logout_all(*, user: User, actor: User | None = None) -> int:
    """Log out everywhere: every device of `user` signed out, this one too,
    and every refresh token blacklisted. `actor` is staff acting for them."""
    ended = _devices_end(user=user)
    change_record(
        actor=actor or user, action="identity.user.logged_out_everywhere", entity=user, payload={"devices": ended}
    )
    return ended


@transaction.atomic
def auth_device_end(*, user: User, device: str) -> None:
    """Sign out one of `user`'s devices (another's, or one that is not signed
    in, is not found)."""
    device_id = auth_sessions.parse_id(device)
    found = auth_sessions.live(user=user).filter(pk=device_id) if device_id else None
    if found is None or not auth_sessions.end(found):
        raise NotFound()
    change_record(actor=user, action="identity.user.device_signed_out", entity=user, payload={"device": str(device)})


@transaction.atomic
def auth_sessions_clear_expired() -> dict[str, int]:
    """What can no longer sign anyone in, deleted (the beat's daily task)."""
    return auth_sessions.clear_expired(now=timezone.now())
