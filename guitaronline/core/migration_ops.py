"""Migration operations used by several apps.

- `RunSQLOnPostgres`: invariants only PostgreSQL can enforce. SQLite (the
  embedded default) has no exclusion constraints; there the services' own
  checks under a row lock remain the guard.
- `GrantPermissions`: permissions given to (and, backwards, taken from) the
  staff groups.
- `CreatePeriodicTasks`: beat schedules, created once; staff can change them
  in the admin (django-celery-beat's "Periodic tasks").
"""

from django.db import migrations


class RunSQLOnPostgres(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return "Raw SQL operation (PostgreSQL only)"


def _permissions(apps, codes: list[str]):
    Permission = apps.get_model("auth", "Permission")
    for code in codes:
        app_label, codename = code.split(".")
        yield Permission.objects.get(content_type__app_label=app_label, codename=codename)


class GrantPermissions(migrations.RunPython):
    """`GrantPermissions({"support": ["billing.view_lessonpackage", ...]})`: each
    group (created when missing) gets these permissions; backwards, loses them."""

    def __init__(self, grants: dict[str, list[str]]):
        self.grants = grants
        super().__init__(self._grant, self._revoke)

    def _grant(self, apps, schema_editor):
        from django.contrib.auth.management import create_permissions

        # Permissions are normally created after all migrations; make sure they exist now.
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, verbosity=0)
            app_config.models_module = None
        Group = apps.get_model("auth", "Group")
        for name, codes in self.grants.items():
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.add(*_permissions(apps, codes))

    def _revoke(self, apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        for name, codes in self.grants.items():
            group = Group.objects.filter(name=name).first()
            if group:
                group.permissions.remove(*_permissions(apps, codes))

    def describe(self):
        return "Grant permissions to the staff groups"


class CreatePeriodicTasks(migrations.RunPython):
    """`CreatePeriodicTasks([(name, task, every_seconds), ...])`: each schedule
    is created unless one of that name exists; backwards, they are removed.
    The migration depends on django_celery_beat's."""

    def __init__(self, schedules: list[tuple[str, str, int]]):
        self.schedules = schedules
        super().__init__(self._create, self._remove)

    def _create(self, apps, schema_editor):
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        for name, task, seconds in self.schedules:
            interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
            PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})

    def _remove(self, apps, schema_editor):
        names = [name for name, _, _ in self.schedules]
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=names).delete()

    def describe(self):
        return "Create beat schedules"
