"""The Chinese texts of /score, /files and /review (HTML), built from plain values.

Callback data (at most 64 bytes):

- ``sc:<unit>`` a unit's score; ``sc:<unit>:<indicator>`` one indicator's evidence and gaps;
  ``sc:<unit>:_add`` the 争优创新 / 违规失职 items
- ``rv:…`` the same screens for the office's review, with the review buttons;
  ``rv:<unit>:_lock`` asks to lock, ``rv:<unit>:_lockyes`` locks
- ``fl:w:<submission>`` asks to withdraw a file, ``fl:wy:<submission>`` withdraws it,
  ``fl:r:<submission>`` makes the next upload a new version of it
- ``si:yes:<token>`` / ``si:no:<token>`` imports or drops a previewed 社会评价 file
- ``la:yes:<token>`` / ``la:no:<token>`` locks the units a ``/review 全部 锁定`` preview listed
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from kaohe.fmt import fmt_points, fmt_time
from kaohe.results import SET_ASIDE, ScoreView
from kaohe.review import ReviewOutcome
from kaohe.texts.base import COVERAGE_ICONS, change_lines, file_kind
from kaohe.texts.status import Screen, clip, esc, indicator_change, previous_line
from scoring.engine import COVERAGE_LABELS, quote
from scoring.result import (
    BONUS,
    DEDUCTION,
    NO_BONUS,
    NO_DEDUCTION,
    SET_INDICATOR,
    VETO,
    CoverageChange,
    Result,
)
from scoring.review import ReviewAction
from scoring.rules import Indicator, ScoringRules
from storage.store import parse_utc

SCORE, REVIEW, FILES = "sc", "rv", "fl"
ADDONS, LOCK, LOCK_YES = "_add", "_lock", "_lockyes"
KIND_LABELS = {SET_INDICATOR: "核定指标得分", BONUS: "加分", DEDUCTION: "扣分",
               NO_BONUS: "核定无加分", NO_DEDUCTION: "核定无扣分", VETO: "一票否决"}
SHOWN_EVIDENCE = 6
PRELIMINARY_NOTE = "说明：初步得分由系统依据所交材料自动计算，仅供参考，以考核办审核结果为准。"
_SENTENCE = re.compile(r"[^。；！？]*[。；！？]?")


def _lookup(rules: ScoringRules) -> dict[str, Indicator]:
    return {ind.id: ind for ind in rules.all_indicators()}


def _state(view: ScoreView) -> str:
    return "考核结果（已锁定）" if view.locked else "初步得分"


def headline_lines(result: Result, rules: ScoringRules, locked: bool) -> list[str]:
    """Total, grade and how the total is made up."""
    label = "考核结果" if locked else "初步得分"
    grade = "等次" if locked else "初步等次"
    lines = [f"📊 <b>{label}：{fmt_points(result.total)} / {fmt_points(result.full_marks)}</b>"
             f"（{result.percent:g}%），{grade}：<b>{escape(result.grade)}</b>"]
    parts = [f"指标得分 {fmt_points(result.indicator_total)}"]
    if result.social_weight:
        social = (f"{fmt_points(result.social)} 分" if result.social is not None else "未导入")
        parts.append(f"{escape(rules.social_name)} {social}（占 {result.social_weight:.0%}）")
    parts.append(f"{escape(rules.bonus.name)} +{fmt_points(result.bonus)}")
    parts.append(f"{escape(rules.deduction.name)} −{fmt_points(result.deduction)}")
    lines.append(" · ".join(parts))
    if result.vetoed:
        why = escape(result.veto_reason or "材料中出现否决情形")
        lines.append(f"⛔ 一票否决：等次按不合格计。{why}" + ("" if result.office_veto else "（待考核办核实）"))
    lines += [f"ℹ️ {escape(note)}" for note in result.notes]
    if result.decisions:
        lines.append(f"✍️ 考核办已核定 {result.decisions} 项指标得分")
    return lines


def score_screen(view: ScoreView, rules: ScoringRules, mode: str = SCORE) -> Screen:
    """A unit's score per indicator with a button per indicator (``mode``: sc or rv)."""
    lookup = _lookup(rules)
    unit = view.unit
    title = "考核审核" if mode == REVIEW else _state(view)
    lines = [f"<b>{esc(unit['name'], 40)}</b>（{esc(unit['category'], 10)}）· {title}", ""]
    lines += headline_lines(view.result, rules, view.locked)
    if view.previous is not None:
        lines.append(previous_line(view.previous, view.score))
    lines += ["", "<b>各项指标</b>（基础分 + 效果分）"]
    group = None
    buttons: list[tuple[str, str]] = []
    finals = {item.auto.id: item for item in view.result.indicators}
    for row in view.indicators:
        ind = lookup.get(row["indicator_id"])
        item = finals.get(row["indicator_id"])
        if ind is None or item is None:
            continue
        if ind.group_name != group:
            group = ind.group_name
            lines.append(f"【{esc(group, 16)}】")
        core = "（核心）" if ind.core else ""
        office = f" → 考核办核定 <b>{fmt_points(item.final)}</b>" if item.decision else ""
        lines.append(
            f"{COVERAGE_ICONS.get(row['coverage'], '•')} {esc(ind.name, 20)}{core} "
            f"{fmt_points(row['base'] + row['effect'])}/{fmt_points(ind.points)}"
            f"（{fmt_points(row['base'])} + {fmt_points(row['effect'])}）{office}"
            f"{indicator_change(view.previous, ind.id, item.final)}")
        short = clip(ind.name, 8)
        buttons.append((f"{short} {fmt_points(item.final)}", f"{mode}:{unit['id']}:{ind.id}"))
    rows = [tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2)]
    extra = [(f"{rules.bonus.name}/{rules.deduction.name}", f"{mode}:{unit['id']}:{ADDONS}")]
    if mode == REVIEW and not view.locked:
        extra.append(("🔒 锁定结果", f"{mode}:{unit['id']}:{LOCK}"))
    rows.append(tuple(extra))
    lines.append("")
    if mode == REVIEW:
        lines += review_hint(unit["name"], view.locked)
    else:
        lines.append("点击下方按钮查看每项指标的得分依据（文件、位置、原文）和还缺什么。")
        if not view.locked:
            lines.append(PRELIMINARY_NOTE)
    return Screen("\n".join(lines), tuple(rows))


