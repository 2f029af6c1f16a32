"""`make bench`: GuitarOnline under load, one table of figures against goals.

    python -m benchmarks.run [--cycles N] [--window S] [--profile all|open_slots,dashboard,...]

What it does (BENCHMARKS.md has the why):

1. data: PostgreSQL databases guitaronline_bench_small and _large built (or
   reused and reverted) by benchmarks/datagen.py; Redis db 7 flushed;
2. three gunicorn masters from deploy/gunicorn.conf.py in production mode
   (APP_ENV=production, DEBUG off, a random SECRET_KEY, Redis cache, limiter
   and broker, PROMETHEUS_MULTIPROC_DIR): L on the large data set, S on the
   small one, X like L without metrics and rate limiting
   (benchmarks/settings_bare.py); only one of them is under load at a time;
3. phases of short windows taken in turn (baseline, scenario, baseline, ...),
   so each ratio compares neighbours in time on this shared machine;
4. one real Celery worker as deployed (--concurrency=2, as docker-compose.yml
   and deploy/k8s run it) against Redis, sending through an SMTP sink on loopback;
5. the table, also in benchmarks/out/table.txt and results.json.

It exits 0 whatever the figures say; only a broken setup (no PostgreSQL,
no Redis, a failing migration) stops it with an error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from benchmarks import cpu, datagen, profiling
from benchmarks.loadgen import (
    CPU_GROUPS,
    Bookings,
    Confirms,
    Get,
    Holds,
    Post,
    Purchases,
    SeriesBookings,
    Server,
    Step,
    Summary,
    alternate,
    fetch,
    new_loop,
    paired_ratios,
    percentile,
    render,
    run_window,
)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
BIN = Path(sys.executable).parent
SMALL_DB, LARGE_DB = "guitaronline_bench_small", "guitaronline_bench_large"
CSRF_COOKIE = "benchcsrfsecret0123456789abcdefg"  # a browser sends its CSRF cookie back; 32 characters
OPEN_SLOTS = "/api/v1/scheduling/slots/open"
WORKER_PROCESSES = 2  # one Celery worker as docker-compose.yml and deploy/k8s run it: --concurrency=2
DASHBOARD = "/student/"
TEACHER_WEEK = "/teacher/schedule/"  # the teacher's week: their slots, who takes them, time off
DIRECTORY = "/teachers/"  # the teacher directory a student browses
PEER_UNITS = 20_000  # bookable units seeded in each peer: more than a run books
PEERS = ("pretix", "appointment")


def say(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- processes ------------------------------------------------------------------------


class Process:
    """A child in its own process group, its output in benchmarks/out/logs/NAME.log (or `log_path`)."""

    def __init__(self, name: str, args: list[str], env: dict, cwd: Path = ROOT, log_path: Path | None = None):
        (OUT / "logs").mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = log_path or OUT / "logs" / f"{name}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Gunicorn:
    name: str
    server: Server
    process: Process
    workers: int

    def boots(self) -> int:
        return self.process.log().count("Booting worker with pid")


def start_gunicorn(
    name: str, settings: str, database: str, ctx: Context, *, root: Path = ROOT, extra_env: dict | None = None
) -> Gunicorn:
    """gunicorn -c deploy/gunicorn.conf.py from the source tree `root` (another tree: A/B comparisons)."""
    port = free_port()
    prom = OUT / "prometheus" / name
    prom.mkdir(parents=True, exist_ok=True)
    env = ctx.app_env(
        settings,
        database,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        PROMETHEUS_MULTIPROC_DIR=str(prom),
        BENCH_CACHE_PREFIX=f"guitaronline-bench-{name}",
    )
    env.update(extra_env or {})
    workers = int(env.get("GUNICORN_WORKERS") or ctx.workers)
    process = Process(f"gunicorn-{name}", [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], env, cwd=root)
    return Gunicorn(name, Server(name, port), process, workers)


def wait_ready(gunicorn: Gunicorn, timeout: float = 120) -> None:
    """/health answers and every worker has booted."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not gunicorn.process.alive():
            raise RuntimeError(f"gunicorn {gunicorn.name} exited:\n{gunicorn.process.log()[-3000:]}")
        try:
            status, _ = http_get(gunicorn.server.port, "/health", timeout=2)
        except OSError:
            status = 0
        if status == 200 and gunicorn.boots() >= gunicorn.workers:
            return
        time.sleep(0.3)
    raise TimeoutError(f"gunicorn {gunicorn.name} not ready:\n{gunicorn.process.log()[-3000:]}")


# --- context ---------------------------------------------------------------------------


@dataclass
class Context:
    base_url: str
    redis_url: str
    secret_key: str
    smtp_port: int
    workers: int
    cycles: int = 4
    window: float = 3.0
    warmup: float = 2.0
    concurrency: int = 10

    def db_url(self, database: str) -> str:
        return datagen.db_url(self.base_url, database)

    def app_env(self, settings: str, database: str, **extra: str) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "PROMETHEUS_", "CELERY_", "PYTEST", "LOG_", "DATABASE_", "REDIS_"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": settings,
                "APP_ENV": "production",
                "DEBUG": "false",
                "SECRET_KEY": self.secret_key,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DATABASE_URL": self.db_url(database),
                "REDIS_URL": self.redis_url,
                "CELERY_BROKER_URL": self.redis_url,
                "AUTH_RATE_LIMIT_BACKEND": "redis",
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.smtp_port),
                "SITE_URL": "https://127.0.0.1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra)
        return env


