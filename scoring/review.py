"""The grammar of the office's ``/review`` command: what it may decide and within which
bounds (an indicator's points, the add-ons' caps, a reason of at least two characters).
Pure: the words in, a ``ReviewAction`` or a ``BadReview`` with the Chinese explanation out."""

from __future__ import annotations

from dataclasses import dataclass

from scoring.result import BONUS, DEDUCTION, NO_BONUS, NO_DEDUCTION, SET_INDICATOR, VETO
from scoring.rules import Indicator, ScoringRules

MIN_REASON = 2  # characters
MIN_ANSWER = 6  # characters of a 复核 answer


@dataclass(frozen=True)
class ReviewAction:
    kind: str  # a scoring.result kind, or lock / unlock / revoke / show
    target: str | None = None
    value: float = 0.0
    reason: str = ""
    label: str = ""  # what the office named (for the reply)


class BadReview(ValueError):
    """The /review command could not be read; the message says how to write it."""


def parse_review(words: list[str], rules: ScoringRules) -> ReviewAction:
    """The action in ``/review 单位 …`` after the unit name, checked against the rules
    (indicator names, score bounds, add-on caps); ``BadReview`` says how to write it."""
    if not words:
        return ReviewAction("show")
    head, rest = words[0], words[1:]
    reason = " ".join(rest[1:]).strip()
    if head in ("锁定", "lock"):
        return ReviewAction("lock")
    if head in ("解锁", "unlock"):
        return ReviewAction("unlock", reason=_reason(" ".join(rest)))
    if head in ("答复", "复核答复"):
        answer = " ".join(rest).strip()
        if len(answer) < MIN_ANSWER:
            raise BadReview(f"请写复核答复的内容（至少 {MIN_ANSWER} 个字），如 /review 单位 答复 经复核，维持原考核结果，"
                            "理由是……；答复会原文发给该单位联络员并记入审核日志。")
        return ReviewAction("answer", reason=answer)
    if head in ("否决", "不否决"):
        return ReviewAction(VETO, value=1.0 if head == "否决" else 0.0,
                            reason=_reason(" ".join(rest)), label="一票否决")
    if head == "撤销":
        if not rest or not (rest[0].lstrip("#").isascii() and rest[0].lstrip("#").isdigit()) or len(rest[0].lstrip("#")) > 9:
            raise BadReview("请写要撤销的调整编号，如 /review 单位 撤销 3 理由（编号见指标页或加分/扣分页的 #号）。")
        return ReviewAction("revoke", target=rest[0].lstrip("#"), reason=_reason(reason))
    if head in ("加分", "扣分"):
        addon = rules.bonus if head == "加分" else rules.deduction
        if rest and rest[0] in ("无", "0"):
            return ReviewAction(NO_BONUS if head == "加分" else NO_DEDUCTION,
                                reason=_reason(reason), label=addon.name)
        value = _number(rest, f"{head}分值", 0, addon.cap)
        return ReviewAction(BONUS if head == "加分" else DEDUCTION, value=value,
                            reason=_reason(reason), label=addon.name)
    indicator = _indicator(head, rules)
    value = _number(rest, f"“{indicator.name}”的得分", 0, indicator.points)
    return ReviewAction(SET_INDICATOR, target=indicator.id, value=value, reason=_reason(reason),
                        label=indicator.name)


def _reason(text: str) -> str:
    text = text.strip()
    if len(text) < MIN_REASON:
        raise BadReview("请写明理由（至少两个字），理由会记入审核日志并在结果反馈中显示。")
    return text


def _number(words: list[str], what: str, low: float, high: float) -> float:
    try:
        value = float(words[0])
    except (IndexError, ValueError):
        raise BadReview(f"请写{what}（数字，{low:g}–{high:g}）。") from None
    if not low <= value <= high:
        raise BadReview(f"{what}应在 {low:g}–{high:g} 之间，收到的是 {value:g}。")
    return round(value, 2)


def _indicator(name: str, rules: ScoringRules) -> Indicator:
    inds = rules.all_indicators()
    exact = [i for i in inds if name in (i.id, i.name)]
    matches = exact or [i for i in inds if name in i.name]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise BadReview(f"“{name}”对应多个指标：" + "、".join(i.name for i in matches) + "，请写全称。")
    raise BadReview(f"没有名为“{name}”的指标。可写：加分、扣分、否决、撤销、锁定、解锁，或指标名称（"
                    + "、".join(i.name for i in inds) + "）。")
