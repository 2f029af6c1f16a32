"""Carry the request id from the process that publishes a task into the task.

`before_task_publish` copies the bound request id (`guitaronline.core.context`)
into the message headers; in the worker, `task_prerun` binds it for the task
body (so audit records and log lines of the task carry the id of the request
that caused it) and `task_postrun` restores the previous context. A task
published without one (beat, a shell) runs under its own task id instead.
"""

from __future__ import annotations

import threading
from contextvars import Token
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun

from guitaronline.core import context

HEADER = "request_id"
MAX_LENGTH = 64  # AuditLog.request_id and the X-Request-ID format allow 64 characters

_tokens: dict[str, Token] = {}
_tokens_lock = threading.Lock()


def on_before_task_publish(sender: str | None = None, headers: dict | None = None, **kwargs: Any) -> None:
    if headers is None:
        return
    request_id = context.current().request_id
    if request_id and not headers.get(HEADER):
        headers[HEADER] = request_id


def incoming_request_id(task: Any) -> str:
    """The id a task was published with: a message header in a worker, or
    `headers` of `Task.apply(headers=...)` when run eagerly."""
    request = getattr(task, "request", None)
    if request is None:
        return ""
    value = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)
    return str(value)[:MAX_LENGTH] if value else ""


def on_task_prerun(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    request_id = incoming_request_id(task) or (task_id or "")[:MAX_LENGTH]
    token = context.bind(context.RequestContext(request_id=request_id))
    if task_id:
        with _tokens_lock:
            _tokens[task_id] = token


def on_task_postrun(task_id: str | None = None, **kwargs: Any) -> None:
    with _tokens_lock:
        token = _tokens.pop(task_id or "", None)
    if token is None:
        return
    try:
        context.reset(token)
    except ValueError:  # bound in another context (a pool that switched threads): just clear it
        context.bind(context.RequestContext())


def connect() -> None:
    """Connect the handlers (idempotent: each has a dispatch uid)."""
    before_task_publish.connect(on_before_task_publish, dispatch_uid="guitaronline.request_id.publish", weak=False)
    task_prerun.connect(on_task_prerun, dispatch_uid="guitaronline.request_id.prerun", weak=False)
    task_postrun.connect(on_task_postrun, dispatch_uid="guitaronline.request_id.postrun", weak=False)
