"""Staff capabilities: one permission each on `StaffCapability` (a model
without a table), given to the staff groups. `support` runs bookings and
messages, `finance` the money; both read the audit log. Support also reads
lesson packages: it expires overdue ones, and students ask about them."""

from django.db import migrations, models

GRANTS = {
    "support": ["cancel_for_students", "expire_overdue", "requeue_messages", "publish_teachers", "read_audit_log"],
    "finance": ["manage_packages", "manage_payments", "read_audit_log"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames))
    support = Group.objects.get(name="support")
    support.permissions.add(Permission.objects.get(content_type__app_label="billing", codename="view_lessonpackage"))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
            )
    support = Group.objects.filter(name="support").first()
    if support:
        support.permissions.remove(
            *Permission.objects.filter(content_type__app_label="billing", codename="view_lessonpackage")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_support_reads_waitlists_and_homework"),
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="StaffCapability",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ],
            options={
                "verbose_name": "staff capability",
                "verbose_name_plural": "staff capabilities",
                "permissions": [
                    ("manage_packages", "Manage lesson packages (create, cancel)"),
                    ("manage_payments", "Record, settle and refund payments"),
                    ("cancel_for_students", "Cancel bookings on a student's behalf"),
                    ("expire_overdue", "Expire stale holds and overdue packages"),
                    ("requeue_messages", "Requeue outbox events and re-send e-mails"),
                    ("publish_teachers", "Publish and unpublish teachers"),
                    ("read_audit_log", "Read the audit log"),
                ],
                "managed": False,
                "default_permissions": (),
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
