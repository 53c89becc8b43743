"""The Chinese texts of /status, /overview and /unit (HTML), built from the cycle's dataclasses.

Pure functions: they take ``Overview`` / ``UnitCard`` values, the cycle's time zone and the
current time, and return text (and, for screens with buttons, the buttons as plain
``(label, callback_data)`` pairs). Every screen that can be edited in place fits in one
Telegram message: lists are paged, every name is clipped, and the overview summary shrinks
its lists until it fits, however many units there are.

Callback data (at most 64 bytes, Telegram's limit):

- ``ov:home`` the overview summary
- ``ov:<kind>:<page>`` a list page (kind: ns 未提交, lt 逾期提交, ms 指标缺项, rk 排名, ur 无法送达)
- ``ov:u:<unit_id>:<back>`` a unit card; ``back`` is the list page (``ns:3``) to return to
- ``ov:f:<page>:<query>`` a page of /unit search results
- ``ov:nop`` the page-number button (does nothing)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from kaohe.cycle import Liaison, Overview, UnitCard
from kaohe.fmt import fmt_points, fmt_time, time_left
from kaohe.texts.base import COVERAGE_ICONS, MESSAGE_LIMIT, file_kind
from scoring.engine import COVERAGE_LABELS, MISSING, THIN
from scoring.progress import LATE, ON_TIME, OPEN, OVERDUE, STATUS_LABELS, UnitProgress
from scoring.reminders import KIND_LABELS
from scoring.rules import Indicator, ScoringRules

PAGE_SIZE = 10
CALLBACK_LIMIT = 64  # bytes, Telegram's limit on callback_data
PREFIX = "ov"
HOME = "ov:home"
NOP = "ov:nop"
NOT_SUBMITTED, LATE_LIST, MISSING_LIST, RANKING, UNREACHABLE = "ns", "lt", "ms", "rk", "ur"
LIST_TITLES = {NOT_SUBMITTED: "未提交名单", LATE_LIST: "逾期提交", MISSING_LIST: "指标缺项",
               RANKING: "初步排名", UNREACHABLE: "无法送达"}
REMINDER_STATUS = {"pending": "待发送", "sent": "已发送", "blocked": "无法送达（对方已屏蔽或不可达）",
                   "failed": "发送失败", "skipped": "已跳过（过时未发）"}
STAFF_ROLES = ("admin", "official")
NAME_CLIP = 24  # characters of a unit name in lists
PERSON_CLIP = 12

Button = tuple[str, str]  # (label, callback data)


@dataclass(frozen=True)
class Screen:
    """One message: its HTML text and its inline keyboard (rows of buttons)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


# ---- small helpers ---------------------------------------------------------------------


def clip(text: Any, limit: int) -> str:
    """``text`` cut to ``limit`` characters (with …), before escaping."""
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[:max(limit - 1, 1)] + "…"


def esc(text: Any, limit: int = NAME_CLIP) -> str:
    """Clip, then escape for HTML parse mode."""
    return escape(clip(text, limit))


def _utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _fits(data: str) -> bool:
    return 0 < len(data.encode("utf-8")) <= CALLBACK_LIMIT


