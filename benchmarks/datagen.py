"""Benchmark data sets in PostgreSQL, generated in the database itself.

`ensure(name, scale, ...)` leaves database `name` migrated and holding the
data set `scale` ("small" or "large") as it was right after it was built:

- missing, of another size or generator version, older than MAX_AGE, or
  `migrate` fails on it: dropped, created, migrated, then filled with
  INSERT ... SELECT over generate_series (no row crosses the Python process);
- otherwise reused: `migrate` applies new migrations, then `revert()` deletes
  what earlier benchmark runs wrote, so a second `make bench` takes seconds.

The data respects every constraint, which PostgreSQL checks during the load:
one active booking per slot (the partial unique index), no overlapping live
slots per teacher (the exclusion constraint), a lesson and a package for
every confirmed booking, and `lessons_left = lessons_total - confirmed
bookings` for every package. Secondary indexes are dropped for the load and
rebuilt from their own definitions (unique ones re-check uniqueness).

Shape (large; small is 1/100 of it): 2,000 teachers (95 % published) with
100 one-hour slots each, 29 h apart, from 60 days ago to 60 days ahead
(1 % of future slots removed); 100,000 students; 5 bookings per slot
(1,000,000): the newest is confirmed for 60 % of past and 30 % of future
live slots, every other one a canceled or expired hold; one lesson per
confirmed booking (completed or no-show in the past, scheduled ahead); one
20-lesson package and its payment per student; 4 notifications per student;
one processed outbox event per booking. The last `writers` students have no
history: the benchmark's holds and confirms use them, and `revert()` gives
their packages back.

Columns this module does not know (a migration added them) are filled by
type when NOT NULL without a default (unique text where needed), and named
on the console.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
GENERATOR_VERSION = 4  # bump whenever the generated shape changes: built databases are then rebuilt
MAX_AGE = timedelta(days=14)  # slots reach 60 days ahead; rebuilt before "the future" runs thin
DOMAIN = "bench.guitaronline.local"
PASSWORD = "bench-pass-2026"


@dataclass(frozen=True)
class Scale:
    teachers: int
    students: int
    writers: int  # students without history, for the benchmark's own holds and confirms
    slots_per_teacher: int = 100
    bookings_per_slot: int = 5

    @property
    def slots(self) -> int:
        return self.teachers * self.slots_per_teacher

    @property
    def bookings(self) -> int:
        return self.slots * self.bookings_per_slot

    @property
    def regular(self) -> int:
        return self.students - self.writers


SCALES = {
    "small": Scale(teachers=20, students=1_000, writers=100),
    "large": Scale(teachers=2_000, students=100_000, writers=2_000),
}

# tables whose indexes are dropped for the load and rebuilt after it
LOADED = [
    "accounts_user",
    "accounts_teacherprofile",
    "scheduling_slot",
    "billing_lessonpackage",
    "billing_payment",
    "lessons_lesson",
    "booking_booking",
    "notifications_notification",
    "audit_outboxevent",
]


def log(message: str) -> None:
    print(f"[data] {message}", flush=True)


def admin_url(base_url: str) -> str:
    return base_url.rsplit("/", 1)[0] + "/postgres"


def db_url(base_url: str, name: str) -> str:
    return base_url.rsplit("/", 1)[0] + "/" + name


def _exists(base_url: str, name: str) -> bool:
    with psycopg.connect(admin_url(base_url), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _recreate(base_url: str, name: str) -> None:
    with psycopg.connect(admin_url(base_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate(url: str, env: dict) -> tuple[bool, str]:
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "1"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=900,
    )
    applied = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("Applying")]
    return result.returncode == 0, ("\n".join(applied) if result.returncode == 0 else result.stdout + result.stderr)


def read_meta(url: str) -> dict | None:
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT value FROM bench_meta WHERE key = 'meta'").fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


# --- generation ---------------------------------------------------------------------------


def _columns(conn, table: str) -> list[tuple[str, str, bool, bool]]:
    """(name, data type, NOT NULL without any default, has a unique index of its own)."""
    rows = conn.execute(
        """
        SELECT c.column_name, c.data_type,
               c.is_nullable = 'NO' AND c.column_default IS NULL AND c.is_identity = 'NO',
               EXISTS (
                   SELECT 1 FROM pg_index i JOIN pg_attribute a
                     ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                   WHERE i.indrelid = %(t)s::text::regclass AND i.indisunique AND i.indnatts = 1
                     AND a.attname = c.column_name)
        FROM information_schema.columns c
        WHERE c.table_schema = 'public' AND c.table_name = %(t)s::text
        ORDER BY c.ordinal_position
        """,
        {"t": table},
    ).fetchall()
    return [(name, dtype, required, unique) for name, dtype, required, unique in rows]


def _filler(table: str, column: str, dtype: str, unique: bool, key: str, t0: str) -> str:
    """An SQL value for a NOT NULL column this generator does not know."""
    if dtype in ("character varying", "text", "character"):
        return f"md5({key}::text || '{table}.{column}')" if unique else "''"
    if dtype in ("smallint", "integer", "bigint", "numeric", "double precision", "real"):
        return key if unique else "0"
    if dtype == "boolean":
        return "false"
    if dtype.startswith("timestamp") or dtype == "date":
        return t0
    if dtype == "jsonb" or dtype == "json":
        return "'{}'::jsonb"
    if dtype == "uuid":
        return "gen_random_uuid()"
    if dtype.startswith("time"):
        return "'00:00'::time"
    raise RuntimeError(f"cannot fill {table}.{column} ({dtype}): teach benchmarks/datagen.py about it")


def _insert(conn, table: str, known: dict[str, str], from_sql: str, key: str, t0: str, filled: list) -> int:
    """INSERT INTO table (known + filled columns) SELECT ... FROM from_sql."""
    columns = dict(known)
    for name, dtype, required, unique in _columns(conn, table):
        if name not in columns and required:
            columns[name] = _filler(table, name, dtype, unique, key, t0)
            filled.append(f"{table}.{name}")
    unknown = set(known) - {name for name, *_ in _columns(conn, table)}
    if unknown:
        raise RuntimeError(f"{table} has no column {sorted(unknown)}: update benchmarks/datagen.py")
    names = ", ".join(columns)
    values = ",\n       ".join(columns.values())
    statement = f"INSERT INTO {table} ({names})\nSELECT {values}\n{from_sql}"
    cursor = conn.execute(statement.replace("%(t0)s::timestamptz", t0))
    return cursor.rowcount


def _secondary_indexes(conn) -> list[tuple[str, str]]:
    """(name, definition) of indexes on the loaded tables that back no constraint."""
    return conn.execute(
        """
        SELECT ix.indexname, ix.indexdef FROM pg_indexes ix
        WHERE ix.schemaname = 'public' AND ix.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(ix.indexname))::regclass)
        """,
        [LOADED],
    ).fetchall()


def generate(url: str, scale: Scale, password_hash: str) -> dict:
    """Fill a freshly migrated database. Returns the meta record."""
    t0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    T, S, P, K = scale.teachers, scale.students, scale.slots_per_teacher, scale.bookings_per_slot
    R = scale.regular
    filled: list[str] = []
    timings: dict[str, float] = {}

    def step(name: str, fn) -> None:
        started = time.monotonic()
        rows = fn()
        timings[name] = time.monotonic() - started
        log(f"  {name:<14} {rows:>9,} rows  {timings[name]:5.1f} s")

    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute("SET work_mem = '64MB'")
        t0_sql = sql.Literal(t0.isoformat()).as_string(conn) + "::timestamptz"  # T0, inlined
        pw = sql.Literal(password_hash).as_string(conn)
        indexes = _secondary_indexes(conn)
        for name, _ in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))

        def student(k: str) -> str:  # the student of booking k of slot s (never a writer)
            return f"({T} + 1 + (s.id * 7919 + {k} * 15485863) % {R})"

        def created(k: str) -> str:  # when booking k of slot s was made: before the slot, never in the future
            return (
                f"least(s.start_at - interval '2 days', %(t0)s::timestamptz - interval '1 hour') "
                f"- ({K - 1} - {k}) * interval '17 hours' - (s.id % 600) * interval '1 second'"
            )

        taken = (
            "(s.removed_at IS NULL AND abs(hashint8(s.id)) % 100 < "
            "CASE WHEN s.start_at < %(t0)s::timestamptz THEN 60 ELSE 30 END)"
        )

        step(
            "users",
            lambda: _insert(
                conn,
                "accounts_user",
                {
                    "id": "g",
                    "password": pw,
                    "last_login": "NULL",
                    "is_superuser": "false",
                    "email": f"CASE WHEN g <= {T} THEN 'teacher' || g ELSE 'student' || (g - {T}) END || '@{DOMAIN}'",
                    "full_name": f"CASE WHEN g <= {T} THEN 'Teacher ' || g ELSE 'Student ' || (g - {T}) END",
                    "role": f"CASE WHEN g <= {T} THEN 'teacher' ELSE 'student' END",
                    "timezone": "(ARRAY['Europe/Moscow', 'Europe/Berlin', 'Asia/Yekaterinburg', 'Europe/London'])"
                    "[1 + g % 4]",
                    "language": "CASE WHEN g % 5 = 0 THEN 'en' ELSE 'ru' END",
                    "is_active": "true",
                    "is_staff": "false",
                    "date_joined": "%(t0)s::timestamptz - interval '400 days' + (g % 300) * interval '1 day'",
                    # confirmed on the day they joined: an unconfirmed address may not hold or buy
                    "email_verified_at": "%(t0)s::timestamptz - interval '400 days' + (g % 300) * interval '1 day'",
                },
                f"FROM generate_series(1, {T + S}) g",
                "g",
                t0_sql,
                filled,
            ),
        )
        step(
            "teachers",
            lambda: _insert(
                conn,
                "accounts_teacherprofile",
                {
                    "user_id": "g",
                    "created_at": "%(t0)s::timestamptz - interval '300 days'",
                    "updated_at": "%(t0)s::timestamptz - interval '300 days'",
                    "display_name": "'Teacher ' || g",
                    "bio": "'Guitar teacher number ' || g || '. Rock, blues and fingerstyle for every level.'",
                    "styles": "(ARRAY['rock, blues','classical','fingerstyle, jazz','metal','flamenco'])[1 + g % 5]",
                    "levels": """'["beginner", "intermediate"]'::jsonb""",
                    "lesson_minutes": "60",
                    "is_published": "g % 20 <> 0",
                    "published_at": "CASE WHEN g % 20 <> 0 THEN %(t0)s::timestamptz - interval '299 days' END",
                },
                f"FROM generate_series(1, {T}) g",
                "g",
                t0_sql,
                filled,
            ),
        )
        step(
            "slots",
            lambda: _insert(
                conn,
                "scheduling_slot",
                {
                    "id": f"(t - 1) * {P} + i + 1",
                    "created_at": "least(x.st, %(t0)s::timestamptz) - interval '30 days'",
                    "updated_at": "least(x.st, %(t0)s::timestamptz) - interval '30 days'",
                    "start_at": "x.st",
                    "end_at": "x.st + interval '60 minutes'",
                    "teacher_id": "t",
                    "removed_at": (
                        f"CASE WHEN x.st > %(t0)s::timestamptz AND abs(hashint8((t - 1) * {P} + i + 1)) % 100 = 99 "
                        "THEN %(t0)s::timestamptz - interval '1 day' END"
                    ),
                },
                f"FROM generate_series(1, {T}) t CROSS JOIN generate_series(0, {P - 1}) i, "
                "LATERAL (SELECT %(t0)s::timestamptz - interval '60 days' + i * interval '29 hours' "
                "+ ((t - 1) % 28) * interval '1 hour' AS st) x",
                f"((t - 1) * {P} + i + 1)",
                t0_sql,
                filled,
            ),
        )
        step(
            "packages",
            lambda: _insert(
                conn,
                "billing_lessonpackage",
                {
                    "id": "g",
                    "created_at": "%(t0)s::timestamptz - interval '120 days'",
                    "updated_at": "%(t0)s::timestamptz - interval '120 days'",
                    "lessons_total": "20",
                    "lessons_left": "20",
                    "price": "20000.00",
                    "currency": "'RUB'",
                    "expires_at": "%(t0)s::timestamptz + interval '365 days'",
                    "status": "'active'",
                    "student_id": f"{T} + g",
                },
                f"FROM generate_series(1, {S}) g",
                "g",
                t0_sql,
                filled,
            ),
        )
        step(
            "payments",
            lambda: _insert(
                conn,
                "billing_payment",
                {
                    "id": "g",
                    "created_at": "%(t0)s::timestamptz - interval '120 days'",
                    "updated_at": "%(t0)s::timestamptz - interval '120 days' + interval '1 hour'",
                    "amount": "20000.00",
                    "currency": "'RUB'",
                    "status": "'succeeded'",
                    "provider": "'offline'",
                    "provider_reference": "'bench-' || g",
                    "paid_at": "%(t0)s::timestamptz - interval '120 days' + interval '1 hour'",
                    "package_id": "g",
                    "student_id": f"{T} + g",  # the package's student
                },
                f"FROM generate_series(1, {S}) g",
                "g",
                t0_sql,
                filled,
            ),
        )
        step(
            "lessons",
            lambda: _insert(
                conn,
                "lessons_lesson",
                {
                    "id": "s.id",
                    "created_at": f"({created(str(K - 1))}) + interval '3 minutes'",
                    "updated_at": f"({created(str(K - 1))}) + interval '3 minutes'",
                    "start_at": "s.start_at",
                    "end_at": "s.end_at",
                    "status": (
                        "CASE WHEN s.start_at >= %(t0)s::timestamptz THEN 'scheduled' "
                        "WHEN abs(hashint8(s.id * 31)) % 10 = 0 THEN 'no_show' ELSE 'completed' END"
                    ),
                    "notes": "''",
                    "homework": "''",
                    "meeting_url": "''",
                    "finished_at": "CASE WHEN s.start_at < %(t0)s::timestamptz THEN s.end_at + interval '1 hour' END",
                    "student_id": student(str(K - 1)),
                    "teacher_id": "s.teacher_id",
                },
                f"FROM scheduling_slot s WHERE {taken}",
                "s.id",
                t0_sql,
                filled,
            ),
        )
        booking_number = f"((s.id - 1) * {K} + k + 1)"
        step(
            "bookings",
            lambda: _insert(
                conn,
                "booking_booking",
                {
                    "id": "x.b",
                    "created_at": "x.c",
                    "updated_at": "x.c + interval '10 minutes'",
                    "status": "x.st",
                    "hold_expires_at": "x.c + interval '10 minutes'",
                    "confirmed_at": "CASE WHEN x.st = 'confirmed' THEN x.c + interval '3 minutes' END",
                    "canceled_at": "CASE WHEN x.st = 'canceled' THEN x.c + interval '5 minutes' END",
                    "lesson_returned": "NULL",
                    "canceled_by_id": "CASE WHEN x.st = 'canceled' THEN x.stu END",
                    "lesson_id": "CASE WHEN x.st = 'confirmed' THEN s.id END",
                    "package_id": f"CASE WHEN x.st = 'confirmed' THEN x.stu - {T} END",
                    "rescheduled_from_id": "NULL",
                    "slot_id": "s.id",
                    "student_id": "x.stu",
                },
                f"FROM scheduling_slot s CROSS JOIN generate_series(0, {K - 1}) k, "
                f"LATERAL (SELECT {booking_number} AS b, {student('k')} AS stu, "
                f"{created('k')} AS c, "
                f"CASE WHEN k = {K - 1} AND {taken} THEN 'confirmed' "
                "WHEN (k + s.id) % 2 = 0 THEN 'canceled' ELSE 'expired' END AS st) x",
                "x.b",
                t0_sql,
                filled,
            ),
        )
        step(
            "balances",
            lambda: (
                conn.execute(
                    """
                UPDATE billing_lessonpackage p
                SET lessons_total = greatest(p.lessons_total, c.n),
                    lessons_left = greatest(p.lessons_total, c.n) - c.n,
                    status = CASE WHEN greatest(p.lessons_total, c.n) = c.n THEN 'depleted' ELSE 'active' END
                FROM (SELECT package_id, count(*) AS n FROM booking_booking
                      WHERE status = 'confirmed' GROUP BY package_id) c
                WHERE c.package_id = p.id
                """
                ).rowcount
            ),
        )
        step(
            "notifications",
            lambda: _insert(
                conn,
                "notifications_notification",
                {
                    "created_at": "x.c",
                    "updated_at": "x.c",
                    "id": "gen_random_uuid()",
                    "event_id": "gen_random_uuid()",
                    "event_type": "'booking.confirmed'",
                    "channel": "CASE WHEN n < 2 THEN 'in_app' ELSE 'email' END",
                    "subject": "'Lesson booked'",
                    "body": "'Your lesson is booked. See you there!'",
                    "link": "''",
                    "status": "'sent'",
                    "attempts": "CASE WHEN n < 2 THEN 0 ELSE 1 END",
                    "next_attempt_at": "NULL",
                    "sending_since": "NULL",
                    "last_error": "''",
                    "sent_at": "x.c",
                    "read_at": "CASE WHEN n = 0 THEN x.c + interval '1 hour' END",
                    "recipient_id": f"{T} + g",
                },
                f"FROM generate_series(1, {R}) g CROSS JOIN generate_series(0, 3) n, "
                "LATERAL (SELECT %(t0)s::timestamptz - ((g + n * 7) % 60) * interval '1 day' AS c) x",
                "g",
                t0_sql,
                filled,
            ),
        )
        step(
            "outbox",
            lambda: _insert(
                conn,
                "audit_outboxevent",
                {
                    "id": "gen_random_uuid()",
                    "event_type": "CASE b.status WHEN 'confirmed' THEN 'booking.confirmed' "
                    "WHEN 'canceled' THEN 'booking.canceled' ELSE 'booking.expired' END",
                    "aggregate_type": "'booking.booking'",
                    "aggregate_id": "b.id::text",
                    "payload": "jsonb_build_object('booking_id', b.id, 'student_id', b.student_id, "
                    "'slot_id', b.slot_id)",
                    "status": "'processed'",
                    "attempts": "0",
                    "next_attempt_at": "NULL",
                    "last_error": "''",
                    "processed_at": "b.updated_at",
                    "created_at": "b.updated_at",
                },
                "FROM booking_booking b",
                "b.id",
                t0_sql,
                filled,
            ),
        )

        def rebuild() -> int:
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred foreign keys: checked here
            for _, definition in indexes:
                conn.execute(definition)
            return len(indexes)

        step("indexes", rebuild)
        for table in ("accounts_user", "scheduling_slot", "billing_lessonpackage", "billing_payment",
                      "lessons_lesson", "booking_booking"):  # fmt: skip
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)")
        meta = {
            "version": GENERATOR_VERSION,
            "scale": asdict(scale),
            "t0": t0.isoformat(),
            "built_at": datetime.now(UTC).isoformat(),
            "password_hash": password_hash,
            "filled_columns": sorted(set(filled)),
            "timings": {k: round(v, 1) for k, v in timings.items()},
        }
        conn.execute("INSERT INTO bench_meta VALUES ('meta', %s)", [json.dumps(meta)])
        conn.commit()

    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    log(f"  {'vacuum':<14} {'':>9}       {time.monotonic() - started:5.1f} s")
    if filled:
        log(f"  columns filled by type (unknown to the generator): {', '.join(sorted(set(filled)))}")
    return meta


# --- reuse ----------------------------------------------------------------------------


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            "teachers": conn.execute("SELECT count(*) FROM accounts_user WHERE role = 'teacher'").fetchone()[0],
            "students": conn.execute("SELECT count(*) FROM accounts_user WHERE role = 'student'").fetchone()[0],
            "slots": conn.execute("SELECT count(*) FROM scheduling_slot").fetchone()[0],
            "bookings": conn.execute("SELECT count(*) FROM booking_booking").fetchone()[0],
        }


def _referencing(conn, tables: list[str]) -> list[str]:
    rows = conn.execute(
        """
        SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c
        WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY(%s)
        """,
        [tables],
    ).fetchall()
    return [name for (name,) in rows]


def _refill_writers(conn, scale: Scale) -> int:
    """Every writer's packages full and active again; how many changed."""
    return conn.execute(
        """
        UPDATE billing_lessonpackage SET lessons_left = lessons_total, status = 'active'
        WHERE student_id > %s AND (lessons_left <> lessons_total OR status <> 'active')
        """,
        [scale.teachers + scale.regular],
    ).rowcount


