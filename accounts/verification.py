"""E-mail verification: the school's policy, the one check that guards what
needs a confirmed address, and the one-time tokens.

Policy (ACCOUNTS_EMAIL_VERIFICATION): `mandatory` sends the link and keeps an
unconfirmed account from holding, buying and joining waitlists; `optional`
sends the link and asks nothing; `none` sends nothing.

A token is signed and timestamped with Django's signing (valid for
ACCOUNTS_EMAIL_VERIFICATION_HOURS) and names the user, the address it
confirms and a hash of the account's addresses and confirmation time.
Confirming changes that state, so a token works once and every older one
dies with it. Nothing is stored: the link is made when its e-mail is sent.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.errors import EmailUnverified, VerificationExpired, VerificationInvalid
from accounts.models import User
from guitaronline.core.ratelimits import user_limited

MANDATORY, OPTIONAL, NONE = "mandatory", "optional", "none"
MODES = (MANDATORY, OPTIONAL, NONE)
SALT = "accounts.email-verification"


def mode() -> str:
    return settings.ACCOUNTS_EMAIL_VERIFICATION


def sends_links() -> bool:
    return mode() != NONE


def require_verified(user) -> None:
    """Refuse (403 `email_unverified`) what needs a confirmed address, under `mandatory`."""
    if mode() == MANDATORY and not user.email_verified:
        raise EmailUnverified()


def _state(user: User, email: str) -> str:
    verified = user.email_verified_at.isoformat() if user.email_verified_at else ""
    value = f"{user.pk}|{user.email}|{user.pending_email}|{verified}|{email}"
    return salted_hmac(SALT, value, algorithm="sha256").hexdigest()[:32]


def token_make(user: User, email: str) -> str:
    """A token that confirms `email` (the account's address or its pending new one)."""
    return signing.dumps({"u": user.pk, "e": email, "s": _state(user, email)}, salt=SALT, compress=True)


def token_read(token: str, *, for_update: bool = False) -> tuple[User, str]:
    """The user and address a token confirms; refused when expired, forged or used."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.ACCOUNTS_EMAIL_VERIFICATION_HOURS * 3600)
    except signing.SignatureExpired as exc:
        raise VerificationExpired() from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise VerificationInvalid() from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), str):
        raise VerificationInvalid()
    users = User.objects.select_for_update() if for_update else User.objects
    user = users.filter(pk=data["u"], is_active=True).first()
    email = data["e"]
    if user is None or email not in (user.email, user.pending_email) or not email:
        raise VerificationInvalid()
    if not constant_time_compare(str(data.get("s", "")), _state(user, email)):
        raise VerificationInvalid()
    if email == user.email and user.email_verified:
        raise VerificationInvalid()
    return user, email


def address_to_confirm(user: User) -> str:
    """The address a (re)sent link confirms: the pending new one, else an unconfirmed current one."""
    if user.pending_email:
        return user.pending_email
    return "" if user.email_verified else user.email


def resend_limited(request) -> bool:
    """Count one request for the link again and say whether the signed-in user is over
    ACCOUNTS_EMAIL_VERIFICATION_RESENDS_PER_HOUR (pages and API share the bucket)."""
    return user_limited(
        request, group="accounts.verify_resend", per_hour=settings.ACCOUNTS_EMAIL_VERIFICATION_RESENDS_PER_HOUR
    )
