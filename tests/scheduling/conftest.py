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


@pytest.fixture
def unchanged(db):
    """`with unchanged(): ...` asserts the block left slots, audit and outbox as they were."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        before = db_snapshot()
        yield
        assert db_snapshot() == before

    return check
