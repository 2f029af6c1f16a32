"""A smoke run of one peer's set-up: install, seed, serve, book for a few seconds, count.

    python -m benchmarks.peers pretix|appointment [--seconds 10] [--concurrency 10] [--units 3000]

Reads BENCH_DATABASE_URL (default: the local bench role, as `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from benchmarks.loadgen import Summary, new_loop, run_window
from benchmarks.peers import peers, wait_ready

DEFAULT_URL = "postgres://guitaronline:guitaronline@127.0.0.1:5432/guitaronline"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("peer")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    base_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    admin_url = os.environ.get("BENCH_ADMIN_DATABASE_URL", base_url.rsplit("/", 1)[0] + "/postgres")
    chosen = {peer.name: peer for peer in peers(base_url)}
    if args.peer not in chosen:
        print(f"unknown peer {args.peer!r}: one of {', '.join(chosen)}", file=sys.stderr)
        return 2
    peer = chosen[args.peer]
    peer.install()
    print(f"{peer.name}: {peer.package} {peer.version()}")
    peer.prepare(admin_url, args.units)
    server, process = peer.start(args.workers)
    loop = new_loop()
    asyncio.set_event_loop(loop)
    try:
        wait_ready(server, process, args.workers)
        for scenario in (peer.baseline(), peer.booking()):
            window = loop.run_until_complete(
                run_window(scenario.name, server, scenario, concurrency=args.concurrency, duration=args.seconds)
            )
            summary = Summary.of([window])
            print(
                f"{scenario.name}: {summary.rate:,.1f}/s p50 {summary.p50 * 1000:.1f} ms "
                f"p99 {summary.p99 * 1000:.1f} ms ok {summary.ok} errors {summary.errors} {summary.statuses}"
            )
        print(f"verify: {peer.verify()}")
    finally:
        process.stop()
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
