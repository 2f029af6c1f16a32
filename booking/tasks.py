from celery import shared_task

from booking import services


@shared_task(name="booking.expire_holds", ignore_result=True)
def expire_holds() -> int:
    """Persist the expiry of dead holds (they are already dead wherever read)."""
    return services.bookings_expire_holds()
