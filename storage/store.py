"""The database: units, people, submissions, paragraphs, scores, evidence and the audit log.

The only module that talks to SQLite. One ``Store`` per process; its methods are safe to
call from worker threads (one connection, one lock). Times are stored as UTC ISO strings.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage.clock import parse_utc, utc_iso
from storage.copies import copies, copy_key, record_copies
from storage.cycle import CycleStore
from storage.cycles import CycleArchive
from storage.files import FileStore
from storage.migrations import migrations
from storage.people import PeopleStore
from storage.regulations import RegulationStore
from storage.results import ResultLocked, ResultStore
from storage.units import UnitStore

DB_NAME = "kaohe.db"
# A submission that counts: not replaced by a newer version, not withdrawn.
ACTIVE = "replaced_by is null and withdrawn_at is null"
__all__ = ["Store", "NewSubmission", "NewParagraph", "ScoreRecord", "StaleVersion", "ResultLocked", "utc_iso",
           "parse_utc"]


class StaleVersion(Exception):
    """The submission a new version was to replace was replaced or withdrawn meanwhile."""


@dataclass
class NewParagraph:
    seq: int
    kind: str
    page: int | None
    idx: int
    location: str
    text: str


@dataclass
class ScoreRecord:
    """A unit's computed score as rows; evidence rows name paragraphs by id or ``("new", seq)``."""

    unit: dict[str, Any]
    indicators: list[dict[str, Any]]
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class NewSubmission:
    unit_id: str
    telegram_id: int
    file_name: str
    file_type: str
    data: bytes
    pages: int | None
    received_at: datetime
    deadline_at: datetime | None
    paragraphs: list[NewParagraph]
    deadline_name: str | None = None
    role: str | None = None  # "seal": a stamped page kept on file, its text not scored
    sealed_pages: tuple[int, ...] = ()

    @property
    def late(self) -> bool:
        return self.deadline_at is not None and self.received_at > self.deadline_at


