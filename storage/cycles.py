"""Cycles: the database of a finished cycle is kept, frozen, in ``cycles/<year>/`` beside the
current one, and the current database starts the next cycle with what carries over.

Carried over: units and their aliases, liaisons, invite codes, regulations, curated answers,
question examples, the stored sentence vectors, settings and the stored files themselves
(content-addressed, shared by every cycle). Everything of the cycle's own work starts empty:
materials, scores, evidence, decisions, survey scores, appeals, reminders and
announcements, deadlines (re-read from the new config), extensions, the audit log (the
archive keeps the old one; the new log starts with the cycle's start).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.clock import utc_iso

ARCHIVE_DIR = "cycles"
ARCHIVE_DB = "kaohe.db"
ARCHIVE_CONFIG = "config.toml"
PREVIOUS = "previous_cycle"  # setting: the archived cycle's folder name (its year)
CYCLE_TABLES = ("evidence", "indicator_scores", "unit_scores", "similar_submissions", "paragraphs",
                "pending_uploads", "submissions", "adjustments", "social_scores", "appeals",
                "notifications", "announcements", "extensions", "deadlines", "audit_log")


def archive_folder(storage_dir: Path, year: int) -> Path:
    return Path(storage_dir) / ARCHIVE_DIR / str(year)


class CycleArchive:
    """Archiving the current cycle and starting the next (mixed into ``storage.store.Store``)."""

    def archive_to(self, folder: Path) -> None:
        """A consistent copy of the database into ``folder`` (which must not exist yet)."""
        folder.mkdir(parents=True)
        self.snapshot_to(folder / ARCHIVE_DB)

    def start_next_cycle(self, previous: str, actor: object, detail: dict[str, Any]) -> dict[str, int]:
        """Empty the cycle's own tables in one transaction; returns the rows removed per table."""
        removed = {}
        with self.transaction() as db:
            for table in CYCLE_TABLES:
                removed[table] = db.execute(f"delete from {table}").rowcount
            db.execute("update people set unreachable_at = null, unreachable_reason = null")
            db["settings"].insert({"key": PREVIOUS, "value": previous}, replace=True)
            self._audit(db, actor, "new_cycle", None, {**detail, "removed": removed, "at": utc_iso()})
        return removed

    def previous_cycle(self) -> str | None:
        """The folder name (year) of the cycle before this one, if one was archived."""
        return self.setting(PREVIOUS)


@dataclass(frozen=True)
class PreviousResult:
    """A unit's result in the cycle before: its total, grade and each indicator's points."""

    cycle: str  # the archived cycle's name
    total: float
    full_marks: float
    grade: str
    locked: bool
    indicators: dict[str, float]  # indicator id -> final points


class PreviousCycle:
    """Read-only access to an archived cycle's results (the archive is never written)."""

    def __init__(self, folder: Path, name: str):
        self.folder = Path(folder)
        self.name = name
        self._results: dict[str, PreviousResult] | None = None

    def _load(self) -> dict[str, PreviousResult]:
        if self._results is None:
            uri = f"file:{self.folder / ARCHIVE_DB}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            try:
                indicators: dict[str, dict[str, float]] = {}
                for row in conn.execute("select unit_id, indicator_id, coalesce(final, base + effect) as points "
                                        "from indicator_scores"):
                    indicators.setdefault(row["unit_id"], {})[row["indicator_id"]] = row["points"]
                self._results = {
                    row["unit_id"]: PreviousResult(self.name, row["total"], row["full_marks"], row["grade"],
                                                   bool(row["locked_at"]), indicators.get(row["unit_id"], {}))
                    for row in conn.execute("select * from unit_scores")}
            finally:
                conn.close()
        return self._results

    def result(self, unit_id: str) -> PreviousResult | None:
        return self._load().get(unit_id)

    def results(self) -> dict[str, PreviousResult]:
        return dict(self._load())
