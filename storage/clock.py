"""UTC timestamps as the database stores them."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_iso(moment: datetime | None = None) -> str:
    """``moment`` (default now) as a UTC ISO-8601 string, to the second."""
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def parse_utc(text: str) -> datetime:
    """Inverse of ``utc_iso``."""
    return datetime.fromisoformat(text)
