"""The beat schedule of the waitlist."""

from django.db import migrations

from guitaronline.core.migration_ops import CreatePeriodicTasks


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0002_waitlist"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        CreatePeriodicTasks(
            [
                ("Advance waitlist offers", "booking.advance_waitlist_offers", 60),
            ]
        )
    ]