def source_state(root: Path = ROOT) -> str:
    """The commit and how many files differ from it (read-only git commands)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    if head.returncode:
        return f"{root} (not a git checkout)"
    changed = len([line for line in dirty.stdout.splitlines() if line.strip()])
    return f"{head.stdout.strip()}" + (f" + {changed} changed files" if changed else "")


def machine() -> dict:
    memory = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) // 1024
    cpu_model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model,
        "memory_mb": memory,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_average_at_start": os.getloadavg(),
    }


def preflight(ctx: Context) -> dict:
    import redis

    try:
        with psycopg.connect(datagen.admin_url(ctx.base_url), connect_timeout=5) as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error as exc:
        sys.exit(
            f"PostgreSQL is not reachable at {ctx.base_url} ({exc}).\n"
            "Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    try:
        client = redis.Redis.from_url(ctx.redis_url, socket_timeout=5)
        redis_version = client.info("server")["redis_version"]
        client.close()
    except redis.RedisError as exc:
        sys.exit(
            f"Redis is not reachable at {ctx.redis_url} ({exc}).\n"
            'Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
        )
    return {"postgresql": pg_version, "redis": redis_version}


def collectstatic(ctx: Context, root: Path = ROOT) -> None:
    """Production pages need the static manifest (the image builds it at build time)."""
    manifest = root / "benchmarks" / "out" / "static" / "staticfiles.json"
    sources = [p for p in (root / "static").rglob("*") if p.is_file()]
    if manifest.exists() and all(p.stat().st_mtime < manifest.stat().st_mtime for p in sources):
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=root,
        env=ctx.app_env("benchmarks.settings_prod", LARGE_DB),
        check=True,
    )


# --- actors: tokens and session cookies ---------------------------------------------------


@dataclass
class Actors:
    reader_ids: list[int]
    reader_tokens: list[str]
    reader_cookies: list[str]
    writer_ids: list[int]
    writer_emails: list[str]
    writer_tokens: list[str] = field(default_factory=list)
    teacher_cookies: list[str] = field(default_factory=list)  # teachers with lessons ahead, signed in


def django_setup(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()


def _devices(url: str, rows: list[tuple]) -> None:
    """Signed-in devices (accounts.AuthSession) as login records them: (id, user id, kind, session key, expiry)."""
    now = datetime.now(UTC)
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.executemany(
            """
                INSERT INTO accounts_authsession
                  (id, user_id, kind, session_key, refresh_jti, expires_at, user_agent, ip, created_at, last_used_at)
                VALUES (%s, %s, %s, %s, '', %s, 'benchmark', NULL, %s, %s)
                """,
            [(*row, now, now) for row in rows],
        )


def _tokens(url: str, user_ids: list[int], password_hash: str) -> list[str]:
    """Access tokens as login mints them: the zone and language claims, and a signed-in device."""
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.auth_sessions import SESSION_ID_CLAIM
    from accounts.models import User
    from guitaronline.core.authentication import add_preference_claims

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, timezone, language FROM accounts_user WHERE id = ANY(%s)", [user_ids])
        preferences = {uid: (zone, language) for uid, zone, language in rows}
    tokens, devices = [], []
    expires = datetime.now(UTC) + timedelta(days=14)
    for uid in user_ids:
        zone, language = preferences[uid]
        user = User(id=uid, password=password_hash, timezone=zone, language=language)
        token = AccessToken.for_user(user)
        add_preference_claims(token, user)
        device = uuid.uuid4()
        token[SESSION_ID_CLAIM] = str(device)
        devices.append((device, uid, "api", "", expires))
        tokens.append(str(token))
    _devices(url, devices)
    return tokens


def _sessions(url: str, user_ids: list[int], password_hash: str) -> list[str]:
    """Signed-in sessions as the login view would leave them (each with its device); the session cookies."""
    from datetime import timedelta

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.auth_sessions import SESSION_ID_KEY, SESSION_KEY_KEY
    from accounts.models import User

    store = SessionStore()
    rows, cookies, devices = [], [], []
    for uid in user_ids:
        key = secrets.token_hex(16)
        device = uuid.uuid4()
        data = store.encode(
            {
                SESSION_KEY: str(uid),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: User(id=uid, password=password_hash).get_session_auth_hash(),
                SESSION_ID_KEY: str(device),
                SESSION_KEY_KEY: key,
            }
        )
        rows.append((key, data, datetime.now(UTC) + timedelta(days=14)))
        devices.append((device, uid, "browser", key, None))
        cookies.append(f"sessionid={key}; csrftoken={CSRF_COOKIE}")
    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM django_session")
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO django_session VALUES (%s, %s, %s)", rows)
    _devices(url, devices)
    return cookies


def actors(url: str, meta: dict, readers: int = 200, teachers: int = 50) -> Actors:
    scale = datagen.Scale(**meta["scale"])
    with psycopg.connect(url) as conn:

        def with_lessons_ahead(column: str, limit: int) -> list[int]:
            """`limit` students or teachers (`column`) with lessons ahead, in a fixed scattered order."""
            query = sql.SQL(
                "SELECT {c} FROM lessons_lesson WHERE status = 'scheduled' AND start_at > now() "
                "GROUP BY {c} ORDER BY hashint8({c}) LIMIT %s"
            ).format(c=sql.Identifier(column))
            return [row[0] for row in conn.execute(query, [limit])]

        reader_ids = with_lessons_ahead("student_id", readers)
        teacher_ids = with_lessons_ahead("teacher_id", teachers)
    first_writer = scale.teachers + scale.regular + 1
    writer_ids = list(range(first_writer, scale.teachers + scale.students + 1))
    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM accounts_authsession")  # the last run's
    cookies = _sessions(url, reader_ids + teacher_ids, meta["password_hash"])  # one call: it clears the table
    return Actors(
        reader_ids=reader_ids,
        reader_tokens=_tokens(url, reader_ids, meta["password_hash"]),
        reader_cookies=cookies[: len(reader_ids)],
        writer_ids=writer_ids,
        writer_emails=[f"student{uid - scale.teachers}@{datagen.DOMAIN}" for uid in writer_ids],
        teacher_cookies=cookies[len(reader_ids) :],
    )


def open_slot_ids(url: str, limit: int) -> list[int]:
    with psycopg.connect(url) as conn:
        return [
            row[0]
            for row in conn.execute(
                """
                SELECT s.id FROM scheduling_slot s
                JOIN accounts_user u ON u.id = s.teacher_id
                JOIN accounts_teacherprofile p ON p.user_id = s.teacher_id
                WHERE s.removed_at IS NULL AND u.is_active AND p.is_published
                  AND s.start_at > now() + interval '1 day'
                  AND NOT EXISTS (SELECT 1 FROM booking_booking b
                                  WHERE b.slot_id = s.id AND b.status IN ('hold', 'confirmed'))
                ORDER BY hashint8(s.id) LIMIT %s
                """,
                [limit],
            )
        ]


# --- phases ----------------------------------------------------------------------------


def touches(ctx: Context, database: str) -> tuple[int, int, int]:
    """(PostgreSQL backends on `database`, its committed transactions so far, Redis clients on our db)."""
    import redis

    with psycopg.connect(datagen.admin_url(ctx.base_url), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        backends = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]).fetchone()[0]
        xacts = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [database]).fetchone()[0]
    db = ctx.redis_url.rsplit("/", 1)[1]
    client = redis.Redis(host="127.0.0.1", port=6379, db=0)
    clients = sum(1 for c in client.client_list() if str(c.get("db")) == db)
    client.close()
    return backends, xacts, clients


def phase_health_touch(ctx: Context, large: Gunicorn, loop) -> dict:
    """Is /health really free of PostgreSQL and Redis? Fresh workers have no connection:
    if serving /health made one, it would stay open (CONN_MAX_AGE, django-redis' pool)."""
    time.sleep(1.2)  # let the statistics of the readiness probes settle
    before = touches(ctx, LARGE_DB)
    window = loop.run_until_complete(
        run_window("health", large.server, Get("health", "/health"), concurrency=ctx.concurrency, duration=3)
    )
    time.sleep(1.2)
    after = touches(ctx, LARGE_DB)
    result = {
        "requests": window.ok,
        "pg_backends": after[0],
        "pg_transactions": after[1] - before[1],
        "redis_clients": after[2],
    }
    result["touches_nothing"] = result["pg_backends"] == 0 and result["pg_transactions"] == 0 and after[2] == 0
    say(
        f"  /health x{window.ok:,}: PostgreSQL backends {result['pg_backends']}, transactions "
        f"{result['pg_transactions']}, Redis clients {result['redis_clients']} -> "
        + ("touches nothing" if result["touches_nothing"] else "TOUCHES SOMETHING")
    )
    return result


def summarize(results: dict[str, list]) -> dict[str, Summary]:
    return {label: Summary.of(windows) for label, windows in results.items()}


def ratio(results: dict, numerator: str, denominator: str) -> dict:
    pairs = paired_ratios(results[numerator], results[denominator])
    num, den = Summary.of(results[numerator]), Summary.of(results[denominator])
    return {
        "value": num.rate / den.rate if den.rate else math.nan,
        "pairs_min": min(pairs) if pairs else math.nan,
        "pairs_max": max(pairs) if pairs else math.nan,
    }


def log_summaries(summaries: dict[str, Summary]) -> None:
    for label, s in summaries.items():
        errors = f", unexpected {s.errors} {s.statuses}" if s.errors else ""
        say(
            f"    {label:<14} {s.rate:8,.1f}/s  p50 {s.p50 * 1000:7.1f} ms  p95 {s.p95 * 1000:7.1f} ms  "
            f"p99 {s.p99 * 1000:7.1f} ms  n={s.ok:,}{errors}"
        )
        say(f"    {'':<14} CPU ms per request: {s.cpu_line()}")


def phase_reads(ctx: Context, L: Gunicorn, S: Gunicorn, X: Gunicorn, act_l: Actors, act_s: Actors, loop) -> dict:
    say("  open slots API (JWT, first page of 20) and the student dashboard (session cookie)")
    bearer_l = [{"Authorization": f"Bearer {t}"} for t in act_l.reader_tokens]
    bearer_s = [{"Authorization": f"Bearer {t}"} for t in act_s.reader_tokens]
    cookie_l = [{"Cookie": c} for c in act_l.reader_cookies]
    cookie_s = [{"Cookie": c} for c in act_s.reader_cookies]
    teacher_l = [{"Cookie": c} for c in act_l.teacher_cookies]
    teacher_s = [{"Cookie": c} for c in act_s.teacher_cookies]
    health = Get("health", "/health")
    results = {}
    for title, steps in (
        (
            "open slots",
            [  # pairs side by side: baseline / baseline-bare, slots L / slots L-bare / slots S
                Step("baseline", L.server, health),
                Step("baseline-bare", X.server, health),
                Step("slots L", L.server, Get("slots", OPEN_SLOTS, bearer_l)),
                Step("slots L-bare", X.server, Get("slots", OPEN_SLOTS, bearer_l)),
                Step("slots S", S.server, Get("slots", OPEN_SLOTS, bearer_s)),
            ],
        ),
        (
            "dashboard",
            [
                Step("baseline", L.server, health),
                Step("dash L", L.server, Get("dashboard", DASHBOARD, cookie_l)),
                Step("dash L-bare", X.server, Get("dashboard", DASHBOARD, cookie_l)),
                Step("dash S", S.server, Get("dashboard", DASHBOARD, cookie_s)),
            ],
        ),
        (
            "teacher pages",
            [
                Step("baseline", L.server, health),
                Step("week L", L.server, Get("teacher week", TEACHER_WEEK, teacher_l)),
                Step("week L-bare", X.server, Get("teacher week", TEACHER_WEEK, teacher_l)),
                Step("week S", S.server, Get("teacher week", TEACHER_WEEK, teacher_s)),
                Step("directory L", L.server, Get("directory", DIRECTORY, cookie_l)),
                Step("directory S", S.server, Get("directory", DIRECTORY, cookie_s)),
            ],
        ),
    ):
        say(f"  phase: {title} ({' | '.join(step.label for step in steps)})")
        measured = loop.run_until_complete(
            alternate(steps, cycles=ctx.cycles, window=ctx.window, warmup=ctx.warmup, concurrency=ctx.concurrency)
        )
        log_summaries(summarize(measured))
        results[title] = measured
    return results


def spend_login_budget(L: Gunicorn, loop) -> int:
    """Spend this client's login budget with invalid bodies (400 before any hashing)."""
    from django.conf import settings

    spend = render("POST", "/api/v1/identity/auth/login", {"Content-Type": "application/json"}, b"{}")
    for spent in range(1, settings.AUTH_RATE_LIMIT_LOGIN_REQUESTS + 5):
        status, _ = loop.run_until_complete(fetch(L.server, spend))
        if status == 429:
            return spent
    return -1


def align_login_window(needed: float) -> None:
    """Wait for the limiter's next window when this one ends within `needed` seconds:
    a new window mid-phase would let AUTH_RATE_LIMIT_LOGIN_REQUESTS real logins (hashing) through."""
    from django.conf import settings
    from django_ratelimit.core import _get_window

    period = settings.AUTH_RATE_LIMIT_WINDOW_SECONDS
    left = _get_window("127.0.0.1", period) - time.time()
    if period >= 1 and left < needed:
        say(f"  waiting {left + 1:.0f} s for the limiter's next {period} s window")
        time.sleep(left + 1)


def phase_login(ctx: Context, L: Gunicorn, loop) -> dict:
    """Login answered 429 once the client's budget is spent: limited before any hashing."""
    from django.contrib.auth.hashers import make_password

    started = time.perf_counter()
    make_password("how long does one hash take")
    hash_seconds = time.perf_counter() - started

    align_login_window(ctx.warmup * 2 + ctx.cycles * 2 * ctx.window + 5)
    spent = spend_login_budget(L, loop)
    path = "/api/v1/identity/auth/login"
    login = Post(
        "login",
        path,
        {"email": f"student1@{datagen.DOMAIN}", "password": "a wrong password"},
        ok=(429,),
    )
    say(
        f"  phase: login limited ({spent} requests spent the budget; "
        f"one PBKDF2 hash here: {hash_seconds * 1000:.0f} ms)"
    )
    measured = loop.run_until_complete(
        alternate(
            [Step("baseline", L.server, Get("health", "/health")), Step("login 429", L.server, login)],
            cycles=ctx.cycles,
            window=ctx.window,
            warmup=ctx.warmup,
            concurrency=ctx.concurrency,
        )
    )
    log_summaries(summarize(measured))
    return {"windows": measured, "hash_seconds": hash_seconds}


RESET_EVENT = "identity.password_reset.requested"


def phase_reset(ctx: Context, X: Gunicorn, loop) -> dict:
    """A password reset asked for an account's address and for an unknown one,
    in alternating windows, one request at a time (latency, not throughput),
    on the master without rate limits (the per-client limit would stop the
    samples). The request only queues the e-mail: both should take the same time."""
    path = "/api/v1/identity/auth/password-reset"
    known = Post("reset known", path, {"email": f"student1@{datagen.DOMAIN}"}, ok=(202,))
    unknown = Post("reset unknown", path, {"email": f"nobody@{datagen.DOMAIN}"}, ok=(202,))
    say("  phase: password reset, known vs unknown address (1 client)")
    measured = loop.run_until_complete(
        alternate(
            [Step("reset known", X.server, known), Step("reset unknown", X.server, unknown)],
            cycles=ctx.cycles,
            window=ctx.window,
            warmup=ctx.warmup,
            concurrency=1,
        )
    )
    log_summaries(summarize(measured))
    with psycopg.connect(ctx.db_url(LARGE_DB), autocommit=True) as conn:  # not the outbox phase's backlog
        conn.execute("DELETE FROM audit_outboxevent WHERE event_type = %s", [RESET_EVENT])
    return {"windows": measured}


def phase_booking(ctx: Context, L: Gunicorn, X: Gunicorn, act: Actors, slots: list[int], loop) -> dict:
    queue: deque = deque()
    slot_iter = iter(slots)
    holds = Holds(slot_iter, act.writer_tokens, queue)
    say("  phase: uncontended hold latency (one client)")
    single = loop.run_until_complete(run_window("hold x1", L.server, holds, concurrency=1, duration=4))
    say(f"    hold x1: p50 {percentile(single.latencies, 50) * 1000:.1f} ms, n={single.ok}")
    confirms = Confirms(act.writer_tokens, queue)
    steps = [
        Step("hold", L.server, holds),
        Step("confirm", L.server, confirms),
        Step("baseline", L.server, Get("health", "/health")),
        Step("hold-bare", X.server, holds),
        Step("confirm-bare", X.server, confirms),
    ]
    say("  phase: holds on distinct slots and confirms of those holds (hold | confirm | baseline), "
        "and both without metrics and limits")  # fmt: skip
    # a longer hold warm-up leaves holds for the confirm warm-up and first window
    loop.run_until_complete(run_window("hold", L.server, holds, concurrency=ctx.concurrency, duration=ctx.warmup))
    measured = loop.run_until_complete(
        alternate(steps, cycles=ctx.cycles, window=ctx.window, warmup=ctx.warmup, concurrency=ctx.concurrency)
    )
    log_summaries(summarize(measured))
    if confirms.starved:
        say(f"    (confirm clients found no hold waiting {confirms.starved} times)")
    return {"single": single, "windows": measured, "starved": confirms.starved, "slot_iter": slot_iter}


def phase_contention(
    ctx: Context, L: Gunicorn, act: Actors, slots: list[int], loop, bursts: int = 8, quiet: bool = False
) -> dict:
    if not quiet:
        say(f"  phase: 64 concurrent holds on one slot, {bursts} times")
    winners, loser_latencies, other = [], [], {}

    async def burst(slot: int, tokens: list[str]):
        body = json.dumps({"slot_id": slot}).encode()
        raws = [
            render(
                "POST",
                "/api/v1/booking/holds",
                {"Authorization": f"Bearer {t}", "Content-Type": "application/json"},
                body,
            )
            for t in tokens
        ]

        async def one(raw):
            sent = time.perf_counter()
            status, _ = await fetch(L.server, raw)
            return status, time.perf_counter() - sent

        return await asyncio.gather(*(one(raw) for raw in raws))

    for n in range(bursts):
        tokens = [act.writer_tokens[(n * 64 + i) % len(act.writer_tokens)] for i in range(64)]
        answers = loop.run_until_complete(burst(slots[n], tokens))
        winners.append(sum(1 for status, _ in answers if status == 201))
        for status, took in answers:
            if status == 409:
                loser_latencies.append(took)
            elif status != 201:
                other[status] = other.get(status, 0) + 1
        time.sleep(0.3)
    result = {
        "winners": winners,
        "losers": len(loser_latencies),
        "loser_p50": percentile(loser_latencies, 50),
        "loser_p99": percentile(loser_latencies, 99),
        "other": other,
        "loser_latencies": loser_latencies,
    }
    if quiet:
        return result
    say(
        f"    winners per burst {winners}; losers {len(loser_latencies)} (409), p50 "
        f"{result['loser_p50'] * 1000:.0f} ms, p99 {result['loser_p99'] * 1000:.0f} ms; other answers {other or 'none'}"
    )
    return result


def phase_peers(ctx: Context, L: Gunicorn, act: Actors, slot_iter, loop, chosen: list[str]) -> dict:
    """GuitarOnline's hold+confirm beside each peer's booking flow, in alternating windows.

    Every system gets the same gunicorn worker count and the same clients; each
    is measured against its own bare request too. Afterwards each one's
    bookings are counted in its own database.
    """
    from benchmarks import peers as peer_systems

    admin_url = datagen.admin_url(ctx.base_url)
    units = PEER_UNITS
    systems = [peer for peer in peer_systems.peers(ctx.base_url) if peer.name in chosen]
    say(f"  phase: peers ({', '.join(peer.name for peer in systems)}): install (once), seed {units:,} bookable units")
    started: list[tuple[peer_systems.Peer, Server, Process]] = []
    versions = {}
    try:
        for peer in systems:
            peer.install(say=say)
            versions[peer.name] = f"{peer.package} {peer.version()}"
            peer.prepare(admin_url, units)
            server, process = peer.start(ctx.workers)
            started.append((peer, server, process))
            CPU_GROUPS[f"gunicorn {peer.name}"] = {process.pid}
        for _, server, process in started:
            peer_systems.wait_ready(server, process, ctx.workers)
        with psycopg.connect(ctx.db_url(LARGE_DB)) as conn:
            before = conn.execute("SELECT coalesce(max(id), 0) FROM booking_booking").fetchone()[0]
        bookings = Bookings(slot_iter, act.writer_tokens)
        steps = [Step("baseline", L.server, Get("health", "/health")), Step("guitaronline", L.server, bookings)]
        for peer, server, _ in started:
            steps += [Step(f"{peer.name} bare", server, peer.baseline()), Step(peer.name, server, peer.booking())]
        say("  phase: bookings, " + " | ".join(step.label for step in steps))
        measured = loop.run_until_complete(
            alternate(steps, cycles=ctx.cycles, window=ctx.window, warmup=ctx.warmup, concurrency=ctx.concurrency)
        )
        log_summaries(summarize(measured))
        checked = {}
        with psycopg.connect(ctx.db_url(LARGE_DB)) as conn:
            made, doubled = conn.execute(
                "SELECT count(*), count(*) - count(DISTINCT slot_id) FROM booking_booking "
                "WHERE id > %s AND status = 'confirmed'",
                [before],
            ).fetchone()
        checked["guitaronline"] = {"bookings": made, "double_booked": doubled}
        for peer, _, _ in started:
            checked[peer.name] = peer.verify()
        for name, found in checked.items():
            say(f"    {name}: {found['bookings']:,} bookings in its database, {found['double_booked']} double-booked")
    finally:
        for _, _, process in started:
            process.stop()
    return {"windows": measured, "checked": checked, "versions": versions, "peers": [p.name for p in systems]}


SERIES_WEEKS = 8


def weekly_runs(teachers: int = 150, per_teacher: int = 6, weeks: int = SERIES_WEEKS) -> list[int]:
    """Runs of `weeks` open one-hour slots a week apart, after every generated
    slot, for teachers in zones without daylight saving time (a week apart in
    UTC is then the same local time, as a series needs); the first slot of each."""
    from datetime import timedelta

    from django.db.models import Max

    from accounts.models import User
    from scheduling.models import Slot

    last = Slot.objects.aggregate(last=Max("end_at"))["last"]
    base = last.replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    teacher_ids = list(
        User.objects.filter(
            role="teacher", is_active=True, teacher_profile__is_published=True,
            timezone__in=["Europe/Moscow", "Asia/Yekaterinburg"],
        ).order_by("pk").values_list("pk", flat=True)[:teachers]
    )  # fmt: skip
    slots = Slot.objects.bulk_create(
        Slot(teacher_id=teacher, start_at=start, end_at=start + timedelta(hours=1))
        for teacher in teacher_ids
        for hour in range(per_teacher)
        for week in range(weeks)
        for start in [base + timedelta(hours=2 * hour, days=7 * week)]
    )
    return [slot.pk for slot in slots[::weeks]]


def bench_product() -> int:
    from decimal import Decimal

    from billing.models import Product

    product, _ = Product.objects.get_or_create(
        name_en="Benchmark: ten lessons",
        defaults={"name_ru": "Бенчмарк: десять уроков", "lessons": 10, "validity_days": 90,
                  "price": Decimal("150.00"), "currency": "EUR", "is_active": True},
    )  # fmt: skip
    return product.pk


def phase_flows(ctx: Context, L: Gunicorn, act: Actors, slot_iter, loop, meta: dict) -> dict:
    """Goal 6: an 8-week series booking against one hold+confirm, and a purchase
    (checkout and its provider's webhook) against one hold, in alternating windows."""
    from django.utils import timezone

    from benchmarks.fake_stripe import WEBHOOK_SECRET, sign
    from billing.models import Payment

    starts = weekly_runs()
    datagen.refill_writers(ctx.db_url(LARGE_DB), meta)  # every writer has its 20 lessons: a series takes 8
    purchases = Purchases(bench_product(), act.writer_tokens, lambda body: sign(body, WEBHOOK_SECRET))
    series = SeriesBookings(iter(starts), act.writer_tokens, SERIES_WEEKS)
    steps = [
        Step("booking", L.server, Bookings(slot_iter, act.writer_tokens)),
        Step("series", L.server, series),
        Step("hold", L.server, Holds(slot_iter, act.writer_tokens, deque(maxlen=0))),
        Step("purchase", L.server, purchases),
    ]
    say(f"  phase: {SERIES_WEEKS}-week series and purchases (booking | series | hold | purchase); "
        f"{len(starts):,} weekly runs of open slots")  # fmt: skip
    started = timezone.now()
    measured = loop.run_until_complete(
        alternate(steps, cycles=ctx.cycles, window=ctx.window, warmup=ctx.warmup, concurrency=ctx.concurrency)
    )
    log_summaries(summarize(measured))
    paid = Payment.objects.filter(
        created_at__gte=started, status=Payment.Status.SUCCEEDED, package__isnull=False
    ).count()
    say(f"    webhook answers {dict(purchases.results)}; {paid:,} payments succeeded, each with its package")
    return {"windows": measured, "webhooks": dict(purchases.results), "paid": paid}


def phase_metrics_scrape(L: Gunicorn) -> dict:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        status, _ = http_get(L.server.port, "/metrics", timeout=30)
        times.append(time.perf_counter() - started)
    say(f"  /metrics scrape (domain gauges from the large database): {statistics.median(times) * 1000:.0f} ms")
    return {"status": status, "median": statistics.median(times)}


def _pending(conn) -> tuple[int, int]:
    """(events, e-mails) still to dispatch: dead letters (staff's to requeue) are not."""
    from guitaronline.core import retries

    live = "(status IN ('pending', 'sending') OR (status = 'failed' AND attempts < %s))"
    events = conn.execute(f"SELECT count(*) FROM audit_outboxevent WHERE {live}", [retries.max_retries()])
    emails = conn.execute(
        f"SELECT count(*) FROM notifications_notification WHERE channel = 'email' AND {live}", [retries.max_retries()]
    )
    return events.fetchone()[0], emails.fetchone()[0]


def sink_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


DRAIN_EVENTS = 10_000  # the drain's backlog, topped up with copies of the confirms' events
DRILL_EVENTS = 3_000  # the backlog of the drill that kills the worker
DRILL_LEASE_SECONDS = 5  # NOTIFICATION_SENDING_LEASE_SECONDS in the drill: what the killed worker left surfaces soon


def top_up_outbox(conn, target: int, *, types: list[str], since: datetime) -> int:
    """Copies of the events of `types` the run wrote after `since` (new ids, so new
    notifications and e-mails about the same lessons) until `target` are pending;
    how many were added."""
    columns = [
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = 'audit_outboxevent' ORDER BY ordinal_position"
        )
    ]
    fresh = {"id": "gen_random_uuid()", "created_at": "now()", "status": "'pending'", "attempts": "0",
             "next_attempt_at": "NULL", "processed_at": "NULL", "last_error": "''"}  # fmt: skip
    names = sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    values = sql.SQL(", ").join(sql.SQL(fresh[name]) if name in fresh else sql.Identifier(name) for name in columns)
    added = 0
    while True:
        pending = conn.execute("SELECT count(*) FROM audit_outboxevent WHERE status = 'pending'").fetchone()[0]
        if pending >= target:
            return added
        copied = conn.execute(
            sql.SQL(
                "INSERT INTO audit_outboxevent ({}) SELECT {} FROM audit_outboxevent "
                "WHERE event_type = ANY(%s) AND created_at > %s ORDER BY created_at LIMIT %s"
            ).format(names, values),
            [types, since, target - pending],
        ).rowcount
        if not copied:
            return added
        added += copied


