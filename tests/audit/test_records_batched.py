"""`records_batched`: a change of many steps writes its audit records and
outbox events in one INSERT each, in order, or not at all."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditLog, OutboxEvent
from audit.services import change_record, records_batched
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db(transaction=True)


class Refused(Exception):
    pass


def inserts(statements, table: str) -> int:
    return sum(1 for query in statements.captured_queries if query["sql"].startswith(f'INSERT INTO "{table}"'))


def actions(model) -> list[str]:
    field = "action" if model is AuditLog else "event_type"
    return list(model.objects.order_by("created_at").values_list(field, flat=True))


def test_the_records_of_a_block_go_in_one_insert_each_in_the_order_they_were_made():
    student = StudentFactory()
    with transaction.atomic(), CaptureQueriesContext(connection) as statements, records_batched():
        for n in range(5):
            change_record(actor=student, action=f"step.{n}", entity=student, payload={"n": n})
        assert not AuditLog.objects.exists()  # kept until the block ends
    assert inserts(statements, "audit_auditlog") == 1
    assert inserts(statements, "audit_outboxevent") == 1
    steps = [f"step.{n}" for n in range(5)]
    assert actions(AuditLog) == steps and actions(OutboxEvent) == steps
    assert [event.payload["n"] for event in OutboxEvent.objects.order_by("created_at")] == list(range(5))


def test_an_inner_block_joins_the_outer_one_and_is_dropped_when_it_raises():
    student = StudentFactory()
    with transaction.atomic(), records_batched():
        change_record(actor=student, action="outer.first", entity=student)
        with transaction.atomic(), records_batched():
            change_record(actor=student, action="inner.kept", entity=student)
        try:
            with transaction.atomic(), records_batched():
                change_record(actor=student, action="inner.dropped", entity=student)
                raise Refused()
        except Refused:
            pass
        change_record(actor=student, action="outer.last", entity=student)
        assert not OutboxEvent.objects.exists()  # the inner blocks wrote nothing of their own
    assert actions(AuditLog) == ["outer.first", "inner.kept", "outer.last"]
    assert actions(OutboxEvent) == ["outer.first", "inner.kept", "outer.last"]


def test_a_block_that_raises_writes_nothing():
    student = StudentFactory()
    with pytest.raises(Refused), transaction.atomic(), records_batched():
        change_record(actor=student, action="never", entity=student)
        raise Refused()
    assert not AuditLog.objects.exists() and not OutboxEvent.objects.exists()
    change_record(actor=student, action="after", entity=student)  # outside a block: written at once
    assert actions(OutboxEvent) == ["after"]
