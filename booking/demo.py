"""Demo data of SPEC §8: the demo users, the teacher's open slots over the
next two weeks, the products on sale and the student's payments, among them
the 10-lesson package they book with. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.demo import seed_demo_users
from billing import demo as billing_demo
from scheduling import services as scheduling_services

# (start, end) in the teacher's own time zone, every day of the week
DEMO_HOURS = ((dt.time(10), dt.time(12)), (dt.time(17), dt.time(20)))
DEMO_WEEKS = 3  # the current week and two more: open slots over the next 14 days


def seed_demo(*, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    admin, teacher, student = seed_demo_users()
    created = 0
    for weekday in range(7):
        for start, end in DEMO_HOURS:
            result = scheduling_services.slot_create_recurring(
                teacher=teacher,
                weekday=weekday,
                start_time=start,
                end_time=end,
                slot_minutes=60,
                weeks=DEMO_WEEKS,
                now=now,
            )
            created += len(result.created)
    products = billing_demo.seed_demo_products(admin=admin)
    billing_demo.seed_demo_payments(admin=admin, student=student, products=products, now=now)
    return {"users": [admin, teacher, student], "slots_created": created, "products": products}