def start_worker(ctx: Context, name: str, **env) -> Process:
    """One Celery worker as deployed (`--concurrency=2`), once it is ready."""
    worker = Process(
        name,
        [
            str(BIN / "celery"), "-A", "guitaronline", "worker", f"--concurrency={WORKER_PROCESSES}",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h", "--loglevel=INFO",
        ],
        {**ctx.app_env("benchmarks.settings_prod", LARGE_DB), **env},
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while " ready." not in worker.log():
        if not worker.alive() or time.monotonic() > deadline:
            worker.stop()
            raise RuntimeError(f"the Celery worker did not start:\n{worker.log()[-3000:]}")
        time.sleep(0.2)
    return worker


def kick_dispatch() -> None:
    """A dispatch per worker process, as commits kick it in production."""
    from guitaronline.celery import app as celery_app

    for _ in range(WORKER_PROCESSES):
        celery_app.send_task("notifications.dispatch_outbox")


def drain(url: str, *, limit: float = 180, stop_when=None) -> tuple[float, bool]:
    """Kick and wait until nothing is left to dispatch (or `stop_when(events_left)`);
    seconds taken and whether it finished."""
    started = last_kick = time.monotonic()
    kick_dispatch()
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            events_left, emails_left = _pending(conn)
            now = time.monotonic()
            if not events_left and not emails_left:
                return now - started, True
            if stop_when is not None and stop_when(events_left):
                return now - started, False
            if now - started > limit:
                say(f"    drain not finished after {limit:.0f} s: {events_left} events, {emails_left} e-mails left")
                return now - started, False
            if now - last_kick > 5:  # a dispatch stops after its 50 s budget; kicks are cheap
                kick_dispatch()
                last_kick = now
            time.sleep(0.05)


def phase_outbox(ctx: Context, L: Gunicorn, act: Actors, slot_iter, confirms_done: int, confirm_rate: float,
                 sink_file: Path, loop, built_at: datetime) -> dict:  # fmt: skip
    import redis

    url = ctx.db_url(LARGE_DB)
    with psycopg.connect(url, autocommit=True) as conn:
        # booking.held has no notification rule: those events are not what confirms produce
        held = conn.execute(
            "UPDATE audit_outboxevent SET status = 'processed', processed_at = now() "
            "WHERE status = 'pending' AND event_type = 'booking.held'"
        ).rowcount
        produced = dict(
            conn.execute(
                "SELECT event_type, count(*) FROM audit_outboxevent WHERE status = 'pending' GROUP BY 1"
            ).fetchall()
        )
        copies = top_up_outbox(conn, DRAIN_EVENTS, types=list(produced), since=built_at)
        backlog = dict(
            conn.execute(
                "SELECT event_type, count(*) FROM audit_outboxevent WHERE status = 'pending' GROUP BY 1"
            ).fetchall()
        )
    events = sum(backlog.values())
    per_confirm = sum(produced.values()) / confirms_done if confirms_done else math.nan
    production_rate = confirm_rate * per_confirm
    say(f"  phase: outbox drain by one worker; backlog {backlog} ({copies:,} of them copies of the confirms' "
        f"events; {held} booking.held set aside)")  # fmt: skip
    say(f"    confirms produce {per_confirm:.2f} events each: {production_rate:.0f} events/s at peak confirms")
    broker = redis.Redis.from_url(ctx.redis_url)
    broker.delete("celery")  # the kicks of the web phases: one kick below starts the drain
    broker.close()
    result: dict = {"backlog": backlog, "events": events, "per_confirm": per_confirm,
                    "production_rate": production_rate}  # fmt: skip
    worker = start_worker(ctx, "celery-worker")
    try:
        result["rss_before"] = cpu.rss_mb(worker.pid)
        sent_before = len(sink_records(sink_file))
        emails_expected = 2 * backlog.get("booking.confirmed", 0)
        drained, _ = drain(url)
        with psycopg.connect(url, autocommit=True) as conn:
            events_left, _ = _pending(conn)
        done = events - events_left
        received = len(sink_records(sink_file)) - sent_before
        result.update(drain_seconds=drained, drain_rate=done / drained, emails_expected=emails_expected,
                      emails_received=received, rss_after=cpu.rss_mb(worker.pid))  # fmt: skip
        say(
            f"    drained {done:,} events and {received:,} e-mails (expected {emails_expected:,}) in {drained:.1f} s: "
            f"{done / drained:.0f} events/s, {received / drained:.0f} e-mails/s; Celery pool RSS "
            f"{result['rss_before']['total']:.0f} -> {result['rss_after']['total']:.0f} MB"
        )
        result["latency"] = commit_to_email(ctx, L, act, slot_iter, confirm_rate, sink_file, loop)
    finally:
        worker.stop()
    result["drill"] = kill_drill(ctx, sink_file, types=list(produced), since=built_at)
    return result


def kill_drill(ctx: Context, sink_file: Path, *, types: list[str], since: datetime) -> dict:
    """A worker killed (SIGKILL, the whole process group) mid-batch, a new one
    finishing the drain: each e-mail arrives once, none is lost, and the one a
    worker was sending when it died is an "outcome unknown" dead letter for staff."""
    url = ctx.db_url(LARGE_DB)
    with psycopg.connect(url, autocommit=True) as conn:
        started_at = conn.execute("SELECT now()").fetchone()[0]  # the drill's events are its copies, made after
        top_up_outbox(conn, DRILL_EVENTS, types=types, since=since)
        events = conn.execute("SELECT count(*) FROM audit_outboxevent WHERE status = 'pending'").fetchone()[0]
    say(f"  phase: a worker killed mid-batch; {events:,} events, killed once a third are processed")
    lease = {"NOTIFICATION_SENDING_LEASE_SECONDS": str(DRILL_LEASE_SECONDS)}
    worker = start_worker(ctx, "celery-drill-1", **lease)
    try:
        drain(url, stop_when=lambda left: left <= events * 2 // 3)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)
    finally:
        worker.stop()
    with psycopg.connect(url, autocommit=True) as conn:
        sending = conn.execute(
            "SELECT count(*) FROM notifications_notification WHERE status = 'sending' AND created_at > %s",
            [started_at],
        ).fetchone()[0]
    say(f"    killed: {sending} e-mail(s) left sending; a new worker finishes once the lease "
        f"({DRILL_LEASE_SECONDS} s) has passed")  # fmt: skip
    time.sleep(DRILL_LEASE_SECONDS + 1)
    worker = start_worker(ctx, "celery-drill-2", **lease)
    try:
        _, finished = drain(url)
    finally:
        worker.stop()
    with psycopg.connect(url, autocommit=True) as conn:
        events_left = conn.execute(
            "SELECT count(*) FROM audit_outboxevent WHERE status <> 'processed' AND created_at >= %s", [started_at]
        ).fetchone()[0]
        rows = conn.execute(
            "SELECT id::text, status, last_error FROM notifications_notification "
            "WHERE channel = 'email' AND created_at > %s",
            [started_at],
        ).fetchall()
    arrivals: dict[str, int] = {}
    for record in sink_records(sink_file):
        key = record.get("id", "").split("@", 1)[0]
        arrivals[key] = arrivals.get(key, 0) + 1
    from notifications.services import UNKNOWN_OUTCOME

    unknown = [pk for pk, status, error in rows if status == "failed" and error == UNKNOWN_OUTCOME]
    sent = [pk for pk, status, _ in rows if status == "sent"]
    result = {
        "events": events,
        "finished": finished,
        "events_left": events_left,
        "emails": len(rows),
        "sent": len(sent),
        "sent_missing": sum(1 for pk in sent if not arrivals.get(pk)),
        "duplicated": sum(1 for pk, _, _ in rows if arrivals.get(pk, 0) > 1),
        "unknown": len(unknown),
        "unknown_arrived": sum(1 for pk in unknown if arrivals.get(pk)),
        "undelivered": len(rows) - len(sent) - len(unknown),
    }
    result["lost"] = result["events_left"] + result["sent_missing"] + result["undelivered"]
    say(
        f"    {result['emails']:,} e-mails: {result['sent']:,} sent, each arrived "
        f"{'once' if not result['duplicated'] and not result['sent_missing'] else 'NOT once'}; "
        f"lost {result['lost']}, duplicated {result['duplicated']}, outcome unknown {result['unknown']} "
        f"(of which arrived {result['unknown_arrived']}); events left {events_left}"
    )
    return result


def commit_to_email(ctx: Context, L: Gunicorn, act: Actors, slot_iter, confirm_rate: float, sink_file: Path,
                    loop, duration: float = 12.0) -> dict:  # fmt: skip
    """Hold-then-confirm pairs at half the peak confirm rate with the worker running;
    from each confirm's answer (its commit) to the student's e-mail at the SMTP sink."""
    rate = max(2.0, min(30.0, confirm_rate / 2))
    say(f"  phase: commit-to-e-mail latency, {rate:.0f} hold+confirm pairs/s for {duration:.0f} s, worker running")
    confirmed: dict[int, tuple[float, str]] = {}
    failures: dict = {}
    writers = iter(range(len(act.writer_tokens) - 1, -1, -1))  # from the other end of the writers

    async def pair():
        w = next(writers)
        auth = {"Authorization": f"Bearer {act.writer_tokens[w]}"}
        body = json.dumps({"slot_id": next(slot_iter)}).encode()
        status, answer = await fetch(
            L.server, render("POST", "/api/v1/booking/holds", {**auth, "Content-Type": "application/json"}, body)
        )
        if status != 201:
            failures[f"hold {status}"] = failures.get(f"hold {status}", 0) + 1
            return
        booking = json.loads(answer)["id"]
        status, answer = await fetch(L.server, render("POST", f"/api/v1/booking/{booking}/confirm", auth))
        if status != 200:
            failures[f"confirm {status}"] = failures.get(f"confirm {status}", 0) + 1
            return
        confirmed[json.loads(answer)["lesson_id"]] = (time.time(), act.writer_emails[w])

    async def paced():
        start = time.perf_counter()
        tasks = []
        for n in range(int(rate * duration)):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(pair()))
        await asyncio.gather(*tasks)

    loop.run_until_complete(paced())
    latencies: dict[int, float] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(latencies) < len(confirmed):
        for record in sink_records(sink_file):
            lesson = record.get("lesson")
            if lesson in confirmed and lesson not in latencies and confirmed[lesson][1] in record["rcpt"]:
                latencies[lesson] = record["t"] - confirmed[lesson][0]
        time.sleep(0.2)
    values = list(latencies.values())
    result = {
        "rate": rate,
        "confirmed": len(confirmed),
        "emails": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values) if values else math.nan,
        "failures": failures,
    }
    say(
        f"    {len(confirmed)} confirmed, {len(values)} e-mails arrived: p50 {result['p50'] * 1000:.0f} ms, "
        f"p95 {result['p95'] * 1000:.0f} ms, max {result['max'] * 1000:.0f} ms"
        + (f"; failures {failures}" if failures else "")
    )
    return result


