"""A fake Telegram Bot API on loopback: /bot<token>/<method>, answering
sendMessage and setWebhook as Telegram does ({"ok": ..., "result": ...}),
refusing an unknown token with 401 and a blocked chat with 403."""

from __future__ import annotations

import json
import threading

from tests.fakes.server import Call, FakeProvider


class FakeBotApi(FakeProvider):
    API_PREFIX = "/bot"
    PAGE_PREFIX = "/nothing/"
    name = "fake-telegram"

    def __init__(self, *, token: str):
        super().__init__()
        self.token = token
        self.blocked_chats: set[int] = set()
        self.sent: list[dict] = []
        self.webhook: dict = {}
        self._message_ids = iter(range(1, 1_000_000))
        self._sent_lock = threading.Lock()

    def api(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict]:
        body = json.loads(raw or b"{}")
        self.record(Call(method, path, headers, body))
        if self.failing:
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if self.hanging:
            threading.Event().wait(self.hanging)
        token, _, bot_method = path.removeprefix(self.API_PREFIX).partition("/")
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if bot_method == "sendMessage":
            if body.get("chat_id") in self.blocked_chats:
                return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
            with self._sent_lock:
                self.sent.append(body)
                message_id = next(self._message_ids)
            return 200, {"ok": True, "result": {"message_id": message_id, "chat": {"id": body["chat_id"]}}}
        if bot_method == "setWebhook":
            self.webhook = body
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def page(self, method: str, rest: str) -> tuple[int, str, str]:
        return 404, "", ""
