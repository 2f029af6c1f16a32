"""Per-IP limits on the auth endpoints (API and pages), set by AUTH_RATE_LIMIT_*.

The limit is checked before the view runs, so a limited request never
reaches the password hasher.
"""

from __future__ import annotations

from django.conf import settings
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

from guitaronline.core.clients import ratelimit_key

# action -> the AUTH_RATE_LIMIT_*_REQUESTS setting that sets its budget
ACTIONS = {
    "register": "AUTH_RATE_LIMIT_REGISTER_REQUESTS",
    "login": "AUTH_RATE_LIMIT_LOGIN_REQUESTS",
    "refresh": "AUTH_RATE_LIMIT_REFRESH_REQUESTS",
    "password_reset": "AUTH_RATE_LIMIT_LOGIN_REQUESTS",
    "verify": "AUTH_RATE_LIMIT_LOGIN_REQUESTS",
}


def auth_rate(action: str):
    setting = ACTIONS[action]

    def rate(group: str, request) -> str:
        return f"{getattr(settings, setting)}/{settings.AUTH_RATE_LIMIT_WINDOW_SECONDS}s"

    return rate


def auth_ratelimit(action: str):
    """Decorator for a view (or, with method_decorator, a view method).

    Page and API views of one action share a bucket, so switching surface
    does not double an attacker's budget.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown rate-limited action {action!r}")
    return ratelimit(group=f"auth.{action}", key=ratelimit_key, rate=auth_rate(action), method="POST", block=True)


def user_limited(request, *, group: str, per_hour: int) -> bool:
    """Count one request of the signed-in user in `group` and say whether it
    is over `per_hour` (for what a user may ask for again, like a link sent
    by e-mail: a page shows a message, the API answers 429)."""
    return is_ratelimited(
        request, group=group, key="user", rate=f"{per_hour}/h", method=is_ratelimited.ALL, increment=True
    )