def review_hint(unit_name: str, locked: bool) -> list[str]:
    name = escape(unit_name)
    if locked:
        return ["🔒 该单位结果已锁定并已反馈。如需修改：",
                f"<code>/review {name} 解锁 理由</code>"]
    return ["<b>审核操作</b>（理由必填，全部记入审核日志）：",
            f"• 核定指标：<code>/review {name} 立项督查 22 理由</code>",
            f"• 加分 / 扣分：<code>/review {name} 加分 2 理由</code>、<code>/review {name} 扣分 1 理由</code>",
            f"• 核定无加分或无扣分：<code>/review {name} 加分 无 理由</code>",
            f"• 一票否决：<code>/review {name} 否决 理由</code>（撤销用 <code>不否决</code>）",
            f"• 撤销某条调整：<code>/review {name} 撤销 编号 理由</code>",
            "• 审核完毕后点“锁定结果”，结果将发送给该单位联络员。"]


def _sentence_with(text: str, needle: str) -> str:
    for sentence in _SENTENCE.findall(text):
        if needle and needle in sentence:
            return quote(sentence, needle, 90)
    return quote(text, needle, 90)


def indicator_screen(view: ScoreView, rules: ScoringRules, indicator_id: str,
                     mode: str = SCORE) -> Screen | None:
    """One indicator: its points, each piece of evidence with its place, the office's
    decision, and what is missing."""
    ind = _lookup(rules).get(indicator_id)
    row = view.indicator(indicator_id)
    if ind is None or row is None:
        return None
    item = next(i for i in view.result.indicators if i.auto.id == indicator_id)
    needed = rules.evidence_needed_for(ind)
    signals_needed = rules.signals_needed_for(ind)
    core = "（核心指标）" if ind.core else ""
    lines = [f"<b>{esc(ind.name, 30)}</b>{core} · {esc(ind.group_name, 12)} · {esc(view.unit['name'], 24)}",
             f"{COVERAGE_LABELS.get(row['coverage'], '')}：系统计分 {fmt_points(row['base'] + row['effect'])}"
             f"/{fmt_points(ind.points)}（基础分 {fmt_points(row['base'])}/{fmt_points(ind.base_points)}"
             f" + 效果分 {fmt_points(row['effect'])}/{fmt_points(ind.effect_points)}）"]
    if item.decision is not None:
        d = item.decision
        lines.append(f"✍️ <b>考核办核定：{fmt_points(item.final)} 分</b>（调整 #{d.id}）"
                     f"理由：{esc(d.reason, 200)}")
    base = view.evidence_for(indicator_id, "base")
    # Short or unverifiable paragraphs count as part of one (evidence_chars, vague_weight).
    whole = min(len(base), row["base"] / ind.base_points * needed) if ind.base_points else len(base)
    counted = f"，折合 {whole:.1f} 段完整材料" if len(base) - whole > 0.05 else ""
    lines += ["", f"<b>得分依据</b>（基础分：{len(base)} 段材料{counted}，满分需 {needed} 段）"]
    if not base:
        lines.append("（无）")
    for n, ev in enumerate(base[:SHOWN_EVIDENCE], 1):
        words = f" 〔关键词：{esc(ev['detail'], 40)}〕" if ev.get("detail") else " 〔未对应其他指标的业务工作〕"
        lines.append(f"{n}. 《{esc(ev['file_name'], 30)}》{esc(ev['location'], 16)}："
                     f"“{escape(quote(ev['text'], (ev.get('detail') or '').split('、')[0], 90))}”{words}")
    if len(base) > SHOWN_EVIDENCE:
        lines.append(f"……另有 {len(base) - SHOWN_EVIDENCE} 段")
    effect = view.evidence_for(indicator_id, "effect")
    lines += ["", f"<b>成效数据</b>（效果分：{len(effect)} 项，满分需 {signals_needed} 项）"]
    if not effect:
        lines.append("（无）")
    for ev in effect[:SHOWN_EVIDENCE]:
        lines.append(f"• {esc(ev['detail'], 8)}：<b>{esc(ev['snippet'], 40)}</b> —— 《{esc(ev['file_name'], 30)}》"
                     f"{esc(ev['location'], 16)}：“{escape(_sentence_with(ev['text'], ev['snippet']))}”")
    gaps = [g for g in (row.get("gaps") or "").split("；") if g]
    lines += ["", "<b>还缺什么</b>"]
    lines += [f"• {esc(g, 200)}" for g in gaps] or ["• 该项已得满分，无需补充。"]
    aside = view.evidence_for(indicator_id, SET_ASIDE)
    if aside:
        lines += ["", f"<b>未计入的段落</b>（看似与本项有关，{len(aside)} 段）"]
        for ev in aside[:SHOWN_EVIDENCE]:
            lines.append(f"• 《{esc(ev['file_name'], 30)}》{esc(ev['location'], 16)}："
                         f"“{escape(quote(ev['text'], '', 50))}” —— {esc(ev['detail'], 40)}")
    nav = _neighbours(view, indicator_id)
    buttons = [(("◀ 上一项", f"{mode}:{view.unit['id']}:{nav[0]}"),) if nav[0] else (),
               (("下一项 ▶", f"{mode}:{view.unit['id']}:{nav[1]}"),) if nav[1] else ()]
    row_nav = tuple(b for group in buttons for b in group)
    rows = [row_nav] if row_nav else []
    rows.append((("↩ 返回总分", f"{mode}:{view.unit['id']}"),))
    if mode == REVIEW and not view.locked:
        lines += ["", f"核定本项：<code>/review {escape(view.unit['name'])} {escape(ind.name)} 分数 理由</code>"
                      f"（0–{fmt_points(ind.points)}）"]
    return Screen("\n".join(lines), tuple(rows))


