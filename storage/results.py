"""The office's side of a result: decisions (adjustments), 社会评价 scores, locking."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from storage.clock import utc_iso


class ResultStore:
    """Mixin for ``Store``: adjustment rows, social scores and the lock on a unit's result.

    Each change writes the unit's recomposed score (``write``) in the same transaction, with
    an audit entry holding the totals before and after.
    """

    def adjustments(self, unit_id: str, include_revoked: bool = False) -> list[dict[str, Any]]:
        """The office's decisions for a unit, oldest first."""
        where = "" if include_revoked else " and revoked_at is null"
        return self._rows(f"select * from adjustments where unit_id = ?{where} order by id",
                          [unit_id])

    def add_adjustment(self, unit_id: str, kind: str, target: str | None, value: float,
                       reason: str, actor: object, write: Callable[[Any], dict]) -> int:
        """Record one decision; ``write(db)`` stores the recomposed score and returns its row."""
        with self.transaction() as db:
            self._refuse_if_locked(db, unit_id)
            before = self._score_row(db, unit_id)
            adjustment_id = db["adjustments"].insert({
                "unit_id": unit_id, "kind": kind, "target": target, "value": value,
                "reason": reason, "created_by": str(actor), "created_at": utc_iso()}).last_pk
            after = write(db)
            self._audit(db, actor, "adjust", unit_id, {
                "adjustment_id": adjustment_id, "kind": kind, "target": target, "value": value,
                "reason": reason, "before": before, "after": _totals(after)})
        return adjustment_id

    def revoke_adjustment(self, unit_id: str, adjustment_id: int, reason: str, actor: object,
                          write: Callable[[Any], dict]) -> dict[str, Any] | None:
        """Revoke one of the unit's decisions; None if there is no such current decision."""
        with self.transaction() as db:
            self._refuse_if_locked(db, unit_id)
            rows = list(db.query("select * from adjustments where id = ? and unit_id = ? "
                                 "and revoked_at is null", [adjustment_id, unit_id]))
            if not rows:
                return None
            before = self._score_row(db, unit_id)
            db["adjustments"].update(adjustment_id, {
                "revoked_at": utc_iso(), "revoked_by": str(actor), "revoke_reason": reason})
            after = write(db)
            self._audit(db, actor, "revoke_adjustment", unit_id, {
                "adjustment_id": adjustment_id, "kind": rows[0]["kind"],
                "target": rows[0]["target"], "reason": reason, "before": before,
                "after": _totals(after)})
        return rows[0]

    def store_score(self, unit_id: str, score: Any, actor: object, action: str,
                    detail: dict[str, Any]) -> None:
        """Replace the unit's stored score (a recompute), auditing the totals before and after."""
        with self.transaction() as db:
            self._refuse_if_locked(db, unit_id)
            before = self._score_row(db, unit_id)
            self._write_score(db, unit_id, score, {})
            self._audit(db, actor, action, unit_id, {
                **detail, "before": before, "after": self._score_row(db, unit_id)})

    def score_hashes(self) -> list[dict[str, Any]]:
        """Each stored score's rules fingerprint and lock."""
        return self._rows("select unit_id, rules_hash, locked_at from unit_scores")

    # ---- 社会评价 -----------------------------------------------------------------------

    def social_score(self, unit_id: str) -> dict[str, Any] | None:
        """The unit's imported social-evaluation score."""
        return self._row("select * from social_scores where unit_id = ?", [unit_id])

    def social_scores(self) -> dict[str, dict[str, Any]]:
        """Every imported social-evaluation score by unit id."""
        return {row["unit_id"]: row for row in self._rows("select * from social_scores")}

    def import_social(self, rows: Iterable[tuple[str, float, int | None]], source: str,
                      actor: object, write: Callable[[Any, str], dict]) -> int:
        """Store (unit id, score, respondents) rows and rescore those units, all or nothing.

        ``write(db, unit_id)`` stores the unit's recomposed score and returns its row.
        """
        rows = list(rows)
        now = utc_iso()
        with self.transaction() as db:
            for unit_id, _, _ in rows:
                self._refuse_if_locked(db, unit_id)
            for unit_id, score, respondents in rows:
                old = list(db.query("select score from social_scores where unit_id = ?", [unit_id]))
                before = self._score_row(db, unit_id)
                db["social_scores"].upsert({
                    "unit_id": unit_id, "score": score, "respondents": respondents,
                    "source": source, "imported_by": str(actor), "imported_at": now},
                    pk="unit_id")
                after = write(db, unit_id)
                self._audit(db, actor, "social_import", unit_id, {
                    "source": source, "score": score, "respondents": respondents,
                    "previous_score": old[0]["score"] if old else None, "before": before,
                    "after": _totals(after)})
        return len(rows)

    # ---- locking --------------------------------------------------------------------

    def lock_result(self, unit_id: str, actor: object, feedback: str, audience_label: str,
                    recipients: list[int], batch: str | None = None, moment: datetime | None = None) -> bool:
        """Lock the unit's result (at ``moment``, default now) and queue its feedback to
        ``recipients``, in one transaction. False when it was already locked (nothing queued).
        """
        now = utc_iso(moment)
        with self.transaction() as db:
            changed = db.execute(
                "update unit_scores set locked_at = ?, locked_by = ? "
                "where unit_id = ? and locked_at is null", [now, str(actor), unit_id]).rowcount
            if not changed:
                return False
            announcement_id = queue_message(db, "result", unit_id, actor, audience_label, feedback,
                                     recipients, now, batch=batch)
            self._audit(db, actor, "lock", unit_id, {
                "result": self._score_row(db, unit_id), "feedback_to": len(recipients),
                "announcement_id": announcement_id})
        return True

    # ---- 复核申请 (appeals) --------------------------------------------------------------

    def open_appeal(self, unit_id: str) -> dict[str, Any] | None:
        """The unit's appeal not yet answered, if any."""
        return self._row("select * from appeals where unit_id = ? and answered_at is null", [unit_id])

    def unit_appeals(self, unit_id: str) -> list[dict[str, Any]]:
        """The unit's appeals, oldest first."""
        return self._rows("select * from appeals where unit_id = ? order by id", [unit_id])

    def appeals(self, open_only: bool = False) -> list[dict[str, Any]]:
        """Appeals with their unit's name, oldest first."""
        where = " where a.answered_at is null" if open_only else ""
        return self._rows("select a.*, u.name as unit_name from appeals a join units u on u.id = a.unit_id"
                          f"{where} order by a.id")

    def add_appeal(self, unit_id: str, by: int, reason: str, answer_due: str, to_office: str,
                   admins: list[int], unit_name: str, moment: datetime | None = None) -> dict[str, Any] | None:
        """Record a unit's appeal (made at ``moment``) and queue ``to_office`` to the admins, in
        one transaction; None when the unit already has one open."""
        now = utc_iso(moment)
        with self.transaction() as db:
            if list(db.query("select 1 from appeals where unit_id = ? and answered_at is null", [unit_id])):
                return None
            appeal_id = db["appeals"].insert({
                "unit_id": unit_id, "submitted_by": by, "reason": reason, "created_at": now,
                "answer_due": answer_due}).last_pk
            # Nobody needs a delivery report of this one: it is born reported.
            queue_message(db, "appeal", unit_id, by, unit_name, to_office, admins, now, report=False,
                   key=f"appeal:{appeal_id}")
            self._audit(db, by, "appeal", unit_id, {"appeal_id": appeal_id, "reason": reason,
                                                    "answer_due": answer_due})
        return self._row("select * from appeals where id = ?", [appeal_id])

    def answer_appeal(self, unit_id: str, actor: object, answer: str, to_unit: str,
                      recipients: list[int], unit_name: str) -> dict[str, Any] | None:
        """Close the unit's open appeal with ``answer`` and queue ``to_unit`` to its liaisons
        (the office gets the delivery report); None when there is no open appeal."""
        now = utc_iso()
        with self.transaction() as db:
            rows = list(db.query("select * from appeals where unit_id = ? and answered_at is null", [unit_id]))
            if not rows:
                return None
            db["appeals"].update(rows[0]["id"], {"answered_at": now, "answered_by": str(actor), "answer": answer})
            queue_message(db, "appeal_answer", unit_id, actor, unit_name, to_unit, recipients, now,
                   key=f"appeal_answer:{rows[0]['id']}")
            self._audit(db, actor, "appeal_answer", unit_id, {"appeal_id": rows[0]["id"], "answer": answer})
        return {**rows[0], "answered_at": now, "answer": answer}

    def unlock_result(self, unit_id: str, actor: object, reason: str) -> bool:
        """Unlock a locked result (with a reason); False when it was not locked."""
        with self.transaction() as db:
            changed = db.execute(
                "update unit_scores set locked_at = null, locked_by = null "
                "where unit_id = ? and locked_at is not null", [unit_id]).rowcount
            if changed:
                self._audit(db, actor, "unlock", unit_id, {"reason": reason})
        return bool(changed)

    def is_locked(self, unit_id: str) -> bool:
        """Whether the unit's result is locked."""
        return self._row("select 1 as x from unit_scores where unit_id = ? and locked_at is not null",
                         [unit_id]) is not None

    def _refuse_if_locked(self, db: Any, unit_id: str) -> None:
        if list(db.query("select 1 from unit_scores where unit_id = ? and locked_at is not null",
                         [unit_id])):
            raise ResultLocked(unit_id)


