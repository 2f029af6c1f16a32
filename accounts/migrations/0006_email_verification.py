from django.db import migrations, models
from django.db.models import F


def accounts_before_verification_count_as_verified(apps, schema_editor):
    """Accounts made before addresses were confirmed keep working as they did."""
    apps.get_model("accounts", "User").objects.update(email_verified_at=F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_staff_capability"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="e-mail confirmed at"),
        ),
        migrations.AddField(
            model_name="user",
            name="pending_email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="new e-mail, not yet confirmed"),
        ),
        migrations.RunPython(accounts_before_verification_count_as_verified, migrations.RunPython.noop),
    ]