def _neighbours(view: ScoreView, indicator_id: str) -> tuple[str | None, str | None]:
    ids = [r["indicator_id"] for r in view.indicators]
    at = ids.index(indicator_id)
    return (ids[at - 1] if at > 0 else None), (ids[at + 1] if at + 1 < len(ids) else None)


def addons_screen(view: ScoreView, rules: ScoringRules, mode: str = SCORE) -> Screen:
    """争优创新 / 违规失职: what the materials suggest, what the office decided, what counts."""
    result = view.result
    lines = [f"<b>{esc(view.unit['name'], 30)}</b> · {escape(rules.bonus.name)}与{escape(rules.deduction.name)}", ""]
    for kind, label, amount, ruled, cap in (
            ("bonus", rules.bonus.name, result.bonus, result.office_bonus, rules.bonus.cap),
            ("deduction", rules.deduction.name, result.deduction, result.office_deduction,
             rules.deduction.cap)):
        sign = "+" if kind == "bonus" else "−"
        source = "按考核办核定" if ruled else "按材料初步识别，待考核办核实"
        lines.append(f"<b>{escape(label)}：{sign}{fmt_points(amount)} 分</b>（上限 {fmt_points(cap)}；{source}）")
        office = [d for d in view.decisions if d["kind"] in ((BONUS, NO_BONUS) if kind == "bonus"
                                                             else (DEDUCTION, NO_DEDUCTION))]
        for d in office:
            value = "无" if d["kind"] in (NO_BONUS, NO_DEDUCTION) else f"{sign}{fmt_points(d['value'])}"
            lines.append(f"  ✍️ #{d['id']} 考核办：{value}，{esc(d['reason'], 120)}")
        found = [e for e in view.evidence if e["indicator_id"] == f"_{kind}"
                 or (kind == "deduction" and e["kind"] == "veto")]
        for e in found[:SHOWN_EVIDENCE]:
            mark = "（不计入，已由考核办核定）" if ruled else ""
            veto = "⛔ 否决情形 " if e["kind"] == "veto" else ""
            lines.append(f"  • {veto}《{esc(e['file_name'], 30)}》{esc(e['location'], 16)}："
                         f"“{esc(e['snippet'], 90)}”{mark}")
        if not office and not found:
            lines.append("  （无）")
        lines.append("")
    vetoes = [d for d in view.decisions if d["kind"] == VETO]
    if vetoes:
        d = vetoes[-1]
        lines.append(f"✍️ #{d['id']} 考核办核定{'适用' if d['value'] else '不适用'}一票否决：{esc(d['reason'], 120)}")
    rows = [(("↩ 返回总分", f"{mode}:{view.unit['id']}"),)]
    if mode == REVIEW and not view.locked:
        lines += review_hint(view.unit["name"], False)[1:6]
    return Screen("\n".join(lines), tuple(rows))


