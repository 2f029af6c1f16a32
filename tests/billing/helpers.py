"""Assertions shared by the billing tests."""

from audit.models import AdminAction, AuditLog, IdempotencyRecord, OutboxEvent
from billing import payments
from billing.models import LessonPackage, Payment, PaymentEvent

TRACKED = (LessonPackage, Payment, PaymentEvent, AuditLog, OutboxEvent, AdminAction, IdempotencyRecord)


def db_state(*objects) -> dict:
    """Row counts of every billing-related table plus the stored fields of `objects`.

    Failure paths compare this before and after: nothing may change.
    """
    state: dict = {model.__name__: model.objects.count() for model in TRACKED}
    for obj in objects:
        state[f"{obj._meta.label}#{obj.pk}"] = type(obj).objects.filter(pk=obj.pk).values().get()
    return state


def change_records(action: str, entity) -> tuple[list[AuditLog], list[OutboxEvent]]:
    entity_id = str(entity.pk)
    return (
        list(AuditLog.objects.filter(action=action, entity_id=entity_id)),
        list(OutboxEvent.objects.filter(event_type=action, aggregate_id=entity_id)),
    )


def assert_one_change_record(action: str, entity, payload: dict, actor=None) -> None:
    """Exactly one audit record and one outbox event of `action` for `entity`, both carrying `payload`."""
    audits, events = change_records(action, entity)
    assert len(audits) == 1, audits
    assert len(events) == 1, events
    assert audits[0].payload == payload
    assert audits[0].entity_type == entity._meta.label_lower
    assert audits[0].actor_id == (actor.pk if actor is not None else None)
    assert events[0].payload == payload
    assert events[0].aggregate_type == entity._meta.label_lower
    assert events[0].status == OutboxEvent.Status.PENDING


def assert_error(response, status: int, code: str) -> dict:
    """The API's one error shape, with this status and code; returns the error."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error


def checkout(student, product) -> Payment:
    """A new checkout of `product` for `student`, registered with the configured provider."""
    payment, created = payments.product_checkout(student=student, product_id=product.pk)
    assert created
    return payment
