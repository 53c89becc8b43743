"""Results: the automatic score composed with the office's decisions and the social evaluation.

The glue between ``scoring.result`` (pure rules) and the store. Every stored score goes
through here, so what the liaison sees, what the office reviews and what is exported is
one number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scoring.engine import UnitScore, quote
from scoring.result import AutoIndicator, Decision, Result, compose
from scoring.rules import ScoringRules
from storage.cycles import PreviousResult
from storage.results import stored_score, write_result
from storage.store import ScoreRecord, Store

# Evidence rows of this kind are paragraphs that looked like evidence but did not count.
SET_ASIDE = "set_aside"


def decisions_from(rows: list[dict[str, Any]]) -> list[Decision]:
    """Adjustment rows as ``Decision`` values."""
    return [Decision(id=r["id"], kind=r["kind"], value=r["value"], reason=r["reason"],
                     target=r["target"], by=r["created_by"], at=r["created_at"]) for r in rows]


def result_fields(result: Result, rules: ScoringRules) -> dict[str, Any]:
    """The unit_scores columns a result sets (besides the automatic ones)."""
    return {
        "total": result.total, "percent": result.percent, "grade": result.grade,
        "full_marks": result.full_marks, "bonus": result.bonus, "deduction": result.deduction,
        "vetoed": int(result.vetoed), "indicator_total": result.indicator_total,
        "social": result.social, "social_weight": result.social_weight,
        "decisions": result.decisions, "rules_hash": rules.fingerprint(),
        "veto_reason": result.veto_reason,
    }


def result_from_rows(unit_row: dict[str, Any], indicator_rows: list[dict[str, Any]],
                     decision_rows: list[dict[str, Any]], social_row: dict[str, Any] | None,
                     rules: ScoringRules) -> Result:
    """Recompose a result from stored rows (automatic numbers, decisions, social score)."""
    points = {ind.id: ind.points for ind in rules.all_indicators()}
    autos = [AutoIndicator(r["indicator_id"], r["indicator_name"],
                           points.get(r["indicator_id"], r["base"] + r["effect"]),
                           r["base"], r["effect"]) for r in indicator_rows]
    return compose(autos, unit_row.get("auto_bonus") or 0.0, unit_row.get("auto_deduction") or 0.0,
                   bool(unit_row.get("auto_vetoed")), decisions_from(decision_rows),
                   social_row["score"] if social_row else None, rules,
                   unit_row.get("auto_veto_reason") or "")


def score_record(score: UnitScore) -> ScoreRecord:
    """A ``UnitScore`` as the rows the store keeps (totals, per indicator, evidence)."""
    unit = {
        "total": score.total, "full_marks": score.full_marks, "percent": score.percent,
        "grade": score.grade, "base_total": score.base_total,
        "effect_total": score.effect_total, "bonus": score.bonus,
        "deduction": score.deduction, "vetoed": int(score.vetoed),
        "paragraphs_considered": score.paragraphs_considered,
        "auto_total": score.total, "auto_bonus": score.bonus,
        "auto_deduction": score.deduction, "auto_vetoed": int(score.vetoed),
        "auto_veto_reason": score.veto_reason,
        "indicator_total": round(score.base_total + score.effect_total, 2),
    }
    indicators = []
    evidence = []
    for item in score.indicators:
        ind = item.indicator
        indicators.append({
            "indicator_id": ind.id, "indicator_name": ind.name, "coverage": item.coverage,
            "base": item.base, "effect": item.effect, "evidence_count": len(item.evidence),
            "gaps": "；".join(item.gaps), "final": item.total,
        })
        for rank, ev in enumerate(item.evidence, start=1):
            evidence.append({
                "indicator_id": ind.id, "kind": "base", "paragraph_ref": ev.paragraph.ref,
                "snippet": ev.snippet, "rank": rank,
                "detail": "、".join(ev.keywords),
            })
        for rank, (signal, para) in enumerate(item.signals, start=1):
            evidence.append({
                "indicator_id": ind.id, "kind": "effect", "paragraph_ref": para.ref,
                "snippet": signal.text, "rank": rank, "detail": signal.kind,
            })
    for rank, item in enumerate(score.set_aside, start=1):
        for indicator_id in item.looked_like:
            evidence.append({
                "indicator_id": indicator_id, "kind": SET_ASIDE, "paragraph_ref": item.paragraph.ref,
                "snippet": quote(item.paragraph.text, "", 80), "rank": rank, "detail": item.reason,
            })
    for kind, items in (("bonus", score.bonus_items), ("deduction", score.deduction_items)):
        for rank, add in enumerate(items, start=1):
            evidence.append({
                "indicator_id": f"_{kind}", "kind": "veto" if add.veto else kind,
                "paragraph_ref": add.paragraph.ref, "snippet": add.sentence[:200],
                "rank": rank, "detail": "、".join(add.keywords),
            })
    return ScoreRecord(unit=unit, indicators=indicators, evidence=evidence)


class Results:
    """Composes and stores results for one store under one set of rules."""

    def __init__(self, store: Store, rules: ScoringRules):
        self.store = store
        self.rules = rules

    def compose(self, unit_id: str, score: UnitScore) -> Result:
        """``score`` (automatic) combined with the unit's current decisions and social score."""
        autos = [AutoIndicator(s.indicator.id, s.indicator.name, s.indicator.points, s.base,
                               s.effect) for s in score.indicators]
        social = self.store.social_score(unit_id)
        return compose(autos, score.bonus, score.deduction, score.vetoed,
                       decisions_from(self.store.adjustments(unit_id)),
                       social["score"] if social else None, self.rules, score.veto_reason)

    def record(self, unit_id: str, score: UnitScore) -> tuple[ScoreRecord, Result]:
        """The rows to store for a new automatic score, and the composed result."""
        result = self.compose(unit_id, score)
        record = score_record(score)
        record.unit.update(result_fields(result, self.rules))
        finals = {item.auto.id: item for item in result.indicators}
        for row in record.indicators:
            item = finals[row["indicator_id"]]
            row["final"] = item.final
            row["decided_by"] = item.decision.by if item.decision else None
            row["reason"] = item.decision.reason if item.decision else None
        return record, result

    def rewrite(self, db: Any, unit_id: str) -> dict[str, Any] | None:
        """Inside a transaction: recompose the unit's stored result; return the new score row
        (None when the unit has no score yet)."""
        unit_row, indicators, decisions, social = stored_score(db, unit_id)
        if unit_row is None:
            return None
        result = result_from_rows(unit_row, indicators, decisions, social, self.rules)
        finals = {item.auto.id: (item.final, item.decision.by if item.decision else None,
                                 item.decision.reason if item.decision else None)
                  for item in result.indicators}
        return write_result(db, unit_id, result_fields(result, self.rules), finals)

    def current(self, unit_id: str, social: float | None = None) -> Result | None:
        """The unit's stored result, recomposed (None before anything was scored); with
        ``social``, what it would be with that social score instead (a preview)."""
        unit_row = self.store.unit_score(unit_id)
        if unit_row is None:
            return None
        social_row = {"score": social} if social is not None else self.store.social_score(unit_id)
        return result_from_rows(unit_row, self.store.indicator_scores(unit_id),
                                self.store.adjustments(unit_id), social_row, self.rules)