def lock_confirm(view: ScoreView, rules: ScoringRules, liaisons: int) -> Screen:
    lines = [f"确认锁定 <b>{esc(view.unit['name'], 30)}</b> 的考核结果？", ""]
    lines += headline_lines(view.result, rules, True)
    lines += ["", f"锁定后结果将发送给该单位 {liaisons} 名联络员（结果反馈），"
                  "该单位不能再提交、替换或撤回材料，考核办也不能再调整，除非先解锁。"]
    names = {BONUS: rules.bonus.name, DEDUCTION: rules.deduction.name}
    unruled = [names[kind] for kind in view.result.unruled_addons]
    if unruled:
        lines.append(f"⚠️ {'、'.join(map(escape, unruled))}尚未核定，目前按材料初步识别的项目计入；"
                     "如需核定请先用 /review 录入（或写“无”）。")
    if not liaisons:
        lines.append("⚠️ 该单位还没有绑定联络员，结果暂时无人接收。")
    return Screen("\n".join(lines), ((("🔒 确认锁定", f"{REVIEW}:{view.unit['id']}:{LOCK_YES}"),
                                      ("取消", f"{REVIEW}:{view.unit['id']}")),))


LOCK_ALL, LOCK_ALL_YES, LOCK_ALL_NO = "la", "yes", "no"


def lock_all_confirm(plan: Any, rules: ScoringRules, token: str) -> Screen:
    """``/review 全部 锁定``: what one confirmation would lock, and what it leaves."""
    if not plan.to_lock:
        lines = [f"没有可锁定的单位：已锁定 {plan.already} 个。"]
        if plan.no_score:
            lines.append(f"尚无得分的 {len(plan.no_score)} 个单位（未提交材料）不会被锁定："
                         + _names(plan.no_score))
        return Screen("\n".join(lines))
    lines = [f"确认一次锁定 <b>{len(plan.to_lock)}</b> 个单位的考核结果？（已锁定 {plan.already} 个，不受影响）",
             f"锁定后结果反馈将发送给这些单位的 {plan.liaisons} 名联络员；各单位不能再提交、替换或撤回材料，"
             "考核办也不能再调整，除非逐个解锁。每个单位的锁定分别记入审核日志。"]
    unruled = [u["name"] for u in plan.to_lock if u["unruled"]]
    if unruled:
        lines.append(f"⚠️ {len(unruled)} 个单位的{escape(rules.bonus.name)}或{escape(rules.deduction.name)}尚未核定，"
                     "目前按材料初步识别的项目计入：" + _names(unruled))
    alone = [u["name"] for u in plan.to_lock if not u["liaisons"]]
    if alone:
        lines.append(f"⚠️ {len(alone)} 个单位还没有绑定联络员，结果暂时无人接收：" + _names(alone))
    if plan.no_score:
        lines.append(f"不锁定尚无得分的 {len(plan.no_score)} 个单位（未提交材料，考核办也未核定指标）：" + _names(plan.no_score))
    return Screen("\n".join(lines), (((f"🔒 确认锁定 {len(plan.to_lock)} 个单位", f"{LOCK_ALL}:{LOCK_ALL_YES}:{token}"),
                                       ("取消", f"{LOCK_ALL}:{LOCK_ALL_NO}:{token}")),))


def lock_all_done(locked: int, told: int, skipped: int) -> str:
    lines = [f"🔒 已锁定 {locked} 个单位的考核结果。"
             + (f"结果反馈正在发送给 {told} 名联络员，送达情况稍后报告。" if told else "没有需要发送的结果反馈。")]
    if skipped:
        lines.append(f"另有 {skipped} 个单位在确认前已被锁定，未重复锁定。")
    return "\n".join(lines)


