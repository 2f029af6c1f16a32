"""Error tracking with Sentry, switched on by SENTRY_DSN (settings call
`init`). The Django and Celery integrations report unhandled errors of
requests and tasks; each event carries the request id of the request or the
task (`guitaronline.core.context`) as the tag `request_id`, the one the JSON
logs carry, and no personal data: no user, no cookies, no Authorization
header, no request body, no client address.

Kept free of Django imports: settings call it while they are being read."""

from __future__ import annotations

from typing import Any

PRIVATE_HEADERS = frozenset({"authorization", "cookie", "x-forwarded-for", "x-real-ip"})


def _scrub(event: Any, hint: dict[str, Any]) -> Any:  # sentry_sdk's Event, a TypedDict of the event
    """Tag the request id, and drop whatever could name a person."""
    from guitaronline.core.context import current

    request_id = current().request_id
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("cookies", "data", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {name: value for name, value in headers.items() if name.lower() not in PRIVATE_HEADERS}
    return event


def init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> bool:
    """Start the SDK when a DSN is set; whether it started."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=_scrub,
    )
    return True
