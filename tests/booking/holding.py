"""What a hold does with the slot it is asked for, for tests of the rule."""

from django.db import transaction
from django.utils import timezone

from booking import selectors, services
from guitaronline.core.errors import NotFound
from guitaronline.core.ids import object_id
from scheduling.models import Slot
from scheduling.selectors import live_slots


def slot_get_open(*, slot_id, now=None, for_update=False, releasing_slot_id=None) -> Slot:
    """Lock the slot and check it can be held, as a hold does (`for_update`),
    or make the same check without the locks."""
    now = now or timezone.now()
    if for_update:
        with transaction.atomic():
            return services._lock_open_slot(slot_id, now=now, releasing_slot_id=releasing_slot_id)
    try:
        slot = live_slots().select_related("teacher__teacher_profile").get(pk=object_id(slot_id))
    except Slot.DoesNotExist as exc:
        raise NotFound() from exc
    selectors.slot_check_open(slot=slot, now=now, releasing_slot_id=releasing_slot_id)
    return slot