def _names(names: Sequence[str], limit: int = 20) -> str:
    shown = "、".join(esc(n, 20) for n in names[:limit])
    return shown + (f" 等 {len(names)} 个" if len(names) > limit else "")


# ---- 复核申请 (appeals) ------------------------------------------------------------------


def appeal_usage(window_end: datetime | None, config: Any, min_chars: int) -> str:
    lines = ["<b>申请复核</b>：对已锁定反馈的考核结果有异议时，发送 <code>/appeal 理由</code>，"
             f"写明对哪些指标、哪项加减分有异议及依据（至少 {min_chars} 个字），考核办会在 "
             f"{config.appeal_answer_working_days} 个工作日内答复。"]
    if not config.appeal_working_days:
        lines = [f"本期不在聊天中受理复核申请，请按规定以书面形式向考核办提出（{esc(config.contact, 60)}）。"]
    elif window_end is None:
        lines.append("本单位的考核结果尚未锁定反馈，暂不能申请复核；可发送 /score 查看每项指标的得分依据。")
    else:
        lines.append(f"受理期限：{fmt_time(window_end - timedelta(minutes=1), config.tz)} 前"
                     f"（结果反馈后 {config.appeal_working_days} 个工作日内）。")
    return "\n".join(lines)


def appeal_received(row: Mapping[str, Any], tz: ZoneInfo) -> str:
    return (f"📨 复核申请已提交（编号 #{row['id']}），已转考核办，并记入审核日志。\n"
            f"考核办应在 {fmt_time(parse_utc(row['answer_due']) - timedelta(minutes=1), tz)} 前答复，"
            "答复会发到这里。证明材料请按考核办要求另行报送。")


def appeal_to_office(unit_name: str, who: str, reason: str, answer_due: datetime, tz: ZoneInfo) -> str:
    name = escape(unit_name)
    return (f"📨 <b>复核申请</b>：{esc(unit_name, 40)}（联络员 {esc(who, 30)}）\n"
            f"理由：{esc(reason, 1500)}\n\n"
            f"请在 {fmt_time(answer_due - timedelta(minutes=1), tz)} 前答复："
            f"<code>/review {name} 答复 内容</code>（原文发给该单位联络员）。"
            f"需要改分时先 <code>/review {name} 解锁 理由</code>，调整后重新锁定，再答复。")


def appeal_pending(unit_name: str, appeal: Mapping[str, Any], tz: ZoneInfo) -> str:
    return (f"📨 待答复的复核申请 #{appeal['id']}（{fmt_time(parse_utc(appeal['created_at']), tz)} 提出，"
            f"应于 {fmt_time(parse_utc(appeal['answer_due']) - timedelta(minutes=1), tz)} 前答复）："
            f"{esc(appeal['reason'], 300)}\n答复：<code>/review {escape(unit_name)} 答复 内容</code>")


def appeal_answer(unit_name: str, appeal: Mapping[str, Any], cycle_name: str, tz: ZoneInfo) -> str:
    """The office's 复核答复 as sent to the unit's liaisons."""
    return (f"📮 <b>{escape(cycle_name)} · 复核答复</b>\n单位：{esc(unit_name, 40)}\n"
            f"您于 {fmt_time(parse_utc(appeal['created_at']), tz)} 提出的复核申请（#{appeal['id']}）：\n"
            f"{esc(appeal['answer'], 1500)}\n\n发送 /score 查看当前考核结果。")


def appeal_answered(unit_name: str, liaisons: int) -> str:
    tail = (f"答复正在发送给 {liaisons} 名联络员，送达情况稍后报告。" if liaisons
            else "该单位没有绑定联络员，请另行通知。")
    return f"✅ 已答复 {esc(unit_name, 30)} 的复核申请，记入审核日志。{tail}"


def result_feedback(view: ScoreView, rules: ScoringRules, cycle_name: str, appeal_days: int = 0) -> str:
    """The locked result as sent to the unit's liaisons (结果反馈)."""
    lookup = _lookup(rules)
    lines = [f"📣 <b>{escape(cycle_name)} · 结果反馈</b>", f"单位：{esc(view.unit['name'], 40)}", ""]
    lines += headline_lines(view.result, rules, True)
    lines += ["", "<b>各项指标得分</b>"]
    for item in view.result.indicators:
        ind = lookup.get(item.auto.id)
        full = fmt_points(ind.points) if ind else fmt_points(item.auto.points)
        why = f"（考核办核定：{esc(item.decision.reason, 80)}）" if item.decision else ""
        lines.append(f"• {esc(item.auto.name, 20)} {fmt_points(item.final)}/{full}{why}")
    lines += ["", "发送 /score 可查看每项指标的得分依据。"
              + (f"如有异议，可在 {appeal_days} 个工作日内发送 <code>/appeal 理由</code> 申请复核。" if appeal_days
                 else "如有异议，请按规定程序向考核办提出。")]
    return "\n".join(lines)


