"""An SMTP server on loopback that records when each message arrived.

`python -m benchmarks.smtp_sink PORT FILE`: one JSON line per message in FILE
(`t` Unix time of arrival, recipients, the `Message-ID` and
`X-GuitarOnline-Event` headers and the lesson id of the link in the body), flushed at once so the benchmark
can read arrivals while the sink runs. Its own process, so the load
generator's event loop never delays a timestamp; messages are searched as
bytes, not parsed, to keep the sink's own CPU small on a two-core machine.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time

from aiosmtpd.controller import Controller

from benchmarks.serving import until_stopped

LESSON_LINK = re.compile(rb"/lessons/(\d+)/")
EVENT_HEADER = re.compile(rb"^X-GuitarOnline-Event: *(\S+)", re.MULTILINE | re.IGNORECASE)
MESSAGE_ID = re.compile(rb"^Message-ID: *<([^>]*)>", re.MULTILINE | re.IGNORECASE)


class Recorder:
    def __init__(self, path: str):
        self.out = open(path, "a", buffering=1)  # noqa: SIM115  (line-buffered for the reader)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        arrived = time.time()
        raw = envelope.original_content or envelope.content
        lesson = LESSON_LINK.search(raw)  # the link line is short ASCII: never split by the transfer encoding
        event = EVENT_HEADER.search(raw)
        message_id = MESSAGE_ID.search(raw)
        record = {
            "t": arrived,
            "rcpt": list(envelope.rcpt_tos),
            "event": event.group(1).decode() if event else "",
            "id": message_id.group(1).decode() if message_id else "",
            "lesson": int(lesson.group(1)) if lesson else None,
        }
        with self.lock:
            self.out.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Recorder(path), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink on 127.0.0.1:{port}", flush=True)
    until_stopped()
    controller.stop()


if __name__ == "__main__":
    main()
