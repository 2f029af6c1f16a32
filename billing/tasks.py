from celery import shared_task

from billing import services


@shared_task(name="billing.expire_packages", ignore_result=True)
def expire_packages() -> int:
    """Persist `expired` for active packages past their expiry."""
    return services.packages_expire_overdue()
