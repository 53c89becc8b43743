"""The intake journal: Telegram updates as they arrive, and which ones were handled.

A database file of its own (``intake.db`` beside ``kaohe.db``) with its own connection and
lock: an update is written here on the event loop before Telegram is told it arrived (the
next poll confirms it), and that must never wait for the main database's writer (an
upload being recorded, a snapshot being taken). Bookkeeping only: nothing here is shown,
exported or backed up.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from storage.clock import utc_iso

INTAKE_NAME = "intake.db"
KEEP_DAYS = 7  # handled update ids are kept this long (Telegram redelivers within a day)


class Intake:
    """Received and handled Telegram updates."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(directory / INTAKE_NAME, check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        with self._lock, self._conn:
            self._conn.execute("pragma journal_mode = wal")
            self._conn.execute("pragma synchronous = normal")
            self._conn.execute("create table if not exists inbox "
                               "(update_id integer primary key, payload text not null, received_at text)")
            self._conn.execute("create table if not exists seen (update_id integer primary key, seen_at text)")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def receive(self, update_id: int, payload: str, at: datetime | None = None) -> None:
        """Journal an update (its JSON) as it arrives, unless it was handled already."""
        with self._lock, self._conn:
            self._conn.execute("insert or ignore into inbox (update_id, payload, received_at) "
                               "select ?, ?, ? where not exists (select 1 from seen where update_id = ?)",
                               [update_id, payload, utc_iso(at), update_id])

    def first_seen(self, update_id: int, at: datetime | None = None) -> bool:
        """Its handling begins: False if it had begun before (a redelivery)."""
        with self._lock, self._conn:
            cursor = self._conn.execute("insert or ignore into seen (update_id, seen_at) values (?, ?)",
                                        [update_id, utc_iso(at)])
            self._conn.execute("delete from inbox where update_id = ?", [update_id])
            if update_id % 1000 == 0:
                cutoff = (at or datetime.now(timezone.utc)) - timedelta(days=KEEP_DAYS)
                self._conn.execute("delete from seen where seen_at < ?", [utc_iso(cutoff)])
            return cursor.rowcount == 1

    def hold(self, update_id: int, payload: str) -> None:
        """Its handling began but will finish later (a photo of an album waits for the rest):
        journalled again as unhandled, so a stop before ``release`` handles it anew."""
        with self._lock, self._conn:
            self._conn.execute("delete from seen where update_id = ?", [update_id])
            self._conn.execute("insert or replace into inbox (update_id, payload, received_at) values (?, ?, ?)",
                               [update_id, payload, utc_iso()])

    def release(self, update_ids: list[int], at: datetime | None = None) -> None:
        """Held updates are handled now (their work is journalled elsewhere)."""
        with self._lock, self._conn:
            self._conn.executemany("delete from inbox where update_id = ?", [[i] for i in update_ids])
            self._conn.executemany("insert or ignore into seen (update_id, seen_at) values (?, ?)",
                                   [[i, utc_iso(at)] for i in update_ids])

    def unhandled(self) -> list[tuple[int, str]]:
        """Updates received whose handling never began (oldest first): (id, JSON)."""
        with self._lock:
            return list(self._conn.execute("select update_id, payload from inbox order by update_id"))
