"""Near-identical materials of different units: paragraph copy keys and the pairs they reveal.

A paragraph's copy key is a hash of its words with punctuation, spacing and figures removed,
so a copy with its figures changed still matches. Two current submissions of different units
whose paragraphs share at least ``SHARE`` of the newer one's keys (and at least
``MIN_PARAGRAPHS`` of them) are recorded as a pair for the office; the upload itself is
accepted as usual.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlite_utils import Database

from storage.clock import utc_iso

_NOT_WORDS = re.compile(r"[\s\W_\d]+", re.UNICODE)
MIN_CHARS = 20  # shorter paragraphs (headings, table cells) are too common to tell
SHARE = 0.6
MIN_PARAGRAPHS = 5
ACTIVE = "s.replaced_by is null and s.withdrawn_at is null"


def copy_key(text: str) -> str | None:
    """The paragraph's key for finding copies (None for a paragraph too short to tell)."""
    words = _NOT_WORDS.sub("", text).lower()
    if len(words) < MIN_CHARS:
        return None
    return hashlib.sha1(words.encode("utf-8")).hexdigest()[:16]


def record_copies(db: Database, submission_id: int, unit_id: str) -> None:
    """Pair the new submission with other units' current ones that share most of its paragraphs."""
    mine = db.execute("select count(distinct copy_key) from paragraphs where submission_id = ? "
                      "and copy_key is not null", [submission_id]).fetchone()[0]
    if mine < MIN_PARAGRAPHS:
        return
    rows = db.execute(
        f"""select s.id, count(distinct p.copy_key) from paragraphs p
            join submissions s on s.id = p.submission_id
            where p.copy_key in (select copy_key from paragraphs where submission_id = ?
                                 and copy_key is not null)
              and s.unit_id != ? and {ACTIVE}
            group by s.id""", [submission_id, unit_id]).fetchall()
    for other_id, shared in rows:
        if shared / mine >= SHARE:
            db["similar_submissions"].insert({"submission_id": submission_id, "other_id": other_id,
                                              "shared": shared, "share": round(shared / mine, 3),
                                              "found_at": utc_iso()}, replace=True)


def copies(db: Database, unit_id: str | None = None) -> list[dict[str, Any]]:
    """Pairs whose two submissions are both current (of active units), newest first; with
    ``unit_id``, only pairs one of whose sides is that unit's."""
    where = "and (a.unit_id = :unit or b.unit_id = :unit)" if unit_id else ""
    return [dict(row) for row in db.query(
        f"""select c.share, c.shared, c.found_at,
                   a.id as submission_id, a.unit_id, ua.name as unit_name, a.file_name,
                   b.id as other_id, b.unit_id as other_unit_id, ub.name as other_unit_name,
                   b.file_name as other_file_name
            from similar_submissions c
            join submissions a on a.id = c.submission_id join units ua on ua.id = a.unit_id
            join submissions b on b.id = c.other_id join units ub on ub.id = b.unit_id
            where a.replaced_by is null and a.withdrawn_at is null
              and b.replaced_by is null and b.withdrawn_at is null
              and ua.active = 1 and ub.active = 1 {where}
            order by c.found_at desc, c.submission_id desc""", {"unit": unit_id})]