def phase_profiles(ctx: Context, L: Gunicorn, act: Actors, slot_iter, which: list[str], loop,
                   seconds: float = 12) -> dict:  # fmt: skip
    """py-spy on L's workers while one scenario runs alone."""
    bearer = [{"Authorization": f"Bearer {t}"} for t in act.reader_tokens]
    cookies = [{"Cookie": c} for c in act.reader_cookies]
    queue: deque = deque()
    holds = Holds(slot_iter, act.writer_tokens, queue)
    scenarios = {
        "baseline": Get("health", "/health"),
        "open_slots": Get("slots", OPEN_SLOTS, bearer),
        "dashboard": Get("dashboard", DASHBOARD, cookies),
        "login": Post("login", "/api/v1/identity/auth/login", {"email": "x@example.org", "password": "x"}, ok=(429,)),
        "hold": holds,
        "confirm": Confirms(act.writer_tokens, queue),
    }
    summaries = {}
    for name in which:
        if name not in scenarios:
            say(f"  (no profile scenario {name!r}; known: {', '.join(scenarios)})")
            continue
        if name == "login":
            align_login_window(seconds + 5)
            spend_login_budget(L, loop)
        if name == "confirm":  # holds to confirm, made before the profile starts
            loop.run_until_complete(run_window("hold", L.server, holds, concurrency=ctx.concurrency, duration=seconds))
        raw = OUT / "profiles" / f"{name}.txt"
        spy = profiling.record(L.process.pid, raw, seconds + 1)
        time.sleep(1.0)  # attached
        window = loop.run_until_complete(
            run_window(name, L.server, scenarios[name], concurrency=ctx.concurrency, duration=seconds)
        )
        _, errors = spy.communicate(timeout=60)
        if not raw.exists():
            say(f"  profile {name}: py-spy wrote nothing ({errors.strip()[-300:]})")
            continue
        summary = profiling.summarize(raw)
        summaries[name] = summary
        say(f"  profile {name} ({window.rate:.0f}/s under py-spy), raw stacks in {raw.relative_to(ROOT)}:\n{summary}")
    return summaries