class Store(CycleStore, RegulationStore, ResultStore, PeopleStore, UnitStore, CycleArchive):
    """The project's SQLite database plus its file store."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._bookkeeping = 0  # this connection's row changes that are not data (updates seen)
        conn = sqlite3.connect(self.directory / DB_NAME, check_same_thread=False)
        self.db = Database(conn)
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.enable_wal()
        # WAL + NORMAL: a commit survives a crash of the process (not of the machine's
        # power) without an fsync each time; the notification ledger commits per message.
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.files = FileStore(self.directory / "files")
        self._lock = threading.RLock()
        with self._lock:
            migrations.apply(self.db)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Hold the lock and run the block in one transaction (all or nothing)."""
        with self._lock, self.db.atomic():
            yield self.db

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.db.query(sql, list(params)))

    def _row(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    # ---- audit ---------------------------------------------------------------------

    def _audit(self, db: Database, actor: object, action: str, unit_id: str | None,
               detail: dict[str, Any]) -> None:
        db["audit_log"].insert({
            "at": utc_iso(), "actor": str(actor), "action": action, "unit_id": unit_id,
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
        })

    def audit(self, actor: object, action: str, unit_id: str | None = None, **detail: Any) -> None:
        """Append one entry to the audit log."""
        with self.transaction() as db:
            self._audit(db, actor, action, unit_id, detail)

    def audit_entries(self, unit_id: str | None = None) -> list[dict[str, Any]]:
        """The audit log, oldest first, optionally for one unit."""
        if unit_id is None:
            return self._rows("select * from audit_log order by id")
        return self._rows("select * from audit_log where unit_id = ? order by id", [unit_id])

    # ---- units and people ------------------------------------------------------------

    def sync_units(self, units: Iterable[dict[str, Any]]) -> list[str]:
        """Make the units table match config (new, renamed, re-coded; ``aliases`` optional);
        return what changed. Once the office has imported a list of units (``storage.units``)
        the database is the list and config's units are left alone."""
        if self.units_imported():
            return []
        units = list(units)
        changes = []
        wanted = {u["id"]: {k: v for k, v in u.items() if k != "aliases"} for u in units}
        aliases = {u["id"]: u["aliases"] for u in units if "aliases" in u}
        with self.transaction() as db:
            existing = {row["id"]: row for row in db["units"].rows}
            # Free invite codes first so two units can swap codes without a conflict.
            for unit_id, row in existing.items():
                new = wanted.get(unit_id)
                if new is None or new["invite_code"] != row["invite_code"]:
                    db.execute("update units set invite_code = ? where id = ?",
                               [f"~{unit_id}", unit_id])
            for unit_id, unit in wanted.items():
                record = {**unit, "active": 1}
                old = existing.get(unit_id)
                if old is None:
                    changes.append(f"新增单位 {unit['name']}")
                elif any(old[k] != record[k] for k in ("name", "category", "invite_code", "active")):
                    changes.append(f"更新单位 {unit['name']}")
                db["units"].upsert(record, pk="id")
            for unit_id, row in existing.items():
                if unit_id not in wanted and row["active"]:
                    db["units"].update(unit_id, {"active": 0})
                    changes.append(f"停用单位 {row['name']}")
            self.sync_config_codes(db, {u: w["invite_code"] for u, w in wanted.items()}, utc_iso())
            self.set_config_aliases(db, aliases)
            if changes:
                self._audit(db, "config", "sync_units", None, {"changes": changes})
        return changes

    def unit(self, unit_id: str) -> dict[str, Any] | None:
        """One unit by id."""
        return self._row("select * from units where id = ?", [unit_id])

    def unit_by_invite_code(self, code: str) -> dict[str, Any] | None:
        """The active unit whose invite code is ``code`` (case-insensitive)."""
        return self._row(
            "select * from units where upper(invite_code) = upper(?) and active = 1", [code.strip()]
        )

    def person(self, telegram_id: int) -> dict[str, Any] | None:
        """A bound liaison by Telegram user id."""
        return self._row("select * from people where telegram_id = ?", [telegram_id])

    def bind_liaison(self, telegram_id: int, name: str, username: str | None,
                     unit_id: str, at: datetime | None = None) -> str | None:
        """Bind a Telegram user to a unit as its liaison; return the unit they left, if any."""
        with self.transaction() as db:
            old = list(db.query("select unit_id from people where telegram_id = ?", [telegram_id]))
            previous = old[0]["unit_id"] if old else None
            db["people"].upsert({
                "telegram_id": telegram_id, "name": name, "username": username,
                "unit_id": unit_id, "role": "liaison", "bound_at": utc_iso(at),
            }, pk="telegram_id")
            self._audit(db, telegram_id, "bind", unit_id,
                        {"name": name, "previous_unit": previous})
        return previous if previous != unit_id else None

    def liaisons(self, unit_id: str) -> list[dict[str, Any]]:
        """The people bound to a unit."""
        return self._rows("select * from people where unit_id = ? order by bound_at", [unit_id])

    # ---- submissions -----------------------------------------------------------------

    def submission_by_hash(self, unit_id: str, sha256: str) -> dict[str, Any] | None:
        """The unit's current (not replaced, not withdrawn) submission of exactly these bytes."""
        return self._row(
            f"select * from submissions where unit_id = ? and sha256 = ? and {ACTIVE}",
            [unit_id, sha256])

    def submissions(self, unit_id: str, include_history: bool = False) -> list[dict[str, Any]]:
        """A unit's current submissions (or every version and withdrawal), oldest first."""
        where = "" if include_history else f" and {ACTIVE}"
        return self._rows(f"select * from submissions where unit_id = ?{where} order by id",
                          [unit_id])

    def submission(self, submission_id: int) -> dict[str, Any] | None:
        """One submission by id."""
        return self._row("select * from submissions where id = ?", [submission_id])

    def current_version(self, unit_id: str, file_name: str) -> dict[str, Any] | None:
        """The unit's current submission with this file name (case and spaces ignored)."""
        return self._row(
            f"""select * from submissions where unit_id = ? and {ACTIVE}
                and lower(trim(file_name)) = lower(trim(?)) order by id desc limit 1""",
            [unit_id, file_name])

    def submission_count(self, unit_id: str) -> int:
        """How many files a unit currently has (replaced and withdrawn ones not counted)."""
        with self._lock:
            return self.db["submissions"].count_where(f"unit_id = ? and {ACTIVE}", [unit_id])

    def unit_paragraphs(self, unit_id: str, without: int | None = None) -> list[dict[str, Any]]:
        """Every paragraph of a unit's current materials, file by file in reading order;
        seal pages (role 'seal') are on file but not material to score.

        ``without``: leave out that submission (the one a new version is about to replace).
        """
        return self._rows(
            """select p.id, p.kind, p.location, p.text, s.file_name, s.id as submission_id
               from paragraphs p join submissions s on s.id = p.submission_id
               where s.unit_id = ? and s.replaced_by is null and s.withdrawn_at is null
                 and s.role is not 'seal' and s.id != ? order by s.id, p.seq""",
            [unit_id, without or -1],
        )

    def record_submission(self, sub: NewSubmission, score: ScoreRecord,
                          replaces: dict[str, Any] | None = None) -> int:
        """Store the file, the submission, its paragraphs and the unit's new score at once.

        ``replaces``: the current submission this one is a new version of. Either everything
        is written or nothing is (a file written for a failed record is removed again).
        Returns the new submission id.
        """
        sha, new_file = self.files.put(sub.data)
        try:
            with self.transaction() as db:
                now = utc_iso()
                if not db["files"].count_where("sha256 = ?", [sha]):
                    db["files"].insert({"sha256": sha, "size": len(sub.data),
                                        "file_type": sub.file_type, "stored_at": now})
                submission_id = db["submissions"].insert({
                    "unit_id": sub.unit_id, "telegram_id": sub.telegram_id, "sha256": sha,
                    "file_name": sub.file_name, "file_type": sub.file_type, "pages": sub.pages,
                    "paragraph_count": len(sub.paragraphs),
                    "chars": sum(len("".join(p.text.split())) for p in sub.paragraphs),  # as the receipt counts
                    "received_at": utc_iso(sub.received_at),
                    "deadline_at": utc_iso(sub.deadline_at) if sub.deadline_at else None,
                    "late": int(sub.late), "deadline_name": sub.deadline_name,
                    "version": (replaces["version"] or 1) + 1 if replaces else 1,
                    "replaces": replaces["id"] if replaces else None,
                    "role": sub.role, "sealed_pages": ",".join(map(str, sub.sealed_pages)) or None,
                }).last_pk
                if replaces:
                    changed = db.execute(
                        f"update submissions set replaced_by = ? where id = ? and {ACTIVE}",
                        [submission_id, replaces["id"]]).rowcount
                    if not changed:
                        raise StaleVersion(replaces["file_name"])
                self._refuse_if_locked(db, sub.unit_id)
                db["paragraphs"].insert_all(
                    ({"submission_id": submission_id, "seq": p.seq, "kind": p.kind,
                      "page": p.page, "idx": p.idx, "location": p.location, "text": p.text,
                      "copy_key": copy_key(p.text)}
                     for p in sub.paragraphs),
                    batch_size=500,
                )
                if sub.role != "seal":  # every unit's cover says much the same
                    record_copies(db, submission_id, sub.unit_id)
                new_ids = {row["seq"]: row["id"] for row in db.query(
                    "select id, seq from paragraphs where submission_id = ?", [submission_id])}
                before = self._score_row(db, sub.unit_id)
                self._write_score(db, sub.unit_id, score, new_ids)
                self._audit(db, sub.telegram_id, "submit", sub.unit_id, {
                    "submission_id": submission_id, "file_name": sub.file_name,
                    "sha256": sha, "late": sub.late,
                    "replaces": replaces["id"] if replaces else None,
                    "version": (replaces["version"] or 1) + 1 if replaces else 1,
                    "before": before, "total": score.unit.get("total"),
                    "grade": score.unit.get("grade"),
                })
        except BaseException:
            if new_file:
                self.files.remove(sha)
            raise
        return submission_id

    def withdraw_submission(self, submission_id: int, actor: object, score: ScoreRecord,
                            at: datetime | None = None) -> bool:
        """Withdraw a current submission and store the unit's new score; False if not current."""
        with self.transaction() as db:
            row = db["submissions"].get(submission_id)
            self._refuse_if_locked(db, row["unit_id"])
            changed = db.execute(
                f"update submissions set withdrawn_at = ?, withdrawn_by = ? where id = ? and {ACTIVE}",
                [utc_iso(at), str(actor), submission_id]).rowcount
            if not changed:
                return False
            # Its earlier versions go with it: the unit no longer has this file at all.
            earlier = row["replaces"]
            while earlier:
                db.execute("update submissions set withdrawn_at = coalesce(withdrawn_at, ?), "
                           "withdrawn_by = coalesce(withdrawn_by, ?) where id = ?",
                           [utc_iso(at), str(actor), earlier])
                earlier = db["submissions"].get(earlier)["replaces"]
            before = self._score_row(db, row["unit_id"])
            self._write_score(db, row["unit_id"], score, {})
            self._audit(db, actor, "withdraw", row["unit_id"], {
                "submission_id": submission_id, "file_name": row["file_name"],
                "version": row["version"], "before": before, "total": score.unit.get("total"),
                "grade": score.unit.get("grade")})
        return True

    @staticmethod
    def _score_row(db: Database, unit_id: str) -> dict[str, Any] | None:
        """The stored total and grade (for the audit log's before/after)."""
        rows = list(db.query("select total, grade from unit_scores where unit_id = ?", [unit_id]))
        return rows[0] if rows else None

    def _write_score(self, db: Database, unit_id: str, score: ScoreRecord,
                     new_ids: dict[int, int]) -> None:
        db.execute("delete from evidence where unit_id = ?", [unit_id])
        db.execute("delete from indicator_scores where unit_id = ?", [unit_id])
        names = {cov: "、".join(r["indicator_name"] for r in score.indicators if r["coverage"] == cov)
                 or None for cov in ("missing", "thin")}
        db["unit_scores"].upsert({**score.unit, **names, "unit_id": unit_id,
                                  "computed_at": utc_iso()}, pk="unit_id")
        db["indicator_scores"].insert_all(
            [{**row, "unit_id": unit_id} for row in score.indicators],
            pk=("unit_id", "indicator_id"),
        )
        rows = []
        for row in score.evidence:
            ref = row["paragraph_ref"]
            paragraph_id = new_ids[ref[1]] if isinstance(ref, tuple) else ref
            rows.append({k: v for k, v in row.items() if k != "paragraph_ref"}
                        | {"unit_id": unit_id, "paragraph_id": paragraph_id})
        if rows:
            db["evidence"].insert_all(rows)

    # ---- uploads in progress ----------------------------------------------------------------

    def start_upload(self, chat_id: int, message_id: int | None, user_id: int, unit_id: str,
                     file_name: str, at: datetime, kind: str = "upload") -> int:
        """Note an upload (or, ``kind`` "export", an export) whose progress message is
        ``message_id``, until ``end_upload``."""
        with self.transaction() as db:
            return db["pending_uploads"].insert({
                "chat_id": chat_id, "message_id": message_id, "user_id": user_id,
                "unit_id": unit_id, "file_name": file_name, "started_at": utc_iso(at),
                "kind": kind}).last_pk

    def upload_message(self, pending_id: int, message_id: int) -> None:
        """The upload's ⏳ message now exists (the answer edits it)."""
        with self.transaction() as db:
            db.execute("update pending_uploads set message_id = ? where id = ?", [message_id, pending_id])

    def end_upload(self, pending_id: int) -> None:
        """The upload was answered (recorded or refused)."""
        with self.transaction() as db:
            db.execute("delete from pending_uploads where id = ?", [pending_id])

    def interrupted_uploads(self, entry: int | None = None) -> list[dict[str, Any]]:
        """Uploads left unanswered by a crash (or only journal ``entry``), each with the
        submission it made, if any."""
        return self._rows(
            """select p.*, (select s.id from submissions s where s.unit_id = p.unit_id
                            and s.telegram_id = p.user_id and s.file_name = p.file_name
                            and s.received_at >= p.started_at order by s.id limit 1) as submission_id
               from pending_uploads p where ? is null or p.id = ? order by p.id""", [entry, entry])

    # ---- scores ------------------------------------------------------------------------

    def unit_score(self, unit_id: str) -> dict[str, Any] | None:
        """A unit's stored total score row."""
        return self._row("select * from unit_scores where unit_id = ?", [unit_id])

    def indicator_scores(self, unit_id: str) -> list[dict[str, Any]]:
        """A unit's stored per-indicator rows."""
        return self._rows("select * from indicator_scores where unit_id = ? order by rowid",
                          [unit_id])

    def similar_materials(self, unit_id: str | None = None) -> list[dict[str, Any]]:
        """Current submissions of different units that are near-identical (for the office)."""
        with self._lock:
            return copies(self.db, unit_id)

    def evidence(self, unit_id: str, indicator_id: str | None = None) -> list[dict[str, Any]]:
        """Stored evidence rows with the file name and location of each paragraph."""
        sql = """select e.*, p.location, p.text, s.file_name from evidence e
                 join paragraphs p on p.id = e.paragraph_id
                 join submissions s on s.id = p.submission_id
                 where e.unit_id = ?"""
        params: list[Any] = [unit_id]
        if indicator_id is not None:
            sql += " and e.indicator_id = ?"
            params.append(indicator_id)
        return self._rows(sql + " order by e.indicator_id, e.rank", params)

    def snapshot_to(self, path: Path) -> None:
        """Copy the database consistently into a new SQLite file (online backup, under the lock)."""
        dest = sqlite3.connect(path)
        try:
            with self._lock:
                self.db.conn.backup(dest)
        finally:
            dest.close()

    def change_stamp(self) -> tuple[int, int]:
        """Differs whenever the database changed: this connection's writes, others' commits."""
        with self._lock:
            return (self.db.conn.total_changes - self._bookkeeping,
                    self.db.execute("pragma data_version").fetchone()[0])

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (for tests, health checks and the office)."""
        with self._lock:
            return {name: self.db[name].count for name in
                    ("units", "people", "files", "submissions", "paragraphs", "evidence",
                     "audit_log")}
