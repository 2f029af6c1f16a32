"""The beat schedule of payment reconciliation."""

from django.db import migrations

from guitaronline.core.migration_ops import CreatePeriodicTasks


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_products_checkout_events"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        CreatePeriodicTasks(
            [
                ("Reconcile pending payments", "billing.reconcile_payments", 300),
            ]
        )
    ]
