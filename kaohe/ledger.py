"""The notification ledger, as the sender (``bot.notify``) uses it: every automatic or
office-confirmed message is a row before it is sent and is marked when Telegram accepts it,
so a restart sends what was never confirmed and nothing that was. Rows are planned by
``kaohe.cycle.Cycle.plan``; this is the delivery side."""

from __future__ import annotations

from typing import Any

from storage.cycle import BLOCKED, FAILED, SENT, SKIPPED
from storage.store import Store

__all__ = ["BLOCKED", "FAILED", "SENT", "SKIPPED", "Ledger"]  # what became of a row


class Ledger:
    """Delivery-side operations on the ledger and on the announcements it carries."""

    def __init__(self, store: Store):
        self.store = store

    def pending(self) -> list[dict[str, Any]]:
        """Rows waiting to be sent, oldest first."""
        return self.store.pending_notifications()

    def finish(self, row_id: int, status: str, message_id: int | None = None, note: str | None = None) -> None:
        """Mark a row sent (with Telegram's message id), skipped, failed or blocked."""
        self.store.finish_notification(row_id, status, message_id, note)

    def retry(self, row_id: int, error: str, max_attempts: int) -> bool:
        """Count a failed attempt; True when the row has now given up."""
        return self.store.retry_notification(row_id, error, max_attempts)

    def unreachable(self, row: dict[str, Any], status: str, error: str) -> None:
        """The person blocked the bot (or the chat is gone): the row ends with ``status`` and
        the chat is marked unreachable until the person writes again."""
        self.store.finish_notification(row["id"], status, None, error)
        self.store.mark_unreachable(row["chat_id"], error)

    def announcement(self, announcement_id: int) -> dict[str, Any] | None:
        return self.store.announcement(announcement_id)

    def announcements_to_report(self) -> list[dict[str, Any]]:
        """Sent announcements whose delivery the office has not been told about yet."""
        return self.store.announcements_to_report()

    def finish_announcement(self, announcement_id: int) -> bool:
        """Close an announcement once every row is settled; False while rows are pending."""
        return self.store.finish_announcement(announcement_id)

    def announcement_failures(self, announcement_id: int) -> list[dict[str, Any]]:
        return self.store.announcement_failures(announcement_id)

    def has_submitted(self, unit_id: str, deadline_name: str) -> bool:
        """Whether a reminder for this deadline is still wanted."""
        return self.store.has_submitted(unit_id, deadline_name)
