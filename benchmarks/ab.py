"""Before/after: two gunicorn masters, windows taken in turn, one ratio per scenario.

    python -m benchmarks.ab --b /tmp/benchcopy                 # this tree (A) vs a patched copy (B)
    python -m benchmarks.ab --env-b GUNICORN_WORKERS=3         # one tree, two configurations
    python -m benchmarks.ab --b /tmp/copy --scenarios open_slots,dashboard --data small

Both masters serve the same database (built or reused as by `make bench`)
with production settings; only one is under load at a time, and A and B
windows alternate, so the ratio B/A is measured under the same background
load. Each line also splits the CPU of a request between the gunicorn
workers, PostgreSQL, Redis, the load generator and the rest of the machine.
To try a code change: copy the working tree (`rsync -a --exclude .venv
--exclude .git ./ /tmp/copy/`), change the copy, pass `--b /tmp/copy`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from collections import deque
from pathlib import Path

import redis

from benchmarks import datagen, profiling, run
from benchmarks.loadgen import (
    CPU_GROUPS,
    Confirms,
    Get,
    Holds,
    Post,
    Step,
    Summary,
    alternate,
    new_loop,
    paired_ratios,
)

SCENARIOS = ("baseline", "open_slots", "dashboard", "login", "hold", "confirm", "contention")


def _pairs(values: list[str]) -> dict[str, str]:
    return dict(value.split("=", 1) for value in values)


def contention(A, B, actors, slots, loop, rounds: int = 6) -> None:
    """64 holds at once on one slot, A and B in turn; and one client's uncontended holds."""
    from benchmarks.loadgen import percentile, run_window

    tokens = iter(actors.writer_tokens)
    for side in (A, B):
        single = loop.run_until_complete(
            run_window("hold x1", side.server, Holds(slots, actors.writer_tokens, deque()), concurrency=1, duration=4)
        )
        side.single_p50 = percentile(single.latencies, 50)
    found = {"A": [], "B": []}
    winners = {"A": [], "B": []}
    for _n in range(rounds):
        for label, side in (("A", A), ("B", B)):
            ctx = argparse.Namespace(concurrency=10)
            burst_tokens = [next(tokens) for _ in range(64)]
            act = argparse.Namespace(writer_tokens=burst_tokens)
            result = run.phase_contention(ctx, side, act, [next(slots)], loop, bursts=1, quiet=True)
            found[label].extend(result["loser_latencies"])
            winners[label].extend(result["winners"])
    for label, side in (("A", A), ("B", B)):
        p99 = percentile(found[label], 99)
        print(
            f"contention  {label}: winners {winners[label]}; losers p50 {percentile(found[label], 50) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms; uncontended hold p50 {side.single_p50 * 1000:.1f} ms; "
            f"ratio {p99 / side.single_p50:.1f}",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=Path, default=run.ROOT, help="source tree of A (default: this one)")
    parser.add_argument("--b", type=Path, default=run.ROOT, help="source tree of B (default: this one)")
    parser.add_argument("--env-a", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--env-b", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--settings-a", default="benchmarks.settings_prod")
    parser.add_argument("--settings-b", default="benchmarks.settings_prod")
    parser.add_argument("--data", choices=("small", "large"), default="large")
    parser.add_argument("--scenarios", default="baseline,open_slots,dashboard,hold,confirm")
    parser.add_argument("--cycles", type=int, default=4)
    parser.add_argument("--window", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="then py-spy each scenario on A and on B alone")
    parser.add_argument("--profile-seconds", type=float, default=10.0)
    args = parser.parse_args()
    wanted = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(wanted) - set(SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenarios {sorted(unknown)}; known: {', '.join(SCENARIOS)}")

    base_url = os.environ.get("BENCH_DATABASE_URL", "postgres://guitaronline@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    workers = int(os.environ.get("GUNICORN_WORKERS") or min((os.cpu_count() or 1) * 2 + 1, 8))
    ctx = run.Context(base_url, redis_url, secrets.token_urlsafe(50), run.free_port(), workers,
                      args.cycles, args.window, args.warmup, args.concurrency)  # fmt: skip
    run.preflight(ctx)
    database = run.SMALL_DB if args.data == "small" else run.LARGE_DB
    meta = datagen.ensure(database, args.data, base_url=base_url, env=ctx.app_env(args.settings_a, database))
    for root in {args.a.resolve(), args.b.resolve()}:
        run.collectstatic(ctx, root)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    run.django_setup(ctx.app_env("benchmarks.settings_prod", database))
    actors = run.actors(ctx.db_url(database), meta)
    actors.writer_tokens = run._tokens(ctx.db_url(database), actors.writer_ids, meta["password_hash"])
    slots = iter(run.open_slot_ids(ctx.db_url(database), 30_000))

    A = run.start_gunicorn("A", args.settings_a, database, ctx, root=args.a.resolve(), extra_env=_pairs(args.env_a))
    B = run.start_gunicorn("B", args.settings_b, database, ctx, root=args.b.resolve(), extra_env=_pairs(args.env_b))
    CPU_GROUPS.update({"gunicorn A": {A.process.pid}, "gunicorn B": {B.process.pid}})
    loop = new_loop()
    try:
        run.wait_ready(A)
        run.wait_ready(B)
        bearer = [{"Authorization": f"Bearer {t}"} for t in actors.reader_tokens]
        cookies = [{"Cookie": c} for c in actors.reader_cookies]
        queues = {"A": deque(), "B": deque()}

        def scenario(name: str, side: str):
            if name == "baseline":
                return Get("health", "/health")
            if name == "open_slots":
                return Get("slots", run.OPEN_SLOTS, bearer)
            if name == "dashboard":
                return Get("dashboard", run.DASHBOARD, cookies)
            if name == "login":
                return Post("login", "/api/v1/identity/auth/login", {"email": "x@example.org", "password": "x"},
                            ok=(429,))  # fmt: skip
            if name == "hold":
                return Holds(slots, actors.writer_tokens, queues[side])
            return Confirms(actors.writer_tokens, queues[side])

        print(f"A: {args.a} {args.settings_a} {args.env_a or ''}\nB: {args.b} {args.settings_b} {args.env_b or ''}")
        print(f"data {args.data}; {args.cycles} x {args.window:.0f} s windows per side at {args.concurrency} clients")
        if "login" in wanted:
            run.align_login_window(len(wanted) * 2 * (args.warmup + args.cycles * args.window) + 30)
            run.spend_login_budget(A, loop)
        if "confirm" in wanted and "hold" not in wanted:
            wanted.insert(wanted.index("confirm"), "hold")
        if "contention" in wanted:
            wanted.remove("contention")
            contention(A, B, actors, slots, loop)
        for name in wanted:
            steps = [Step(f"{name} A", A.server, scenario(name, "A")), Step(f"{name} B", B.server, scenario(name, "B"))]
            if name == "hold":  # enough holds for the confirm windows that follow
                loop.run_until_complete(
                    alternate(
                        steps,
                        cycles=1,
                        window=args.warmup * 2,
                        warmup=0.5,
                        concurrency=args.concurrency,
                        progress=lambda _: None,
                    )
                )
            results = loop.run_until_complete(
                alternate(
                    steps,
                    cycles=args.cycles,
                    window=args.window,
                    warmup=args.warmup,
                    concurrency=args.concurrency,
                    progress=lambda _: None,
                )
            )
            a, b = Summary.of(results[f"{name} A"]), Summary.of(results[f"{name} B"])
            pairs = paired_ratios(results[f"{name} B"], results[f"{name} A"])
            print(
                f"{name:<11} A {a.rate:7.1f}/s p50 {a.p50 * 1000:6.1f} p95 {a.p95 * 1000:6.1f} ms | "
                f"B {b.rate:7.1f}/s p50 {b.p50 * 1000:6.1f} p95 {b.p95 * 1000:6.1f} ms | "
                f"B/A {b.rate / a.rate if a.rate else float('nan'):.2f} (windows {min(pairs):.2f}..{max(pairs):.2f})"
                + (f" | errors A {a.statuses} B {b.statuses}" if a.errors or b.errors else ""),
                flush=True,
            )
            print(f"{'':<11} CPU ms/request A: {a.cpu_line()}", flush=True)
            print(f"{'':<11} CPU ms/request B: {b.cpu_line()}", flush=True)
        if args.profile:
            for name in wanted:
                for side, server in (("A", A), ("B", B)):
                    if name == "login":
                        run.align_login_window(args.profile_seconds + 5)
                        run.spend_login_budget(server, loop)
                    if name == "confirm":
                        loop.run_until_complete(
                            run.run_window("hold", server.server, scenario("hold", side),
                                           concurrency=args.concurrency, duration=args.profile_seconds)
                        )  # fmt: skip
                    raw = run.OUT / "profiles" / f"ab-{name}-{side}.txt"
                    spy = profiling.record(server.process.pid, raw, args.profile_seconds + 1)
                    time.sleep(1.0)
                    window = loop.run_until_complete(
                        run.run_window(name, server.server, scenario(name, side), concurrency=args.concurrency,
                                       duration=args.profile_seconds)
                    )  # fmt: skip
                    spy.communicate(timeout=60)
                    print(f"profile {name} {side} ({window.rate:.0f}/s under py-spy, {raw}):", flush=True)
                    print(profiling.summarize(raw) if raw.exists() else "    (py-spy wrote nothing)", flush=True)
    finally:
        A.process.stop()
        B.process.stop()
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
