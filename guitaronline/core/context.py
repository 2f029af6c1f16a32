"""Per-request context (request id, client IP) for audit records and logs."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None


_EMPTY = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("guitaronline_request_context", default=None)


def current() -> RequestContext:
    return _current.get() or _EMPTY


def bind(context: RequestContext):
    """Set the context; returns the token to pass to `reset`."""
    return _current.set(context)


def reset(token) -> None:
    _current.reset(token)
