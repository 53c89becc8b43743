"""Invite codes and liaisons: the office issues, rotates, limits and revokes codes, removes a
liaison; a unit's liaisons hear when someone joins or is removed."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import BEFORE_DEADLINE, EXAMPLE_REPORT
from tests.support import running_bot

ADMIN, OFFICIAL, FIRST, SECOND, THIRD = 10001, 10002, 40001, 40002, 40003


def issued_code(reply: str) -> str:
    return re.search(r"签发邀请码 (\w+)", re.sub(r"<[^>]+>", "", reply)).group(1)


async def test_rotating_a_code_stops_the_old_one_and_the_new_one_binds(chat):
    reply = await chat.send(ADMIN, "/invite 市司法局 新码")
    code = issued_code(reply)
    assert "原有的 1 个码已作废" in reply and f"/bind {code}" in reply
    assert f"start={code}" in reply  # the deep link to hand out
    assert "已被考核办撤销" in await chat.send(FIRST, "/bind SFJ2026")
    assert chat.services.store.person(FIRST) is None
    assert "绑定成功" in await chat.send(FIRST, f"/bind {code.lower()}")
    screen = await chat.send(ADMIN, "/invite 市司法局")
    assert "SFJ2026</code> 已作废" in screen and f"{code}</code> 可用" in screen
    assert "已用 1/5 人" in screen and "联络员（1 人）" in screen


async def test_a_code_limited_in_uses_binds_that_many_people(chat):
    code = issued_code(await chat.send(ADMIN, "/invite 市司法局 加码 1人 0天"))
    assert "绑定成功" in await chat.send(FIRST, f"/bind {code}")
    assert "绑定成功" in await chat.send(FIRST, f"/bind {code}")  # the same person again: no new use
    assert "可用次数已用完" in await chat.send(SECOND, f"/bind {code}")
    assert chat.services.store.person(SECOND) is None
    assert "绑定成功" in await chat.send(SECOND, "/bind SFJ2026")  # 加码 left the config code working


async def test_an_expired_code_says_so(chat):
    code = issued_code(await chat.send(ADMIN, "/invite 东城区 新码 3天"))
    chat.app.bot_data.clock = lambda: BEFORE_DEADLINE + timedelta(days=3, minutes=1)
    assert "已过有效期" in await chat.send(FIRST, f"/bind {code}")
    assert chat.services.store.person(FIRST) is None


async def test_revoking_one_code(chat):
    assert "已作废" in await chat.send(ADMIN, "/invite 撤销 dcq2026")
    assert "已被考核办撤销" in await chat.send(FIRST, "/bind DCQ2026")
    assert "没有找到邀请码“NOPE”" in await chat.send(ADMIN, "/invite 撤销 NOPE")


async def test_limits_are_range_checked_and_only_the_office_invites(chat):
    assert "看不懂“9999人”" in await chat.send(ADMIN, "/invite 市司法局 新码 9999人")
    assert "看不懂“很多”" in await chat.send(ADMIN, "/invite 市司法局 新码 很多")
    assert len(chat.services.invites("sfj")) == 1  # nothing issued
    assert "仅限考核办" in await chat.send(OFFICIAL, "/invite 市司法局 新码")
    assert "/invite 单位 新码" in await chat.send(ADMIN, "/invite")


async def test_a_new_binding_is_told_to_the_units_other_liaisons_and_audited(chat):
    await chat.send(FIRST, "/bind SFJ2026")
    assert not [r for r in chat.services.store.pending_notifications() if r["kind"] == "binding"]
    await chat.send(SECOND, "/bind SFJ2026")
    rows = [r for r in chat.services.store.pending_notifications() if r["kind"] == "binding"]
    assert [r["chat_id"] for r in rows] == [FIRST]
    text = chat.services.ledger.announcement(rows[0]["announcement_id"])["text"]
    assert "联络员变动" in text and "市司法局" in text and "解除其绑定" in text
    binds = [e for e in chat.services.store.audit_entries("sfj") if e["action"] == "bind"]
    assert len(binds) == 2 and '"code": "SFJ2026"' in binds[1]["detail"]


async def test_the_office_removes_a_liaison_by_name(chat):
    await chat.send(FIRST, "/bind SFJ2026", first_name="张三")
    await chat.upload(FIRST, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    reply = await chat.send(ADMIN, "/invite 市司法局 移除 张三")
    assert "已解除 张三 与 <b>市司法局</b> 的绑定" in reply
    assert chat.services.role_of(FIRST) == "unknown"
    assert "还没有绑定单位" in await chat.upload(FIRST, "另一份.docx", EXAMPLE_REPORT.read_bytes())
    assert chat.services.files_count("sfj") == 1  # what they submitted stays
    told = [r for r in chat.services.store.pending_notifications() if r["kind"] == "binding"]
    assert [r["chat_id"] for r in told] == [FIRST]
    assert "不是" not in reply and "没有名为" in await chat.send(ADMIN, "/invite 市司法局 移除 李四")
    assert any(e["action"] == "unbind" for e in chat.services.store.audit_entries("sfj"))


async def test_removal_by_button_and_the_joined_notice_reach_people_through_telegram(config, scorer):
    async with running_bot(config, scorer, lambda: BEFORE_DEADLINE, {FIRST: "SFJ2026"}) as (api, svc, app):
        since = len(api.sent)
        api.send_text(SECOND, "/bind SFJ2026", first_name="李四")
        notice = await api.wait_for_async(
            lambda a: a["chat_id"] == FIRST and "联络员变动" in (a["text"] or ""), since=since)
        assert "李四" in notice["text"]
        api.send_text(ADMIN, "/invite 市司法局")
        screen = await api.wait_for_async(lambda a: a["chat_id"] == ADMIN and "的邀请码" in (a["text"] or ""))
        buttons = [b for row in screen["reply_markup"]["inline_keyboard"] for b in row]
        button = next(b for b in buttons if "李四" in b["text"])
        api.press_button(OFFICIAL, screen["message_id"], button["callback_data"], chat_id=ADMIN)  # forged
        api.press_button(ADMIN, screen["message_id"], button["callback_data"])
        await api.wait_for_async(lambda a: a["chat_id"] == ADMIN and "已解除 李四" in (a["text"] or ""))
        told = await api.wait_for_async(lambda a: a["chat_id"] == SECOND and "已解除您" in (a["text"] or ""))
        assert "市司法局" in told["text"]
        assert svc.role_of(SECOND) == "unknown" and svc.role_of(FIRST) == "liaison"
        api.press_button(ADMIN, screen["message_id"], button["callback_data"])  # pressed again
        await api.wait_for_async(lambda a: a.get("method") == "answerCallbackQuery"
                                 and "已失效" in (a.get("params", {}).get("text") or ""))


def test_codes_follow_config_and_a_revoked_one_stays_revoked(services, config):
    from datetime import datetime, timezone

    store = services.store
    at = datetime(2026, 11, 24, tzinfo=timezone.utc)
    store.revoke_invite("SFJ2026", ADMIN, at)
    units = [{"id": u.id, "name": u.name, "category": u.category, "invite_code": u.invite_code}
             for u in config.units]
    store.sync_units(units)  # the next start
    assert store.bind_with_invite(FIRST, "甲", None, "SFJ2026", at, True).refusal == "revoked"
    units = [{**u, "invite_code": "NEWDCQ"} if u["id"] == "dcq" else u for u in units]
    store.sync_units(units)
    assert store.bind_with_invite(FIRST, "甲", None, "DCQ2026", at, True).refusal == "revoked"
    assert store.bind_with_invite(FIRST, "甲", None, "NEWDCQ", at, True).unit["id"] == "dcq"
    assert store.bind_with_invite(SECOND, "乙", None, "NEWDCQ", at, False).refusal == "unknown"
