"""Each user's private calendar feed token, and a teacher's booking rules
(minimum notice, buffer between lessons).

The token is unique, so existing users get one each in three steps: add the
column empty, give every row its own token, then make it required and add
the unique constraint (also the feed's lookup index).
"""

import secrets

import django.core.validators
from django.db import migrations, models

import accounts.models


def issue_calendar_tokens(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    users = list(User.objects.filter(calendar_token__isnull=True).only("pk"))
    for user in users:
        user.calendar_token = secrets.token_urlsafe(32)
    User.objects.bulk_update(users, ["calendar_token"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_staff_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="calendar_token",
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name="calendar token"),
        ),
        migrations.RunPython(issue_calendar_tokens, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="user",
            name="calendar_token",
            field=models.CharField(
                default=accounts.models.new_calendar_token,
                editable=False,
                max_length=64,
                verbose_name="calendar token",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(fields=("calendar_token",), name="user_calendar_token_unique"),
        ),
        migrations.AddField(
            model_name="teacherprofile",
            name="min_notice_hours",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Students book at least this many hours before a lesson starts; empty: the school's default.",
                null=True,
                validators=[django.core.validators.MaxValueValidator(168)],
                verbose_name="minimum notice, hours",
            ),
        ),
        migrations.AddField(
            model_name="teacherprofile",
            name="buffer_minutes",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="Free time kept before and after each booked lesson.",
                validators=[django.core.validators.MaxValueValidator(120)],
                verbose_name="buffer between lessons, minutes",
            ),
        ),
        migrations.AddConstraint(
            model_name="teacherprofile",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("min_notice_hours__isnull", True),
                    models.Q(("min_notice_hours__gte", 0), ("min_notice_hours__lte", 168)),
                    _connector="OR",
                ),
                name="teacher_min_notice_hours_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="teacherprofile",
            constraint=models.CheckConstraint(
                condition=models.Q(("buffer_minutes__gte", 0), ("buffer_minutes__lte", 120)),
                name="teacher_buffer_minutes_range",
            ),
        ),
    ]
