"""The benchmark's shop, made through pretix's models as its event wizard makes one:
an organizer, a live event a month ahead, one product ("lesson") on a quota of
`units`, and a team whose API token may view and change the event's orders.

    python manage.py shell -c "from bench_pretix.seed import seed; seed(3000, '/path/seed.json')"
"""

import json
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils.timezone import now
from django_scopes import scopes_disabled

ORGANIZER = "school"
EVENT = "lessons"


def seed(units: int, out: str) -> None:
    from pretix.base.models import Event, Organizer, Team

    with scopes_disabled():
        organizer = Organizer.objects.create(name="Guitar school", slug=ORGANIZER)
        event = Event.objects.create(
            organizer=organizer,
            name="Guitar lessons",
            slug=EVENT,
            currency="EUR",
            date_from=now() + timedelta(days=30),
            live=True,
        )
        default_plugins = settings.PRETIX_PLUGINS_DEFAULT.split(",")
        event.set_active_plugins(default_plugins, allow_restricted=default_plugins)
        event.save(update_fields=["plugins"])
        event.checkin_lists.create(name="Default", all_products=True)
        event.set_defaults()
        event.settings.set("timezone", settings.TIME_ZONE)
        event.settings.set("locale", "en")
        event.settings.set("locales", ["en"])

        item = event.items.create(name="Lesson", default_price=Decimal("30.00"), admission=True, active=True)
        quota = event.quotas.create(name="Lessons", size=units)
        quota.items.add(item)

        team = Team.objects.create(
            organizer=organizer,
            name="Booking API",
            all_events=True,
            limit_event_permissions={"event.orders:read": True, "event.orders:write": True},
        )
        token = team.tokens.create(name="bench")

    with open(out, "w") as f:
        json.dump({"token": token.token, "organizer": ORGANIZER, "event": EVENT, "item": item.pk}, f)
