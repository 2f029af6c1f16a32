"""The production topology on loopback, without containers.

nginx (deploy/nginx/nginx.conf, TLS) -> gunicorn (deploy/gunicorn.conf.py,
APP_ENV=production, two workers in Prometheus multi-process mode) ->
PostgreSQL (a database of its own, created, migrated and dropped here) and
Redis (a database number of its own), plus a Celery worker and Celery beat.
Through nginx: register, log in, staff sells a package, hold and confirm,
the worker's in-app notification arrives, /metrics carries the domain
gauges. The trusted proxies are given as a network (CIDR), and logins from
two client addresses behind nginx count in buckets of their own. A second
beat cannot take the beat lock and waits, then takes over when the first
stops. A gunicorn whose Redis address is a closed port stays ready (200,
"degraded") and serves pages. Then deploy/backup.sh, deploy/restore.sh into
an empty database and its --verify mode. Every process is stopped at the
end, also on failure.

Runs where PostgreSQL and Redis are configured (DATABASE_URL / REDIS_URL, as
in CI) and nginx is installed (deploy/validate.sh installs it); skipped
elsewhere with the reason.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOOLS = ("nginx", "openssl", "psql", "pg_dump", "pg_restore")
LOGINS_PER_WINDOW = 4  # AUTH_RATE_LIMIT_LOGIN_REQUESTS: each client address's logins per minute


def _skip_reason() -> str:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)"
    if not os.environ.get("REDIS_URL", "").startswith("redis://"):
        return "needs Redis: set REDIS_URL=redis://... (CI does)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)} on PATH (deploy/validate.sh installs nginx)"
    if not (BIN / "gunicorn").exists():
        return "needs gunicorn in the virtualenv"
    return ""


SKIP_REASON = _skip_reason()
pytestmark = pytest.mark.skipif(bool(SKIP_REASON), reason=SKIP_REASON or "runs")


# --- helpers ---------------------------------------------------------------------------


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def wait_for(condition, *, timeout: float, step: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError(f"{what}: not met within {timeout:.0f}s")


class Process:
    """A child in its own process group, its output in a log file."""

    def __init__(self, name: str, args: list[str], *, env: dict, logs: Path):
        self.name = name
        self.log_path = logs / f"{name}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.alive():
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        self._log.close()


class Client:
    """HTTP(S) to nginx on loopback; TLS verified against the test's own certificate."""

    def __init__(self, *, https_port: int, http_port: int, cafile: Path):
        self.https_port = https_port
        self.http_port = http_port
        self.tls = ssl.create_default_context(cafile=str(cafile))

    def request(
        self,
        method: str,
        path: str,
        *,
        body=None,
        token: str | None = None,
        headers: dict | None = None,
        plain_http: bool = False,
        source_ip: str | None = None,
    ) -> tuple[int, dict, bytes]:
        source = (source_ip, 0) if source_ip else None
        if plain_http:
            conn = http.client.HTTPConnection("localhost", self.http_port, timeout=20, source_address=source)
        else:
            conn = http.client.HTTPSConnection(
                "localhost", self.https_port, timeout=20, context=self.tls, source_address=source
            )
        sent = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def api(self, method: str, path: str, **kwargs) -> tuple[int, dict]:
        status, _, content = self.request(method, path, **kwargs)
        return status, (json.loads(content) if content else {})


