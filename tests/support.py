"""Test helpers: an offline Bot API request class and small update factories."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 999000, "is_bot": True, "first_name": "考核助手", "username": "kaohe_test_bot"}
_ids = itertools.count(1)


class OfflineRequest(BaseRequest):
    """Answers the Bot API calls PTB makes, records them, and serves uploaded file bytes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.files: dict[str, bytes] = {}
        self._message_ids = itertools.count(1000)

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def sent(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call of ``method`` so far."""
        return [params for name, params in self.calls if name == method]

    def texts(self) -> list[str]:
        """Every text the bot sent or edited, in order."""
        return [p["text"] for name, p in self.calls if name in ("sendMessage", "editMessageText")]

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=None, write_timeout=None, connect_timeout=None,
                         pool_timeout=None) -> tuple[int, bytes]:
        if "/file/bot" in url:
            return 200, self.files[url.rsplit("/", 1)[-1]]
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append((name, params))
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name in ("sendMessage", "editMessageText"):
            chat_id = int(params["chat_id"])
            message_id = params.get("message_id") or next(self._message_ids)
            return {"message_id": int(message_id), "date": 0, "text": params["text"],
                    "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER}
        if name == "getFile":
            file_id = params["file_id"]
            return {"file_id": file_id, "file_unique_id": file_id,
                    "file_size": len(self.files[file_id]), "file_path": file_id}
        return True


def message_update(bot, user_id: int, text: str | None = None, *,
                   document: tuple[str, bytes] | None = None,
                   request: OfflineRequest | None = None, photo: bool = False,
                   extra: dict[str, Any] | None = None, first_name: str = "联络员",
                   photo_bytes: bytes | None = None, album: str | None = None) -> Update:
    """An Update carrying a private message: text (commands get their entity), a file, a
    photo, or ``extra`` message fields (a sticker, a location …)."""
    message: dict[str, Any] = {
        "message_id": next(_ids), "date": int(datetime.now(timezone.utc).timestamp()),
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": first_name},
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
    if document is not None:
        file_name, data = document
        file_id = f"file{next(_ids)}"
        request.files[file_id] = data
        message["document"] = {"file_id": file_id, "file_unique_id": file_id,
                               "file_name": file_name, "file_size": len(data)}
    if photo or photo_bytes is not None:
        file_id = f"photo{next(_ids)}"
        if photo_bytes is not None:
            request.files[file_id] = photo_bytes
        message["photo"] = [{"file_id": "small" + file_id, "file_unique_id": "s" + file_id, "width": 90, "height": 120},
                            {"file_id": file_id, "file_unique_id": file_id, "width": 1200, "height": 1600}]
        if album:
            message["media_group_id"] = album
    message.update(extra or {})
    return Update.de_json({"update_id": next(_ids), "message": message}, bot)


async def eventually(read, expected, timeout: float = 5.0) -> None:
    """Wait until ``read()`` equals ``expected``; after ``timeout`` fail showing the difference.

    For state the bot writes just after its reply went out (the reply is what tests wait for)."""
    deadline = time.monotonic() + timeout
    while read() != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert read() == expected


def small_docx(*paragraphs: str) -> bytes:
    """A .docx with one paragraph per argument."""
    import io

    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@asynccontextmanager
async def running_bot(config, scorer, clock, binds: dict[int, str] = ()):
    """The real application polling the local HTTP Bot API, with ``binds`` (user → invite code)
    bound first; yields (api, services, app) and shuts everything down afterwards."""
    from dataclasses import replace

    from bot.app import build_application, start_polling, stop_polling
    from bot.local import LocalBotApi
    from kaohe.services import Services

    with LocalBotApi() as api:
        cfg = replace(config, api_url=api.api_url, max_messages_per_second=1000)
        svc = Services(cfg, scorer=scorer)
        app = build_application(cfg, api.token, services=svc)
        app.bot_data.clock = clock
        await start_polling(app)
        try:
            for user, code in dict(binds).items():
                api.send_text(user, f"/bind {code}", first_name=f"联络员{user}")
                await api.wait_for_async(lambda a, u=user: a["chat_id"] == u and "绑定成功" in (a["text"] or ""))
            yield api, svc, app
        finally:
            await stop_polling(app)
            svc.close()


def example_report_score(scorer, path):
    """The scorer's own reading of the example report (what a receipt for it must show)."""
    from parsers import parse_document
    from scoring.engine import SourceParagraph

    doc = parse_document(path.read_bytes(), path.name)
    paragraphs = [SourceParagraph(i, p.text, path.name, p.location, p.kind)
                  for i, p in enumerate(doc.paragraphs)]
    return scorer.score(paragraphs, "市直部门")


def coverage_marks(score) -> list[str]:
    """Each indicator as the receipt and /status mark it: icon, name and （核心）."""
    from kaohe.texts.base import COVERAGE_ICONS

    return [f"{COVERAGE_ICONS[item.coverage]} {item.indicator.name}{'（核心）' if item.indicator.core else ''}"
            for item in score.indicators]