# --- the table -------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    figure: str
    value: float
    goal: str
    met: bool | None  # None: information, no goal
    detail: str = ""


def fmt(value: float, digits: int = 2) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def build_rows(r: dict) -> list[Row]:
    rows: list[Row] = []
    reads = r["reads"]
    slots, dash = reads["open slots"], reads["dashboard"]
    s_slots, s_dash = summarize(slots), summarize(dash)
    base_slots = s_slots["baseline"]

    def ratio_row(key, figure, results, num, den, goal_value, detail_extra=""):
        rr = ratio(results, num, den)
        num_s, den_s = Summary.of(results[num]), Summary.of(results[den])
        rows.append(
            Row(
                key,
                figure,
                rr["value"],
                f">= {goal_value}",
                rr["value"] >= goal_value,
                f"{num_s.rate:,.0f}/s vs {den_s.rate:,.0f}/s; windows {fmt(rr['pairs_min'])}..{fmt(rr['pairs_max'])}"
                + detail_extra,
            )
        )

    ratio_row("1", "open slots API / baseline (large data)", slots, "slots L", "baseline", 0.35,
              f"; small data {fmt(ratio(slots, 'slots S', 'baseline')['value'])}")  # fmt: skip
    booking = r["booking"]["windows"]
    ratio_row("2a", "holds on distinct slots / baseline", booking, "hold", "baseline", 0.25)
    ratio_row("2b", "confirms / holds", booking, "confirm", "hold", 0.7)
    c = r["contention"]
    single_p50 = percentile(r["booking"]["single"].latencies, 50)
    exactly_one = all(w == 1 for w in c["winners"])
    rows.append(Row("3a", "64 concurrent holds on one slot: winners", float(sum(c["winners"])),
                    "exactly 1 per slot", exactly_one,
                    f"winners per burst {c['winners']}, {c['losers']} x 409, "
                    f"other {c['other'] or 'none'}"))  # fmt: skip
    contention_ratio = c["loser_p99"] / single_p50 if single_p50 else math.nan
    rows.append(Row("3b", "losers' p99 / uncontended hold p50", contention_ratio, "<= 3", contention_ratio <= 3,
                    f"p99 {c['loser_p99'] * 1000:.0f} ms vs p50 {single_p50 * 1000:.1f} ms"))  # fmt: skip
    o = r["outbox"]
    if "drain_rate" in o:
        drain = o["drain_rate"] / o["production_rate"] if o["production_rate"] else math.nan
        rows.append(Row("4a", "outbox drain (1 worker) / confirm event rate", drain, ">= 3", drain >= 3,
                        f"{o['drain_rate']:.0f} events/s drained vs {o['production_rate']:.0f} events/s produced "
                        f"({o['per_confirm']:.1f} per confirm); "
                        f"e-mails {o['emails_received']}/{o['emails_expected']}"))  # fmt: skip
        lat = o["latency"]
        rows.append(Row("4b", "commit-to-e-mail p95 (s)", lat["p95"], "<= 2", lat["p95"] <= 2,
                        f"p50 {lat['p50']:.2f} s, max {lat['max']:.2f} s; {lat['emails']}/{lat['confirmed']} "
                        f"e-mails at {lat['rate']:.0f} confirms/s"))  # fmt: skip
        d = o["drill"]
        rows.append(Row("4c", "worker killed mid-batch: e-mails lost / duplicated", float(d["lost"] + d["duplicated"]),
                        "0 / 0", d["lost"] == 0 and d["duplicated"] == 0,
                        f"lost {d['lost']}, duplicated {d['duplicated']} of {d['emails']:,} e-mails from "
                        f"{d['events']:,} events; {d['unknown']} left as outcome unknown for staff "
                        f"({d['unknown_arrived']} of them had arrived)"))  # fmt: skip
    login = r["login"]["windows"]
    login_s = Summary.of(login["login 429"])
    never_hashed = login_s.errors == 0 and login_s.p99 < r["login"]["hash_seconds"] / 2
    ratio_row("5", "login answered 429 / baseline", login, "login 429", "baseline", 0.5,
              f"; all 429 and p99 {login_s.p99 * 1000:.1f} ms vs one hash "
              f"{r['login']['hash_seconds'] * 1000:.0f} ms: {'never hashed' if never_hashed else 'CHECK'}")  # fmt: skip
    reset = summarize(r["reset"]["windows"])
    known, unknown = reset["reset known"], reset["reset unknown"]
    same_time = known.p50 / unknown.p50 if unknown.p50 else math.nan
    rows.append(Row("5b", "password reset p50: known / unknown address", same_time, "0.9..1.1",
                    0.9 <= same_time <= 1.1,
                    f"p50 {known.p50 * 1000:.2f} ms vs {unknown.p50 * 1000:.2f} ms, p95 {known.p95 * 1000:.2f} vs "
                    f"{unknown.p95 * 1000:.2f} ms; {known.ok} and {unknown.ok} samples, "
                    f"errors {known.errors + unknown.errors}"))  # fmt: skip
    teacher_pages = reads["teacher pages"]
    s_teacher = summarize(teacher_pages)
    for key, figure, summaries, large, small in (
        ("6a", "open slots p95 large / small", s_slots, "slots L", "slots S"),
        ("6b", "dashboard p95 large / small", s_dash, "dash L", "dash S"),
        ("6c", "teacher week p95 large / small", s_teacher, "week L", "week S"),
        ("6d", "teacher directory p95 large / small", s_teacher, "directory L", "directory S"),
    ):
        value = summaries[large].p95 / summaries[small].p95
        rows.append(Row(key, figure, value, "<= 1.5", value <= 1.5,
                        f"p95 {summaries[large].p95 * 1000:.1f} ms vs "
                        f"{summaries[small].p95 * 1000:.1f} ms"))  # fmt: skip
    if "flows" in r:
        flows = r["flows"]["windows"]
        for key, figure, one, other, goal_value in (
            ("6e", f"{SERIES_WEEKS}-week series / one hold+confirm (cost)", "series", "booking", 3),
            ("6f", "checkout + webhook / one hold (cost)", "purchase", "hold", 2),
        ):
            rr = ratio(flows, other, one)  # cost: the inverse of the throughputs at the same concurrency
            one_s, other_s = Summary.of(flows[one]), Summary.of(flows[other])
            extra = (f"; webhooks {r['flows']['webhooks']}, {r['flows']['paid']:,} paid with their package"
                     if one == "purchase" else f"; {one_s.errors} errors")  # fmt: skip
            rows.append(Row(key, figure, rr["value"], f"<= {goal_value}", rr["value"] <= goal_value,
                            f"{one_s.rate:,.1f}/s vs {other_s.rate:,.1f}/s, p50 {one_s.p50 * 1000:.0f} vs "
                            f"{other_s.p50 * 1000:.0f} ms; windows {fmt(rr['pairs_min'])}..{fmt(rr['pairs_max'])}"
                            + extra))  # fmt: skip
    ratio_row("7", "student dashboard / baseline", dash, "dash L", "baseline", 0.3)
    ratio_row("7b", "teacher week page / baseline", teacher_pages, "week L", "baseline", 0.3)
    ratio_row("7c", "teacher directory / baseline", teacher_pages, "directory L", "baseline", 0.3)
    ratio_row("8a", "open slots: metrics+limits on / off", slots, "slots L", "slots L-bare", 0.93)
    ratio_row("8b", "dashboard: metrics+limits on / off", dash, "dash L", "dash L-bare", 0.93)
    ratio_row("8c", "/health: metrics+limits on / off", slots, "baseline", "baseline-bare", 0.93)
    ratio_row("8f", "holds: metrics+limits on / off", booking, "hold", "hold-bare", 0.93)
    ratio_row("8g", "confirms: metrics+limits on / off", booking, "confirm", "confirm-bare", 0.93)
    ratio_row("8h", "teacher week: metrics+limits on / off", teacher_pages, "week L", "week L-bare", 0.93)
    if "peers" in r:
        peers = r["peers"]
        windows = peers["windows"]
        ours = Summary.of(windows["guitaronline"])
        checked = peers["checked"]
        for n, name in enumerate(peers["peers"], start=1):
            rr = ratio(windows, "guitaronline", name)
            theirs = Summary.of(windows[name])
            bare = ratio(windows, f"{name} bare", "baseline")["value"]
            rows.append(Row(f"P{n}", f"hold+confirm / {peers['versions'][name]} booking"[:45], rr["value"], ">= 1.5",
                            rr["value"] >= 1.5,
                            f"{ours.rate:,.1f} vs {theirs.rate:,.1f} bookings/s; p50 {ours.p50 * 1000:.0f} vs "
                            f"{theirs.p50 * 1000:.0f} ms, p99 {ours.p99 * 1000:.0f} vs {theirs.p99 * 1000:.0f} ms; "
                            f"non-2xx {ours.errors} vs {theirs.errors}; in the databases "
                            f"{checked['guitaronline']['bookings']:,} vs {checked[name]['bookings']:,}, double-booked "
                            f"{checked['guitaronline']['double_booked']} vs {checked[name]['double_booked']}; "
                            f"its bare request / ours {fmt(bare)}"))  # fmt: skip
    before, warm, after = r["rss_before"], r["rss_warm"], r["rss_after"]
    growth = after["max"] / warm["max"] if warm["max"] else math.nan
    rows.append(Row("8d", "gunicorn worker RSS, end / warm (max of L)", growth, "", None,
                    f"{before['max']:.0f} MB at boot, {warm['max']:.0f} MB after the read phases, {after['max']:.0f} "
                    f"MB at the end per worker; all {int(after['count'])} workers {before['total']:.0f} -> "
                    f"{warm['total']:.0f} -> {after['total']:.0f} MB; recycled ones start afresh (i3)"))  # fmt: skip
    if "rss_after" in o:
        pool_growth = o["rss_after"]["total"] / o["rss_before"]["total"] if o["rss_before"]["total"] else math.nan
        rows.append(Row("8e", "Celery pool RSS, after / before the drain", pool_growth, "<= 1.10",
                        pool_growth <= 1.10,
                        f"{o['rss_before']['total']:.0f} -> {o['rss_after']['total']:.0f} MB over "
                        f"{o['events']:,} events ({WORKER_PROCESSES} processes)"))  # fmt: skip
    rows.append(Row("i1", "baseline GET /health (req/s)", base_slots.rate, "", None,
                    f"p50 {base_slots.p50 * 1000:.1f} ms; touches nothing: {r['health']['touches_nothing']} "
                    f"(PostgreSQL transactions {r['health']['pg_transactions']}, Redis clients "
                    f"{r['health']['redis_clients']}); "
                    f"client CPU {base_slots.client_cpu_per_request * 1e6:.0f} us/req"))  # fmt: skip
    rows.append(Row("i2", "/metrics scrape, large data (s)", r["metrics"]["median"], "", None, "domain gauges"))
    rows.append(Row("i3", "gunicorn worker restarts (max_requests)", float(r["restarts"]), "", None,
                    f"{r['workers']} sync workers per master; boots beyond the first ones, all masters"))  # fmt: skip
    return rows


