from django.db import migrations

from guitaronline.core.migration_ops import RunSQLOnPostgres


class Migration(migrations.Migration):
    """One teacher's slots never overlap: an exclusion constraint on PostgreSQL."""

    dependencies = [("scheduling", "0001_initial")]

    operations = [
        RunSQLOnPostgres(
            sql="CREATE EXTENSION IF NOT EXISTS btree_gist",
            reverse_sql=migrations.RunSQL.noop,
        ),
        RunSQLOnPostgres(
            sql=(
                "ALTER TABLE scheduling_slot ADD CONSTRAINT slot_no_overlap "
                "EXCLUDE USING gist (teacher_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&)"
            ),
            reverse_sql="ALTER TABLE scheduling_slot DROP CONSTRAINT slot_no_overlap",
        ),
    ]
