"""/status, /overview, /unit and the overview's buttons: what liaisons and the office read."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from telegram import Update

from bot.app import build_application, start_polling, stop_polling
from bot.local import LocalBotApi
from kaohe.config import UnitConfig
from kaohe.cycle import Liaison, Overview
from kaohe.fmt import fmt_points
from kaohe.texts import status as st
from scoring.progress import DeadlineRule, UnitProgress, tally
from storage.store import utc_iso
from tests.conftest import EXAMPLE_REPORT
from tests.support import BOT_USER, OfflineRequest, example_report_score, message_update, small_docx

LIAISON, STRANGER, ADMIN, OFFICIAL = 30001, 30002, 10001, 10002
FGW_LIAISON, DCQ_LIAISON = 30003, 30004
BEFORE_DEADLINE = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)  # 10:00 Shanghai
AFTER_DEADLINE = datetime(2026, 12, 16, 2, 0, tzinfo=timezone.utc)  # 市直部门 due 12-15 18:00
TELEGRAM_LIMIT = 4096
_ids = itertools.count(900_000)



def keyboard(params: dict) -> list[list[dict]]:
    markup = params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return markup.get("inline_keyboard", [])


def callback_datas(params: dict) -> list[str]:
    return [b["callback_data"] for row in keyboard(params) for b in row]


class Chat:
    """An application driven through ``process_update`` with an offline Bot API."""

    def __init__(self, app, request, services):
        self.app, self.request, self.services = app, request, services
        self.clock = BEFORE_DEADLINE
        app.bot_data.clock = lambda: self.clock

    def _since(self, start: int) -> list[tuple[str, dict]]:
        return self.request.calls[start:]

    async def send(self, user_id: int, text: str) -> str:
        start = len(self.request.calls)
        await self.app.process_update(message_update(self.app.bot, user_id, text, request=self.request))
        return "\n".join(p["text"] for name, p in self._since(start)
                         if name in ("sendMessage", "editMessageText"))

    async def command(self, user_id: int, text: str) -> dict:
        """Send a command; return the parameters of the (single) message the bot sent."""
        start = len(self.request.calls)
        await self.app.process_update(message_update(self.app.bot, user_id, text, request=self.request))
        sent = [p for name, p in self._since(start) if name == "sendMessage"]
        assert len(sent) == 1, sent
        return sent[0]

    async def upload(self, user_id: int, file_name: str, data: bytes) -> str:
        start = len(self.request.calls)
        await self.app.process_update(message_update(
            self.app.bot, user_id, document=(file_name, data), request=self.request))
        replies = [p["text"] for name, p in self._since(start) if name in ("sendMessage", "editMessageText")]
        return replies[-1] if replies else ""

    async def press(self, user_id: int, data: str, message_id: int = 4242,
                    text: str = "…") -> tuple[dict | None, dict]:
        """Press an inline button; return (editMessageText params or None, answerCallbackQuery params)."""
        update = Update.de_json({
            "update_id": next(_ids),
            "callback_query": {
                "id": str(next(_ids)), "chat_instance": "1", "data": data,
                "from": {"id": user_id, "is_bot": False, "first_name": "用户"},
                "message": {"message_id": message_id, "date": 0, "text": text,
                            "chat": {"id": user_id, "type": "private"}, "from": BOT_USER},
            },
        }, self.app.bot)
        start = len(self.request.calls)
        await self.app.process_update(update)
        calls = self._since(start)
        edits = [p for name, p in calls if name == "editMessageText"]
        answers = [p for name, p in calls if name == "answerCallbackQuery"]
        assert len(answers) == 1, calls  # every press is answered exactly once
        assert len(edits) <= 1
        if edits:
            assert int(edits[0]["message_id"]) == message_id  # edited in place
        return (edits[0] if edits else None), answers[0]


async def make_chat(config, services) -> Chat:
    request = OfflineRequest()
    app = build_application(config, "123:TEST", services=services, rate_limit=False, request=request)
    await app.initialize()
    return Chat(app, request, services)


@pytest.fixture
async def chat(config, services):
    c = await make_chat(config, services)
    yield c
    await c.app.shutdown()


def assert_fits(params: dict) -> None:
    assert len(params["text"]) <= TELEGRAM_LIMIT
    for data in callback_datas(params):
        assert 0 < len(data.encode("utf-8")) <= 64, data


# ---- liaison /status ----------------------------------------------------------------------


async def test_status_before_upload_shows_deadline_and_what_to_send(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.send(LIAISON, "/status")
    assert "<b>市司法局</b>（市直部门）" in reply
    assert "截止时间：2026年12月15日 18:00（还有 21 天 8 小时）· 尚未提交" in reply
    assert "已提交材料（0 份）" in reply and "尚未提交任何材料" in reply
    assert "直接在本对话中发送自查材料（.docx 或 .pdf）" in reply
    assert "初步得分" not in reply
    for other in ("市发展和改革委员会", "东城区", "高新技术产业开发区", "排名"):
        assert other not in reply


async def test_status_after_upload_shows_files_coverage_preliminary_score(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    chat.services.store.bind_liaison(FGW_LIAISON, "赵六", None, "fgw")
    await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    chat.clock = BEFORE_DEADLINE + timedelta(hours=2)
    reply = await chat.send(LIAISON, "/status")
    assert ("1. 《sfj_self_check_2026.docx》 · Word 文档 · 2026年11月24日 10:00 接收 · 按时（自查材料提交）"
            in reply)
    assert "✅ 已按时提交（2026年11月24日 10:00，共 1 份）" in reply
    assert "✅ 立项督查（核心） 25/25 分（已覆盖）" in reply
    assert "❌ 严格程序行政 0/8 分（缺失）" in reply
    assert "⚠️ 领导水平" in reply
    expected = example_report_score(chat.services.scorer, EXAMPLE_REPORT)
    assert (f"📊 <b>初步得分：{fmt_points(expected.total)} / 100</b>（{expected.percent:g}%），"
            f"初步等次：<b>{expected.grade}</b>") in reply
    assert "仅供参考" in reply
    assert "以下指标在材料中还没有对应内容：严格程序行政" in reply
    assert "市发展和改革委员会" not in reply and "第1名" not in reply


async def test_repeated_file_names_are_versions(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    await chat.upload(LIAISON, "自查报告.docx", small_docx("全年承担立项督查事项12项，已办结销号11项。"))
    chat.clock = BEFORE_DEADLINE + timedelta(days=1)
    await chat.upload(LIAISON, "自查报告.docx", small_docx("修订稿：立项督查事项12项全部办结，台账销号。"))
    reply = await chat.send(LIAISON, "/status")
    # The second upload of the same name replaces the first: only the current version counts.
    assert "1. 《自查报告.docx》 第2版 · Word 文档 · 2026年11月25日 10:00 接收" in reply
    assert "第1版" not in reply
    assert "已提交材料（1 份）" in reply


async def test_late_upload_shows_overdue(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    chat.clock = AFTER_DEADLINE
    before = await chat.send(LIAISON, "/status")
    assert "（⚠️已过截止时间 16 小时）· <b>逾期未交</b>" in before
    assert "已过截止时间，本单位尚未提交" in before and "逾期提交会被标记" in before
    await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    reply = await chat.send(LIAISON, "/status")
    assert "2026年12月16日 10:00 接收 · ⚠️逾期（自查材料提交）" in reply
    assert "⚠️ 逾期提交（2026年12月16日 10:00，晚于截止 16 小时，共 1 份）" in reply


async def test_extension_shows_new_due_and_reason(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    new_due = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)  # 18:00 Shanghai
    chat.services.store.grant_extension("sfj", "自查材料提交", utc_iso(new_due), ADMIN, "机构改革 材料重编")
    chat.clock = AFTER_DEADLINE
    reply = await chat.send(LIAISON, "/status")
    assert "截止时间：2026年12月22日 18:00（还有 6 天 8 小时）· 尚未提交" in reply
    assert ("已为本单位延期至 2026年12月22日 18:00（原因：机构改革 材料重编），原截止时间 2026年12月15日 18:00"
            in reply)
    await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    reply = await chat.send(LIAISON, "/status")
    assert "接收 · 按时（自查材料提交）" in reply and "已按时提交" in reply


async def test_status_for_strangers_and_staff(chat):
    assert "/bind 邀请码" in await chat.send(STRANGER, "/status")
    assert "/overview" in await chat.send(ADMIN, "/status")
    assert "/overview" in await chat.send(OFFICIAL, "/status")


# ---- /overview ------------------------------------------------------------------------------


async def submit_two(chat: Chat) -> None:
    """sfj on time, fgw late; dcq has an unreachable liaison, gxq none."""
    await chat.send(LIAISON, "/bind SFJ2026")
    await chat.send(FGW_LIAISON, "/bind FGW2026")
    chat.services.store.bind_liaison(DCQ_LIAISON, "李四", "lisi", "dcq")
    chat.services.store.mark_unreachable(DCQ_LIAISON, "Forbidden: bot was blocked by the user")
    await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    chat.clock = AFTER_DEADLINE
    await chat.upload(FGW_LIAISON, "发改委自查.docx", small_docx(
        "全年承担立项督查事项20项，已办结销号18项，办结率90%。", "落实党风廉政建设主体责任，开展警示教育4次。"))


async def test_overview_counts_per_category_after_submissions(chat):
    await submit_two(chat)
    params = await chat.command(ADMIN, "/overview")
    text = params["text"]
    assert "<b>2026年度目标责任制考核 · 进度总览</b>" in text
    assert "截至 2026年12月16日 10:00 · 共 4 个单位" in text
    assert "<b>准备阶段</b>" in text and "📌 自查材料提交" in text
    assert "• 市直部门：应交 2，已交 2（按时 1，逾期 1），未交 0\n  截止 2026年12月15日 18:00（已过截止时间 16 小时）" in text
    assert "• 县区：应交 1，已交 0（按时 0，逾期 0），未交 1\n  截止 2026年12月20日 18:00（还有 4 天 8 小时）" in text
    assert "• 开发区：应交 1，已交 0（按时 0，逾期 0），未交 1" in text
    assert "<b>合计</b>：应交 4，已交 2（按时 1，逾期 1），未交 2，其中逾期未交 0" in text
    assert "<b>尚未提交（2）</b>" in text
    assert "东城区（县区） 未提交 — 李四 ⚠️无法送达" in text
    assert "高新技术产业开发区（开发区） 未提交 — ⚠️未绑定联络员" in text
    assert "逾期提交：1 个单位" in text
    assert "<b>指标缺项</b>：" in text and "市司法局：缺 严格程序行政" in text
    expected = example_report_score(chat.services.scorer, EXAMPLE_REPORT)
    assert f"1. 市司法局 {fmt_points(expected.total)} 分 {expected.grade}" in text
    assert "<b>无法送达</b>：1 名联络员" in text and "1 个单位未绑定联络员" in text
    labels = [b["text"] for row in keyboard(params) for b in row]
    assert [label.split("（")[0] for label in labels] == ["未提交名单", "逾期提交", "指标缺项", "初步排名", "无法送达"]
    assert callback_datas(params) == ["ov:ns:1", "ov:lt:1", "ov:ms:1", "ov:rk:1", "ov:ur:1"]
    assert_fits(params)
    official = await chat.command(OFFICIAL, "/overview")
    assert "进度总览" in official["text"]


async def test_lists_name_units_liaisons_and_reach_a_unit_card(chat):
    await submit_two(chat)
    edit, answer = await chat.press(ADMIN, "ov:ns:1")
    text = edit["text"]
    assert "<b>未提交名单</b>（共 2 项）· 第1/1页" in text
    assert "东城区（县区） 未提交，截止 2026年12月20日 18:00\n   联络员：李四 ⚠️无法送达" in text
    assert "高新技术产业开发区（开发区） 未提交，截止 2026年12月20日 18:00\n   联络员：⚠️未绑定联络员" in text
    assert "市司法局" not in text
    assert callback_datas(edit) == ["ov:u:dcq:ns:1", "ov:u:gxq:ns:1", "ov:home"]
    assert not answer.get("show_alert")

    edit, _ = await chat.press(ADMIN, "ov:lt:1")
    assert "市发展和改革委员会（市直部门） 首次提交 2026年12月16日 10:00，晚于截止 16 小时" in edit["text"]
    edit, _ = await chat.press(ADMIN, "ov:ur:1")
    assert "东城区（县区） 联络员 李四 @lisi（已屏蔽机器人）" in edit["text"]
    edit, _ = await chat.press(ADMIN, "ov:rk:1")
    expected = example_report_score(chat.services.scorer, EXAMPLE_REPORT)
    assert f"1. 市司法局（市直部门） {fmt_points(expected.total)} 分 {expected.grade}" in edit["text"]

    card, _ = await chat.press(ADMIN, "ov:u:sfj:rk:1")
    text = card["text"]
    assert "<b>市司法局</b>（市直部门）· 编号 sfj" in text
    assert "联络员：联络员" in text
    assert "📌 自查材料提交 · 按时提交" in text
    assert "《sfj_self_check_2026.docx》" in text and "❌ 严格程序行政 0/8 分（缺失）" in text
    assert f"初步等次：<b>{expected.grade}</b> · 第1名/共2个" in text
    assert callback_datas(card) == ["ov:rk:1", "ov:home"]
    back, _ = await chat.press(ADMIN, "ov:rk:1")
    assert "<b>初步排名</b>" in back["text"]
    home, _ = await chat.press(ADMIN, "ov:home")
    assert "进度总览" in home["text"] and callback_datas(home)[0] == "ov:ns:1"


async def test_unit_card_shows_extension_and_recent_reminders(chat):
    await submit_two(chat)
    store = chat.services.store
    store.grant_extension("gxq", "自查材料提交", "2026-12-24T10:00:00+00:00", ADMIN, "领导班子调整")
    store.bind_liaison(30009, "钱七", None, "gxq")
    store.add_notifications([{"key": "remind:test:gxq:1", "kind": "reminder", "chat_id": 30009,
                              "unit_id": "gxq", "deadline_name": "自查材料提交", "status": "pending"}])
    row = store.notifications(unit_id="gxq")[0]
    store.finish_notification(row["id"], "sent", 77)
    card, _ = await chat.press(OFFICIAL, "ov:u:gxq:ns:1")
    text = card["text"]
    assert "已为本单位延期至 2026年12月24日 18:00（原因：领导班子调整），原截止时间 2026年12月20日 18:00" in text
    assert "• 截止提醒（自查材料提交） · " in text and " · 已发送" in text
    assert "尚未提交材料" in text


async def test_page_number_and_stale_buttons_are_only_answered(chat):
    await submit_two(chat)
    first, _ = await chat.press(ADMIN, "ov:nop")
    assert first is None
    edit, answer = await chat.press(ADMIN, "ov:zz:9")
    assert edit is None and "失效" in answer["text"]


@pytest.mark.parametrize("error, new_message", [
    ("Message is not modified: specified new message content and reply markup are exactly the same", False),
    ("Message can't be edited", True),
])
async def test_edit_refused_by_telegram_is_quiet_or_sent_anew(chat, monkeypatch, error, new_message):
    from telegram import CallbackQuery
    from telegram.error import BadRequest

    async def refuse(*args, **kwargs):
        raise BadRequest(error)

    monkeypatch.setattr(CallbackQuery, "edit_message_text", refuse)
    start = len(chat.request.calls)
    edit, answer = await chat.press(ADMIN, "ov:ns:1")
    assert edit is None and not answer.get("show_alert")
    sent = [p["text"] for name, p in chat.request.calls[start:] if name == "sendMessage"]
    if new_message:
        assert len(sent) == 1 and "<b>未提交名单</b>" in sent[0]
    else:
        assert sent == []


async def test_liaisons_and_strangers_are_refused_overview_unit_and_buttons(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    for user in (LIAISON, STRANGER):
        assert "仅考核办和领导可以查看" in await chat.send(user, "/overview")
        assert "仅考核办和领导可以查看" in await chat.send(user, "/unit 东城区")
        for data in ("ov:ns:1", "ov:u:dcq:ns:1", "ov:home", "ov:f:1:市"):
            edit, answer = await chat.press(user, data)
            assert edit is None
            assert "仅考核办和领导可以查看" in answer["text"] and answer["show_alert"]
            assert len(answer["text"]) <= 200


async def test_overview_is_reused_while_nothing_changes_and_never_stale(chat, config, monkeypatch):
    from storage.store import Store

    calls = []
    real = chat.services.cycle.overview
    monkeypatch.setattr(chat.services.cycle, "overview", lambda now: calls.append(now) or real(now))
    await chat.send(LIAISON, "/bind SFJ2026")
    chat.clock = datetime(2026, 12, 15, 9, 0, tzinfo=timezone.utc)  # 17:00 Shanghai, an hour to go
    first = await chat.command(ADMIN, "/overview")
    assert "截至 2026年12月15日 17:00" in first["text"] and "其中逾期未交 0" in first["text"]
    await chat.press(ADMIN, "ov:ns:1")
    chat.clock += timedelta(minutes=30)
    edit, _ = await chat.press(ADMIN, "ov:home")
    assert len(calls) == 1  # paging and returning reused it
    assert "截至 2026年12月15日 17:30" in edit["text"] and "还有 30 分钟" in edit["text"]

    await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    edit, _ = await chat.press(ADMIN, "ov:home")
    assert len(calls) == 2 and "市直部门：应交 2，已交 1（按时 1，逾期 0）" in edit["text"]

    chat.clock += timedelta(hours=1)  # the 市直部门 deadline passes; the database did not change
    edit, _ = await chat.press(ADMIN, "ov:ns:1")
    assert len(calls) == 3 and "市发展和改革委员会（市直部门） 逾期未交" in edit["text"]

    other = Store(config.storage_dir)  # another process (bot.manage) writes to the same database
    other.grant_extension("fgw", "自查材料提交", "2026-12-17T10:00:00+00:00", ADMIN, "补充")
    other.close()
    edit, _ = await chat.press(ADMIN, "ov:ns:1")
    assert len(calls) == 4 and "市发展和改革委员会（市直部门） 未提交，截止 2026年12月17日 18:00（已延期）" in edit["text"]


# ---- /unit ---------------------------------------------------------------------------------


async def test_unit_with_no_one_and_many_matches(chat):
    await chat.send(LIAISON, "/bind SFJ2026")
    usage = await chat.send(ADMIN, "/unit")
    assert "用法" in usage and "/unit 单位名称或编号" in usage

    none = await chat.send(ADMIN, "/unit 水务局")
    assert "没有找到“水务局”" in none and "/overview" in none  # nothing alike: no suggestion

    one = await chat.command(OFFICIAL, "/unit 司法")
    assert "<b>市司法局</b>（市直部门）· 编号 sfj" in one["text"]
    assert "联络员：联络员" in one["text"] and "截止时间：2026年12月15日 18:00" in one["text"]
    assert "尚未提交材料" in one["text"]
    by_id = await chat.command(ADMIN, "/unit dcq")
    assert "<b>东城区</b>（县区）" in by_id["text"]

    many = await chat.command(ADMIN, "/unit 市")
    assert "找到 2 个名称包含“市”的单位" in many["text"]
    assert "1. 市司法局（市直部门）" in many["text"] and "2. 市发展和改革委员会（市直部门）" in many["text"]
    assert callback_datas(many) == ["ov:u:sfj:f:1:市", "ov:u:fgw:f:1:市"]
    card, _ = await chat.press(ADMIN, "ov:u:fgw:f:1:市")
    assert "<b>市发展和改革委员会</b>" in card["text"] and callback_datas(card) == ["ov:f:1:市", "ov:home"]
    back, _ = await chat.press(ADMIN, "ov:f:1:市")
    assert "找到 2 个" in back["text"]


# ---- many units: paging and bounds -----------------------------------------------------------


def with_extra_units(config, extra: int):
    categories = ("市直部门", "县区", "开发区")
    units = config.units + tuple(
        UnitConfig(id=f"x{i:03d}", name=f"测试单位{i:03d}", category=categories[i % 3], invite_code=f"X{i:03d}")
        for i in range(1, extra + 1))
    return replace(config, units=units)


@pytest.fixture
async def big_chat(config, scorer):
    from kaohe.services import Services

    cfg = with_extra_units(config, 45)  # 49 units
    svc = Services(cfg, scorer=scorer)
    c = await make_chat(cfg, svc)
    yield c
    await c.app.shutdown()
    svc.close()


async def test_paging_with_many_units(big_chat):
    chat = big_chat
    summary = await chat.command(ADMIN, "/overview")
    assert "共 49 个单位" in summary["text"] and "<b>尚未提交（49）</b>" in summary["text"]
    assert "……另有 39 个，点“未提交名单”查看全部" in summary["text"]
    assert_fits(summary)

    page1, _ = await chat.press(ADMIN, "ov:ns:1")
    assert "（共 49 项）· 第1/5页" in page1["text"]
    rows = keyboard(page1)
    assert len(rows) == 12  # ten units, the page row, 返回总览
    assert [b["text"] for b in rows[10]] == ["第1/5页", "下一页 ▶"]
    assert [b["callback_data"] for b in rows[10]] == ["ov:nop", "ov:ns:2"]
    assert rows[11][0]["text"] == "返回总览"
    assert_fits(page1)

    page2, _ = await chat.press(ADMIN, "ov:ns:2")
    assert "第2/5页" in page2["text"] and "11. " in page2["text"] and "21. " not in page2["text"]
    assert [b["callback_data"] for b in keyboard(page2)[10]] == ["ov:ns:1", "ov:nop", "ov:ns:3"]
    assert [b["text"] for b in keyboard(page2)[10]] == ["◀ 上一页", "第2/5页", "下一页 ▶"]

    last, _ = await chat.press(ADMIN, "ov:ns:5")
    assert "第5/5页" in last["text"] and "49. " in last["text"]
    assert len(keyboard(last)) == 9 + 2
    beyond, _ = await chat.press(ADMIN, "ov:ns:99")  # the list shrank since: last page
    assert "第5/5页" in beyond["text"]

    unit_button = keyboard(page2)[0][0]["callback_data"]
    assert unit_button.endswith(":ns:2")
    card, _ = await chat.press(ADMIN, unit_button)
    assert "编号" in card["text"] and callback_datas(card) == ["ov:ns:2", "ov:home"]

    many = await chat.command(ADMIN, "/unit 测试单位")
    assert "找到 45 个" in many["text"] and "第1/5页" in many["text"]
    assert callback_datas(many)[-2:] == ["ov:nop", "ov:f:2:测试单位"]
    page, _ = await chat.press(ADMIN, "ov:f:5:测试单位")
    assert "41. " in page["text"] and "45. " in page["text"]


def huge_overview(units: int = 5000) -> Overview:
    """An overview of ``units`` units with long, HTML-unfriendly names (no database)."""
    now = datetime(2026, 12, 18, 2, 0, tzinfo=timezone.utc)
    due = datetime(2026, 12, 15, 10, 0, tzinfo=timezone.utc)
    progress, ranked, missing, liaisons, unreachable = [], [], [], {}, []
    for i in range(units):
        category = f"类别<{i % 40}>&"
        name = f"第{i}号<单位>&某某某某某某某某某某某某某某某某某某某某管理委员会办公室"
        rule = DeadlineRule(f"自查材料提交&{i % 3}", f"准备阶段{i % 2}", due + timedelta(hours=i % 7), due)
        submitted = i % 5 == 0
        progress.append(UnitProgress(f"u{i}", name, category, rule, now if submitted else None))
        unit = {"id": f"u{i}", "name": name, "category": category, "total": 50 + i % 50,
                "percent": 50 + i % 50, "grade": "良好", "full_marks": 100,
                "missing": "、".join(f"指标<{k}>" for k in range(12))}
        ranked.append(unit)
        missing.append(unit)
        people = [Liaison(1000 + i * 3 + k, f"联络员<{k}>&名字很长很长很长", "u", k == 1) for k in range(3)]
        liaisons[f"u{i}"] = people
        unreachable.append((unit, people[1]))
    return Overview(now=now, units=units, tallies=tally(progress, now), not_submitted=[
        p for p in progress if not p.submitted], late_submitted=[p for p in progress if p.submitted],
        missing=missing, ranking=ranked, liaisons=liaisons, unreachable=unreachable)


def rendered(text: str) -> str:
    """The text as Telegram shows it; raises like the Bot API on broken HTML."""
    from bot.local.markup import parse_html as _parse_html

    return _parse_html(text)[0]


def test_summary_and_pages_stay_in_one_message_with_5000_units(config):
    ov = huge_overview()
    screen = st.overview_screen(ov, "2026年度目标责任制考核", config.tz)
    assert len(screen.text) <= st.MESSAGE_LIMIT and "<单位>" in rendered(screen.text)
    assert "&lt;单位&gt;&amp;" in screen.text and "<单位>" not in screen.text
    assert "<b>尚未提交（4000）</b>" in screen.text
    for kind in st.LIST_TITLES:
        for page in (1, 2, 500):
            page_screen = st.list_screen(ov, kind, page, config.tz)
            assert len(page_screen.text) <= st.MESSAGE_LIMIT
            rendered(page_screen.text)
            assert all(len(d.encode()) <= 64 for row in page_screen.buttons for _, d in row)
    assert "第400/400页" in st.list_screen(ov, st.NOT_SUBMITTED, 500, config.tz).text


def test_callback_data_stays_under_64_bytes():
    assert st.cb_unit("sfj", "ov:ns:3") == "ov:u:sfj:ns:3"
    long_id = "u" * 56
    assert st.cb_unit(long_id, "ov:ns:3") == f"ov:u:{long_id}"  # no room for the way back
    assert st.cb_unit("u" * 70) is None and st.cb_unit("a:b") is None
    assert st.cb_search(2, "东城") == "ov:f:2:东城"
    assert st.cb_search(2, "很长的名字" * 5) is None
    assert st.parse_callback("ov:u:sfj:ns:3") == ("unit", "sfj", "ov:ns:3")
    assert st.parse_callback("ov:u:sfj:f:2:东:城") == ("unit", "sfj", "ov:f:2:东:城")
    assert st.parse_callback("ov:u:sfj:zz") == ("unit", "sfj", None)
    assert st.parse_callback("ov:ns:x") is None and st.parse_callback("other") is None
    units = [{"id": f"id{i}", "name": f"名称{i}", "category": "县区"} for i in range(30)]
    screen = st.search_screen(units, "名称" + "很长" * 9)  # 60 bytes: too long to page
    assert "只显示前 10 个" in screen.text and len(screen.buttons) == 10


# ---- real polling against the local Bot API ---------------------------------------------------


async def test_drill_down_over_http_edits_the_same_message(config, scorer):
    from kaohe.services import Services

    with LocalBotApi() as api:
        cfg = replace(config, api_url=api.api_url)
        svc = Services(cfg, scorer=scorer)
        svc.store.bind_liaison(DCQ_LIAISON, "李四", None, "dcq")
        app = build_application(cfg, api.token, services=svc, rate_limit=False)
        app.bot_data.clock = lambda: AFTER_DEADLINE
        await start_polling(app)
        try:
            api.send_text(ADMIN, "/overview")
            action = await api.wait_for_async(lambda a: "进度总览" in (a.get("text") or ""))
            message_id = action["message_id"]

            async def press(data: str, expect: str) -> str:
                since = len(api.sent)
                api.press_button(ADMIN, message_id, data)
                await api.wait_for_async(lambda a: a["method"] == "answerCallbackQuery", since=since)
                await api.wait_for_async(
                    lambda a: a["method"] == "editMessageText" and expect in a["rendered_text"], since=since)
                shown = [m for m in api.messages(ADMIN) if m["message_id"] == message_id][0]
                return shown["text"]

            text = await press("ov:ns:1", "未提交名单")
            assert "东城区（县区） 未提交" in text and "联络员：李四" in text
            text = await press("ov:u:dcq:ns:1", "编号 dcq")
            assert "东城区（县区）· 编号 dcq" in text and "联络员：李四" in text
            text = await press("ov:ns:1", "未提交名单")
            text = await press("ov:home", "进度总览")
            assert "<b>" not in text  # rendered: the HTML was accepted by the API
            bot_messages = [m for m in api.messages(ADMIN) if "进度总览" in m.get("text", "")
                            or "未提交名单" in m.get("text", "")]
            assert len(bot_messages) == 1  # one message, edited in place each time

            since = len(api.sent)
            api.send_text(DCQ_LIAISON, "/overview")
            refusal = await api.wait_for_async(lambda a: "仅考核办和领导" in (a.get("text") or ""), since=since)
            assert refusal["chat_id"] == DCQ_LIAISON
            assert not [a for a in api.sent if "内部错误" in (a.get("text") or "")]
        finally:
            await stop_polling(app)
            svc.close()


async def test_names_with_html_characters_and_many_files_stay_valid(config, scorer):
    from kaohe.services import Services

    odd = UnitConfig(id="odd", name="A&B<测试>局", category="市直部门", invite_code="ODD2026")
    cfg = replace(config, units=(*config.units, odd))
    svc = Services(cfg, scorer=scorer)
    chat = await make_chat(cfg, svc)
    try:
        svc.store.bind_liaison(LIAISON, "<b>王</b>&", None, "odd")
        for i in range(17):
            received = BEFORE_DEADLINE + timedelta(hours=i)
            svc.ingest("odd", LIAISON, f"报告<{i % 16}>&.docx",
                       small_docx(f"第{i}稿：立项督查事项{i}项，已办结销号。"), received)
        status = await chat.send(LIAISON, "/status")
        assert "<b>A&amp;B&lt;测试&gt;局</b>" in status
        # 17 uploads, the last a new version of the first: 16 current files.
        assert "（共 16 份，以下为最近 15 份）" in status and "16. 《报告&lt;0&gt;&amp;.docx》 第2版" in status
        assert "\n1. 《" not in status and "\n2. 《报告" in status
        assert "A&B<测试>局" in rendered(status)
        card = await chat.command(ADMIN, "/unit odd")
        assert "联络员：&lt;b&gt;王&lt;/b&gt;&amp;" in card["text"]
        assert "（共 16 份，以下为最近 10 份）" in card["text"]
        rendered(card["text"])
        summary = await chat.command(ADMIN, "/overview")
        rendered(summary["text"])
        for data in ("ov:ns:1", "ov:rk:1", "ov:ms:1", "ov:u:odd:rk:1"):
            edit, _ = await chat.press(ADMIN, data)
            rendered(edit["text"])
    finally:
        await chat.app.shutdown()
        svc.close()
