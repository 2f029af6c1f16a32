from celery import shared_task

from booking import services, waitlist


@shared_task(name="booking.expire_holds", ignore_result=True)
def expire_holds() -> int:
    """Persist the expiry of dead holds (they are already dead wherever read)."""
    return services.bookings_expire_holds()


@shared_task(name="booking.advance_waitlist_offers", ignore_result=True)
def advance_waitlist_offers() -> dict:
    """Lapse old waitlist offers and pass them on; offer open slots to waiting students."""
    return waitlist.waitlist_offers_advance()


@shared_task(name="booking.expire_move_proposals", ignore_result=True)
def expire_move_proposals() -> int:
    """Proposals to move a lesson not answered in time: the lessons stay; both sides are told."""
    return services.move_proposals_expire()


@shared_task(name="booking.extend_series", ignore_result=True)
def extend_series() -> dict:
    """Book open-ended weekly series ahead, as slots and packages allow."""
    return services.series_extend()