# ---- replies to office commands ----------------------------------------------------------


def review_usage(units: Sequence[Mapping[str, Any]], stale: int = 0,
                 appeals: Sequence[Mapping[str, Any]] = (), tz: ZoneInfo | None = None) -> str:
    locked = sum(1 for u in units if u.get("locked_at"))
    lines = ["<b>考核审核</b>：发送 <code>/review 单位名称</code> 逐项查看并核定该单位得分。",
             f"共 {len(units)} 个单位，已锁定 {locked} 个。"]
    if appeals and tz is not None:
        lines.append(f"📨 待答复的复核申请 {len(appeals)} 份：" + "、".join(
            f"{esc(a['unit_name'], 16)}（{fmt_time(parse_utc(a['answer_due']) - timedelta(minutes=1), tz)} 前）"
            for a in appeals[:20]) + ("……" if len(appeals) > 20 else ""))
    if stale:
        lines.append(f"⚠️ {stale} 个单位的得分是按修改前的配置计算的。请在服务器上运行 "
                     "<code>python -m bot.manage recompute</code> 重新计算（前后分数记入审核日志）。")
    waiting = [u for u in units if not u.get("locked_at")][:30]
    if waiting:
        lines.append("未锁定：" + "、".join(esc(u["name"], 16) for u in waiting)
                     + ("……" if len(units) - locked > 30 else ""))
    return "\n".join(lines)






def review_bad(reason: str, unit_name: str) -> str:
    return f"⚠️ {reason}\n\n" + "\n".join(review_hint(unit_name, False))


def decision_words(kind: str, what: str, value: str) -> str:
    """An office decision in words: 立项督查 核定为 20 分 · 争优创新 加分 3 分 · 核定无加分 ·
    核定不适用一票否决."""
    if kind == VETO:
        return f"核定{escape(value)}一票否决"
    if kind in (NO_BONUS, NO_DEDUCTION):
        return f"{escape(what)} {KIND_LABELS[kind]}"
    if kind == SET_INDICATOR:
        return f"{escape(what)} 核定为 {escape(value)}"
    return f"{escape(what)} {KIND_LABELS.get(kind, kind)} {escape(value)}"


def decision_done(kind: str, what: str, value: str, reason: str, result: Result | None,
                  rules: ScoringRules, adjustment_hint: str = "") -> str:
    lines = [f"✅ 已记录：{decision_words(kind, what, value)}",
             f"理由：{esc(reason, 200)}{adjustment_hint}", ""]
    if result is None:
        lines.append("该单位尚未提交自查材料，暂无得分：这项调整将在其提交材料后计入。")
    else:
        lines += headline_lines(result, rules, False)
    return "\n".join(lines)


def revoked(row: Mapping[str, Any], result: Result | None, rules: ScoringRules) -> str:
    lines = [f"✅ 已撤销调整 #{row['id']}（{KIND_LABELS.get(row['kind'], row['kind'])}）。"]
    if result is not None:
        lines += [""] + headline_lines(result, rules, False)
    return "\n".join(lines)


def locked_done(unit_name: str, liaisons: int) -> str:
    tail = (f"结果反馈正在发送给 {liaisons} 名联络员，送达情况稍后报告。" if liaisons
            else "该单位没有绑定联络员，结果未能反馈，请另行通知。")
    return f"🔒 已锁定 {esc(unit_name, 30)} 的考核结果。{tail}"


def unlocked_done(unit_name: str) -> str:
    return f"🔓 已解锁 {esc(unit_name, 30)} 的考核结果，现在可以继续调整；调整完毕请重新锁定。"


# ---- /files and versions ------------------------------------------------------------------


