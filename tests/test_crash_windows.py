"""An upload is answered whatever moment the process dies or Telegram fails: recorded (and
said so) or refused / "please resend" (and said so), never silence, never a contradiction."""

from __future__ import annotations

from dataclasses import replace

from bot.app import build_application, start_polling, stop_polling
from bot.handlers import upload
from bot.local import LocalBotApi
from kaohe.services import Services
from tests.conftest import BEFORE_DEADLINE, EXAMPLE_REPORT
from tests.support import eventually, running_bot

LIAISON = 50001


def _texts(api, chat_id):
    return [a["text"] or "" for a in api.sent if a["chat_id"] == chat_id and a["method"] in ("sendMessage", "editMessageText")]


async def test_a_failed_final_edit_gives_the_receipt_in_a_new_message(config, scorer):
    async with running_bot(config, scorer, lambda: BEFORE_DEADLINE, {LIAISON: "SFJ2026"}) as (api, svc, app):
        api.hold("editMessageText", after=1)  # the 正在解析 edit goes through; the receipt's fails
        since = len(api.sent)
        api.send_document(LIAISON, EXAMPLE_REPORT.read_bytes(), "自查报告.docx")
        await api.wait_held_async()
        api.release(fail=True)  # Bot API 502
        receipt = await api.wait_for_async(
            lambda a: a["method"] == "sendMessage" and a["chat_id"] == LIAISON and "初步得分" in (a["text"] or ""),
            since=since)
        assert "内部错误" not in "".join(_texts(api, LIAISON)) and "已接收" in receipt["text"]
        assert svc.files_count("sfj") == 1
        await eventually(lambda: len(svc.interrupted_uploads()), 0)


async def test_an_answer_telegram_refuses_twice_is_given_by_a_retry(config, scorer, monkeypatch):
    monkeypatch.setattr(upload, "ANSWER_RETRY_SECONDS", 0.3)
    async with running_bot(config, scorer, lambda: BEFORE_DEADLINE, {LIAISON: "SFJ2026"}) as (api, svc, app):
        api.hold("editMessageText", after=1)
        api.send_document(LIAISON, EXAMPLE_REPORT.read_bytes(), "自查报告.docx")
        await api.wait_held_async()
        api.fail_next("sendMessage", error_code=502, description="Bad Gateway")
        api.release(fail=True)
        told = await api.wait_for_async(lambda a: a["chat_id"] == LIAISON and "已接收并记录" in (a["text"] or ""))
        assert "内部错误" not in told["text"] and svc.files_count("sfj") == 1
        await eventually(lambda: len(svc.interrupted_uploads()), 0)  # the journal entry goes once told


async def test_an_update_received_but_never_handled_is_handled_at_the_next_start(config, scorer):
    """The process died after Telegram handed the update over (and the next poll confirmed
    it) but before any handler ran: the inbox journal has it."""
    with LocalBotApi() as api:
        cfg = replace(config, api_url=api.api_url, max_messages_per_second=1000)
        svc = Services(cfg, scorer=scorer)
        svc.store.bind_liaison(LIAISON, "联络员", None, "sfj", BEFORE_DEADLINE)
        api.send_document(LIAISON, EXAMPLE_REPORT.read_bytes(), "自查报告.docx")
        first = build_application(cfg, api.token, services=svc)
        await first.bot.initialize()
        updates = await first.bot.get_updates(timeout=0)
        assert len(updates) == 1
        await first.update_queue.put(updates[0])  # journals only once services are attached …
        assert svc.unhandled_updates() == []
        first.update_queue.services = svc  # … as post_init does
        await first.update_queue.put(updates[0])
        await first.bot.get_updates(offset=updates[0].update_id + 1, timeout=0)  # Telegram forgets it
        await first.bot.shutdown()
        assert [uid for uid, _ in svc.unhandled_updates()] == [updates[0].update_id]

        app = build_application(cfg, api.token, services=svc)
        app.bot_data.clock = lambda: BEFORE_DEADLINE
        await start_polling(app)
        try:
            await api.wait_for_async(lambda a: a["chat_id"] == LIAISON and "初步得分" in (a["text"] or ""))
        finally:
            await stop_polling(app)
        assert svc.files_count("sfj") == 1 and svc.unhandled_updates() == []
        svc.close()


async def test_a_death_before_the_progress_message_is_answered_at_the_next_start(config, scorer):
    with LocalBotApi() as api:
        cfg = replace(config, api_url=api.api_url, max_messages_per_second=1000)
        svc = Services(cfg, scorer=scorer)
        svc.store.bind_liaison(LIAISON, "联络员", None, "sfj", BEFORE_DEADLINE)
        svc.begin_upload(LIAISON, None, LIAISON, "sfj", "自查报告.docx", BEFORE_DEADLINE)  # then killed
        app = build_application(cfg, api.token, services=svc)
        await start_polling(app)
        try:
            told = await api.wait_for_async(lambda a: a["chat_id"] == LIAISON and "自查报告" in (a["text"] or ""))
        finally:
            await stop_polling(app)
        assert told["method"] == "sendMessage" and "没有记录" in told["text"] and "重新发送" in told["text"]
        assert not svc.interrupted_uploads()
        svc.close()