def refill_writers(url: str, meta: dict) -> int:
    """The writers' lessons back, between phases that spend them."""
    with psycopg.connect(url) as conn:
        return _refill_writers(conn, Scale(**meta["scale"]))


def revert(url: str, meta: dict) -> dict[str, int]:
    """Delete what benchmark runs wrote after the build; give the writers' lessons back."""
    scale = Scale(**meta["scale"])
    built_at = datetime.fromisoformat(meta["built_at"])
    written = ["booking_booking", "lessons_lesson", "audit_auditlog", "audit_outboxevent",
               "notifications_notification", "audit_idempotencyrecord", "booking_series",
               "billing_paymentevent", "billing_payment", "billing_lessonpackage", "scheduling_slot"]  # fmt: skip
    deleted: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        tables = [
            table
            for table in dict.fromkeys([*_referencing(conn, written), *written])
            if conn.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = %s AND column_name = 'created_at'",
                [table],
            ).fetchone()
        ]
        for _ in range(len(tables)):  # a row still referenced waits for the next pass
            waiting = []
            for table in tables:
                try:
                    with conn.transaction():
                        rows = conn.execute(
                            sql.SQL("DELETE FROM {} WHERE created_at > %s").format(sql.Identifier(table)), [built_at]
                        ).rowcount
                except psycopg.errors.ForeignKeyViolation:
                    waiting.append(table)
                    continue
                if rows:
                    deleted[table] = deleted.get(table, 0) + rows
            tables = waiting
            if not tables:
                break
        deleted["writer packages"] = _refill_writers(conn, scale)
        conn.execute("DELETE FROM django_session")
        conn.commit()
    return deleted