CPU_SCENARIOS = (
    ("GET /health", "open slots", "baseline"),
    ("open slots API", "open slots", "slots L"),
    ("student dashboard", "dashboard", "dash L"),
    ("teacher week page", "teacher pages", "week L"),
    ("teacher directory", "teacher pages", "directory L"),
    ("login answered 429", "login", "login 429"),
    ("hold", "booking", "hold"),
    ("confirm", "booking", "confirm"),
)


def cpu_section(results: dict) -> str:
    """Milliseconds of CPU per request, by process group (benchmarks.cpu)."""
    windows = {
        "open slots": results["reads"]["open slots"],
        "dashboard": results["reads"]["dashboard"],
        "teacher pages": results["reads"]["teacher pages"],
        "login": results["login"]["windows"],
        "booking": results["booking"]["windows"],
    }
    lines = ["", "CPU per request (ms), large data: gunicorn worker | PostgreSQL | Redis | rest of the machine"]
    for title, phase, label in CPU_SCENARIOS:
        used = Summary.of(windows[phase][label]).cpu_ms_per_request
        worker, database, cache = (used.get(k, 0.0) for k in ("gunicorn L", "PostgreSQL (bench)", "Redis"))
        rest = used.get("other (machine)", 0.0) + used.get("PostgreSQL (others, shared)", 0.0)
        lines.append(f"  {title:<20} {worker:6.1f} | {database:6.1f} | {cache:5.2f} | {rest:6.1f}")
    if "peers" in results:
        lines.append("CPU per booking (ms), side by side: gunicorn workers | PostgreSQL | Redis | rest of the machine")
        windows = results["peers"]["windows"]
        for label, group in [("guitaronline", "gunicorn L")] + [
            (n, f"gunicorn {n}") for n in results["peers"]["peers"]
        ]:
            used = Summary.of(windows[label]).cpu_ms_per_request
            worker, database, cache = (used.get(k, 0.0) for k in (group, "PostgreSQL (bench)", "Redis"))
            rest = used.get("other (machine)", 0.0) + used.get("PostgreSQL (others, shared)", 0.0)
            lines.append(f"  {label:<20} {worker:6.1f} | {database:6.1f} | {cache:5.2f} | {rest:6.1f}")
    return "\n".join(lines)


