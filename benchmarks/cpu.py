"""Who used the CPU during a window: gunicorn workers, PostgreSQL, Redis, the
load generator, a Celery worker, and everything else on this shared machine.

Read from /proc (Linux): per-process utime+stime of the processes alive at
both ends of the window, and the machine's busy time from /proc/stat, so
"other" (other engineers' tests, short-lived processes) is what is left.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[str, int, int]]:
    """pid -> (command, parent pid, CPU ticks)."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                raw = f.read().decode(errors="replace")
        except OSError:
            continue
        command = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        if command.startswith("postgres"):  # the process title names the database of a backend
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                    command = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                pass
        found[int(entry.name)] = (command, int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def rss_mb(root_pid: int) -> dict[str, float]:
    """Resident memory (MB) of the processes under `root_pid`, itself excluded: a
    gunicorn master's workers, a Celery worker's pool. {"total", "max", "count"}."""
    children = [pid for pid, (_, parent, _) in _processes().items() if parent == root_pid]
    sizes = []
    for pid in children:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
                        break
        except OSError:
            continue
    return {"total": sum(sizes), "max": max(sizes, default=0.0), "count": float(len(sizes))}


def _machine_busy() -> int:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]) - idle


@dataclass
class Snapshot:
    processes: dict[int, tuple[str, int, int]]
    busy: int


def snapshot() -> Snapshot:
    return Snapshot(_processes(), _machine_busy())


def usage(before: Snapshot, after: Snapshot, groups: dict[str, set[int]]) -> dict[str, float]:
    """CPU seconds per group between two snapshots.

    `groups` names parent pids: a process counts for a group when it or its
    parent is listed (gunicorn master -> its workers). PostgreSQL and Redis
    are found by name, the calling process is the load generator.
    """
    me = os.getpid()
    used: Counter = Counter()
    for pid, (command, parent, ticks) in after.processes.items():
        previous = before.processes.get(pid)
        if previous is None:
            continue
        delta = ticks - previous[2]
        if delta <= 0:
            continue
        group = None
        for name, pids in groups.items():
            if pid in pids or parent in pids:
                group = name
                break
        if group is None:
            if pid == me:
                group = "load generator"
            elif command.startswith("postgres"):
                # the databases of the systems measured: GuitarOnline's data sets and the peers'
                bench = "_bench_" in command or "_peer_" in command
                group = "PostgreSQL (bench)" if bench else "PostgreSQL (others, shared)"
            elif command.startswith("redis-server"):
                group = "Redis"
        if group is not None:
            used[group] += delta
    total = after.busy - before.busy
    used["other (machine)"] = max(0, total - sum(used.values()))
    return {name: ticks / TICK for name, ticks in used.items()}
