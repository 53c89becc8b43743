"""The office's /deadline, /extend and /announce through the real polling loop and the
local HTTP Bot API: preview, 确认, what liaisons receive, the delivery report."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import EXAMPLE_REPORT
from tests.support import running_bot

TZ = ZoneInfo("Asia/Shanghai")
ADMIN, OFFICIAL = 10001, 10002
SFJ, FGW, DCQ, GXQ = 40001, 40002, 40003, 40004
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)


@pytest.fixture
async def office(config, scorer):
    binds = {SFJ: "SFJ2026", FGW: "FGW2026", DCQ: "DCQ2026", GXQ: "GXQ2026"}
    async with running_bot(config, scorer, lambda: NOW, binds) as (api, svc, _):
        yield api, svc


async def say(api, chat, text, expect, timeout=10):
    since = len(api.sent)
    api.send_text(chat, text)
    action = await api.wait_for_async(
        lambda a: a["chat_id"] == chat and expect in (a.get("rendered_text") or a.get("text") or ""),
        timeout=timeout, since=since)
    return action


def last(api, chat):
    return api.messages(chat)[-1]


async def test_deadline_list_shows_each_category_and_how_to_change(office):
    api, _ = office
    await say(api, ADMIN, "/deadline", "截止时间")
    text = last(api, ADMIN)["text"]
    assert "1. 自查材料提交（准备阶段）" in text
    assert "默认（全部类别）：2026年12月15日 18:00（还有 14 天 8 小时）" in text
    assert "县区：2026年12月20日 18:00" in text and "/deadline 编号 新时间" in text
    # The cycle's phases run into 2027, which chinese-calendar does not know yet.
    assert "节假日数据缺 2027 年" in text and "[reminders] holidays / workdays" in text


def test_declared_days_fill_the_year_the_package_lacks(config, tmp_path):
    from kaohe.cycle import Cycle
    from scoring.schedule import WorkCalendar
    from storage.store import Store

    store = Store(tmp_path / "data")
    try:
        assert Cycle(config, store).uncovered_years() == [2027]
        declared = WorkCalendar(holidays=frozenset({date(2027, 1, 1)}))
        filled = replace(config, reminders=replace(config.reminders, calendar=declared))
        assert Cycle(filled, store).uncovered_years() == []
    finally:
        store.close()


async def test_moving_a_deadline_previews_then_tells_only_the_affected_liaisons(office):
    api, svc = office
    await say(api, ADMIN, "/deadline 1 2026-12-18 18:00 市直部门 年底会议较多", "请确认")
    preview = last(api, ADMIN)
    assert "由 2026年12月15日 18:00 改为 2026年12月18日 18:00" in preview["text"]
    assert "通知 2 个单位的 2 位联络员" in preview["text"]
    assert svc.store.deadline_rows()[0]["due"].startswith("2026-12-15")  # nothing changed yet
    since = len(api.sent)
    data = preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    api.press_button(ADMIN, preview["message_id"], data)
    await api.wait_for_async(lambda a: a["chat_id"] == ADMIN and "发送完毕：" in (a["text"] or ""),
                             since=since)
    for chat in (SFJ, FGW):
        notice = last(api, chat)["text"]
        assert "截止时间调整" in notice and "2026年12月18日 18:00" in notice
        assert "原为 2026年12月15日 18:00" in notice and "年底会议较多" in notice
    assert all("截止时间调整" not in m["text"] for c in (DCQ, GXQ) for m in api.messages(c))
    assert "送达 2 人，未送达 0 人" in last(api, ADMIN)["text"]
    assert "已确认" in api.messages(ADMIN)[-2]["text"]
    city = svc.cycle.progress("fgw")[0].deadline
    assert city.due.astimezone(TZ) == datetime(2026, 12, 18, 18, 0, tzinfo=TZ)
    assert svc.cycle.progress("dcq")[0].deadline.due.astimezone(TZ).day == 20
    assert [e["action"] for e in svc.store.audit_entries()].count("set_deadline") == 1
    # The buttons are gone after 确认, and a second 确认 (a double tap) is refused.
    assert not api.messages(ADMIN)[-2].get("reply_markup")
    assert svc.cycle.confirm(int(data.split(":")[-1]), ADMIN) is None
    assert sum("截止时间调整" in m["text"] for m in api.messages(FGW)) == 1


async def test_cancelled_change_changes_nothing(office):
    api, svc = office
    await say(api, ADMIN, "/deadline 自查材料提交 12月19日", "请确认")
    preview = last(api, ADMIN)
    assert "全部类别" in preview["text"] and "2026年12月19日 18:00" in preview["text"]
    cancel = preview["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    api.press_button(ADMIN, preview["message_id"], cancel)
    await api.wait_for_async(lambda a: "已取消，未发送" in (a["text"] or ""))
    assert {r["due"][:10] for r in svc.store.deadline_rows()} == {"2026-12-15", "2026-12-20"}
    assert all("截止时间调整" not in m["text"] for m in api.messages(FGW))


@pytest.mark.parametrize(("command", "expected"), [
    ("/deadline 1 明天", "无法识别时间“明天”"),
    ("/deadline 1 2026-02-30 18:00", "日期不存在"),
    ("/deadline 1 2026-11-30 18:00", "已经过去"),
    ("/deadline 9 2026-12-18", "没有找到截止事项“9”"),
    ("/extend 不存在的局 2026-12-25", "没有找到“不存在的局”"),
    ("/extend 东城区", "用法：/extend 单位名 新截止时间"),
    ("/announce", "用法：/announce [对象] 通知内容"),
])
async def test_office_commands_explain_bad_input(office, command, expected):
    api, svc = office
    await say(api, ADMIN, command, expected)
    assert svc.store.extensions() == []


async def test_office_commands_are_refused_to_liaisons(office):
    api, _ = office
    for command in ("/deadline", "/extend 东城区 2026-12-25", "/announce 全部 测试", "/regulation", "/faq"):
        await say(api, FGW, command, "仅限考核办")
    await say(api, FGW, "/export", "/export 仅考核办可以使用")
    await say(api, FGW, "/review 东城区 锁定", "/review 仅考核办可以使用")


async def test_extension_tells_the_unit_and_moves_its_deadline(office):
    api, svc = office
    action = await say(api, ADMIN, "/extend 东城区 2026-12-23 机构调整", "已为东城区")
    reply = action.get("rendered_text") or action["text"]
    assert "延期至 2026年12月23日 18:00" in reply and "本类别截止时间为 2026年12月20日 18:00" in reply
    await api.wait_for_async(lambda a: a["chat_id"] == DCQ and "延期通知" in (a["text"] or ""))
    assert "2026年12月23日 18:00" in last(api, DCQ)["text"] and "机构调整" in last(api, DCQ)["text"]
    rule = svc.cycle.progress("dcq")[0].deadline
    assert rule.extended and rule.due.astimezone(TZ).day == 23
    assert all("延期" not in m["text"] for m in api.messages(GXQ))


async def test_announcement_to_units_not_yet_submitted_reports_delivery(office):
    api, svc = office
    svc.ingest("sfj", SFJ, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes(), NOW)
    api.block(GXQ)
    await say(api, ADMIN, "/announce 未提交 请于12月15日18时前提交自查材料，逾期将在考核中注明。", "请确认")
    preview = last(api, ADMIN)
    assert "尚未提交材料的单位" in preview["text"] and "共 3 个单位的 3 位联络员" in preview["text"]
    since = len(api.sent)
    api.press_button(ADMIN, preview["message_id"],
                     preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    await api.wait_for_async(lambda a: a["chat_id"] == ADMIN and "发送完毕：" in (a["text"] or ""),
                             since=since)
    for chat in (FGW, DCQ):
        assert "考核办通知" in last(api, chat)["text"] and "逾期将在考核中注明" in last(api, chat)["text"]
    assert all("考核办通知" not in m["text"] for m in api.messages(SFJ))
    report = last(api, ADMIN)["text"]
    assert "送达 2 人，未送达 1 人" in report
    assert "高新技术产业开发区 联络员40004（已屏蔽机器人）" in report
    assert svc.store.person(GXQ)["unreachable_at"]
    # The next announcement leaves the unreachable liaison out of the count.
    await say(api, ADMIN, "/announce 全部 考核大会定于1月6日上午9时召开。", "请确认")
    assert "共 3 个单位的 3 位联络员" in last(api, ADMIN)["text"]


async def test_announcement_to_one_category_reaches_only_it(office):
    api, _ = office
    await say(api, ADMIN, "/announce 县区\n请县区于12月20日前完成自查。", "请确认")
    preview = last(api, ADMIN)
    assert "县区类单位" in preview["text"] and "共 1 个单位的 1 位联络员" in preview["text"]
    api.press_button(ADMIN, preview["message_id"],
                     preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    await api.wait_for_async(lambda a: a["chat_id"] == ADMIN and "发送完毕：" in (a["text"] or ""))
    assert "请县区于12月20日前完成自查" in last(api, DCQ)["text"]
    assert all("考核办通知" not in m["text"] for c in (SFJ, FGW, GXQ) for m in api.messages(c))
