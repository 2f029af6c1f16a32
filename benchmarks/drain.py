"""Outbox drain of one Celery worker, alone: how fast does it turn a backlog of
confirm events into notifications and e-mails?

    python -m benchmarks.drain                                 # --concurrency=2, as compose and k8s run it
    python -m benchmarks.drain --worker-args="--pool=solo" --kicks 1   # one process, as the e2e test starts it
    python -m benchmarks.drain --root /tmp/copy                # a patched copy's worker

The backlog is what N confirms write to the outbox (billing.package.lesson_consumed,
lesson.created, booking.confirmed, with the payloads the services write),
made from confirmed bookings of the large data set; the worker sends through
an SMTP sink on loopback. Rows written here are removed by the next
`make bench` (datagen.revert), like those of the benchmark itself.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import sys
import time
from pathlib import Path

import psycopg
import redis

from benchmarks import cpu, datagen, run

BACKLOG_SQL = """
WITH picked AS (
    SELECT b.id, b.student_id, s.teacher_id, b.slot_id, s.start_at, s.end_at, b.lesson_id, b.package_id
    FROM booking_booking b JOIN scheduling_slot s ON s.id = b.slot_id
    WHERE b.status = 'confirmed' ORDER BY hashint8(b.id + %(salt)s) LIMIT %(confirms)s
)
INSERT INTO audit_outboxevent (id, event_type, aggregate_type, aggregate_id, payload, status, attempts,
                               next_attempt_at, last_error, processed_at, created_at)
SELECT gen_random_uuid(), e.event_type, e.aggregate_type, e.aggregate_id, e.payload, 'pending', 0,
       NULL, '', NULL, clock_timestamp()
FROM picked p, LATERAL (VALUES
    ('billing.package.lesson_consumed', 'billing.lessonpackage', p.package_id::text,
     jsonb_build_object('student_id', p.student_id, 'lessons_left', 5, 'status', 'active')),
    ('lesson.created', 'lessons.lesson', p.lesson_id::text,
     jsonb_build_object('lesson_id', p.lesson_id, 'teacher_id', p.teacher_id, 'student_id', p.student_id,
                        'start_at', p.start_at, 'end_at', p.end_at)),
    ('booking.confirmed', 'booking.booking', p.id::text,
     jsonb_build_object('booking_id', p.id, 'student_id', p.student_id, 'teacher_id', p.teacher_id,
                        'slot_id', p.slot_id, 'start_at', p.start_at, 'end_at', p.end_at, 'status', 'confirmed',
                        'lesson_id', p.lesson_id, 'package_id', p.package_id, 'rescheduled_from', NULL))
) AS e(event_type, aggregate_type, aggregate_id, payload)
"""


def pending(conn) -> tuple[int, int]:
    events = conn.execute("SELECT count(*) FROM audit_outboxevent WHERE status IN ('pending', 'failed')").fetchone()[0]
    emails = conn.execute(
        "SELECT count(*) FROM notifications_notification WHERE channel = 'email' "
        "AND status IN ('pending', 'sending', 'failed')"
    ).fetchone()[0]
    return events, emails


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--confirms", type=int, default=600, help="backlog of this many confirms (3 events each)")
    parser.add_argument("--worker-args", default=f"--concurrency={run.WORKER_PROCESSES}")
    parser.add_argument("--kicks", type=int, default=run.WORKER_PROCESSES, help="dispatch tasks sent at the start")
    parser.add_argument("--root", type=Path, default=run.ROOT, help="source tree the worker runs from")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()

    base_url = os.environ.get("BENCH_DATABASE_URL", "postgres://guitaronline@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    ctx = run.Context(base_url, redis_url, secrets.token_urlsafe(50), run.free_port(), 1)
    run.preflight(ctx)
    datagen.ensure(run.LARGE_DB, "large", base_url=base_url, env=ctx.app_env("benchmarks.settings_prod", run.LARGE_DB))
    url = ctx.db_url(run.LARGE_DB)
    with psycopg.connect(url, autocommit=True) as conn:
        left = pending(conn)
        if any(left):
            sys.exit(f"the outbox is not empty ({left[0]} events, {left[1]} e-mails pending): run make bench first")
        conn.execute(BACKLOG_SQL, {"confirms": args.confirms, "salt": int(time.time())})
        events, _ = pending(conn)
    broker = redis.Redis.from_url(redis_url)
    broker.delete("celery")
    broker.close()

    sink_file = run.OUT / "drain-sink.jsonl"
    sink_file.unlink(missing_ok=True)
    sink = run.Process("drain-sink", [sys.executable, "-m", "benchmarks.smtp_sink", str(ctx.smtp_port), str(sink_file)],
                       {**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    worker = run.Process(
        "drain-worker",
        [str(run.BIN / "celery"), "-A", "guitaronline", "worker", *shlex.split(args.worker_args), "--without-gossip",
         "--without-mingle", "--without-heartbeat", "-n", "drain@%h", "--loglevel=INFO"],
        ctx.app_env("benchmarks.settings_prod", run.LARGE_DB),
        cwd=args.root.resolve(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while " ready." not in worker.log():
            if not worker.alive() or time.monotonic() > deadline:
                sys.exit(f"the worker did not start:\n{worker.log()[-3000:]}")
            time.sleep(0.2)
        run.django_setup(ctx.app_env("benchmarks.settings_prod", run.LARGE_DB))
        from guitaronline.celery import app

        before = cpu.snapshot()
        started = time.monotonic()
        for _ in range(args.kicks):
            app.send_task("notifications.dispatch_outbox")
        last_kick = started
        with psycopg.connect(url, autocommit=True) as conn:
            while any(pending(conn)) and time.monotonic() - started < args.timeout:
                if time.monotonic() - last_kick > 5:
                    for _ in range(args.kicks):
                        app.send_task("notifications.dispatch_outbox")
                    last_kick = time.monotonic()
                time.sleep(0.05)
            elapsed = time.monotonic() - started
            left = pending(conn)
        used = cpu.usage(before, cpu.snapshot(), {"Celery worker": {worker.pid}, "SMTP sink": {sink.pid}})
        emails = len(run.sink_records(sink_file))
        done = events - left[0]
        print(
            f"worker {args.worker_args!r} from {args.root}: {done:,} of {events:,} events and {emails:,} e-mails "
            f"in {elapsed:.1f} s: {done / elapsed:.0f} events/s, {emails / elapsed:.0f} e-mails/s"
            + (f" (NOT drained: {left[0]} events, {left[1]} e-mails left)" if any(left) else "")
        )
        by_cost = sorted(used.items(), key=lambda kv: -kv[1])
        print(
            "    CPU ms per event: "
            + ", ".join(f"{name} {seconds * 1000 / max(done, 1):.2f}" for name, seconds in by_cost)
        )
    finally:
        worker.stop()
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
