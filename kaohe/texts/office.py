"""Chinese replies of the office's /deadline, /extend and /announce (HTML parse mode)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from kaohe.cycle import DeadlineChange
from kaohe.fmt import fmt_time, time_left
from kaohe.texts.notice import announcement
from storage.store import parse_utc


def admin_only() -> str:
    return "这个命令仅限考核办使用。发送 /help 查看您可以使用的命令。"


def admin_only_short() -> str:
    return "仅考核办可以操作"


def deadline_list(names: list[str], rows: list[dict], extensions: list[dict],
                  units: dict[str, str], now: datetime, tz: ZoneInfo,
                  uncovered_years: Sequence[int] = ()) -> str:
    lines = ["📅 <b>截止时间</b>"]
    for i, name in enumerate(names, 1):
        items = [r for r in rows if r["name"] == name]
        lines.append(f"\n{i}. <b>{escape(name)}</b>（{escape(items[0]['phase'])}）")
        for r in sorted(items, key=lambda r: r["category"]):
            due = parse_utc(r["due"])
            changed = "（考核办已调整）" if r["changed_by"] and r["changed_by"] != "config" else ""
            lines.append(f"   · {escape(r['category'] or '默认（全部类别）')}：{fmt_time(due, tz)}"
                         f"（{time_left(due, now)}）{changed}")
        granted = [e for e in extensions if e["name"] == name]
        for e in granted:
            why = f"，原因：{escape(e['reason'])}" if e["reason"] else ""
            lines.append(f"   · 延期：{escape(units.get(e['unit_id'], e['unit_id']))} 至 "
                         f"{fmt_time(parse_utc(e['due']), tz)}{why}")
    lines.append(
        "\n调整：<code>/deadline 编号 新时间 [类别] [原因]</code>，如 "
        "<code>/deadline 1 2026-12-18 18:00 县区 年底会议较多</code>（不写类别即全部类别）。"
        "\n单个单位延期：<code>/extend 单位名 新时间 [原因]</code>。")
    if uncovered_years:
        years = "、".join(f"{y} 年" for y in uncovered_years)
        lines.append(f"\n⚠️ 节假日数据缺 {years}：这些年份的提醒暂按周一至周五计算工作日。请把国务院办公厅公布的"
                     "当年放假和调休日期填入 config.toml 的 [reminders] holidays / workdays 后重启。")
    return "\n".join(lines)


def unknown_deadline(text: str, names: list[str]) -> str:
    listed = "；".join(f"{i}. {escape(n)}" for i, n in enumerate(names, 1))
    return (f"没有找到截止事项“{escape(text)}”。现有：{listed}。"
            "请用编号或名称，如 <code>/deadline 1 2026-12-18 18:00</code>。")


def bad_time(message: str) -> str:
    return f"{escape(message)}。"


def time_too_far(due: datetime, tz: ZoneInfo) -> str:
    return f"新的截止时间 {fmt_time(due, tz)} 距今超过一年，请检查年份后重新输入。"


def time_in_past(due: datetime, tz: ZoneInfo) -> str:
    return f"新的截止时间 {fmt_time(due, tz)} 已经过去，请给一个将来的时间。"


def deadline_preview(change: DeadlineChange, reason: str, tz: ZoneInfo) -> str:
    scope = escape(change.category) if change.category else "全部类别"
    was = f"由 {fmt_time(change.old, tz)} " if change.old else ""
    why = f"\n原因：{escape(reason)}" if reason else "\n（未写原因；原因会随通知发给联络员，可取消后重发）"
    return (f"请确认：把「{escape(change.name)}」（{scope}）的截止时间{was}改为 "
            f"<b>{fmt_time(change.new, tz)}</b>。{why}\n\n"
            f"确认后立即生效，并通知 {change.units} 个单位的 {change.recipients} 位联络员"
            "（已单独延期的单位不受影响）。")


def extend_usage() -> str:
    return ("用法：<code>/extend 单位名 新截止时间 [原因]</code>，如 "
            "<code>/extend 东城区 2026-12-22 18:00 机构调整</code>。")




def no_deadline_for(unit_name: str) -> str:
    return f"{escape(unit_name)}没有适用的截止事项，无需延期。"


def already_submitted(unit_name: str, name: str) -> str:
    return f"{escape(unit_name)}已提交「{escape(name)}」，无需延期。"


def extension_done(unit_name: str, name: str, due: datetime, category_due: datetime,
                   reason: str, told: int, tz: ZoneInfo) -> str:
    why = f"，原因：{escape(reason)}" if reason else ""
    tell = (f"已通知该单位 {told} 位联络员。" if told else
            "⚠️ 该单位没有可送达的联络员，请电话通知。")
    return (f"已为{escape(unit_name)}把「{escape(name)}」延期至 <b>{fmt_time(due, tz)}</b>"
            f"（本类别截止时间为 {fmt_time(category_due, tz)}{why}）。{tell}"
            "该单位的提醒按新的时间重新安排。")


def announce_usage(categories: list[str]) -> str:
    kinds = "、".join(escape(c) for c in categories)
    return ("用法：<code>/announce [对象] 通知内容</code>。对象可写 全部（默认）、未提交，"
            f"或单位类别（{kinds}）。例如：\n"
            "<code>/announce 未提交 请于12月15日18时前提交自查材料。</code>\n"
            "<code>/announce 全部 考核大会定于1月6日上午9时召开。</code>\n"
            "发送前会先给您预览，确认后才发出。")


def announce_too_long(length: int, limit: int) -> str:
    return f"通知内容有 {length} 字，超过一条消息能容纳的 {limit} 字。请精简或分成几条发送。"


def announce_preview(body: str, label: str, recipients: int, units: int, cycle: str) -> str:
    if not recipients:
        return (f"对象“{escape(label)}”目前没有可送达的联络员（可能都已提交，或尚未绑定），"
                "没有可发送的对象。")
    return (f"请确认：以下通知将发给 <b>{escape(label)}</b>，共 {units} 个单位的 {recipients} 位联络员"
            "（已屏蔽机器人的联络员不在其中）。\n———\n"
            f"{announcement(body, cycle)}\n———")


def cancelled() -> str:
    return "❎ 已取消，未发送。"


def sending(count: int) -> str:
    return f"✅ 已确认，正在发送给 {count} 位联络员；发送完毕后会告诉您送达情况。"
