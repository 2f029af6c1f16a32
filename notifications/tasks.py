"""Celery tasks of the notifications app: thin wrappers around services."""

from celery import shared_task

from notifications import services

DISPATCH_TASK = "notifications.dispatch_outbox"


@shared_task(name=DISPATCH_TASK, ignore_result=True)
def dispatch_outbox() -> dict:
    """Turn due outbox events into notifications and send due e-mails."""
    return vars(services.outbox_dispatch())