class ResultLocked(Exception):
    """The unit's result is locked: nothing may change it until the office unlocks it."""


def queue_message(db: Any, kind: str, unit_id: str, actor: object, audience_label: str, text: str,
           recipients: list[int], now: str, batch: str | None = None, report: bool = True,
           key: str | None = None) -> int:
    """Inside a transaction: an announcement holding ``text`` and one pending ledger row per
    recipient (the outbox sends them; with ``report`` the sender is told how it went)."""
    sending = bool(recipients) and report
    announcement_id = db["announcements"].insert({
        "kind": kind, "created_by": actor, "created_at": now,
        "audience": f"unit:{unit_id}", "audience_label": audience_label, "text": text,
        "status": "sending" if sending else "done", "recipients": len(recipients),
        "confirmed_at": now, "finished_at": None if sending else now, "batch": batch}).last_pk
    db["notifications"].insert_all(
        ({"key": f"{key or kind + ':' + str(announcement_id)}:{chat_id}", "kind": kind,
          "chat_id": chat_id, "unit_id": unit_id, "announcement_id": announcement_id,
          "status": "pending", "attempts": 0, "created_at": now, "updated_at": now}
         for chat_id in recipients), ignore=True)
    return announcement_id


def _totals(row: dict | None) -> dict | None:
    return None if row is None else {"total": row.get("total"), "grade": row.get("grade")}


