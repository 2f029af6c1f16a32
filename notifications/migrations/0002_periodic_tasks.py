"""The beat schedules of the first release."""

from django.db import migrations

from guitaronline.core.migration_ops import CreatePeriodicTasks


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        CreatePeriodicTasks(
            [
                ("Dispatch the outbox", "notifications.dispatch_outbox", 30),
                ("Expire stale holds", "booking.expire_holds", 60),
                ("Send lesson reminders", "lessons.send_reminders", 300),
                ("Expire overdue packages", "billing.expire_packages", 900),
                ("Prune old idempotency records", "audit.prune_idempotency_records", 86400),
            ]
        )
    ]