def files_screen(current: Sequence[Mapping[str, Any]], history: Sequence[Mapping[str, Any]],
                 tz: ZoneInfo, withdrawable: set[int], deadline: datetime | None) -> Screen:
    """The unit's current files (with 撤回 / 替换 buttons) and earlier versions."""
    lines = [f"<b>本单位当前材料（{len(current)} 份）</b>"]
    rows = []
    for n, sub in enumerate(current, 1):
        received = datetime.fromisoformat(sub["received_at"])
        late = " · ⚠️逾期" if sub.get("late") else ""
        version = f" 第{sub['version']}版" if (sub.get("version") or 1) > 1 else ""
        kind = file_kind(sub)
        lines.append(f"{n}. 《{esc(sub['file_name'], 40)}》{version} · {kind} · "
                     f"{fmt_time(received, tz)}{late}")
        buttons = [(f"替换 {n}", f"{FILES}:r:{sub['id']}")]
        if sub["id"] in withdrawable:
            buttons.append((f"撤回 {n}", f"{FILES}:w:{sub['id']}"))
        rows.append(tuple(buttons))
    if not current:
        lines.append("尚未提交任何材料。")
    old = [s for s in history if s.get("replaced_by") or s.get("withdrawn_at")]
    if old:
        lines += ["", "<b>历史版本</b>（不计分）"]
        for sub in old[-10:]:
            what = "已被新版本替换" if sub.get("replaced_by") else "已撤回"
            lines.append(f"· 《{esc(sub['file_name'], 40)}》第{sub.get('version') or 1}版 · {what}")
    lines += ["", "替换：直接发送同名文件即可生成新版本；文件名不同时，先点“替换”再发送新文件。"]
    if withdrawable:
        until = f"（截止 {fmt_time(deadline, tz)} 前）" if deadline else ""
        lines.append(f"撤回：截止前可撤回{until}，撤回后该文件不再计分。")
    elif current:
        lines.append("已过提交截止时间：不能再撤回；上传的新版本会标记为逾期。")
    return Screen("\n".join(lines), tuple(rows))


def withdraw_confirm(sub: Mapping[str, Any]) -> Screen:
    return Screen(f"确认撤回《{esc(sub['file_name'], 40)}》？撤回后该文件不再计入得分（记录保留在审核日志中）。",
                  ((("确认撤回", f"{FILES}:wy:{sub['id']}"), ("取消", f"{FILES}:l")),))


def withdrawn(name: str, change: CoverageChange, files: int) -> str:
    lines = [f"✅ 已撤回《{esc(name, 40)}》，本单位当前共 {files} 份材料。"]
    lines += change_lines(change)
    return "\n".join(lines)


def replace_armed(name: str) -> str:
    return f"好的，请发送新文件，它将作为《{esc(name, 40)}》的新版本（旧版本不再计分）。"


def files_not_liaison() -> str:
    return "/files 供单位联络员管理本单位材料（查看、替换、撤回）。请先用邀请码绑定单位。"


def review_no_materials(unit_name: str, decisions: Sequence[Mapping[str, Any]] = ()) -> str:
    name = escape(unit_name)
    lines = [f"{esc(unit_name, 30)} 尚未提交材料，暂无系统得分。如需直接核定，可发送 "
             f"<code>/review {name} 指标 分数 理由</code>，或 <code>/review {name} 锁定</code> 锁定当前结果。"]
    current = [d for d in decisions if not d["revoked_at"]]
    if current:
        lines.append("已记录、待其提交材料后计入的调整：")
    for d in current:
        value = {VETO: "：适用" if d["value"] else "：不适用", NO_BONUS: "", NO_DEDUCTION: ""}.get(
            d["kind"], f" {d['value']:g} 分")
        lines.append(f"• #{d['id']} {KIND_LABELS.get(d['kind'], d['kind'])}{value}（理由：{esc(d['reason'], 80)}）")
    return "\n".join(lines)


def score_not_ready(unit_name: str) -> str:
    return (f"{esc(unit_name, 30)} 还没有提交材料，暂无得分。上传自查材料（Word 或 PDF）后即可查看"
            "初步得分和每项指标的得分依据。")


def score_staff_usage() -> str:
    return "请发送 <code>/score 单位名称</code> 查看某个单位的得分和依据（考核办审核请用 /review）。"


SOCIAL_IMPORT, SOCIAL_YES, SOCIAL_NO = "si", "yes", "no"
BIG_SOCIAL_CHANGE = 10.0  # points of the survey score: flagged for a second look


def social_change_lines(plan: Any, limit: int = 15) -> tuple[list[str], int]:
    """Plain lines for the units whose social score the file sets or changes (the largest
    changes first), and how many units it leaves as they are."""
    moved = [c for c in plan.changes if c.previous is None or c.previous != c.score]
    same = len(plan.changes) - len(moved)
    moved.sort(key=lambda c: -(abs(c.score - c.previous) if c.previous is not None else 0.0))
    lines = []
    for c in moved[:limit]:
        score = (f"{c.previous:g} → {c.score:g} 分" if c.previous is not None
                 else f"{c.score:g} 分")
        if c.respondents:
            score += f"（{c.respondents} 份问卷）"
        if c.total_before is None:
            effect = "尚未提交材料，提交后计入总分"
        elif c.total_before == c.total_after:
            effect = f"总分仍为 {c.total_after:g}"
        else:
            effect = f"总分 {fmt_points(c.total_before)} → {fmt_points(c.total_after)}"
        big = c.previous is not None and abs(c.score - c.previous) >= BIG_SOCIAL_CHANGE
        lines.append(("⚠️ " if big else "") + f"{c.name}：{score}；{effect}" + ("（变化较大，请核对）" if big else ""))
    if len(moved) > limit:
        lines.append(f"……另有 {len(moved) - limit} 个单位")
    return lines, same


