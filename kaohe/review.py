"""The office's review: decisions on a unit's result (indicator scores, add-ons, veto),
revoking them, and locking results (one unit or all), which sends 结果反馈."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kaohe.errors import LOCKED_REVIEW, Refused
from kaohe.results import ScoreView, load_view
from scoring.result import SET_INDICATOR, Result
from scoring.review import BadReview, ReviewAction
from storage.store import ResultLocked


@dataclass(frozen=True)
class LockPlan:
    """What ``/review 全部 锁定`` would do: the units it locks and those it leaves."""

    to_lock: tuple[dict, ...]  # scored, not locked: id, name, liaisons, unruled (add-ons not ruled on)
    already: int  # locked before
    no_score: tuple[str, ...]  # names of units with nothing to lock (no materials, no office score)

    @property
    def liaisons(self) -> int:
        return sum(u["liaisons"] for u in self.to_lock)


@dataclass(frozen=True)
class ReviewOutcome:
    """What one ``/review 单位 …`` did, for the reply: ``kind`` is the action's kind, and
    the fields it needs are set (see ``Review.review``)."""

    kind: str
    view: ScoreView | None = None  # show, lock: the unit's score screen data
    appeal: dict | None = None  # show: the open 复核申请, if any
    adjustments: tuple[dict, ...] = ()  # show without materials; a decision: all of them
    liaisons: int = 0  # lock: who the result goes to; answer: who the answer went to
    done: bool = False  # answer, unlock, revoke: False when there was nothing to do
    revoked: dict | None = None  # revoke: the decision revoked
    result: Result | None = None  # revoke, a decision: the result now


class Review:
    """The review use cases of ``kaohe.services.Services``."""

    # Provided by Services: config, store, scorer, results, cycle, unit_lock().

    def ensure_scored(self, unit: dict) -> None:
        """Give a unit that has no materials a stored (zero) score the office can adjust."""
        if self.store.unit_score(unit["id"]) is None:
            record, _ = self.results.record(unit["id"], self.score_unit(unit))
            self.store.store_score(unit["id"], record, "system", "score_empty", {})

    def decide(self, unit_id: str, kind: str, target: str | None, value: float, reason: str,
               actor: int) -> Result | None:
        """Record an office decision on a unit's result; return the new result.

        On a unit without materials only an indicator score makes a result (the office
        scoring it itself); an add-on or veto is recorded and counts from the first upload
        (None is returned), so a deduction alone does not rank a unit at 0 / 不合格."""
        unit = self.store.unit(unit_id)
        with self.unit_lock(unit_id):
            if kind == SET_INDICATOR:
                self.ensure_scored(unit)
            try:
                self.store.add_adjustment(unit_id, kind, target, value, reason, actor,
                                          lambda db: self.results.rewrite(db, unit_id))
            except ResultLocked:
                raise Refused(LOCKED_REVIEW.format(unit=unit["name"])) from None
        return self.results.current(unit_id)

    def revoke(self, unit_id: str, adjustment_id: int, reason: str, actor: int) -> dict | None:
        """Revoke an office decision; return it (None if there was no such decision)."""
        unit = self.store.unit(unit_id)
        with self.unit_lock(unit_id):
            try:
                return self.store.revoke_adjustment(unit_id, adjustment_id, reason, actor,
                                                    lambda db: self.results.rewrite(db, unit_id))
            except ResultLocked:
                raise Refused(LOCKED_REVIEW.format(unit=unit["name"])) from None

    def lock(self, unit_id: str, actor: int, feedback: Callable[[], str],
             batch: str | None = None, moment: datetime | None = None) -> int | None:
        """Lock the unit's result and queue ``feedback()`` (written from the result as it is
        at that moment) to its liaisons; None if it was already locked.

        Returns how many liaisons the feedback goes to.
        """
        unit = self.store.unit(unit_id)
        with self.unit_lock(unit_id):
            self.ensure_scored(unit)
            recipients = [p["telegram_id"] for p in self.store.liaisons(unit_id)]
            if not self.store.lock_result(unit_id, actor, feedback(), unit["name"], recipients, batch, moment):
                return None
        return len(recipients)

    def unlock(self, unit_id: str, actor: int, reason: str) -> bool:
        """Unlock the unit's result (audited with the reason); False if it was not locked."""
        with self.unit_lock(unit_id):
            return self.store.unlock_result(unit_id, actor, reason)

    def plan_lock_all(self) -> LockPlan:
        """Every active unit with a result not yet locked, for one confirmation by the office.

        Units without a result (no materials, no indicator scored by the office) are left
        out: locking them would fix a 0 / 不合格 nobody decided."""
        to_lock, no_score, already = [], [], 0
        liaisons: dict[str, int] = defaultdict(int)
        for person in self.store.all_liaisons():
            liaisons[person["unit_id"]] += 1
        for unit in self.store.active_units():
            if unit["locked_at"]:
                already += 1
            elif unit["total"] is None:
                no_score.append(unit["name"])
            else:
                result = self.results.current(unit["id"])
                unruled = bool(result.unruled_addons)
                to_lock.append({"id": unit["id"], "name": unit["name"], "liaisons": liaisons[unit["id"]],
                                "unruled": unruled})
        return LockPlan(tuple(to_lock), already, tuple(no_score))

    def lock_many(self, unit_ids: list[str], actor: int, feedback: Callable[[str], str],
                  batch: str, moment: datetime | None = None) -> tuple[list[str], int]:
        """Lock each unit (its own transaction, its own audit entry and 结果反馈, all in
        ``batch`` so the office gets one delivery report); returns the units locked now (not
        those locked meanwhile) and how many liaisons are told."""
        locked, told = [], 0
        for unit_id in unit_ids:
            count = self.lock(unit_id, actor, lambda unit_id=unit_id: feedback(unit_id), batch, moment)
            if count is not None:
                locked.append(unit_id)
                told += count
        return locked, told

    def review_listing(self) -> tuple[list[dict], int, list[dict]]:
        """What ``/review`` alone lists: the active units, how many were scored under other
        rules (recompute), and the open appeals."""
        return self.store.active_units(), len(self.stale_units()), self.store.appeals(True)

    def review(self, unit: dict, action: ReviewAction, actor: int,
               appeal_answer: Callable[[dict], str]) -> ReviewOutcome:
        """Carry out one parsed ``/review`` action on ``unit``: show it, lock (ask first),
        answer its appeal (the message ``appeal_answer(appeal)`` writes), unlock, revoke a
        decision, or record one. ``BadReview`` for an indicator the unit is not assessed on."""
        rules = self.config.scoring
        unit_id = unit["id"]
        if action.kind == "show":
            view = load_view(self.store, rules, unit_id)
            if view is None:
                return ReviewOutcome("show", adjustments=tuple(self.store.adjustments(unit_id)))
            return ReviewOutcome("show", view=view, appeal=self.store.open_appeal(unit_id))
        if action.kind == "lock":
            self.ensure_scored(unit)
            return ReviewOutcome("lock", view=load_view(self.store, rules, unit_id),
                                 liaisons=len(self.store.liaisons(unit_id)))
        if action.kind == "answer":
            answered = self.answer_appeal(unit_id, actor, action.reason, appeal_answer)
            return ReviewOutcome("answer", done=answered is not None, liaisons=answered[1] if answered else 0)
        if action.kind == "unlock":
            return ReviewOutcome("unlock", done=self.unlock(unit_id, actor, action.reason))
        if action.kind == "revoke":
            row = self.revoke(unit_id, int(action.target), action.reason, actor)
            return ReviewOutcome("revoke", done=row is not None, revoked=row,
                                 result=self.results.current(unit_id) if row else None)
        if action.kind == SET_INDICATOR:
            indicator = next(i for i in rules.all_indicators() if i.id == action.target)
            if not indicator.applies_to(unit["category"]):
                raise BadReview(f"“{indicator.name}”不适用于{unit['category']}类单位，{unit['name']}不考核这一项。")
        result = self.decide(unit_id, action.kind, action.target, action.value, action.reason, actor)
        return ReviewOutcome(action.kind, adjustments=tuple(self.store.adjustments(unit_id)), result=result)
