import pytest

from audit.models import AuditLog, OutboxEvent
from scheduling.models import Slot


def db_snapshot() -> dict:
    """What a refused scheduling write must leave untouched."""
    return {
        "slots": sorted(Slot.objects.values_list("pk", "teacher_id", "start_at", "end_at")),
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
