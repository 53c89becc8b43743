"""What the office's exports read: a consistent copy of the database, read row by row.

An export first copies the database with SQLite's online backup (``Store.snapshot_to``,
a few hundred milliseconds under the store's lock), then reads that copy at leisure: the
bot keeps answering while the files are written, and every number in every file comes from
the same moment. Rows are yielded from cursors, never gathered into one big list, so memory
stays flat however many units there are.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage.copies import copies


def text_chars(text: str | None) -> int:
    """Characters of ``text`` that are not whitespace: what the upload receipt counts
    (``parsers.model.ParsedDocument.chars``), paragraph by paragraph."""
    return len("".join(text.split())) if text else 0


class ExportSource:
    """Read-only access to a database snapshot for the exports."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.conn.row_factory = sqlite3.Row
        self.conn.create_function("text_chars", 1, text_chars, deterministic=True)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ExportSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: tuple = ()) -> Iterator[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        try:
            for row in cursor:
                yield dict(row)
        finally:
            # A generator left unfinished is closed later, perhaps after the connection.
            with suppress(sqlite3.ProgrammingError):
                cursor.close()

    def units(self, unit_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Active units in config order with their result, liaisons and submission times."""
        where = "and u.id = ?" if unit_id else ""
        return self._rows(
            f"""select u.id, u.name, u.category, s.total, s.percent, s.grade, s.full_marks,
                       s.indicator_total, s.bonus, s.deduction, s.vetoed, s.social,
                       s.social_weight, s.locked_at, s.locked_by, s.decisions, s.missing, s.thin,
                       s.computed_at,
                       (select group_concat(coalesce(nullif(p.name, ''), '@' || p.username,
                                                     '用户 ' || p.telegram_id), '、')
                        from people p where p.unit_id = u.id) as liaisons,
                       (select min(received_at) from submissions b
                        where b.unit_id = u.id and b.withdrawn_at is null) as first_at,
                       (select max(received_at) from submissions b
                        where b.unit_id = u.id and b.withdrawn_at is null) as last_at,
                       (select count(*) from submissions b where b.unit_id = u.id
                        and b.withdrawn_at is null and b.replaced_by is null) as files,
                       (select max(late) from submissions b where b.unit_id = u.id
                        and b.withdrawn_at is null and b.replaced_by is null) as late
                from units u left join unit_scores s on s.unit_id = u.id
                where u.active = 1 {where} order by u.rowid""",
            (unit_id,) if unit_id else ())

    def indicator_scores(self, unit_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Per unit and indicator: coverage, base, effect, the office's points, final."""
        where = "where i.unit_id = ?" if unit_id else ""
        return self._rows(
            f"""select i.* from indicator_scores i join units u on u.id = i.unit_id
                {where} order by u.rowid, i.rowid""", (unit_id,) if unit_id else ())

    def similar_materials(self) -> list[dict[str, Any]]:
        """Near-identical current submissions of different units."""
        return copies(Database(self.conn))

    def submissions(self) -> Iterator[dict[str, Any]]:
        """Every file and version of active units, with hash, times and state; ``text_chars``
        counts its stored paragraphs' characters as the upload receipt did (whitespace not
        counted), whatever ``chars`` the row was recorded with."""
        return self._rows(
            """select b.*, u.name as unit_name,
                      (select coalesce(sum(text_chars(p.text)), 0) from paragraphs p
                       where p.submission_id = b.id) as text_chars
               from submissions b join units u on u.id = b.unit_id
               where u.active = 1 order by u.rowid, b.id""")

    def evidence(self, unit_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Evidence rows with the file, location and paragraph text they cite."""
        where = "and e.unit_id = ?" if unit_id else ""
        return self._rows(
            f"""select e.*, u.name as unit_name, b.file_name, p.location, p.text
                from evidence e join units u on u.id = e.unit_id
                join paragraphs p on p.id = e.paragraph_id
                join submissions b on b.id = p.submission_id
                where u.active = 1 {where} order by u.rowid, e.indicator_id, e.kind, e.rank""",
            (unit_id,) if unit_id else ())

    def notifications(self, kinds: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Ledger rows of these kinds (the messages to units' liaisons), in the order queued."""
        marks = ",".join("?" * len(kinds))
        return self._rows(
            f"""select n.*, u.name as unit_name from notifications n
                left join units u on u.id = n.unit_id
                where n.kind in ({marks}) order by n.id""", tuple(kinds))

    def adjustments(self, unit_id: str | None = None, by_unit: bool = False) -> Iterator[dict[str, Any]]:
        """The office's decisions, revoked ones included, in the order made (or unit by unit)."""
        where = "where a.unit_id = ?" if unit_id else ""
        order = "u.rowid, a.id" if by_unit else "a.id"
        return self._rows(
            f"""select a.*, u.name as unit_name from adjustments a join units u on u.id = a.unit_id
                {where} order by {order}""", (unit_id,) if unit_id else ())

    def appeals(self) -> Iterator[dict[str, Any]]:
        """复核申请 with their unit's name, in the order made."""
        return self._rows(
            """select a.*, u.name as unit_name from appeals a join units u on u.id = a.unit_id
               order by a.id""", ())

    def people_names(self) -> dict[int, str]:
        """Telegram user id → the name a person is known by: their name (or @username) as
        bound now, else as the audit log recorded it when they were bound or removed (a
        liaison who has left still signed what they signed)."""
        names: dict[int, str] = {}
        with closing(self.conn.execute(
                """select actor, action, detail from audit_log where action in ('bind', 'unbind')
                   order by id""")) as cursor:
            for actor, action, detail in cursor:
                with suppress(KeyError, ValueError, TypeError, AttributeError):
                    data = json.loads(detail or "{}")
                    user = int(data["telegram_id"] if action == "unbind" else actor)
                    name = (data.get("name") or "").strip() or (
                        f"@{data['username']}" if data.get("username") else "")
                    if name:
                        names[user] = name
        with closing(self.conn.execute("select telegram_id, name, username from people")) as cursor:
            for user, name, username in cursor:
                label = (name or "").strip() or (f"@{username}" if username else "")
                if label:
                    names[int(user)] = label
        return names

    def deadlines(self) -> Iterator[dict[str, Any]]:
        """Each deadline's due time per category as it stands now (the office's /deadline
        changes included; '' = every category without a row of its own), earliest first."""
        return self._rows("select name, category, due from deadlines order by due, name, category")

    def progress_times(self) -> Iterator[str]:
        """When each active unit first submitted (one time per unit that has), oldest first."""
        with closing(self.conn.execute(
                """select min(received_at) from submissions b join units u on u.id = b.unit_id
                   where u.active = 1 and b.withdrawn_at is null group by b.unit_id
                   order by 1""")) as cursor:
            for (at,) in cursor:
                yield at

    def counts(self) -> dict[str, int]:
        """Units, scored units and locked results."""
        row = self.conn.execute(
            """select count(*), count(s.unit_id), count(s.locked_at)
               from units u left join unit_scores s on s.unit_id = u.id where u.active = 1""").fetchone()
        return {"units": row[0], "scored": row[1], "locked": row[2]}
