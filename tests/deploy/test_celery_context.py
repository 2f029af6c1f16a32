"""The request id travels from the publisher into the Celery task."""

from __future__ import annotations

import pytest
from celery.signals import before_task_publish

from guitaronline import celery_context
from guitaronline.celery import app as celery_app
from guitaronline.core import context


@celery_app.task(name="tests.deploy.request_id_probe")
def request_id_probe() -> str:
    return context.current().request_id


@pytest.fixture
def published_headers():
    """The headers of every message published while the test runs, as the broker gets them."""
    seen: list[dict] = []

    def record(sender=None, headers=None, **kwargs):
        seen.append(dict(headers or {}))

    before_task_publish.connect(record, weak=False)
    try:
        yield seen
    finally:
        before_task_publish.disconnect(record)


def test_a_task_published_in_a_request_runs_under_its_id(published_headers):
    token = context.bind(context.RequestContext(request_id="req-from-web"))
    try:
        request_id_probe.delay()  # the test broker is memory://: published, not run
    finally:
        context.reset(token)
    assert published_headers[-1][celery_context.HEADER] == "req-from-web"

    # In the worker: the task body sees the id, and the worker's context is
    # restored afterwards.
    outer = context.bind(context.RequestContext(request_id="worker-idle"))
    try:
        result = request_id_probe.apply(headers=published_headers[-1])
        assert result.get() == "req-from-web"
        assert context.current().request_id == "worker-idle"
    finally:
        context.reset(outer)


def test_a_message_header_is_read_as_the_worker_sees_it():
    """A worker turns message headers into attributes of `task.request`."""

    class Request:
        request_id = "req-as-header"
        headers = None

    class Task:
        request = Request()

    assert celery_context.incoming_request_id(Task()) == "req-as-header"


def test_a_task_without_a_request_runs_under_its_task_id(published_headers):
    request_id_probe.delay()
    assert celery_context.HEADER not in published_headers[-1]
    result = request_id_probe.apply(task_id="beat-task-0001")
    assert result.get() == "beat-task-0001"
    assert context.current().request_id == ""


def test_an_existing_header_is_not_overwritten():
    headers = {celery_context.HEADER: "first"}
    token = context.bind(context.RequestContext(request_id="second"))
    try:
        celery_context.on_before_task_publish(headers=headers)
    finally:
        context.reset(token)
    assert headers[celery_context.HEADER] == "first"


def test_connecting_twice_keeps_one_handler(published_headers):
    celery_context.connect()
    celery_context.connect()
    token = context.bind(context.RequestContext(request_id="once"))
    try:
        request_id_probe.delay()
    finally:
        context.reset(token)
    assert published_headers[-1][celery_context.HEADER] == "once"
    receivers = [r for r in before_task_publish.receivers if r[0][0] == "guitaronline.request_id.publish"]
    assert len(receivers) == 1
