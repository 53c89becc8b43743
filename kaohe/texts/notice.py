"""Chinese texts of the automatic messages and of the office's deadline and announcement
commands (HTML parse mode). Pure functions over plain values."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from kaohe.fmt import fmt_time, time_left
from scoring.progress import LATE, ON_TIME, OPEN, OVERDUE, Tally, UnitProgress

LIST_LIMIT = 30  # names listed in one automatic message; the rest are counted


def reminder(unit_name: str, deadline: str, due: datetime, now: datetime, tz: ZoneInfo) -> str:
    return (
        f"⏰ <b>提交提醒</b>：{escape(unit_name)}尚未提交「{escape(deadline)}」。\n"
        f"截止时间：{fmt_time(due, tz)}（{time_left(due, now)}）。\n\n"
        "直接在这里发送 .docx 或 .pdf 文件即可提交，发送 /status 查看本单位情况。"
        "提交后不会再收到本提醒。"
    )


def late_notice(unit_name: str, deadline: str, due: datetime, now: datetime, tz: ZoneInfo,
                contact: str) -> str:
    return (
        f"⚠️ <b>已逾期</b>：「{escape(deadline)}」已于 {fmt_time(due, tz)} 截止，"
        f"{escape(unit_name)}尚未提交（{time_left(due, now)}）。\n\n"
        "请尽快在这里发送材料：逾期材料仍会接收并计算初步得分，但会标注为逾期提交。"
        f"如有特殊情况请联系考核办（{escape(contact)}）申请延期。"
    )


def _unit_line(i: int, p: UnitProgress, liaisons: list) -> str:
    if liaisons:
        people = "、".join(escape(x.name or str(x.telegram_id)) + ("（⚠️无法送达）" if x.unreachable else "")
                           for x in liaisons)
    else:
        people = "未绑定联络员"
    ext = "（已延期）" if p.deadline.extended else ""
    return f"{i}. {escape(p.unit_name)}（{escape(p.category)}）{ext} 联络员：{people}"


def _capped(lines: list[str], total: int, more_hint: str) -> list[str]:
    if total > len(lines):
        lines.append(f"……另有 {total - len(lines)} 个单位，{more_hint}")
    return lines


def overdue_list(deadline: str, due: datetime, overdue: list[UnitProgress], liaisons: dict,
                 submitted: int, expected: int, now: datetime, tz: ZoneInfo) -> str:
    lines = [f"📋 <b>逾期未交名单</b>：「{escape(deadline)}」已于 {fmt_time(due, tz)} 截止。",
             f"已提交 {submitted}/{expected} 个单位，{len(overdue)} 个单位逾期未交："]
    shown = [_unit_line(i, p, liaisons.get(p.unit_id, []))
             for i, p in enumerate(overdue[:LIST_LIMIT], 1)]
    lines += _capped(shown, len(overdue), "发送 /overview 查看全部")
    lines.append("\n这些单位的联络员已收到逾期告知。给单个单位延期：/extend 单位名 新截止时间 原因")
    return "\n".join(lines)


def _tally_line(t: Tally, now: datetime, tz: ZoneInfo) -> str:
    due = min(t.dues)
    when = fmt_time(due, tz) + ("（已截止）" if due <= now else f"（{time_left(due, now)}）")
    c = t.counts
    return (f"· {escape(t.category)}：已提交 {t.submitted}/{t.expected}"
            f"（按时 {c[ON_TIME]}，逾期 {c[LATE]}），未提交 {c[OPEN] + c[OVERDUE]}"
            f"（其中逾期未交 {c[OVERDUE]}）；截止 {when}")


def digest(cycle: str, tallies: list[Tally], overdue: list[UnitProgress], liaisons: dict,
           unreachable: int, now: datetime, tz: ZoneInfo) -> str:
    local = now.astimezone(tz)
    lines = [f"📊 <b>每日简报</b> · {escape(cycle)} · {local.month}月{local.day}日"]
    current = None
    for t in tallies:
        if (t.phase, t.name) != current:
            current = (t.phase, t.name)
            lines.append(f"\n【{escape(t.phase)}】{escape(t.name)}")
        lines.append(_tally_line(t, now, tz))
    if overdue:
        lines.append(f"\n逾期未交（{len(overdue)} 个单位）：")
        shown = [_unit_line(i, p, liaisons.get(p.unit_id, []))
                 for i, p in enumerate(overdue[:LIST_LIMIT], 1)]
        lines += _capped(shown, len(overdue), "发送 /overview 查看全部")
    else:
        lines.append("\n目前没有逾期未交的单位。")
    if unreachable:
        lines.append(f"\n⚠️ {unreachable} 位联络员已屏蔽机器人，无法送达提醒。")
    lines.append("\n发送 /overview 查看总览和单位详情。")
    return "\n".join(lines)


def complete(deadline: str, expected: int, on_time: int, late: int) -> str:
    return (f"🎉 「{escape(deadline)}」：全部 {expected} 个单位均已提交"
            f"（按时 {on_time}，逾期 {late}）。发送 /overview 查看初步得分和排名。")


def announcement(text: str, cycle: str) -> str:
    return f"📢 <b>考核办通知</b>\n\n{escape(text)}\n\n— {escape(cycle)}"


AUDIENCE_FAILURE_LIMIT = 20


def announcement_report(ann: dict, failures: list[dict]) -> str:
    """The office's receipt for an announcement or a deadline change notice."""
    total = ann["recipients"] or 0
    delivered = total - len(failures)
    what = {"deadline_change": "截止时间调整通知", "result": "考核结果反馈",
            "appeal_answer": "复核答复"}.get(ann["kind"], "通知")
    lines = [f"📮 {what}（对象：{escape(ann['audience_label'] or '')}）发送完毕：",
             f"送达 {delivered} 人，未送达 {len(failures)} 人。"]
    if failures:
        lines.append("未送达：")
        for row in failures[:AUDIENCE_FAILURE_LIMIT]:
            why = "已屏蔽机器人" if row["status"] == "blocked" else "发送失败"
            who = escape(row["name"] or str(row["chat_id"]))
            lines.append(f"· {escape(row['unit_name'] or '')} {who}（{why}）")
        if len(failures) > AUDIENCE_FAILURE_LIMIT:
            lines.append(f"……另有 {len(failures) - AUDIENCE_FAILURE_LIMIT} 人")
        lines.append("请电话通知这些联络员。")
    return "\n".join(lines)


def deadline_changed(name: str, category: str | None, old: datetime | None, new: datetime,
                     reason: str, tz: ZoneInfo) -> str:
    scope = f"（{escape(category)}）" if category else ""
    was = f"（原为 {fmt_time(old, tz)}）" if old else ""
    why = f"\n原因：{escape(reason)}" if reason else ""
    return (f"📅 <b>截止时间调整</b>：「{escape(name)}」{scope}截止时间调整为 "
            f"<b>{fmt_time(new, tz)}</b>{was}。{why}\n\n发送 /status 查看本单位情况。")


def extension_granted(unit_name: str, name: str, due: datetime, reason: str, tz: ZoneInfo) -> str:
    why = f"\n原因：{escape(reason)}" if reason else ""
    return (f"📅 <b>延期通知</b>：考核办已同意{escape(unit_name)}「{escape(name)}」"
            f"延期至 <b>{fmt_time(due, tz)}</b>。{why}\n\n发送 /status 查看本单位情况。")
