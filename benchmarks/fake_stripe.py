"""The tests' fake Stripe (`tests.fakes.stripe`) in a process of its own, for the
benchmark's purchases: `python -m benchmarks.fake_stripe PORT`.

The site's checkouts create their Checkout Sessions here over HTTP, through the
official library, as they would at Stripe; the load generator then posts each
session's `checkout.session.completed` to the site, signed with the fake's
endpoint secret. Its own process, so its threads never share the load
generator's interpreter.
"""

from __future__ import annotations

import sys

from benchmarks.serving import until_stopped
from tests.fakes.stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, sign

__all__ = ["SECRET_KEY", "WEBHOOK_SECRET", "sign"]


def main() -> None:
    fake = FakeStripe()
    fake.port = int(sys.argv[1])
    fake.start()
    print(f"fake Stripe on {fake.url}", flush=True)
    until_stopped()
    fake.stop()


if __name__ == "__main__":
    main()
