"""The beat schedules, created once; staff can change them in the admin
(django-celery-beat's "Periodic tasks")."""

from django.db import migrations

SCHEDULES = [
    # (name, task, every seconds)
    ("Dispatch the outbox", "notifications.dispatch_outbox", 30),
    ("Expire stale holds", "booking.expire_holds", 60),
    ("Send lesson reminders", "lessons.send_reminders", 300),
    ("Expire overdue packages", "billing.expire_packages", 900),
    ("Prune old idempotency records", "audit.prune_idempotency_records", 86400),
]


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, seconds in SCHEDULES:
        interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
