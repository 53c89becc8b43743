"""The cycle's moving parts in the database: deadlines, extensions, the notification ledger
and announcements. Mixed into ``Store``; every method holds the store's lock.

The notification ledger is what makes reminders survive restarts: a message is a row with a
unique key before it is sent (``pending``), and becomes ``sent``, ``blocked``, ``failed`` or
``skipped`` after. A key is never inserted twice, so nothing is planned twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from storage.clock import utc_iso

PENDING, SENT, BLOCKED, FAILED, SKIPPED = "pending", "sent", "blocked", "failed", "skipped"


def _now() -> str:
    return utc_iso()


class CycleStore:
    """Deadlines, extensions, reachability, notifications and announcements."""

    # Mixed into ``Store``, which provides db, _lock, transaction, _rows, _row and _audit.

    # ---- deadlines -------------------------------------------------------------------

    def sync_deadlines(self, items: Iterable[dict[str, str]]) -> list[str]:
        """Make the deadlines table follow config; an office change stands until config moves.

        ``items`` have name, phase, category ('' = every category) and due (UTC ISO).
        """
        changes = []
        with self.transaction() as db:
            existing = {(r["name"], r["category"]): r for r in db["deadlines"].rows}
            wanted = {(i["name"], i["category"]): i for i in items}
            for key, item in wanted.items():
                old = existing.get(key)
                if old is None:
                    db["deadlines"].insert({**item, "config_due": item["due"]})
                    changes.append(f"新增截止事项 {item['name']} {item['category'] or '全部类别'}")
                elif old["config_due"] != item["due"] or old["phase"] != item["phase"]:
                    # The file was edited: its value wins over an earlier change in chat.
                    db["deadlines"].update(old["id"], {
                        "phase": item["phase"], "config_due": item["due"], "due": item["due"],
                        "changed_by": None, "changed_at": _now() if old["due"] != item["due"] else
                        old["changed_at"], "reason": "配置文件修改"})
                    changes.append(f"截止时间按配置文件更新 {item['name']} {item['category'] or '全部类别'}")
            for key, old in existing.items():
                if key not in wanted and old["config_due"] is not None:
                    db["deadlines"].delete(old["id"])
                    changes.append(f"删除截止事项 {old['name']} {old['category'] or '全部类别'}")
            if changes:
                self._audit(db, "config", "sync_deadlines", None, {"changes": changes})
        return changes

    def deadline_rows(self) -> list[dict[str, Any]]:
        """Every deadline row (one per name and category; '' = the default for all)."""
        return self._rows("select * from deadlines order by due, name, category")

    def set_deadline(self, name: str, category: str | None, due: str, actor: object,
                     reason: str = "") -> list[dict[str, Any]]:
        """Move deadline ``name`` for one category (or every row of it); return the old rows."""
        with self.transaction() as db:
            rows = list(db.query("select * from deadlines where name = ?", [name]))
            if not rows:
                raise KeyError(name)
            now = _now()
            change = {"due": due, "changed_by": str(actor), "changed_at": now, "reason": reason}
            if category is None:
                targets = rows
                for row in rows:
                    db["deadlines"].update(row["id"], change)
            else:
                targets = [r for r in rows if r["category"] == category]
                if targets:
                    db["deadlines"].update(targets[0]["id"], change)
                else:
                    db["deadlines"].insert({"name": name, "phase": rows[0]["phase"],
                                            "category": category, "config_due": None, **change})
            self._audit(db, actor, "set_deadline", None, {
                "name": name, "category": category, "due": due, "reason": reason,
                "before": {r["category"] or "*": r["due"] for r in rows}})
        return targets

    def extensions(self) -> list[dict[str, Any]]:
        """Every unit-specific extension."""
        return self._rows("select * from extensions order by unit_id, name")

    def grant_extension(self, unit_id: str, name: str, due: str, actor: object,
                        reason: str = "") -> dict[str, Any] | None:
        """Give one unit its own due time for deadline ``name``; return the one it replaces."""
        with self.transaction() as db:
            old = list(db.query("select * from extensions where unit_id = ? and name = ?",
                                [unit_id, name]))
            db["extensions"].upsert({"unit_id": unit_id, "name": name, "due": due,
                                     "granted_by": str(actor), "granted_at": _now(),
                                     "reason": reason}, pk=("unit_id", "name"))
            self._audit(db, actor, "extend", unit_id, {
                "name": name, "due": due, "reason": reason,
                "before": old[0]["due"] if old else None})
        return old[0] if old else None

    # ---- submissions per deadline ----------------------------------------------------

    def submission_summary(self, unit_id: str | None = None) -> list[dict[str, Any]]:
        """First and last receipt time and file count per unit and deadline."""
        # Withdrawn files do not count; a replaced version still shows when the unit submitted.
        where, params = (("where withdrawn_at is null and unit_id = ?", [unit_id]) if unit_id
                         else ("where withdrawn_at is null", []))
        return self._rows(
            f"""select unit_id, deadline_name, min(received_at) as first_at,
                       max(received_at) as last_at, sum(replaced_by is null) as files
                from submissions {where} group by unit_id, deadline_name""", params)

    def has_submitted(self, unit_id: str, deadline_name: str) -> bool:
        """Whether the unit has any file recorded against deadline ``deadline_name``."""
        return self._row("select 1 as x from submissions where unit_id = ? and deadline_name = ? "
                         "and withdrawn_at is null limit 1", [unit_id, deadline_name]) is not None

    def unit_list(self) -> list[dict[str, Any]]:
        """Active units: id, name, category (config order)."""
        return self._rows("select id, name, category from units where active = 1 order by rowid")

    def active_units(self) -> list[dict[str, Any]]:
        """Active units with their stored score and the names of missing / thin indicators."""
        return self._rows(
            """select u.id, u.name, u.category, s.total, s.percent, s.grade, s.full_marks,
                      s.missing, s.thin, s.locked_at, s.vetoed, s.veto_reason
               from units u left join unit_scores s on s.unit_id = u.id
               where u.active = 1 order by u.rowid""")

    # ---- people --------------------------------------------------------------------

    def liaison_rows(self) -> list[tuple]:
        """Every liaison of an active unit as plain tuples (telegram_id, name, username,
        unit_id, unreachable_at, unreachable_reason): /overview reads thousands of them."""
        with self._lock:
            return self.db.execute(
                """select p.telegram_id, p.name, p.username, p.unit_id, p.unreachable_at, p.unreachable_reason
                   from people p join units u on u.id = p.unit_id
                   where p.role = 'liaison' and u.active = 1 order by p.bound_at""").fetchall()

    def all_liaisons(self) -> list[dict[str, Any]]:
        """Every liaison of an active unit."""
        return self._rows(
            """select p.telegram_id, p.name, p.username, p.unit_id, p.bound_at, p.unreachable_at,
                      p.unreachable_reason
               from people p join units u on u.id = p.unit_id
               where p.role = 'liaison' and u.active = 1 order by p.bound_at""")

    def mark_unreachable(self, telegram_id: int, reason: str) -> None:
        """The user blocked the bot (or the chat is gone): stop sending, show the office."""
        with self.transaction() as db:
            db.execute("update people set unreachable_at = ?, unreachable_reason = ? "
                       "where telegram_id = ?", [_now(), reason, telegram_id])

    def mark_reachable(self, telegram_id: int) -> bool:
        """The user wrote to the bot again; return whether they had been unreachable."""
        with self.transaction() as db:
            cursor = db.execute("update people set unreachable_at = null, unreachable_reason = null "
                                "where telegram_id = ? and unreachable_at is not null", [telegram_id])
            return cursor.rowcount > 0

    # ---- notification ledger -----------------------------------------------------------

    def notification_keys(self) -> set[str]:
        """Every key in the ledger (what was planned, whatever became of it)."""
        with self._lock:
            return {row[0] for row in self.db.execute("select key from notifications")}

    def add_notifications(self, rows: Iterable[dict[str, Any]]) -> int:
        """Insert ledger rows whose key is new (others are ignored); return how many."""
        now = _now()
        rows = [{"attempts": 0, "created_at": now, "updated_at": now, **row} for row in rows]
        if not rows:
            return 0
        with self.transaction() as db:
            before = db["notifications"].count
            db["notifications"].insert_all(rows, ignore=True, batch_size=500)
            return db["notifications"].count - before

    def pending_notifications(self) -> list[dict[str, Any]]:
        """Claimed but not yet confirmed messages, oldest first."""
        return self._rows("select * from notifications where status = 'pending' order by id")

    def finish_notification(self, notification_id: int, status: str,
                            message_id: int | None = None, error: str | None = None) -> None:
        """Record what became of one message."""
        now = _now()
        with self.transaction() as db:
            db["notifications"].update(notification_id, {
                "status": status, "updated_at": now, "message_id": message_id, "error": error,
                "sent_at": now if status == SENT else None})

    def retry_notification(self, notification_id: int, error: str, max_attempts: int) -> bool:
        """Count a failed attempt; the row stays pending until ``max_attempts`` (then failed)."""
        with self.transaction() as db:
            row = db["notifications"].get(notification_id)
            attempts = (row["attempts"] or 0) + 1
            gave_up = attempts >= max_attempts
            db["notifications"].update(notification_id, {
                "attempts": attempts, "error": error, "updated_at": _now(),
                "status": FAILED if gave_up else PENDING})
            return gave_up

    def notifications(self, unit_id: str | None = None, kind: str | None = None,
                      limit: int | None = None) -> list[dict[str, Any]]:
        """Ledger rows, newest first, optionally for one unit or kind."""
        sql, params = "select * from notifications where 1 = 1", []
        if unit_id is not None:
            sql, params = sql + " and unit_id = ?", [*params, unit_id]
        if kind is not None:
            sql, params = sql + " and kind = ?", [*params, kind]
        sql += " order by id desc"
        if limit:
            sql += f" limit {int(limit)}"
        return self._rows(sql, params)

    def notification_counts(self) -> dict[tuple[str, str], int]:
        """How many ledger rows per (kind, status)."""
        return {(r["kind"], r["status"]): r["n"] for r in self._rows(
            "select kind, status, count(*) as n from notifications group by kind, status")}

    # ---- announcements ---------------------------------------------------------------

    def create_announcement(self, kind: str, created_by: int, audience: str,
                            audience_label: str, text: str, payload: dict | None = None) -> int:
        """A draft the office still has to confirm (``payload``: what else confirming does)."""
        with self.transaction() as db:
            return db["announcements"].insert({
                "kind": kind, "created_by": created_by, "created_at": _now(),
                "audience": audience, "audience_label": audience_label, "text": text,
                "payload": json.dumps(payload, ensure_ascii=False) if payload else None,
                "status": "draft", "recipients": 0}).last_pk

    def announcement(self, announcement_id: int) -> dict[str, Any] | None:
        """One announcement."""
        return self._row("select * from announcements where id = ?", [announcement_id])

    def queue_announcement(self, announcement_id: int, recipients: list[tuple[int, str | None]],
                           actor: object, apply: Callable[[], Any] | None = None) -> bool:
        """Confirm a draft: one pending ledger row per recipient, in one transaction.

        ``apply`` runs inside the same transaction (a deadline change and its notice land
        together or not at all). Returns False when it was no longer a draft.
        """
        now = _now()
        with self.transaction() as db:
            row = db["announcements"].get(announcement_id)
            if row["status"] != "draft":
                return False
            if apply is not None:
                apply()
            # Nobody to reach: the office was told so in the reply; no delivery report follows.
            db["announcements"].update(announcement_id, {
                "status": "sending" if recipients else "done", "confirmed_at": now,
                "finished_at": None if recipients else now, "recipients": len(recipients)})
            db["notifications"].insert_all(
                ({"key": f"announce:{announcement_id}:{chat_id}", "kind": row["kind"],
                  "chat_id": chat_id, "unit_id": unit_id, "announcement_id": announcement_id,
                  "status": PENDING, "attempts": 0, "created_at": now, "updated_at": now}
                 for chat_id, unit_id in recipients), ignore=True, batch_size=500)
            self._audit(db, actor, "announce", None, {
                "announcement_id": announcement_id, "kind": row["kind"],
                "audience": row["audience_label"], "recipients": len(recipients)})
        return True

    def cancel_announcement(self, announcement_id: int) -> bool:
        """Drop a draft; False when it was already sent or cancelled."""
        with self.transaction() as db:
            cursor = db.execute("update announcements set status = 'cancelled' "
                                "where id = ? and status = 'draft'", [announcement_id])
            return cursor.rowcount > 0

    def announcements_to_report(self) -> list[dict[str, Any]]:
        """Announcements being sent whose every message has an outcome, with the counts; those
        of a batch only once every announcement of the batch is complete."""
        rows = self._complete_announcements()
        complete = {row["id"] for row in rows}
        waiting = {row["batch"] for row in self._rows(
            "select id, batch from announcements where status = 'sending' and batch is not null")
            if row["id"] not in complete}
        return [row for row in rows if row["batch"] is None or row["batch"] not in waiting]

    def _complete_announcements(self) -> list[dict[str, Any]]:
        return self._rows(
            """select a.*,
                 sum(n.status = 'sent') as sent, sum(n.status = 'blocked') as blocked,
                 sum(n.status = 'failed') as failed, sum(n.status = 'skipped') as skipped
               from announcements a left join notifications n on n.announcement_id = a.id
               where a.status = 'sending' group by a.id
               having sum(n.status = 'pending') = 0 or count(n.id) = 0""")

    def finish_announcement(self, announcement_id: int) -> bool:
        """Mark an announcement reported; False if someone else already did."""
        with self.transaction() as db:
            cursor = db.execute("update announcements set status = 'done', finished_at = ? "
                                "where id = ? and status = 'sending'", [_now(), announcement_id])
            return cursor.rowcount > 0

    def announcement_failures(self, announcement_id: int) -> list[dict[str, Any]]:
        """Recipients an announcement did not reach, with their name and unit."""
        return self._rows(
            """select n.chat_id, n.status, n.error, p.name, u.name as unit_name
               from notifications n left join people p on p.telegram_id = n.chat_id
               left join units u on u.id = n.unit_id
               where n.announcement_id = ? and n.status != 'sent' order by u.rowid""",
            [announcement_id])