def _social_summary(plan: Any, rules: ScoringRules) -> list[str]:
    new = sum(1 for c in plan.changes if c.previous is None)
    changed = sum(1 for c in plan.changes if c.previous is not None and c.previous != c.score)
    lines, same = social_change_lines(plan)
    head = [f"取“{esc(plan.score_column, 20)}”列，共 {plan.units} 个单位：首次导入 {new} 个，"
            f"得分变更 {changed} 个，不变 {same} 个。"]
    if plan.weight:
        head.append(f"{escape(rules.social_name)}占总分 {plan.weight:.0%}（配置项 [scoring.social] weight）。")
    else:
        head.append(f"注意：配置中 [scoring.social] weight = 0，{escape(rules.social_name)}暂不计入总分。")
    head += [f"· {esc(line, 160)}" for line in lines]
    if plan.missing:
        head.append("表中没有以下单位：" + "、".join(esc(n, 20) for n in plan.missing[:20])
                    + ("……" if len(plan.missing) > 20 else ""))
    head += [f"· {esc(note, 120)}" for note in plan.skipped[:5]]
    return head


def social_preview(file_name: str, plan: Any, rules: ScoringRules, token: str) -> Screen:
    """What a survey file would change, before anything is stored, with 确认导入 / 取消."""
    lines = [f"📋 《{esc(file_name, 40)}》{escape(rules.social_name)}结果预览（<b>尚未导入</b>）"]
    lines += _social_summary(plan, rules)
    lines.append("核对无误请点“确认导入”；在此之前任何得分都不会改变。")
    return Screen("\n".join(lines), (((f"确认导入 {plan.units} 个单位", f"{SOCIAL_IMPORT}:{SOCIAL_YES}:{token}"),
                                       ("取消", f"{SOCIAL_IMPORT}:{SOCIAL_NO}:{token}")),))


def social_imported(file_name: str, outcome: Any, rules: ScoringRules) -> str:
    """The office's receipt for a survey import."""
    lines = [f"✅ 已导入《{esc(file_name, 40)}》：{outcome.units} 个单位的{escape(rules.social_name)}得分，"
             "已有得分的单位已重新计算，尚未提交材料的单位在提交后计入；均已记入审核日志。"]
    lines += _social_summary(outcome, rules)
    lines.append("重新发送同一单位的结果表会覆盖原得分。")
    return "\n".join(lines)


def review_outcome(unit: dict, action: ReviewAction, outcome: ReviewOutcome, rules: ScoringRules,
                   tz: ZoneInfo) -> str | Screen:
    """The reply to one ``/review 单位 …``."""
    name = unit["name"]
    if outcome.kind == "show":
        if outcome.view is None:
            return review_no_materials(name, list(outcome.adjustments))
        screen = score_screen(outcome.view, rules, REVIEW)
        if outcome.appeal is None:
            return screen
        return Screen(appeal_pending(name, outcome.appeal, tz) + "\n\n" + screen.text, screen.buttons)
    if outcome.kind == "lock":
        if outcome.view.locked:
            return "该单位结果已锁定。" + "\n".join(review_hint(name, True))
        return lock_confirm(outcome.view, rules, outcome.liaisons)
    if outcome.kind == "answer":
        return appeal_answered(name, outcome.liaisons) if outcome.done else f"{name} 目前没有待答复的复核申请。"
    if outcome.kind == "unlock":
        return unlocked_done(name) if outcome.done else "该单位结果尚未锁定，无需解锁。"
    if outcome.kind == "revoke":
        if not outcome.done:
            return f"没有找到 {name} 的调整 #{action.target}（或已撤销）。"
        return revoked(outcome.revoked, outcome.result, rules)
    last = outcome.adjustments[-1]["id"]
    hint = f"（调整 #{last}，撤销用 /review {name} 撤销 {last} 理由）"
    value = {VETO: "适用" if action.value else "不适用", NO_BONUS: "无", NO_DEDUCTION: "无"}.get(
        action.kind, f"{action.value:g} 分")
    return decision_done(action.kind, action.label, value, action.reason, outcome.result, rules, hint)
