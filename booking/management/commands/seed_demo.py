"""Demo data for a fresh site (idempotent; refuses to run in production)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.demo import DEMO_PASSWORD
from booking.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo users, slots and package (idempotent). Never runs with APP_ENV=production."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with APP_ENV=production.")
        with transaction.atomic():
            demo = seed_demo()
        self.stdout.write(f"Demo data ready ({demo['slots_created']} new slots).")
        for user in demo["users"]:
            self.stdout.write(f"  {user.role:<8} {user.email}  password: {DEMO_PASSWORD}")
