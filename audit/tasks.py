from celery import shared_task

from audit import services


@shared_task(name="audit.prune_idempotency_records", ignore_result=True)
def prune_idempotency_records() -> int:
    return services.idempotency_records_prune()
