"""The systems a school would install instead, measured beside GuitarOnline.

Each peer is a Django project installed from PyPI into a virtual environment
of its own (var/peers/NAME/venv, from benchmarks/peers/NAME_site/requirements.txt),
on a PostgreSQL database of its own (guitaronline_peer_NAME), served by
gunicorn from that environment with a bare view (`/bench/bare`) as its own
baseline. Nothing of a peer is imported by the product or by this process:
the load generator only talks HTTP to it, and reads its database afterwards
to count the bookings it made.

A peer module (benchmarks/peers/NAME.py) defines a `Peer` subclass; `PEERS`
below lists them. `python -m benchmarks.peers NAME` installs one, seeds it,
serves it and books through it for a few seconds: a smoke run of the set-up.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from benchmarks.loadgen import Get, Scenario, Server
from benchmarks.run import Process, free_port

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VAR = ROOT / "var" / "peers"
BARE_PATH = "/bench/bare"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@dataclass
class Database:
    """A peer's PostgreSQL database, by its URL's parts (peers' settings want them apart)."""

    url: str

    @property
    def name(self) -> str:
        return urlsplit(self.url).path.lstrip("/")

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 5432

    @property
    def user(self) -> str:
        return urlsplit(self.url).username or ""

    @property
    def password(self) -> str:
        return urlsplit(self.url).password or ""

    def recreate(self, admin_url: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}" OWNER "{self.user}"')

    def scalar(self, sql: str, params: tuple = ()) -> int:
        with psycopg.connect(self.url) as conn:
            row = conn.execute(sql, params).fetchone()
        return int(row[0]) if row and row[0] is not None else 0


class Peer(ABC):
    """One peer system: install, seed, serve, book, count.

    Subclasses set `name`, `package`, `wsgi` and `seed_module`, keep the
    peer's project in benchmarks/peers/NAME_site/ (requirements.txt,
    manage.py, its settings and URLs with the bare view, and the seed module
    whose `seed(units, out)` writes what the booking flow needs as JSON), and
    implement `booking` and `verify`.
    """

    name = ""
    package = ""  # the PyPI distribution whose version the table shows
    wsgi = ""  # the gunicorn application, e.g. "bench_project.wsgi:application"
    seed_module = ""  # in the peer's project: seed(units: int, out: str)
    units = 0  # bookable units seeded by `prepare`

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.secret_key = secrets.token_urlsafe(50)  # the seed's sessions and the workers' share it
        self.database = Database(with_database(base_url, f"guitaronline_peer_{self.name}"))
        self.var = VAR / self.name
        self.venv = self.var / "venv"
        self.project = HERE / f"{self.name}_site"

    # --- installation ------------------------------------------------------------------

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def install(self, say=print) -> None:
        """The peer's virtual environment from its pinned requirements (pip, from PyPI);
        reused while requirements.txt is unchanged."""
        requirements = self.project / "requirements.txt"
        stamp = self.venv / ".requirements"
        wanted = requirements.read_text()
        if stamp.exists() and stamp.read_text() == wanted and self.python.exists():
            return
        say(f"  {self.name}: installing into {self.venv.relative_to(ROOT)} (once)")
        self.var.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(self.venv)], check=True)
        pip = [str(self.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--upgrade", "pip", "wheel", "setuptools"], check=True)
        subprocess.run([*pip, "-r", str(requirements)], check=True)
        stamp.write_text(wanted)

    def version(self) -> str:
        result = subprocess.run(
            [str(self.python), "-c", f"from importlib.metadata import version; print(version({self.package!r}))"],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    def env(self) -> dict[str, str]:
        """The environment of the peer's manage.py and gunicorn."""
        return {
            "PATH": f"{self.venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(self.project),
            "PYTHONUNBUFFERED": "1",
            "BENCH_PEER_VAR": str(self.var),
            "BENCH_PEER_SECRET_KEY": self.secret_key,
            "BENCH_PEER_DB_NAME": self.database.name,
            "BENCH_PEER_DB_HOST": self.database.host,
            "BENCH_PEER_DB_PORT": str(self.database.port),
            "BENCH_PEER_DB_USER": self.database.user,
            "BENCH_PEER_DB_PASSWORD": self.database.password,
        }

    def manage(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run(
            [str(self.python), "manage.py", *args],
            cwd=self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{self.name}: manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    # --- the run ------------------------------------------------------------------------

    def migrate(self) -> None:
        self.manage("migrate", "--no-input")

    def prepare(self, admin_url: str, units: int) -> None:
        """A fresh database, migrated, with `units` bookable things and the users who book them."""
        self.units = units
        self.database.recreate(admin_url)
        self.migrate()
        self.seed_file.unlink(missing_ok=True)
        self.manage("shell", "-c", f"from {self.seed_module} import seed; seed({units}, {str(self.seed_file)!r})")

    @property
    def seed_file(self) -> Path:
        return self.var / "seed.json"

    def seeded(self) -> dict:
        """What the seed wrote for the booking flow (tokens, ids, sessions)."""
        return json.loads(self.seed_file.read_text())

    def start(self, workers: int) -> tuple[Server, Process]:
        port = free_port()
        process = Process(
            f"gunicorn-{self.name}",
            [
                str(self.venv / "bin" / "gunicorn"), self.wsgi,
                "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
                "--access-logfile", "-" if os.environ.get("BENCH_PEER_ACCESS_LOG") else "/dev/null",
            ],
            self.env(),
            cwd=self.project,
            log_path=self.var / "gunicorn.log",
        )  # fmt: skip
        return Server(self.name, port), process

    def baseline(self) -> Scenario:
        return Get(f"{self.name} bare", BARE_PATH)

    @abstractmethod
    def booking(self) -> Scenario:
        """The peer's booking flow: one unit per booking made."""

    @abstractmethod
    def verify(self) -> dict[str, int]:
        """From the peer's database: {"bookings": made, "double_booked": units booked more than once}."""


def wait_ready(server: Server, process: Process, workers: int, timeout: float = 120) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{server.name} gunicorn exited:\n{process.log()[-3000:]}")
        try:
            conn = http.client.HTTPConnection(server.host, server.port, timeout=2)
            conn.request("GET", BARE_PATH, headers={"Host": "127.0.0.1"})
            status = conn.getresponse().status
            conn.close()
        except OSError:
            status = 0
        if status == 200 and process.log().count("Booting worker with pid") >= workers:
            return
        time.sleep(0.3)
    raise TimeoutError(f"{server.name} not ready:\n{process.log()[-3000:]}")


def peers(base_url: str) -> list[Peer]:
    from benchmarks.peers.appointment import Appointment
    from benchmarks.peers.pretix import Pretix

    return [Pretix(base_url), Appointment(base_url)]