@dataclass(frozen=True)
class ScoreView:
    """Everything a score screen shows for one unit, read at one moment."""

    unit: dict[str, Any]
    score: dict[str, Any]  # the unit_scores row (the result)
    indicators: list[dict[str, Any]]
    evidence: list[dict[str, Any]]  # rows with file name, location and paragraph text
    decisions: list[dict[str, Any]]
    social: dict[str, Any] | None
    result: Result
    previous: PreviousResult | None = None  # the unit's result in the cycle before

    @property
    def locked(self) -> bool:
        return bool(self.score.get("locked_at"))

    def evidence_for(self, indicator_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.evidence if e["indicator_id"] == indicator_id
                and (kind is None or e["kind"] == kind)]

    def indicator(self, indicator_id: str) -> dict[str, Any] | None:
        return next((r for r in self.indicators if r["indicator_id"] == indicator_id), None)


def load_view(store: Store, rules: ScoringRules, unit_id: str) -> ScoreView | None:
    """The unit's score screen data (None when nothing has been scored yet)."""
    with store.transaction():  # one consistent reading
        unit = store.unit(unit_id)
        score = store.unit_score(unit_id)
        if unit is None or score is None:
            return None
        indicators = store.indicator_scores(unit_id)
        decisions = store.adjustments(unit_id)
        social = store.social_score(unit_id)
        evidence = store.evidence(unit_id)
    result = result_from_rows(score, indicators, decisions, social, rules)
    return ScoreView(unit, score, indicators, evidence, decisions, social, result)