def render_table(rows: list[Row], header: str) -> str:
    lines = [header, ""]
    lines.append(f"{'#':<4}{'figure':<46}{'measured':>10}  {'goal':<20}{'':<8}detail")
    lines.append("-" * 150)
    for row in rows:
        value = f"{row.value:,.0f}" if row.key in ("i1",) else fmt(row.value, 3 if row.key == "i2" else 2)
        status = "" if row.met is None else ("met" if row.met else "MISSED")
        lines.append(f"{row.key:<4}{row.figure:<46}{value:>10}  {row.goal:<20}{status:<8}{row.detail}")
    met = sum(1 for row in rows if row.met)
    judged = sum(1 for row in rows if row.met is not None)
    lines.append("-" * 150)
    lines.append(f"{met} of {judged} goals met.")
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=6, help="windows per scenario (default 6)")
    parser.add_argument("--window", type=float, default=3.0, help="seconds per window (default 3)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per scenario (default 2)")
    parser.add_argument("--concurrency", type=int, default=10, help="clients in flight (default 10)")
    parser.add_argument("--profile", default="", help="py-spy profiles after the figures: all or a comma list "
                        "of baseline,open_slots,dashboard,login,hold,confirm")  # fmt: skip
    parser.add_argument("--rebuild", action="store_true", help="rebuild both data sets")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help=f"peer systems to book beside GuitarOnline: a comma list of {', '.join(PEERS)}, "
                        "or none (benchmarks/peers)")  # fmt: skip
    args = parser.parse_args()

    run_started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    base_url = os.environ.get("BENCH_DATABASE_URL", "postgres://guitaronline@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    workers = int(os.environ.get("GUNICORN_WORKERS") or min((os.cpu_count() or 1) * 2 + 1, 8))
    ctx = Context(base_url, redis_url, secrets.token_urlsafe(50), free_port(), workers,
                  args.cycles, args.window, args.warmup, args.concurrency)  # fmt: skip
    versions = preflight(ctx)
    host = machine()
    say(f"GuitarOnline benchmark: {host['cores']} cores, {host['memory_mb'] // 1024} GB, "
        f"PostgreSQL {versions['postgresql']}, Redis {versions['redis']}, "
        f"load average {host['load_average_at_start']}")  # fmt: skip

    say("data sets")
    data_env = ctx.app_env("benchmarks.settings_prod", LARGE_DB)
    meta_s = datagen.ensure(SMALL_DB, "small", base_url=base_url, env=data_env, force=args.rebuild)
    meta_l = datagen.ensure(LARGE_DB, "large", base_url=base_url, env=data_env, force=args.rebuild)
    collectstatic(ctx)
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()

    django_setup(ctx.app_env("benchmarks.settings_prod", LARGE_DB))
    act_l = actors(ctx.db_url(LARGE_DB), meta_l)
    act_s = actors(ctx.db_url(SMALL_DB), meta_s)
    slots = open_slot_ids(ctx.db_url(LARGE_DB), 30_000)
    say(f"  readers: {len(act_l.reader_ids)} (large), {len(act_s.reader_ids)} (small); "
        f"writers {len(act_l.writer_ids)}; open slots to hold {len(slots):,}")  # fmt: skip

    sink_file = OUT / "smtp-sink.jsonl"
    sink_file.unlink(missing_ok=True)
    processes: list[Process] = []
    sink = Process("smtp-sink", [sys.executable, "-m", "benchmarks.smtp_sink", str(ctx.smtp_port), str(sink_file)],
                   {**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    processes.append(sink)
    stripe_port = free_port()
    processes.append(Process("fake-stripe", [sys.executable, "-m", "benchmarks.fake_stripe", str(stripe_port)],
                             {**os.environ, "PYTHONUNBUFFERED": "1"}))  # fmt: skip
    from benchmarks.fake_stripe import SECRET_KEY, WEBHOOK_SECRET

    stripe_env = {"BILLING_PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": SECRET_KEY,
                  "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": "https://stripe.invalid",
                  "BENCH_STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}"}  # fmt: skip
    say(f"gunicorn: deploy/gunicorn.conf.py, {workers} workers per master (GUNICORN_WORKERS to change), starting 3")
    L = start_gunicorn("L", "benchmarks.settings_prod", LARGE_DB, ctx, extra_env=stripe_env)
    S = start_gunicorn("S", "benchmarks.settings_prod", SMALL_DB, ctx)
    X = start_gunicorn("X", "benchmarks.settings_bare", LARGE_DB, ctx)
    processes += [L.process, S.process, X.process]
    CPU_GROUPS.update({"gunicorn L": {L.process.pid}, "gunicorn S": {S.process.pid}, "gunicorn X": {X.process.pid}})
    loop = new_loop()
    asyncio.set_event_loop(loop)
    results: dict = {"machine": host, "versions": versions, "workers": workers, "args": vars(args)}
    try:
        for g in (L, S, X):
            wait_ready(g)
        results["rss_before"] = cpu.rss_mb(L.process.pid)
        say("phases")
        results["health"] = phase_health_touch(ctx, L, loop)
        results["reads"] = phase_reads(ctx, L, S, X, act_l, act_s, loop)
        results["rss_warm"] = cpu.rss_mb(L.process.pid)  # every page compiled, every lazy import made
        results["login"] = phase_login(ctx, L, loop)
        results["reset"] = phase_reset(ctx, X, loop)
        # fresh: 15-minute tokens
        act_l.writer_tokens = _tokens(ctx.db_url(LARGE_DB), act_l.writer_ids, meta_l["password_hash"])
        contention_slots, slots = slots[-16:], slots[:-16]
        results["booking"] = phase_booking(ctx, L, X, act_l, slots, loop)
        results["contention"] = phase_contention(ctx, L, act_l, contention_slots, loop)
        results["metrics"] = phase_metrics_scrape(L)
        booking = summarize(results["booking"]["windows"])
        built_at = datetime.fromisoformat(meta_l["built_at"])
        with psycopg.connect(ctx.db_url(LARGE_DB)) as conn:
            confirms_done = conn.execute(
                "SELECT count(*) FROM booking_booking WHERE status = 'confirmed' AND confirmed_at > %s", [built_at]
            ).fetchone()[0]
        results["outbox"] = phase_outbox(ctx, L, act_l, results["booking"]["slot_iter"], confirms_done,
                                         booking["confirm"].rate, sink_file, loop, built_at)  # fmt: skip
        act_l.writer_tokens = _tokens(ctx.db_url(LARGE_DB), act_l.writer_ids, meta_l["password_hash"])
        results["flows"] = phase_flows(ctx, L, act_l, results["booking"]["slot_iter"], loop, meta_l)
        chosen = [name.strip() for name in args.peers.split(",") if name.strip() and name.strip() != "none"]
        if chosen:
            act_l.writer_tokens = _tokens(ctx.db_url(LARGE_DB), act_l.writer_ids, meta_l["password_hash"])
            results["peers"] = phase_peers(ctx, L, act_l, results["booking"]["slot_iter"], loop, chosen)
        results["restarts"] = sum(max(0, g.boots() - g.workers) for g in (L, S, X))
        results["rss_after"] = cpu.rss_mb(L.process.pid)
        if args.profile:
            which = ["baseline", "open_slots", "dashboard", "login", "hold", "confirm"]
            if args.profile != "all":
                which = [name.strip() for name in args.profile.split(",") if name.strip()]
            act_l.writer_tokens = _tokens(ctx.db_url(LARGE_DB), act_l.writer_ids, meta_l["password_hash"])
            act_l.reader_tokens = _tokens(ctx.db_url(LARGE_DB), act_l.reader_ids, meta_l["password_hash"])
            results["profiles"] = phase_profiles(ctx, L, act_l, results["booking"]["slot_iter"], which, loop)
    finally:
        for process in reversed(processes):
            process.stop()
        loop.close()

    header = (
        f"GuitarOnline benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M}Z: {host['cores']} cores, "
        f"{host['memory_mb'] // 1024} GB, PostgreSQL {versions['postgresql']}, Redis {versions['redis']}; "
        f"gunicorn {workers} sync workers, max_requests {os.environ.get('GUNICORN_MAX_REQUESTS') or 'as deployed'}; "
        f"windows {args.cycles} x {args.window:.0f} s at {args.concurrency} clients; "
        f"run took {(time.monotonic() - run_started) / 60:.1f} min; code {source_state()}"
    )
    rows = build_rows(results)
    table = render_table(rows, header) + "\n" + cpu_section(results)
    say("")
    say(table)
    (OUT / "table.txt").write_text(table + "\n")
    serializable = {
        "rows": [asdict(row) for row in rows],
        "machine": host,
        "versions": versions,
        "health": results["health"],
        "contention": results["contention"],
        "outbox": results["outbox"],
        "metrics": results["metrics"],
        "summaries": {
            phase: {label: asdict(s) for label, s in summarize(windows).items()}
            for phase, windows in (
                ("open slots", results["reads"]["open slots"]),
                ("dashboard", results["reads"]["dashboard"]),
                ("teacher pages", results["reads"]["teacher pages"]),
                ("login", results["login"]["windows"]),
                ("booking", results["booking"]["windows"]),
                *([("peers", results["peers"]["windows"])] if "peers" in results else []),
            )
        },
        "peers": {key: results["peers"][key] for key in ("checked", "versions")} if "peers" in results else {},
        "profiles": results.get("profiles", {}),
    }
    (OUT / "results.json").write_text(json.dumps(serializable, indent=2, default=str) + "\n")
    say(f"\n(also in {(OUT / 'table.txt').relative_to(ROOT)} and results.json; logs in benchmarks/out/logs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
