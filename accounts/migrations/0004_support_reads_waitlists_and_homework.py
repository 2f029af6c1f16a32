from django.db import migrations

READS = ["booking.view_waitlistentry", "booking.view_waitlistoffer", "lessons.view_homeworkitem"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    support, _ = Group.objects.get_or_create(name="support")
    for code in READS:
        app_label, codename = code.split(".")
        support.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    support = Group.objects.filter(name="support").first()
    if support:
        for code in READS:
            app_label, codename = code.split(".")
            support.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    """Support reads waitlists and homework items (they help students with both)."""

    dependencies = [
        ("accounts", "0003_calendar_token_and_booking_rules"),
        ("booking", "0002_waitlist"),
        ("lessons", "0003_homework_items"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
