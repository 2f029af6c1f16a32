"""JSON log lines for production (`APP_ENV=production` or `LOG_FORMAT=json`).

One JSON object per line, built by python-json-logger, with the fields a log
pipeline needs to join a line to its request: `time` (UTC, ISO 8601),
`level`, `logger`, `message`, `request_id` (from `guitaronline.core.context`,
bound by `RequestContextMiddleware` in web processes and by
`guitaronline.celery_context` in Celery tasks) and, inside a Celery task,
`task_id` / `task_name`. Extra attributes passed with `extra=` are kept.

Kept free of Django imports: gunicorn's config loads it before Django is set up.
"""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from guitaronline.core.context import current

DEFAULT_FIELDS = "%(levelname)s %(name)s %(message)s"
RENAMED = {"levelname": "level", "name": "logger"}


def _current_task():
    try:
        from celery._state import get_current_task
    except ImportError:  # pragma: no cover - Celery is a runtime dependency
        return None
    return get_current_task()


class JsonFormatter(_BaseJsonFormatter):
    """python-json-logger's formatter plus the request id in every record."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not args:
            kwargs.setdefault("fmt", DEFAULT_FIELDS)
        kwargs.setdefault("rename_fields", RENAMED)
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        request = log_data.pop("request", None)  # django.request / django.server pass the HttpRequest itself
        if request is not None:
            log_data["http_method"] = getattr(request, "method", None)
            log_data["http_path"] = getattr(request, "path", None)
        # An explicit `extra={"request_id": ...}` wins over the bound context;
        # django.request logs 4xx/5xx after the middleware has unbound it, but
        # the request carries its id.
        log_data["request_id"] = (
            getattr(record, "request_id", None) or current().request_id or getattr(request, "request_id", None) or None
        )
        task = _current_task()
        if task is not None and getattr(task.request, "id", None):
            log_data.setdefault("task_id", task.request.id)
            log_data.setdefault("task_name", task.name)


class ExpectedRefusalFilter(logging.Filter):
    """Drops django.request's line for an answer that is a refusal the product
    expects in bulk: 409 (a taken slot, an expired hold: 63 of 64 students racing
    for one slot) and 429 (a login flood). They are counted by status in /metrics
    and logged by nginx; a line each would cost the worker CPU and flood the logs
    just when the site is busiest. Other 4xx (a 404 while probing ids) stay."""

    QUIET = frozenset({409, 429})

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) not in self.QUIET
