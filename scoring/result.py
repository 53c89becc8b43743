"""A unit's result: the automatic score, the office's decisions and the social evaluation combined.

Pure functions over plain values. The automatic score (``scoring.engine``) is preliminary;
the office overrides an indicator with a recorded reason, enters 争优创新 / 违规失职 items
from its own records (once it has, the items the bot read from the materials no longer
count), rules on a veto, and imports the 社会评价 score that carries
``ScoringRules.social_weight`` of the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scoring.rules import ScoringRules

# Kinds of office decision (the ``kind`` of an adjustment row).
SET_INDICATOR = "indicator"  # target: indicator id; value: the points the office gives
BONUS = "bonus"  # value: points; several add up, capped
DEDUCTION = "deduction"
NO_BONUS = "bonus_none"  # the office found nothing to add: the automatic items stop counting
NO_DEDUCTION = "deduction_none"
VETO = "veto"  # value 1: 一票否决 applies; 0: it does not (overrides words found in materials)


@dataclass(frozen=True)
class Decision:
    """One office decision (an adjustment row that has not been revoked)."""

    id: int
    kind: str
    value: float
    reason: str
    target: str | None = None
    by: str = ""
    at: str = ""


@dataclass(frozen=True)
class AutoIndicator:
    """An indicator's automatic score as stored."""

    id: str
    name: str
    points: float
    base: float
    effect: float

    @property
    def total(self) -> float:
        return round(self.base + self.effect, 2)


@dataclass(frozen=True)
class IndicatorResult:
    auto: AutoIndicator
    final: float
    decision: Decision | None  # the office's override, if any


@dataclass(frozen=True)
class Result:
    indicators: tuple[IndicatorResult, ...]
    indicator_total: float
    full_marks: float
    bonus: float
    deduction: float
    vetoed: bool
    social: float | None  # the imported 0–100 score, None if not imported
    social_weight: float
    total: float
    percent: float
    grade: str
    office_bonus: bool  # the office has ruled on the bonus (automatic items no longer count)
    office_deduction: bool
    office_veto: bool
    notes: tuple[str, ...] = ()
    # Why the result is vetoed (the office's reason, or where the materials report the failure).
    veto_reason: str = ""

    @property
    def unruled_addons(self) -> tuple[str, ...]:
        """The add-ons (``BONUS``, ``DEDUCTION``) that count items found in the materials
        the office has not ruled on yet: locking now would fix unconfirmed points."""
        return tuple(kind for kind, ruled, amount in ((BONUS, self.office_bonus, self.bonus),
                                                      (DEDUCTION, self.office_deduction, self.deduction))
                     if amount and not ruled)

    @property
    def decisions(self) -> int:
        """How many indicators the office set."""
        return sum(1 for item in self.indicators if item.decision is not None)


def compose(indicators: Sequence[AutoIndicator], auto_bonus: float, auto_deduction: float,
            auto_vetoed: bool, decisions: Iterable[Decision], social: float | None,
            rules: ScoringRules, auto_veto_reason: str = "") -> Result:
    """The unit's result from its automatic score, the office's decisions and its social score."""
    decisions = sorted(decisions, key=lambda d: d.id)
    overrides = {d.target: d for d in decisions if d.kind == SET_INDICATOR}  # latest wins
    items = []
    for auto in indicators:
        decision = overrides.get(auto.id)
        final = auto.total if decision is None else max(0.0, min(auto.points, decision.value))
        items.append(IndicatorResult(auto, round(final, 2), decision))
    indicator_total = round(sum(i.final for i in items), 2)
    full_marks = round(sum(a.points for a in indicators), 2)

    bonus, office_bonus = _addon(decisions, BONUS, NO_BONUS, auto_bonus, rules.bonus.cap)
    deduction, office_deduction = _addon(decisions, DEDUCTION, NO_DEDUCTION, auto_deduction,
                                         rules.deduction.cap)
    vetoes = [d for d in decisions if d.kind == VETO]
    vetoed = bool(vetoes[-1].value) if vetoes else auto_vetoed
    veto_reason = "" if not vetoed else (f"考核办核定：{vetoes[-1].reason}" if vetoes else auto_veto_reason)

    notes = []
    weight = rules.social_weight
    if weight and social is not None and full_marks:
        weighted = indicator_total * (1 - weight) + social / 100 * full_marks * weight
    else:
        weighted = indicator_total
        if weight:
            notes.append(f"{rules.social_name}结果尚未导入，暂按指标得分折算（占 {weight:.0%}）")
    total = round(max(0.0, weighted + bonus - deduction), 2)
    percent = round(total / full_marks * 100, 1) if full_marks else 0.0
    return Result(
        indicators=tuple(items), indicator_total=indicator_total, full_marks=full_marks,
        bonus=bonus, deduction=deduction, vetoed=vetoed, social=social, social_weight=weight,
        total=total, percent=percent, grade=rules.grade_for(percent, vetoed),
        office_bonus=office_bonus, office_deduction=office_deduction, office_veto=bool(vetoes),
        notes=tuple(notes), veto_reason=veto_reason,
    )


def _addon(decisions: Sequence[Decision], kind: str, none_kind: str, automatic: float,
           cap: float) -> tuple[float, bool]:
    """The add-on's points: the office's items once it has ruled, else the automatic ones."""
    ruled = [d for d in decisions if d.kind in (kind, none_kind)]
    if not ruled:
        return round(min(cap, automatic), 2), False
    return round(min(cap, sum(d.value for d in ruled if d.kind == kind)), 2), True


@dataclass(frozen=True)
class CoverageChange:
    """What a new version or a withdrawal changed, for the liaison's reply."""

    gained: tuple[str, ...]
    lost: tuple[str, ...]
    still_missing: tuple[str, ...]
    before_total: float | None
    after_total: float
    before_grade: str | None = None
    after_grade: str | None = None

    @property
    def delta(self) -> float | None:
        return None if self.before_total is None else round(self.after_total - self.before_total, 2)


def coverage_change(before: dict[str, str], after: dict[str, str], names: dict[str, str],
                    before_total: float | None, after_total: float, before_grade: str | None = None,
                    after_grade: str | None = None) -> CoverageChange:
    """Compare per-indicator coverage (``covered``/``thin``/``missing``) before and after."""
    def has(cov: dict[str, str], key: str) -> bool:
        return cov.get(key, "missing") != "missing"

    order = list(names)
    return CoverageChange(
        gained=tuple(names[k] for k in order if has(after, k) and not has(before, k)),
        lost=tuple(names[k] for k in order if has(before, k) and not has(after, k)),
        still_missing=tuple(names[k] for k in order if not has(after, k)),
        before_total=before_total, after_total=after_total, before_grade=before_grade,
        after_grade=after_grade,
    )
