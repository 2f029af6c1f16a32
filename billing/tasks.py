from celery import shared_task

from billing import payments, services


@shared_task(name="billing.expire_packages", ignore_result=True)
def expire_packages() -> int:
    """Persist `expired` for active packages past their expiry."""
    return services.packages_expire_overdue()


@shared_task(name="billing.reconcile_payments", ignore_result=True)
def reconcile_payments() -> dict[str, int]:
    """Settle or expire checkouts whose provider notification did not come."""
    return payments.payments_reconcile()