def pages(count: int) -> int:
    """How many pages ``count`` items take (at least one)."""
    return max(1, -(-count // PAGE_SIZE))


def _page_slice(items: Sequence[Any], page: int) -> tuple[int, int, Sequence[Any]]:
    """Clamp ``page`` (1-based) and return it, the page count and the page's items."""
    total = pages(len(items))
    page = min(max(page, 1), total)
    start = (page - 1) * PAGE_SIZE
    return page, total, items[start:start + PAGE_SIZE]


def _fit(lines: list[str], limit: int = MESSAGE_LIMIT) -> str:
    """Join ``lines``; if too long, drop lines before the last one and say so."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    last = lines[-1]
    kept: list[str] = []
    size = len(last) + 40
    for line in lines[:-1]:
        if size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join([*kept, "……（内容较多，已省略部分）", last])[:limit]


# ---- callback data ---------------------------------------------------------------------


def cb_list(kind: str, page: int) -> str:
    return f"{PREFIX}:{kind}:{page}"


def cb_search(page: int, query: str) -> str | None:
    """Data for a page of /unit results, or None when the query is too long to carry."""
    data = f"{PREFIX}:f:{page}:{query}"
    return data if _fits(data) else None


def cb_unit(unit_id: str, back: str | None = None) -> str | None:
    """Data for a unit card that returns to ``back`` (callback data of a list page).

    The way back is left out when it does not fit; None when even the unit does not fit.
    """
    if ":" in unit_id:
        return None
    data = f"{PREFIX}:u:{unit_id}"
    if back and back.startswith(PREFIX + ":") and _fits(f"{data}:{back[len(PREFIX) + 1:]}"):
        return f"{data}:{back[len(PREFIX) + 1:]}"
    return data if _fits(data) else None


def parse_callback(data: str | None) -> tuple | None:
    """``("home",)``, ``("nop",)``, ``("list", kind, page)``, ``("search", page, query)``,
    ``("unit", unit_id, back or None)``; None for data this feature does not know."""
    parts = (data or "").split(":")
    if len(parts) < 2 or parts[0] != PREFIX:
        return None
    action = parts[1]
    if data == HOME:
        return ("home",)
    if data == NOP:
        return ("nop",)
    if action in LIST_TITLES and len(parts) == 3 and parts[2].isdigit():
        return ("list", action, int(parts[2]))
    if action == "f" and len(parts) >= 4 and parts[2].isdigit() and ":".join(parts[3:]).strip():
        return ("search", int(parts[2]), ":".join(parts[3:]))
    if action == "u" and len(parts) >= 3 and parts[2]:
        back = f"{PREFIX}:" + ":".join(parts[3:]) if len(parts) > 3 else None
        if back is not None and (parse_callback(back) or ("",))[0] not in ("list", "search"):
            back = None
        return ("unit", parts[2], back)
    return None


# ---- shared pieces ---------------------------------------------------------------------


def liaison_names(people: Sequence[Liaison], shown: int = 2) -> str:
    """``王联络、李四 ⚠️无法送达 等3人`` or ``未绑定联络员``."""
    if not people:
        return "⚠️未绑定联络员"
    names = []
    for person in people[:shown]:
        label = person.name or (f"@{person.username}" if person.username else str(person.telegram_id))
        names.append(esc(label, PERSON_CLIP) + (" ⚠️无法送达" if person.unreachable else ""))
    more = f" 等{len(people)}人" if len(people) > shown else ""
    hidden_bad = sum(1 for p in people[shown:] if p.unreachable)
    if hidden_bad:
        more += f"（另有 {hidden_bad} 人⚠️无法送达）"
    return "、".join(names) + more


def unreachable_label(reason: str | None) -> str:
    """Telegram's error for an unreachable chat, in Chinese."""
    text = (reason or "").lower()
    if "blocked" in text:
        return "已屏蔽机器人"
    if "deactivated" in text:
        return "账号已注销"
    if "not found" in text:
        return "找不到该用户的对话"
    if "kicked" in text:
        return "已将机器人移出对话"
    return "消息无法送达"


def _unit_label(unit: Mapping[str, Any] | UnitProgress) -> str:
    if isinstance(unit, UnitProgress):
        name, category = unit.unit_name, unit.category
    else:
        name, category = unit["name"], unit["category"]
    return f"{esc(name)}（{esc(category, 8)}）"


def _late_by(first: datetime, due: datetime) -> str:
    return time_left(due, first).replace("已过截止时间", "晚于截止")


def _score_text(row: Mapping[str, Any]) -> str:
    total = row.get("total")
    if total is None:
        return "暂无得分"
    full = row.get("full_marks")
    tail = f"/{fmt_points(full)}" if full not in (None, 100) else ""
    veto = f"（⛔ 一票否决：{esc(row.get('veto_reason') or '材料中出现否决情形', 70)}）" if row.get("vetoed") else ""
    return f"{fmt_points(total)}{tail} 分 {esc(row.get('grade') or '', 6)}{veto}"


def _indicator_lookup(rules: ScoringRules | None) -> dict[str, Indicator]:
    return {ind.id: ind for ind in rules.all_indicators()} if rules else {}


def coverage_lines(rows: Iterable[Mapping[str, Any]], rules: ScoringRules | None,
                   previous: Any = None) -> list[str]:
    """One line per indicator: icon, name, points earned / full points, coverage label."""
    lookup = _indicator_lookup(rules)
    lines, group = [], None
    for row in rows:
        ind = lookup.get(row["indicator_id"])
        if ind is not None and ind.group_name != group:
            group = ind.group_name
            lines.append(f"【{esc(group, 16)}】")
        earned = (row.get("base") or 0) + (row.get("effect") or 0)
        decided = row.get("decided_by") is not None and row.get("final") is not None
        if decided:
            earned = row["final"]  # the office's decision is the indicator's points now
        full = f"/{fmt_points(ind.points)}" if ind is not None else ""
        core = "（核心）" if ind is not None and ind.core else ""
        icon = COVERAGE_ICONS.get(row.get("coverage"), "•")
        label = COVERAGE_LABELS.get(row.get("coverage"), "")
        lines.append(f"{icon} {esc(row['indicator_name'], 20)}{core} {fmt_points(earned)}{full} 分"
                     f"（{label}{'，考核办核定' if decided else ''}）"
                     f"{indicator_change(previous, row['indicator_id'], earned)}")
    return lines


def _names_with(rows: Iterable[Mapping[str, Any]], coverage: str) -> list[str]:
    return [row["indicator_name"] for row in rows if row.get("coverage") == coverage]


def file_lines(submissions: Sequence[Mapping[str, Any]], progress: Sequence[UnitProgress],
               tz: ZoneInfo, shown: int) -> list[str]:
    """The unit's current files, newest ``shown`` of them: name, version, type, time, on time or late.

    On time / late is judged against the deadline the file counted for, as it stands now
    (an extension granted later makes an earlier upload on time).
    """
    rules = {p.deadline.name: p.deadline for p in progress}
    lines = []
    for number, sub in enumerate(submissions, 1):
        name = sub["file_name"]
        version = f" 第{sub['version']}版" if (sub.get("version") or 1) > 1 else ""
        received = _utc(sub["received_at"])
        rule = rules.get(sub.get("deadline_name") or "")
        if rule is not None and received is not None:
            late = received > rule.due
        else:
            late = bool(sub.get("late"))
        counted = f"（{esc(sub['deadline_name'], 12)}）" if sub.get("deadline_name") else ""
        verdict = "⚠️逾期" if late else "按时"
        kind = file_kind(sub)
        when = fmt_time(received, tz) if received else "时间不详"
        lines.append(f"{number}. 《{esc(name, 40)}》{version} · {kind} · {when} 接收 · "
                     f"{verdict}{counted}")
    if len(lines) > shown:
        lines = [f"（共 {len(lines)} 份，以下为最近 {shown} 份）", *lines[-shown:]]
    return lines


def seal_seen(submissions: Sequence[Mapping[str, Any]]) -> bool:
    """Whether any current file is a stamped page or carries a red seal."""
    return any(sub.get("role") == "seal" or sub.get("sealed_pages") for sub in submissions)


SEAL_MISSING = ("未在已交材料中识别到公章印迹：按实施细则，自查报告须加盖单位公章，以盖章页扫描件 PDF "
                "与可编辑的 .docx 一并报送。如已发送的是黑白扫描件，系统认不出红章，考核办会人工核对。")


def deadline_lines(p: UnitProgress, now: datetime, tz: ZoneInfo) -> list[str]:
    """A unit's standing against one deadline: due time, time left or how late, extension."""
    rule = p.deadline
    status = p.status(now)
    due = fmt_time(rule.due, tz)
    if status == OPEN:
        first = f"截止时间：{due}（{time_left(rule.due, now)}）· 尚未提交"
    elif status == OVERDUE:
        first = f"截止时间：{due}（⚠️{time_left(rule.due, now)}）· <b>逾期未交</b>"
    elif status == ON_TIME:
        first = f"截止时间：{due} · ✅ 已按时提交（{fmt_time(p.first_at, tz)}，共 {p.files} 份）"
    else:
        first = (f"截止时间：{due} · ⚠️ 逾期提交（{fmt_time(p.first_at, tz)}，"
                 f"{_late_by(p.first_at, rule.due)}，共 {p.files} 份）")
    lines = [first]
    if rule.extended:
        reason = f"（原因：{esc(rule.extension_reason, 60)}）" if rule.extension_reason else ""
        lines.append(f"已为本单位延期至 {due}{reason}，原截止时间 {fmt_time(rule.category_due, tz)}")
    return lines


def previous_line(previous: Any, score: Mapping[str, Any] | None) -> str:
    """The unit's result in the cycle before beside this one (``storage.cycles.PreviousResult``)."""
    before = f"📅 上一周期（{esc(previous.cycle, 30)}）：{fmt_points(previous.total)} 分，{esc(previous.grade, 8)}"
    if score is None or score.get("total") is None:
        return before + "；本期尚无得分"
    delta = round(score["total"] - previous.total, 2)
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    grade = (f"，等次 {esc(previous.grade, 8)} → {esc(score['grade'], 8)}" if score["grade"] != previous.grade
             else "，等次不变")
    return before + f"；本期 {fmt_points(score['total'])} 分（{sign}{fmt_points(abs(delta))}）{grade}"


def indicator_change(previous: Any, indicator_id: str, now: float) -> str:
    """" · 上期 8（+1）" after an indicator's points, when the cycle before scored it."""
    if previous is None or indicator_id not in previous.indicators:
        return ""
    before = previous.indicators[indicator_id]
    delta = round(now - before, 2)
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    return f" · 上期 {fmt_points(before)}（{sign}{fmt_points(abs(delta))}）"


def composition_line(score: Mapping[str, Any], rules: ScoringRules | None) -> str | None:
    """How the total is made up, when it is more than the indicators' points (social
    evaluation, bonus, deduction): otherwise the indicator lines above add up to it."""
    social_weight = score.get("social_weight") or 0
    bonus, deduction = score.get("bonus") or 0, score.get("deduction") or 0
    if not (social_weight or bonus or deduction):
        return None
    parts = [f"指标得分 {fmt_points(score.get('indicator_total') or 0)}"]
    if social_weight:
        social = score.get("social")
        name = rules.social_name if rules else "社会评价"
        shown = f"{fmt_points(social)} 分" if social is not None else "未导入"
        parts.append(f"{escape(name)} {shown}（占 {social_weight:.0%}）")
    parts.append(f"{escape(rules.bonus.name if rules else '争优创新')} +{fmt_points(bonus)}")
    parts.append(f"{escape(rules.deduction.name if rules else '违规失职')} −{fmt_points(deduction)}")
    return "总分构成：" + " · ".join(parts)


def score_headline(score: Mapping[str, Any]) -> str:
    if score.get("locked_at"):
        return (f"📊 <b>考核结果（已锁定）：{fmt_points(score['total'])} / {fmt_points(score['full_marks'])}</b>"
                f"（{score['percent']:g}%），等次：<b>{esc(score['grade'], 8)}</b>")
    return (f"📊 <b>初步得分：{fmt_points(score['total'])} / {fmt_points(score['full_marks'])}</b>"
            f"（{score['percent']:g}%），初步等次：<b>{esc(score['grade'], 8)}</b>")


# ---- /status (liaison) -------------------------------------------------------------------


def status_unknown(contact: str) -> str:
    return ("您还没有绑定单位，无法查看提交情况。请发送 <code>/bind 邀请码</code> 绑定本单位后再发送 "
            f"/status。邀请码由考核办发给各单位联络员（联系：{escape(contact)}）。")


def status_staff() -> str:
    return ("/status 供单位联络员查看本单位的提交情况。您可以发送 /overview 查看考核进度总览，"
            "或发送 <code>/unit 单位名称</code> 查看某个单位的详情。")


def status_no_unit(contact: str) -> str:
    return f"没有找到您绑定的单位，请重新发送 <code>/bind 邀请码</code> 或联系考核办（{escape(contact)}）。"


def liaison_status(card: UnitCard, tz: ZoneInfo, now: datetime, rules: ScoringRules | None = None,
                   contact: str = "考核办", seal_required: bool = False) -> str:
    """What a liaison sees for ``/status``: only their own unit."""
    unit = card.unit
    lines = [f"<b>{esc(unit['name'], 40)}</b>（{esc(unit['category'], 10)}）· 本单位提交情况",
             f"截至 {fmt_time(now, tz)}", ""]
    if not unit.get("active", 1):
        lines += [f"⚠️ 本单位不在本期考核单位名单中，如有疑问请联系考核办（{escape(contact)}）。", ""]
    nxt = card.next
    if nxt is None:
        lines.append("截止时间：考核办尚未设定")
    else:
        lines.append(f"<b>截止事项：{esc(nxt.deadline.name, 20)}</b>")
        lines += deadline_lines(nxt, now, tz)
    others = [p for p in card.progress if nxt is not None and p.deadline.name != nxt.deadline.name]
    for p in others[:4]:
        lines.append(f"· {esc(p.deadline.name, 20)}：{fmt_time(p.deadline.due, tz)}，"
                     f"{STATUS_LABELS[p.status(now)]}")

    lines += ["", f"<b>已提交材料（{len(card.submissions)} 份）</b>"]
    if card.submissions:
        lines += file_lines(card.submissions, card.progress, tz, shown=15)
    else:
        lines.append("尚未提交任何材料。")

    lines += ["", "<b>指标覆盖情况</b>"]
    if card.indicators:
        lines += coverage_lines(card.indicators, rules, card.previous)
    else:
        lines.append("尚无材料，上传后即显示各项指标的覆盖情况。")
    if card.score is not None:
        lines += ["", score_headline(card.score)]
        composition = composition_line(card.score, rules)
        if composition:
            lines.append(composition)
        lines.append("（考核办已审核并锁定，发送 /score 查看明细）" if card.score.get("locked_at") else
                     "（初步得分由系统依据所交材料自动计算，仅供参考，以考核办审核结果为准）")
    if card.previous is not None:
        lines.append(previous_line(card.previous, card.score))

    lines += ["", "<b>下一步</b>"]
    lines += _next_steps(card, now, contact)
    if seal_required and card.submissions and not seal_seen(card.submissions):
        lines.append(f"• {SEAL_MISSING}")
    return _fit(lines)


def _next_steps(card: UnitCard, now: datetime, contact: str) -> list[str]:
    if card.score is not None and card.score.get("locked_at"):
        return ["• 考核结果已由考核办审核并锁定，材料不能再上传、替换或撤回。"
                f"如对结果有异议，可在规定时间内发送 /appeal 申请复核，或联系考核办（{escape(contact)}）。"]
    steps = []
    nxt = card.next
    if nxt is not None and not nxt.submitted:
        name = esc(nxt.deadline.name, 20)
        if nxt.status(now) == OVERDUE:
            steps.append(f"• {name}已过截止时间，本单位尚未提交：请尽快直接在本对话中发送自查材料"
                         f"（.docx 或 .pdf），逾期提交会被标记；如确有困难请联系考核办（{escape(contact)}）。")
        else:
            steps.append(f"• 尚未提交（{name}）：直接在本对话中发送自查材料（.docx 或 .pdf）即可，"
                         "可以分多份上传。")
    elif nxt is None and not card.submissions:
        steps.append("• 尚未提交：直接在本对话中发送自查材料（.docx 或 .pdf）即可。")
    missing = _names_with(card.indicators, MISSING)
    thin = _names_with(card.indicators, THIN)
    if missing:
        steps.append(f"• 以下指标在材料中还没有对应内容：{esc('、'.join(missing), 120)}。"
                     "补充后直接发送新文件，得分按本单位全部材料重新计算。")
    if thin:
        steps.append(f"• 以下指标材料较少：{esc('、'.join(thin), 120)}，"
                     "可补充具体做法和成效数据（数量、完成率、同比变化、获奖等）。")
    if card.indicators and not missing and not thin:
        steps.append("• 材料已覆盖全部指标。如有修改可再次上传，得分按全部材料重新计算。")
    if not steps:
        steps.append("• 本单位材料已提交。如有补充可直接发送新文件。")
    return steps


# ---- refusals and /unit replies ------------------------------------------------------------


def staff_only(role: str) -> str:
    """Polite refusal for liaisons and unknown users (also used as a callback alert, ≤ 200)."""
    if role == "liaison":
        return "抱歉，仅考核办和领导可以查看考核进度总览和各单位情况。联络员请发送 /status 查看本单位的提交情况。"
    return "抱歉，仅考核办和领导可以查看考核进度总览和各单位情况。单位联络员请先发送 /bind 邀请码 绑定单位。"


def unit_usage() -> str:
    return ("用法：<code>/unit 单位名称或编号</code>，名称写一部分即可，例如 <code>/unit 司法局</code>。"
            "不清楚名称时可发送 /overview 查看各单位名单。")


def unit_no_match(query: str) -> str:
    return (f"没有找到名称或编号包含“{esc(query, 40)}”的单位。请换个关键词（名称的一部分即可，"
            "如“司法”），或发送 /overview，在“未提交名单”“初步排名”中查看各单位名称。")


def search_screen(units: Sequence[Mapping[str, Any]], query: str, page: int = 1) -> Screen:
    """Several units matched ``/unit <query>``: a page of them with one button each."""
    page, total, items = _page_slice(units, page)
    pageable = cb_search(1, query) is not None
    if not pageable:
        page, total, items = 1, 1, units[:PAGE_SIZE]
    lines = [f"找到 {len(units)} 个名称包含“{esc(query, 30)}”的单位"
             + (f" · 第{page}/{total}页" if total > 1 else "") + "，请点选：", ""]
    back = cb_search(page, query)
    rows: list[tuple[Button, ...]] = []
    for number, unit in enumerate(items, (page - 1) * PAGE_SIZE + 1):
        lines.append(f"{number}. {_unit_label(unit)} · 编号 {esc(unit['id'], 20)}")
        data = cb_unit(unit["id"], back)
        if data:
            rows.append(((f"{number}. {clip(unit['name'], 30)}", data),))
    if not pageable and len(units) > PAGE_SIZE:
        lines += ["", f"只显示前 {PAGE_SIZE} 个，请输入更具体的名称。"]
    if total > 1:
        rows.append(_nav(page, total, lambda p: cb_search(p, query) or NOP))
    return Screen(_fit(lines), tuple(rows))


def _nav(page: int, total: int, data_for) -> tuple[Button, ...]:
    row: list[Button] = []
    if page > 1:
        row.append(("◀ 上一页", data_for(page - 1)))
    row.append((f"第{page}/{total}页", NOP))
    if page < total:
        row.append(("下一页 ▶", data_for(page + 1)))
    return tuple(row)


# ---- /overview summary ---------------------------------------------------------------------


def _missing_sorted(ov: Overview) -> list[Mapping[str, Any]]:
    return sorted(ov.missing, key=lambda u: -len((u.get("missing") or "").split("、")))


def overview_text(ov: Overview, cycle_name: str, tz: ZoneInfo) -> str:
    """The summary: counts per deadline and category, and the first lines of every list."""
    caps = [(24, 10, 5, 10), (16, 8, 3, 8), (10, 5, 3, 5), (6, 3, 2, 3), (3, 0, 0, 0)]
    text = ""
    for tallies, waiting, missing, ranked in caps:
        text = _overview(ov, cycle_name, tz, tallies, waiting, missing, ranked)
        if len(text) <= MESSAGE_LIMIT:
            return text
    return _fit(text.split("\n"))


def _overview(ov: Overview, cycle_name: str, tz: ZoneInfo, tally_cap: int, waiting_cap: int,
              missing_cap: int, rank_cap: int) -> str:
    now = ov.now
    lines = [f"<b>{esc(cycle_name, 40)} · 进度总览</b>",
             f"截至 {fmt_time(now, tz)} · 共 {ov.units} 个单位"]
    # counts per phase, deadline and category, with a total per deadline
    totals: dict[tuple[str, str], list[int]] = {}
    for t in ov.tallies:
        acc = totals.setdefault((t.phase, t.name), [0, 0, 0, 0, 0])
        for i, value in enumerate((t.expected, t.counts[ON_TIME], t.counts[LATE], t.counts[OPEN],
                                   t.counts[OVERDUE])):
            acc[i] += value
    shown = 0
    phase = deadline = None
    for index, t in enumerate(ov.tallies):
        if shown >= tally_cap:
            break
        if t.phase != phase:
            phase = t.phase
            lines += ["", f"<b>{esc(phase, 20)}</b>"]
            deadline = None
        if t.name != deadline:
            deadline = t.name
            lines.append(f"📌 {esc(deadline, 20)}")
        due = min(t.dues)
        extended = "，部分单位已延期" if len(t.dues) > 1 else ""
        waiting = t.counts[OPEN] + t.counts[OVERDUE]
        overdue = f"，其中逾期未交 {t.counts[OVERDUE]}" if t.counts[OVERDUE] else ""
        lines.append(
            f"• {esc(t.category or '全部', 10)}：应交 {t.expected}，已交 {t.submitted}"
            f"（按时 {t.counts[ON_TIME]}，逾期 {t.counts[LATE]}），未交 {waiting}{overdue}")
        lines.append(f"  截止 {fmt_time(due, tz)}（{time_left(due, now)}{extended}）")
        shown += 1
        following = ov.tallies[index + 1] if index + 1 < len(ov.tallies) else None
        if following is None or (following.phase, following.name) != (t.phase, t.name):
            acc = totals[(t.phase, t.name)]
            lines.append(f"  <b>合计</b>：应交 {acc[0]}，已交 {acc[1] + acc[2]}（按时 {acc[1]}，"
                         f"逾期 {acc[2]}），未交 {acc[3] + acc[4]}，其中逾期未交 {acc[4]}")
    if shown < len(ov.tallies):
        lines.append(f"……另有 {len(ov.tallies) - shown} 项分类统计未显示")
    if not ov.tallies:
        lines += ["", "考核办尚未设定截止事项。"]

    # who has not submitted, with their liaisons
    lines += ["", f"<b>尚未提交（{len(ov.not_submitted)}）</b>"]
    if not ov.not_submitted:
        lines.append("✅ 各单位均已提交。")
    for p in ov.not_submitted[:waiting_cap]:
        lines.append(f"• {_unit_label(p)} {STATUS_LABELS[p.status(now)]}"
                     f" — {liaison_names(ov.liaisons.get(p.unit_id, []))}")
    if len(ov.not_submitted) > waiting_cap:
        lines.append(f"……另有 {len(ov.not_submitted) - waiting_cap} 个，点“未提交名单”查看全部")
    if ov.late_submitted:
        lines.append(f"逾期提交：{len(ov.late_submitted)} 个单位")

    # indicator gaps
    missing = _missing_sorted(ov)
    lines += ["", f"<b>指标缺项</b>：{len(missing)} 个单位的材料有指标缺失"]
    for unit in missing[:missing_cap]:
        lines.append(f"• {esc(unit['name'])}：缺 {esc(unit['missing'], 40)}")
    if len(missing) > missing_cap:
        lines.append(f"……另有 {len(missing) - missing_cap} 个，点“指标缺项”查看")

    # ranking
    lines += ["", f"<b>初步排名</b>（{len(ov.ranking)} 个单位已有初步得分"
              + (f"，前 {min(rank_cap, len(ov.ranking))} 名" if ov.ranking and rank_cap else "") + "）"]
    if not ov.ranking:
        lines.append("暂无单位提交材料。")
    for i, unit in enumerate(ov.ranking[:rank_cap], 1):
        lines.append(f"{i}. {esc(unit['name'])} {_score_text(unit)}")

    # near-identical materials of different units
    if ov.copies:
        lines += ["", f"<b>疑似雷同材料</b>：{len(ov.copies)} 对"]
        lines += [f"• {line}" for line in copy_lines(ov.copies)[:missing_cap or 1]]
        if len(ov.copies) > (missing_cap or 1):
            lines.append(f"……另有 {len(ov.copies) - (missing_cap or 1)} 对，见 /unit 单位名 或导出的工作簿")

    # reachability
    lines.append("")
    lines.append(f"<b>无法送达</b>：{len(ov.unreachable)} 名联络员（已屏蔽机器人或账号不可用）；"
                 f"{ov.units_without_liaison} 个单位未绑定联络员")
    lines.append("初步得分和排名由系统依据所交材料自动计算，仅供参考。")
    return "\n".join(lines)


def overview_buttons(ov: Overview) -> tuple[tuple[Button, ...], ...]:
    """The keyboard under the summary: one button per list."""
    def button(kind: str, count: int) -> Button:
        return (f"{LIST_TITLES[kind]}（{count}）", cb_list(kind, 1))

    return (
        (button(NOT_SUBMITTED, len(ov.not_submitted)), button(LATE_LIST, len(ov.late_submitted))),
        (button(MISSING_LIST, len(ov.missing)), button(RANKING, len(ov.ranking))),
        (button(UNREACHABLE, len(ov.unreachable)),),
    )


def overview_screen(ov: Overview, cycle_name: str, tz: ZoneInfo) -> Screen:
    return Screen(overview_text(ov, cycle_name, tz), overview_buttons(ov))


# ---- list pages --------------------------------------------------------------------------


EMPTY_LISTS = {
    NOT_SUBMITTED: "✅ 各单位均已提交。",
    LATE_LIST: "没有逾期提交的单位。",
    MISSING_LIST: "已提交材料的单位都覆盖了全部指标。",
    RANKING: "还没有单位提交材料，暂无排名。",
    UNREACHABLE: "已绑定的联络员都可以送达。",
}


def list_items(ov: Overview, kind: str) -> list[Any]:
    """The items behind one list, in display order."""
    return {
        NOT_SUBMITTED: lambda: ov.not_submitted,
        LATE_LIST: lambda: ov.late_submitted,
        MISSING_LIST: lambda: _missing_sorted(ov),
        RANKING: lambda: ov.ranking,
        UNREACHABLE: lambda: ov.unreachable,
    }[kind]()


def _item_line(ov: Overview, kind: str, number: int, item: Any, tz: ZoneInfo,
               deadline_names: bool) -> tuple[str, str, str]:
    """(text line, unit id, unit name) for one list item."""
    now = ov.now
    if kind == NOT_SUBMITTED:
        p: UnitProgress = item
        which = f"{esc(p.deadline.name, 12)} " if deadline_names else ""
        line = (f"{number}. {_unit_label(p)} {which}{STATUS_LABELS[p.status(now)]}，截止 "
                f"{fmt_time(p.deadline.due, tz)}{'（已延期）' if p.deadline.extended else ''}\n"
                f"   联络员：{liaison_names(ov.liaisons.get(p.unit_id, []), 3)}")
        return line, p.unit_id, p.unit_name
    if kind == LATE_LIST:
        p = item
        which = f"{esc(p.deadline.name, 12)} " if deadline_names else ""
        line = (f"{number}. {_unit_label(p)} {which}首次提交 {fmt_time(p.first_at, tz)}，"
                f"{_late_by(p.first_at, p.deadline.due)}")
        return line, p.unit_id, p.unit_name
    if kind == MISSING_LIST:
        unit = item
        line = f"{number}. {_unit_label(unit)} {_score_text(unit)}\n   缺：{esc(unit['missing'], 80)}"
        return line, unit["id"], unit["name"]
    if kind == RANKING:
        unit = item
        return f"{number}. {_unit_label(unit)} {_score_text(unit)}", unit["id"], unit["name"]
    unit, person = item
    who = person.name or ""
    if person.username:
        who += f" @{person.username}"
    reason = f"（{unreachable_label(person.unreachable_reason)}）"
    line = f"{number}. {_unit_label(unit)} 联络员 {esc(who.strip() or person.telegram_id, 30)}{reason}"
    return line, unit["id"], unit["name"]


def list_screen(ov: Overview, kind: str, page: int, tz: ZoneInfo) -> Screen:
    """One page (10 items) of a list, with a button per unit, page buttons and 返回总览."""
    items = list_items(ov, kind)
    page, total, chunk = _page_slice(items, page)
    lines = [f"<b>{LIST_TITLES[kind]}</b>（共 {len(items)} 项）· 第{page}/{total}页",
             f"截至 {fmt_time(ov.now, tz)}", ""]
    if not items:
        lines.append(EMPTY_LISTS[kind])
    deadline_names = len({t.name for t in ov.tallies}) > 1
    back = cb_list(kind, page)
    rows: list[tuple[Button, ...]] = []
    for number, item in enumerate(chunk, (page - 1) * PAGE_SIZE + 1):
        line, unit_id, name = _item_line(ov, kind, number, item, tz, deadline_names)
        lines.append(line)
        data = cb_unit(unit_id, back)
        if data:
            rows.append(((f"{number}. {clip(name, 30)}", data),))
    if kind in (MISSING_LIST, RANKING) and items:
        lines += ["", "初步得分由系统自动计算，仅供参考。"]
    if total > 1:
        rows.append(_nav(page, total, lambda p: cb_list(kind, p)))
    rows.append((("返回总览", HOME),))
    return Screen(_fit(lines), tuple(rows))


# ---- the office's unit card ------------------------------------------------------------------


def copy_lines(pairs: Sequence[Mapping[str, Any]], unit_id: str | None = None) -> list[str]:
    """Near-identical materials, one line a pair ("《a》与 B单位《b》有 85% 的段落相同")."""
    lines = []
    for c in pairs:
        mine, other = ((c["unit_name"], c["file_name"]), (c["other_unit_name"], c["other_file_name"]))
        if unit_id is not None and c["unit_id"] != unit_id:
            mine, other = other, mine
        lines.append(f"疑似雷同：{esc(mine[0], 20)}《{esc(mine[1], 30)}》与{esc(other[0], 20)}"
                     f"《{esc(other[1], 30)}》有 {c['share']:.0%} 的段落相同（请考核办核实；材料已照常接收）")
    return lines


def unit_card_text(card: UnitCard, tz: ZoneInfo, now: datetime,
                   rules: ScoringRules | None = None, seal_required: bool = False) -> str:
    """Everything about one unit for the office and officials."""
    unit = card.unit
    lines = [f"<b>{esc(unit['name'], 40)}</b>（{esc(unit['category'], 10)}）· 编号 {esc(unit['id'], 20)}"]
    if not unit.get("active", 1):
        lines.append("⚠️ 该单位已停用（不在本期考核单位中）")
    lines.append(f"截至 {fmt_time(now, tz)}")
    lines.append(f"联络员：{liaison_names(card.liaisons, 5)}")
    if unit.get("contacts"):  # the office's list names them: shown until (and after) they bind
        lines.append(f"名单中的联络员：{esc(unit['contacts'], 60)}")

    lines += ["", "<b>截止事项</b>"]
    if not card.progress:
        lines.append("无适用的截止事项。")
    for p in card.progress[:6]:
        lines.append(f"📌 {esc(p.deadline.name, 20)} · {STATUS_LABELS[p.status(now)]}")
        lines += ["  " + line for line in deadline_lines(p, now, tz)]

    lines += ["", f"<b>材料（{len(card.submissions)} 份）</b>"]
    lines += file_lines(card.submissions, card.progress, tz, shown=10) or ["尚未提交材料。"]
    if seal_required and card.submissions and not seal_seen(card.submissions):
        lines.append("🔏 未识别到盖章页或公章印迹（可能尚未报送，或为黑白扫描件，请人工核对）。")
    lines += [f"⚠️ {line}" for line in copy_lines(card.copies, unit["id"])[:5]]

    lines += ["", "<b>指标覆盖</b>"]
    lines += coverage_lines(card.indicators, rules, card.previous) or ["尚无材料，暂无指标覆盖情况。"]
    if card.score is not None:
        rank = (f" · 第{card.rank}名/共{card.ranked}个" if card.rank else "")
        lines += ["", score_headline(card.score) + rank]
        score = card.score
        lines.append(f"基础分 {fmt_points(score['base_total'] or 0)} + 效果分 "
                     f"{fmt_points(score['effect_total'] or 0)} + 争优创新 {fmt_points(score['bonus'] or 0)}"
                     f" − 违规失职 {fmt_points(score['deduction'] or 0)}（初步，仅供参考）")
        if score.get("vetoed"):
            lines.append(f"⛔ 一票否决，等次为不合格：{esc(score.get('veto_reason') or '材料中出现否决情形', 120)}")
    if card.previous is not None:
        lines.append(previous_line(card.previous, card.score))

    lines += ["", "<b>最近的自动提醒</b>"]
    lines += reminder_lines(card.reminders, tz) or ["暂无。"]
    return _fit(lines)


def reminder_lines(rows: Sequence[Mapping[str, Any]], tz: ZoneInfo, shown: int = 5) -> list[str]:
    """The newest ``shown`` ledger rows: kind, time, outcome."""
    lines = []
    for row in rows[:shown]:
        moment = _utc(row.get("sent_at") or row.get("created_at"))
        when = fmt_time(moment, tz) if moment else ""
        status = REMINDER_STATUS.get(row.get("status"), esc(row.get("status"), 10))
        what = KIND_LABELS.get(row.get("kind"), esc(row.get("kind"), 12))
        deadline = f"（{esc(row['deadline_name'], 12)}）" if row.get("deadline_name") else ""
        lines.append(f"• {what}{deadline} · {when} · {status}")
    if len(rows) > shown:
        lines.append(f"（另有 {len(rows) - shown} 条更早的记录）")
    return lines


def unit_card_screen(card: UnitCard, tz: ZoneInfo, now: datetime, rules: ScoringRules | None = None,
                     back: str | None = None, seal_required: bool = False) -> Screen:
    """The unit card with 返回 (to the list page it came from) and 返回总览."""
    row: list[Button] = []
    if back:
        row.append(("◀ 返回", back))
    row.append(("返回总览", HOME))
    return Screen(unit_card_text(card, tz, now, rules, seal_required), (tuple(row),))