def stored_score(db: Any, unit_id: str) -> tuple[dict | None, list[dict], list[dict], dict | None]:
    """Inside a transaction: the unit's score row, indicator rows, decisions and social score."""
    unit = list(db.query("select * from unit_scores where unit_id = ?", [unit_id]))
    indicators = list(db.query("select * from indicator_scores where unit_id = ? order by rowid",
                               [unit_id]))
    decisions = list(db.query("select * from adjustments where unit_id = ? and revoked_at is null "
                              "order by id", [unit_id]))
    social = list(db.query("select * from social_scores where unit_id = ?", [unit_id]))
    return (unit[0] if unit else None), indicators, decisions, (social[0] if social else None)


def write_result(db: Any, unit_id: str, unit_fields: dict[str, Any],
                 finals: dict[str, tuple[float, str | None, str | None]]) -> dict[str, Any]:
    """Inside a transaction: store the recomposed result; ``finals``: id → (points, by, reason)."""
    db["unit_scores"].update(unit_id, unit_fields)
    for indicator_id, (final, by, reason) in finals.items():
        db.execute("update indicator_scores set final = ?, decided_by = ?, reason = ? "
                   "where unit_id = ? and indicator_id = ?",
                   [final, by, reason, unit_id, indicator_id])
    return list(db.query("select * from unit_scores where unit_id = ?", [unit_id]))[0]