class Topology:
    """Everything the test starts, and how to take it down again."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.logs = tmp / "logs"
        self.logs.mkdir()
        suffix = os.environ.get("PYTEST_XDIST_WORKER", "")
        self.database = f"guitaronline_topology{('_' + suffix) if suffix else ''}"
        self.restore_database = f"{self.database}_restore"
        self.source_url = os.environ["DATABASE_URL"]
        self.database_url = with_path(self.source_url, f"/{self.database}")
        self.restore_url = with_path(self.source_url, f"/{self.restore_database}")
        redis_url = os.environ["REDIS_URL"]
        base_db = urlsplit(redis_url).path.strip("/") or "0"
        self.redis_url = with_path(redis_url, "/13" if base_db == "14" else "/14")
        self.gunicorn_port, self.https_port, self.http_port = free_port(), free_port(), free_port()
        self.secret_key = secrets.token_urlsafe(50)
        self.processes: list[Process] = []
        self.cleanup_paths: list[Path] = []

    # database and redis
    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.source_url, autocommit=True) as conn:
            conn.execute(sql)

    def drop_databases(self) -> None:
        for name in (self.database, self.restore_database):
            self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def flush_redis(self) -> None:
        import redis

        with closing(redis.Redis.from_url(self.redis_url)) as connection:
            connection.flushdb()

    # environment of the app processes
    def env(self, **extra: str) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTEST", "DJANGO_", "PROMETHEUS_", "CELERY_", "GUNICORN_", "LOG_"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "guitaronline.settings",
                "APP_ENV": "production",
                "DEBUG": "false",
                "SECRET_KEY": self.secret_key,
                "ALLOWED_HOSTS": "localhost,127.0.0.1",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "CELERY_BROKER_URL": self.redis_url,
                "AUTH_RATE_LIMIT_BACKEND": "redis",
                # a network, as a pod CIDR is given: nginx connects from 127.0.0.1, clients
                # come from 127.0.0.2 and 127.0.0.3, outside it
                "AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS": "127.0.0.0/31",
                "AUTH_RATE_LIMIT_LOGIN_REQUESTS": str(LOGINS_PER_WINDOW),
                "FORWARDED_ALLOW_IPS": "127.0.0.1",
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "OUTBOX_KICK_ON_COMMIT": "true",
                "SITE_URL": f"https://localhost:{self.https_port}",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra)
        return env

    def manage(self, *args: str, timeout: float = 180) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, name: str, args: list[str], **env: str) -> Process:
        process = Process(name, args, env=self.env(**env), logs=self.logs)
        self.processes.append(process)
        return process

    def start_gunicorn(self, name: str, port: int, workers: int, **env: str) -> Process:
        """gunicorn from deploy/gunicorn.conf.py on `port`, with metrics of its own."""
        return self.start(
            name,
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS=str(workers),
            PROMETHEUS_MULTIPROC_DIR=str(self.tmp / f"prometheus-{name}"),
            **env,
        )

    def start_beat(self, name: str, **env: str) -> Process:
        """Celery beat as deployed: the database scheduler behind the beat lock."""
        return self.start(
            name,
            [sys.executable, "-m", "celery", "-A", "guitaronline", "beat", "--loglevel=INFO", "--scheduler",
             "guitaronline.beat:LockedDatabaseScheduler", "--pidfile=",
             "--schedule", str(self.tmp / f"{name}-schedule")],
            **env,
        )  # fmt: skip

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        for path in self.cleanup_paths:
            shutil.rmtree(path, ignore_errors=True)

    # nginx, from the real config with loopback addresses
    def nginx_config(self) -> Path:
        conf_dir = self.tmp / "nginx"
        (conf_dir / "certs").mkdir(parents=True)
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", str(conf_dir / "certs" / "privkey.pem"), "-out", str(conf_dir / "certs" / "fullchain.pem"),
            ],
            check=True, capture_output=True,
        )  # fmt: skip
        # nginx's workers run as an unprivileged user: static files and temp
        # folders in a world-readable folder outside pytest's private tmp tree
        shared = Path(tempfile.mkdtemp(prefix="guitaronline-topology-"))
        self.cleanup_paths.append(shared)
        shared.chmod(0o755)
        static = shared / "static"
        static.mkdir(mode=0o755)
        (static / "probe.txt").write_text("static from nginx\n")
        (static / "probe.txt").chmod(0o644)
        text = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
        replacements = {
            "listen 80 default_server;": f"listen 127.0.0.1:{self.http_port} default_server;",
            "listen 443 ssl;": f"listen 127.0.0.1:{self.https_port} ssl;",
            "/etc/nginx/certs/": f"{conf_dir / 'certs'}/",
            "alias /srv/static/;": f"alias {static}/;",
        }
        for old, new in replacements.items():
            assert old in text, f"deploy/nginx/nginx.conf no longer contains {old!r}: update the topology test"
            text = text.replace(old, new)
        (conf_dir / "nginx.conf").write_text(text)
        # the include that names the app servers: here, this test's gunicorn
        # (and temp folders of its own, so nginx needs no system folder)
        temp = shared / "nginx-temp"
        temp.mkdir(mode=0o755)
        (conf_dir / "upstream.conf").write_text(
            f"upstream guitaronline_web {{ server 127.0.0.1:{self.gunicorn_port}; "
            "keepalive 16; keepalive_timeout 4s; }\n"
            + "".join(
                f"{kind}_temp_path {temp / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
        )
        return conf_dir


SEED = """
import json
from datetime import timedelta
from django.utils import timezone
from accounts import services
from accounts.models import Role, TeacherProfile, User
from scheduling import services as scheduling

staff = User.objects.create_superuser("{staff_email}", "{password}", full_name="Topology Staff")
teacher = services.user_register(email="teacher@topology.test", password="{password}",
                                 full_name="Topology Teacher", role=Role.TEACHER)
