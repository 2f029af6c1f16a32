from contextlib import contextmanager

import pytest

from audit.models import AuditLog, OutboxEvent
from booking.models import Booking
from scheduling.models import Slot


def db_snapshot() -> dict:
    """What a refused scheduling write must leave untouched (removed slots included)."""
    return {
        "slots": sorted(Slot.objects.values_list("pk", "teacher_id", "start_at", "end_at", "removed_at")),
        "bookings": sorted(Booking.objects.values_list("pk", "slot_id", "status")),
        "audit": AuditLog.objects.count(),
        "outbox": OutboxEvent.objects.count(),
    }


@contextmanager
def db_unchanged():
    """`with db_unchanged(): ...` asserts the block left slots, audit and outbox as they were."""
    before = db_snapshot()
    yield
    assert db_snapshot() == before


@pytest.fixture
def unchanged(db):
    return db_unchanged
