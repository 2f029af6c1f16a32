"""Staff capabilities: one permission each on `StaffCapability` (a model
without a table), given to the staff groups. `support` runs bookings and
messages, `finance` the money; both read the audit log. Support also reads
lesson packages: it expires overdue ones, and students ask about them."""

from django.db import migrations, models

from guitaronline.core.migration_ops import GrantPermissions

GRANTS = {
    "support": [
        "accounts.cancel_for_students",
        "accounts.expire_overdue",
        "accounts.requeue_messages",
        "accounts.publish_teachers",
        "accounts.read_audit_log",
        "billing.view_lessonpackage",
    ],
    "finance": ["accounts.manage_packages", "accounts.manage_payments", "accounts.read_audit_log"],
}


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
        GrantPermissions(GRANTS),
    ]
