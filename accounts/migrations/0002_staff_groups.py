"""Staff groups: `support` (bookings, lessons, notifications; reads users and
the schedule) and `finance` (packages and payments; reads users).
Superusers have every right anyway."""

from django.db import migrations

GROUPS = {
    "support": [
        "booking.view_booking",
        "booking.change_booking",
        "lessons.view_lesson",
        "lessons.change_lesson",
        "notifications.view_notification",
        "notifications.change_notification",
        "accounts.view_user",
        "accounts.view_teacherprofile",
        "scheduling.view_slot",
        "audit.view_outboxevent",
        "audit.view_auditlog",
    ],
    "finance": [
        "billing.view_lessonpackage",
        "billing.add_lessonpackage",
        "billing.change_lessonpackage",
        "billing.view_payment",
        "billing.add_payment",
        "billing.change_payment",
        "accounts.view_user",
        "audit.view_auditlog",
    ],
}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUPS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("audit", "0003_idempotencyrecord_verbose_names"),
        ("billing", "0001_initial"),
        ("booking", "0001_initial"),
        ("lessons", "0002_lesson_reminders"),
        ("notifications", "0002_periodic_tasks"),
        ("scheduling", "0003_slot_removed_at"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