services.teacher_profile_set_published(profile=TeacherProfile.objects.get(user=teacher), published=True, actor=staff)
start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
for hour in range(3):
    scheduling.slot_create(teacher=teacher, start_at=start + timedelta(hours=hour),
                           end_at=start + timedelta(hours=hour, minutes=60))
# as after a restart: beat last ran its tasks an hour ago, so they are due at once
from django_celery_beat.models import PeriodicTask
PeriodicTask.objects.update(last_run_at=timezone.now() - timedelta(hours=1))
print(json.dumps({{"teacher_id": teacher.pk}}))
"""


def metric_value(text: str, name: str, labels: str = "") -> float | None:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


# --- the test ------------------------------------------------------------------------------


def test_production_topology_end_to_end(tmp_path, capsys):
    started = time.monotonic()
    marks: dict[str, float] = {}
    topology = Topology(tmp_path)
    with ExitStack() as cleanup:
        cleanup.callback(topology.flush_redis)
        cleanup.callback(topology.drop_databases)
        cleanup.callback(topology.stop_all)
        try:
            _run(topology, marks)
        except BaseException:
            for process in topology.processes:
                sys.stderr.write(f"\n----- {process.name} log (tail) -----\n{process.log()[-4000:]}\n")
            raise
    marks["total"] = time.monotonic() - started
    with capsys.disabled():
        print("\n[topology] " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in marks.items()))


def _run(topology: Topology, marks: dict[str, float]) -> None:
    t0 = time.monotonic()
    topology.drop_databases()
    topology.admin(f'CREATE DATABASE "{topology.database}"')
    topology.flush_redis()
    topology.manage("migrate", "--noinput", "-v", "0")
    password = "Topology-" + secrets.token_urlsafe(12)
    staff_email = "staff@topology.test"
    seeded = json.loads(
        topology.manage("shell", "-c", SEED.format(staff_email=staff_email, password=password)).strip().splitlines()[-1]
    )
    marks["database"] = time.monotonic() - t0

    # --- processes -------------------------------------------------------------------------
    t0 = time.monotonic()
    gunicorn = topology.start_gunicorn("gunicorn", topology.gunicorn_port, workers=2)
    worker = topology.start(
        "worker",
        [sys.executable, "-m", "celery", "-A", "guitaronline", "worker", "--pool=solo", "--without-gossip",
         "--without-mingle", "--loglevel=INFO", "-n", "topology@%h"],
    )  # fmt: skip
    beat = topology.start_beat("beat")
    conf_dir = topology.nginx_config()
    nginx = topology.start(
        "nginx",
        ["nginx", "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf"), "-e", "stderr",
         "-g", f"daemon off; pid {conf_dir / 'nginx.pid'};"],
    )  # fmt: skip
    client = Client(
        https_port=topology.https_port, http_port=topology.http_port, cafile=conf_dir / "certs" / "fullchain.pem"
    )

    def ready():
        for process in (gunicorn, worker, beat, nginx):
            assert process.alive(), f"{process.name} exited:\n{process.log()[-3000:]}"
        try:
            return client.request("GET", "/ready")[0] == 200
        except OSError:
            return False

    wait_for(ready, timeout=60, what="/ready through nginx")
    wait_for(lambda: " ready." in worker.log(), timeout=30, what="celery worker ready")
    marks["start"] = time.monotonic() - t0

    # --- nginx itself ------------------------------------------------------------------------
    t0 = time.monotonic()
    status, headers, _ = client.request("GET", "/api/v1/teachers", plain_http=True)
    assert status == 301 and headers["location"].startswith("https://localhost")
    assert client.request("GET", "/health", plain_http=True)[0] == 200
    status, headers, content = client.request("GET", "/static/probe.txt")
    assert (status, content) == (200, b"static from nginx\n")
    assert headers["x-content-type-options"] == "nosniff"

    # --- the booking flow through nginx ------------------------------------------------------
    student_email = f"student-{secrets.token_hex(4)}@topology.test"
    status, body = client.api(
        "POST",
        "/api/v1/identity/auth/register",
        body={"email": student_email, "password": password, "full_name": "Topology Student"},
    )
    assert status == 201, body
    student_id = body["id"]
    # the address is confirmed through the API with the token its e-mail link carries (made here as
    # the worker makes it when it sends the e-mail; tests/accounts follows the e-mail itself)
    token = (
        topology.manage(
            "shell",
            "-c",
            "from accounts import verification; from accounts.models import User; "
            f"user = User.objects.get(pk={student_id}); print(verification.token_make(user, user.email))",
        )
        .strip()
        .splitlines()[-1]
    )
    status, verified = client.api("POST", "/api/v1/identity/auth/verify", body={"token": token})
    assert status == 200 and verified["email_verified"] is True, verified
    status, tokens = client.api(
        "POST", "/api/v1/identity/auth/login", body={"email": student_email, "password": password}
    )
    assert status == 200, tokens
    student = tokens["access"]
    status, staff_tokens = client.api(
        "POST", "/api/v1/identity/auth/login", body={"email": staff_email, "password": password}
    )
    assert status == 200, staff_tokens

    expires_at = (datetime.now(UTC) + timedelta(days=90)).isoformat()
    status, package = client.api(
        "POST",
        "/api/v1/billing/packages",
        token=staff_tokens["access"],
        body={
            "student_id": student_id,
            "lessons_total": 5,
            "price": "7500.00",
            "currency": "RUB",
            "expires_at": expires_at,
        },
    )
    assert status == 201, package

    status, slots = client.api("GET", f"/api/v1/scheduling/slots/open?teacher={seeded['teacher_id']}", token=student)
    assert status == 200 and slots["count"] == 3, slots
    status, hold = client.api(
        "POST", "/api/v1/booking/holds", token=student, body={"slot_id": slots["results"][0]["id"]}
    )
    assert status == 201 and hold["status"] == "hold", hold

    request_id = f"topology-{secrets.token_hex(8)}"
    status, headers, content = client.request(
        "POST", f"/api/v1/booking/{hold['id']}/confirm", token=student, headers={"X-Request-ID": request_id}
    )
    confirmed = json.loads(content)
    assert status == 200 and confirmed["status"] == "confirmed", confirmed
    assert headers["x-request-id"] == request_id
    # Django saw HTTPS through nginx's X-Forwarded-Proto
    assert "max-age=" in headers.get("strict-transport-security", "")

    def notified():
        status, answer = client.api("GET", "/api/v1/notifications/my", token=student)
        assert status == 200, answer
        return answer["count"] > 0 and answer

    notifications = wait_for(notified, timeout=30, what="the student's in-app notification")
    assert notifications["results"]
    marks["flow"] = time.monotonic() - t0

    # --- JSON logs carry the request id, from web into the worker ------------------------------
    def worker_logged_the_request():
        return any(line.get("request_id") == request_id for line in json_lines(worker.log()))

    wait_for(worker_logged_the_request, timeout=15, what=f"a worker JSON log line with request_id {request_id}")
    not_found_id = f"topology-404-{secrets.token_hex(4)}"
    assert client.request("GET", "/api/v1/no-such-thing", headers={"X-Request-ID": not_found_id})[0] == 404
    wait_for(
        lambda: any(line.get("request_id") == not_found_id for line in json_lines(gunicorn.log())),
        timeout=10,
        what="gunicorn's JSON log line of the 404",
    )

    # --- logins behind the proxy network: one bucket per client address ----------------------
    def login_from(source_ip: str, email: str, password_tried: str) -> int:
        body = {"email": email, "password": password_tried}
        return client.api("POST", "/api/v1/identity/auth/login", body=body, source_ip=source_ip)[0]

    for attempt in range(LOGINS_PER_WINDOW):  # a guesser at 127.0.0.2, one unknown address after another
        assert login_from("127.0.0.2", f"guess-{attempt}@topology.test", "wrong-password") == 401
    assert login_from("127.0.0.2", f"guess-{LOGINS_PER_WINDOW}@topology.test", "wrong-password") == 429
    assert login_from("127.0.0.2", student_email, password) == 429  # its bucket is full, whoever it tries
    assert login_from("127.0.0.3", student_email, password) == 200  # another client behind the same nginx

    # --- /metrics: loopback only through nginx; multi-process + domain gauges -----------------
    assert client.request("GET", "/metrics", source_ip="127.0.0.2")[0] == 403

    def scrape() -> str:
        status, _, content = client.request("GET", "/metrics")
        assert status == 200
        return content.decode()

    text = scrape()
    assert metric_value(text, "guitaronline_domain_metrics_up") == 1
    assert metric_value(text, "guitaronline_outbox_pending") is not None
    assert metric_value(text, "guitaronline_outbox_dead_letter") == 0
    assert metric_value(text, "guitaronline_bookings", '{status="confirmed"}') == 1
    assert metric_value(text, "guitaronline_stale_holds") == 0
    assert "django_http_requests_total_by_method_total" in text  # merged from both gunicorn workers
    # Beat writes its runs to the database every 3 minutes and when it stops:
    # stop it, then the gauge shows when it last ran a task.
    wait_for(lambda: "Sending due task" in beat.log(), timeout=30, what="beat sending a due task")
    # --- a second beat cannot take the lock: it waits, and takes over when the first stops -----
    standby = topology.start_beat("beat-standby", BEAT_LOCK_RETRY_SECONDS="1")
    wait_for(lambda: "another beat holds the beat lock" in standby.log(), timeout=30, what="the second beat waiting")
    time.sleep(2)  # two more tries at the lock
    assert standby.alive(), standby.log()
    assert "beat lock taken" not in standby.log() and "Sending due task" not in standby.log(), standby.log()
    beat.stop()
    wait_for(lambda: "beat lock taken" in standby.log(), timeout=30, what="the second beat taking over")
    last_beat = metric_value(scrape(), "guitaronline_beat_last_run_timestamp_seconds")
    assert last_beat and time.time() - 300 < last_beat <= time.time() + 5, last_beat
    marks["checks"] = time.monotonic() - t0 - marks["flow"]

    # --- Redis unreachable: the app stays ready and serves pages --------------------------------
    t0 = time.monotonic()
    closed_port = free_port()  # nothing listens there
    redis_down = f"redis://127.0.0.1:{closed_port}/0"
    cut_off_port = free_port()
    cut_off = topology.start_gunicorn(
        "gunicorn-without-redis", cut_off_port, workers=1, REDIS_URL=redis_down, CELERY_BROKER_URL=redis_down
    )

    def direct(path: str, token: str | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", cut_off_port, timeout=20)
        headers = {"Host": "localhost", "X-Forwarded-Proto": "https"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def answering():
        assert cut_off.alive(), cut_off.log()[-3000:]
        try:
            return direct("/health")[0] == 200
        except OSError:
            return False

    wait_for(answering, timeout=60, what="the gunicorn without Redis answering")
    status, content = direct("/ready")
    readiness = json.loads(content)
    assert status == 200 and readiness["status"] == "degraded", readiness
    assert readiness["checks"]["database"] == "ok" and {"cache", "broker"} <= set(readiness["down"]), readiness
    status, content = direct("/api/v1/teachers")
    assert status == 200 and json.loads(content)["count"] == 1, content[:500]
    status, content = direct("/api/v1/notifications/my", token=student)  # a signed-in device, checked without its cache
    assert status == 200 and json.loads(content)["count"] > 0, content[:500]
    gauges = direct("/metrics")[1].decode()
    assert metric_value(gauges, "guitaronline_dependency_up", '{dependency="cache"}') == 0
    assert metric_value(gauges, "guitaronline_dependency_up", '{dependency="database"}') == 1
    cut_off.stop()
    marks["redis-down"] = time.monotonic() - t0

    # --- backup, restore into an empty database, verify ----------------------------------------
    t0 = time.monotonic()
    for process in (standby, worker, gunicorn):  # a quiet database: the counts must match
        process.stop()
    backup_env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": topology.database_url,
        "BACKUP_DIR": str(topology.tmp / "backups"),
    }
    backup = subprocess.run(
        ["bash", "deploy/backup.sh"], cwd=ROOT, env=backup_env, capture_output=True, text=True, timeout=120
    )
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip().splitlines()[-1])
    assert dump.is_file() and Path(f"{dump}.sha256").is_file()

    topology.admin(f'CREATE DATABASE "{topology.restore_database}"')
    restore_env = {**backup_env, "RESTORE_DATABASE_URL": topology.restore_url}
    restore = subprocess.run(
        ["bash", "deploy/restore.sh", str(dump)], cwd=ROOT, env=restore_env, capture_output=True, text=True, timeout=120
    )
    assert restore.returncode == 0, restore.stderr
    again = subprocess.run(
        ["bash", "deploy/restore.sh", str(dump)], cwd=ROOT, env=restore_env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode != 0 and "not empty" in again.stderr, again.stderr

    verify = subprocess.run(
        ["bash", "deploy/restore.sh", "--verify", str(dump)],
        cwd=ROOT, env=backup_env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    assert "verified:" in verify.stderr and "identical to database" in verify.stderr
    import psycopg

    with psycopg.connect(topology.restore_url) as conn:
        restored_bookings = conn.execute("SELECT status FROM booking_booking").fetchall()
    assert restored_bookings == [("confirmed",)]

    # a change after the backup is a mismatch, named
    with psycopg.connect(topology.database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('topology', 'probe', now())")
    mismatch = subprocess.run(
        ["bash", "deploy/restore.sh", "--verify", str(dump)],
        cwd=ROOT, env=backup_env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert mismatch.returncode != 0
    assert "MISMATCH" in mismatch.stderr and "django_migrations" in mismatch.stderr
    marks["backup"] = time.monotonic() - t0