def ensure(name: str, scale_name: str, *, base_url: str, env: dict, force: bool = False) -> dict:
    """The database `name`, migrated, holding data set `scale_name` as built. Returns its meta."""
    scale = SCALES[scale_name]
    url = db_url(base_url, name)
    started = time.monotonic()
    meta = read_meta(url) if _exists(base_url, name) and not force else None
    reason = "forced" if force else "missing"
    if meta is not None:
        age = datetime.now(UTC) - datetime.fromisoformat(meta["built_at"])
        if meta.get("version") != GENERATOR_VERSION:
            reason, meta = f"generator version {meta.get('version')} -> {GENERATOR_VERSION}", None
        elif Scale(**meta["scale"]) != scale:
            reason, meta = "another size", None
        elif age > MAX_AGE:
            reason, meta = f"built {age.days} days ago", None
    if meta is not None:
        ok, output = migrate(url, env)
        if not ok:
            reason, meta = "migrate failed on it", None
            log(output[-2000:])
        elif output:
            log(f"{name}: new migrations applied:\n{output}")
    deleted: dict[str, int] = {}
    if meta is not None:
        deleted = revert(url, meta)  # first: the slots a run made for its series are not the data set's
        found = counts(url)
        expected = {"teachers": scale.teachers, "students": scale.students, "slots": scale.slots}
        if any(found[key] != value for key, value in expected.items()) or found["bookings"] < scale.bookings:
            reason, meta = f"unexpected size {found}", None
    if meta is not None:
        log(f"{name}: reused ({scale_name}, built {meta['built_at'][:16]}Z); "
            f"reverted earlier runs' writes {deleted or '(none)'} in {time.monotonic() - started:.1f} s")  # fmt: skip
        return meta

    log(f"{name}: building the {scale_name} data set ({reason}): {scale.teachers:,} teachers, "
        f"{scale.slots:,} slots, {scale.bookings:,} bookings, {scale.students:,} students")  # fmt: skip
    _recreate(base_url, name)
    ok, output = migrate(url, env)
    if not ok:
        raise RuntimeError(f"migrate failed on {name}:\n{output}")
    meta = generate(url, scale, password_hash(env))
    found = counts(url)
    log(f"{name}: built in {time.monotonic() - started:.0f} s: {found}")
    return meta


_HASH: dict[str, str] = {}


def password_hash(env: dict) -> str:
    """One PBKDF2 hash (the production hasher) shared by every generated user."""
    if "value" not in _HASH:
        code = f"from django.contrib.auth.hashers import make_password; print(make_password({PASSWORD!r}))"
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        _HASH["value"] = result.stdout.strip().splitlines()[-1]
    return _HASH["value"]


if __name__ == "__main__":  # python -m benchmarks.datagen small|large [--force]: build or reuse only
    scale_name = sys.argv[1]
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://guitaronline@127.0.0.1:5432/postgres")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings_prod",
        "APP_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": "datagen-" + os.urandom(24).hex(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "REDIS_URL": "redis://127.0.0.1:6379/7",
        "DATABASE_URL": db_url(base, f"guitaronline_bench_{scale_name}"),
    }
    ensure(f"guitaronline_bench_{scale_name}", scale_name, base_url=base, env=environment, force="--force" in sys.argv)
