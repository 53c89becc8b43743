"""The cycle as the office and liaisons see it: deadlines, who has submitted, overview data,
and which automatic messages are due. Combines the store's rows with the pure rules in
``scoring.progress`` and ``scoring.reminders``; no Telegram here (the sender is ``bot.notify``).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kaohe.config import AppConfig
from kaohe.cycles import previous_cycle
from scoring.progress import (
    LATE,
    OVERDUE,
    Tally,
    UnitProgress,
    build_progress,
    deadline_for_upload,
    next_deadline,
    ranking,
    tally,
    unit_deadlines,
)
from scoring.reminders import DEADLINE_CHANGE, Notice, Planner, Recipient
from storage.cycles import PreviousResult
from storage.store import Store, parse_utc, utc_iso

log = logging.getLogger(__name__)

AUDIENCE_ALL, AUDIENCE_OPEN = "all", "open"  # or "category:<类别>"


@dataclass(frozen=True)
class Liaison:
    telegram_id: int
    name: str
    username: str | None
    unreachable: bool
    unreachable_reason: str | None = None


@dataclass
class Overview:
    """Everything ``/overview`` shows, computed in one pass over the database."""

    now: datetime
    units: int
    tallies: list[Tally]
    not_submitted: list[UnitProgress]  # open or overdue, earliest due first
    late_submitted: list[UnitProgress]
    missing: list[dict[str, Any]]  # units whose materials leave indicators missing
    ranking: list[dict[str, Any]]
    liaisons: dict[str, list[Liaison]]  # by unit id
    unreachable: list[tuple[dict[str, Any], Liaison]]  # (unit, liaison) the bot cannot reach
    units_without_liaison: int = 0
    notifications: dict[tuple[str, str], int] = field(default_factory=dict)
    copies: list[dict[str, Any]] = field(default_factory=list)  # near-identical materials of two units


@dataclass(frozen=True)
class DeadlineChange:
    """A drafted deadline change: what it does and whom it reaches."""

    draft_id: int
    name: str
    category: str | None
    old: datetime | None
    new: datetime
    units: int
    recipients: int


@dataclass
class UnitCard:
    """One unit in full, for ``/status`` (its liaison) and ``/unit`` (the office)."""

    unit: dict[str, Any]
    progress: list[UnitProgress]
    next: UnitProgress | None
    submissions: list[dict[str, Any]]
    score: dict[str, Any] | None
    indicators: list[dict[str, Any]]
    liaisons: list[Liaison]
    reminders: list[dict[str, Any]]  # ledger rows for this unit, newest first
    rank: int | None = None
    ranked: int = 0
    copies: list[dict[str, Any]] = field(default_factory=list)  # its materials near-identical to others'
    previous: PreviousResult | None = None  # its result in the cycle before (kaohe.cycles)


def _liaison(row: dict[str, Any]) -> Liaison:
    return Liaison(row["telegram_id"], row["name"] or "", row.get("username"),
                   bool(row.get("unreachable_at")), row.get("unreachable_reason"))


@dataclass(frozen=True)
class DeadlineListing:
    names: list[str]
    rows: list[dict[str, Any]]
    extensions: list[dict[str, Any]]
    units: dict[str, str]  # id -> name
    uncovered_years: list[int]  # years the holiday calendar does not cover


class Cycle:
    """Deadlines, progress, overview and reminder planning over one store."""

    def __init__(self, config: AppConfig, store: Store):
        self.config = config
        self.store = store
        self.planner = Planner(config.reminders, config.tz, config.phases)
        self.sync()

    def sync(self) -> list[str]:
        """Bring the deadlines table in line with config (office changes in chat stand)."""
        items = []
        for d in self.config.deadlines:
            for category in d.categories or ("",):
                items.append({"name": d.name, "phase": d.phase, "category": category,
                              "due": utc_iso(d.due_utc)})
        changes = self.store.sync_deadlines(items)
        uncovered = self.uncovered_years()
        if uncovered:
            # The office reads this at start (and when running bot.manage): in Chinese.
            log.warning("节假日日历还没有 %s 年的数据：这些年份的提醒暂按周一至周五计算工作日。"
                        "国务院公布该年放假安排后，请在 config.toml 的 [reminders] holidays / workdays "
                        "中列出节假日和调休上班日。", "、".join(map(str, uncovered)))
        return changes

    def uncovered_years(self) -> list[int]:
        """Years of the cycle (phases, deadlines as they stand, extensions) with no holiday
        data: neither chinese-calendar nor the office's [reminders] holidays / workdays."""
        tz = self.config.tz
        days = {p.start for p in self.config.phases} | {p.end for p in self.config.phases}
        days |= {d.due_utc.astimezone(tz).date() for d in self.config.deadlines}
        days |= {parse_utc(r["due"]).astimezone(tz).date()
                 for r in [*self.store.deadline_rows(), *self.store.extensions()]}
        calendar = self.config.reminders.calendar
        return sorted({day.year for day in days if not calendar.covers(day)})

    # ---- deadlines -------------------------------------------------------------------

    def deadline_names(self) -> list[str]:
        """Deadline names in due order (the numbers /deadline shows)."""
        names: list[str] = []
        for row in self.store.deadline_rows():
            if row["name"] not in names:
                names.append(row["name"])
        return names

    def unit_rules(self, unit: dict[str, Any]):
        """The deadlines that apply to ``unit``, earliest first."""
        ext = {(e["unit_id"], e["name"]): e for e in self.store.extensions()
               if e["unit_id"] == unit["id"]}
        return unit_deadlines(unit, self.store.deadline_rows(), ext)

    def upload_deadline(self, unit: dict[str, Any], received_at: datetime):
        """The deadline an upload at ``received_at`` counts toward (None if none applies)."""
        return deadline_for_upload(self.unit_rules(unit), received_at)

    def categories(self) -> list[str]:
        """Unit categories of active units, in config order."""
        return list(dict.fromkeys(u.category for u in self.config.units))

    # ---- progress and overview -------------------------------------------------------

    def progress(self, unit_id: str | None = None) -> list[UnitProgress]:
        """Every active unit's standing against every deadline that applies to it."""
        if unit_id is not None:
            unit = self.store.unit(unit_id)
            units = [unit] if unit and unit["active"] else []
        else:
            units = self.store.unit_list()
        return build_progress(units, self.store.deadline_rows(), self.store.extensions(),
                              self.store.submission_summary(unit_id))

    def _liaisons_by_unit(self) -> dict[str, list[Liaison]]:
        result: dict[str, list[Liaison]] = defaultdict(list)
        for telegram_id, name, username, unit_id, unreachable_at, reason in self.store.liaison_rows():
            result[unit_id].append(Liaison(telegram_id, name or "", username, bool(unreachable_at), reason))
        return result

    def overview(self, now: datetime) -> Overview:
        """Counts per phase and category, who is missing, gaps, ranking, unreachable liaisons."""
        units = self.store.active_units()
        progress = build_progress(units, self.store.deadline_rows(), self.store.extensions(),
                                  self.store.submission_summary())
        liaisons = self._liaisons_by_unit()
        by_id = {u["id"]: u for u in units}
        not_submitted = sorted((p for p in progress if not p.submitted),
                               key=lambda p: (p.deadline.due, p.status(now) != OVERDUE, p.unit_name))
        late = [p for p in progress if p.status(now) == LATE]
        missing = [u for u in units if u["missing"]]
        unreachable = [(by_id[uid], person) for uid, people in liaisons.items()
                       for person in people if person.unreachable and uid in by_id]
        return Overview(
            now=now, units=len(units),
            tallies=tally(progress, now, [p.name for p in self.config.phases]),
            not_submitted=not_submitted, late_submitted=late, missing=missing,
            ranking=ranking(units), liaisons=liaisons, unreachable=unreachable,
            units_without_liaison=sum(1 for u in units if not liaisons.get(u["id"])),
            notifications=self.store.notification_counts(),
            copies=self.store.similar_materials(),
        )

    def unit_card(self, unit_id: str) -> UnitCard | None:
        """Everything about one unit (None when there is no such unit)."""
        unit = self.store.unit(unit_id)
        if unit is None:
            return None
        progress = self.progress(unit_id) if unit["active"] else []
        score = self.store.unit_score(unit_id)
        rank, ranked = None, 0
        if score is not None:
            order = ranking(self.store.active_units())
            ranked = len(order)
            rank = next((i for i, u in enumerate(order, 1) if u["id"] == unit_id), None)
        return UnitCard(
            unit=unit, progress=progress, next=next_deadline(progress),
            submissions=self.store.submissions(unit_id), score=score,
            indicators=self.store.indicator_scores(unit_id),
            liaisons=[_liaison(r) for r in self.store.liaisons(unit_id)],
            reminders=self.store.notifications(unit_id=unit_id, limit=20),
            rank=rank, ranked=ranked, copies=self.store.similar_materials(unit_id),
            previous=self.previous_result(unit_id),
        )

    def previous_result(self, unit_id: str) -> PreviousResult | None:
        """The unit's result in the archived cycle before this one (None: none, or not assessed)."""
        reader = previous_cycle(self.config, self.store)
        return reader.result(unit_id) if reader else None


    # ---- automatic messages ----------------------------------------------------------

    def _recipients(self) -> dict[str, list[Recipient]]:
        result: dict[str, list[Recipient]] = defaultdict(list)
        for row in self.store.all_liaisons():
            result[row["unit_id"]].append(Recipient(
                row["telegram_id"], row["unit_id"], parse_utc(row["bound_at"]),
                not row.get("unreachable_at")))
        return result

    def plan(self, now: datetime) -> list[Notice]:
        """Add what is due at ``now`` to the ledger; return what was added."""
        notices = self.planner.plan(
            now, self.progress(), self._recipients(), sorted(self.config.admins),
            sorted(self.config.officials), self.store.notification_keys())
        self.store.add_notifications(n.row() for n in notices)
        return notices

    def next_wakeup(self, now: datetime) -> datetime | None:
        """When the next automatic message may fall due."""
        return self.planner.next_wakeup(now, self.progress())

    def audience(self, audience: str) -> list[tuple[int, str]]:
        """Reachable liaisons (chat id, unit id) of an announcement audience."""
        progress = self.progress()
        if audience == AUDIENCE_ALL:
            units = {p.unit_id for p in progress} | {u["id"] for u in self.store.unit_list()}
        elif audience == AUDIENCE_OPEN:
            units = {p.unit_id for p in progress if not p.submitted}
        elif audience.startswith("category:"):
            category = audience.split(":", 1)[1]
            units = {u["id"] for u in self.store.unit_list() if u["category"] == category}
        else:
            raise ValueError(audience)
        return [(r.chat_id, r.unit_id) for uid, people in self._recipients().items()
                if uid in units for r in people if r.reachable]

    # ---- office changes ----------------------------------------------------------------

    def resolve_deadline(self, text: str) -> str | None:
        """A deadline name from its number in /deadline's list or its (partial) name."""
        names = self.deadline_names()
        text = text.strip()
        if text.isdigit() and 1 <= int(text) <= len(names):
            return names[int(text) - 1]
        if text in names:
            return text
        partial = [n for n in names if text and text in n]
        return partial[0] if len(partial) == 1 else None

    def deadline_change_preview(self, name: str, category: str | None, due: datetime,
                                reason: str, actor: int, notice: Callable[..., str]) -> DeadlineChange:
        """Who a change would reach; saved as a draft the office confirms, with the notice
        ``notice(name, category, old_due, new_due, reason, tz)`` writes."""
        affected = self._affected_units(name, category)
        rows = [r for r in self.store.deadline_rows() if r["name"] == name]
        olds = {r["due"] for r in rows if category is None or r["category"] in (category, "")}
        if category is not None and any(r["category"] == category for r in rows):
            olds = {r["due"] for r in rows if r["category"] == category}
        old = parse_utc(olds.pop()) if len(olds) == 1 else None
        text = notice(name, category, old, due, reason, self.config.tz)
        recipients = self.audience_of_units(affected)
        label = f"「{name}」{category or '全部类别'}的 {len(affected)} 个单位"
        draft = self.store.create_announcement(
            DEADLINE_CHANGE, actor, "units", label, text,
            {"name": name, "category": category, "due": utc_iso(due), "reason": reason})
        return DeadlineChange(draft, name, category, old, due, len(affected), len(recipients))

    def _affected_units(self, name: str, category: str | None) -> list[str]:
        affected = []
        for p in self.progress():
            if p.deadline.name != name or p.deadline.extended:
                continue
            if category is None or p.category == category:
                affected.append(p.unit_id)
        if category is not None and not affected:
            # A category that had no rule of its own gets one now: its units are affected.
            affected = [u["id"] for u in self.store.unit_list() if u["category"] == category]
        return affected

    def audience_of_units(self, unit_ids: list[str]) -> list[tuple[int, str]]:
        """Reachable liaisons (chat id, unit id) of these units."""
        wanted = set(unit_ids)
        return [(r.chat_id, r.unit_id) for uid, people in self._recipients().items()
                if uid in wanted for r in people if r.reachable]

    def deadline_rows(self) -> list[dict[str, Any]]:
        """Each deadline's current due time per category."""
        return self.store.deadline_rows()

    def change_stamp(self) -> tuple[int, int]:
        """Changes whenever anything /overview shows may have changed (its cache key)."""
        return self.store.change_stamp()

    def mark_reachable(self, user_id: int) -> bool:
        """The person wrote again: messages to them are sent again; True if they were not."""
        return self.store.mark_reachable(user_id)

    def deadline_listing(self) -> DeadlineListing:
        """What /deadline lists: each deadline's rows, the extensions, unit names."""
        return DeadlineListing(self.deadline_names(), self.store.deadline_rows(), self.store.extensions(),
                               {u["id"]: u["name"] for u in self.store.unit_list()}, self.uncovered_years())

    def draft_announcement(self, actor: int, audience: str, label: str, body: str) -> tuple[int, int, int]:
        """Save an /announce draft for the office to confirm: (draft id, people, units) it would reach."""
        recipients = self.audience(audience)
        draft = self.store.create_announcement("announcement", actor, audience, label, body)
        return draft, len(recipients), len({unit for _, unit in recipients})

    def cancel(self, announcement_id: int) -> bool:
        """Drop a draft the office cancelled; False if it was already sent or cancelled."""
        return self.store.cancel_announcement(announcement_id)

    def confirm(self, announcement_id: int, actor: int) -> int | None:
        """Send a confirmed draft (applying its deadline change); recipients, or None if gone."""
        ann = self.store.announcement(announcement_id)
        if ann is None or ann["status"] != "draft":
            return None
        apply = None
        if ann["kind"] == DEADLINE_CHANGE:
            change = json.loads(ann["payload"])
            recipients = self.audience_of_units(self._affected_units(change["name"], change["category"]))

            def apply() -> None:
                self.store.set_deadline(change["name"], change["category"], change["due"], actor,
                                        change["reason"])
        else:
            recipients = self.audience(ann["audience"])
        ok = self.store.queue_announcement(announcement_id, recipients, actor, apply)
        return len(recipients) if ok else None

    def extend(self, unit: dict[str, Any], name: str, due: datetime, reason: str,
               actor: int, notice: Callable[..., str]) -> int:
        """Give one unit more time and tell its liaisons at once (the message
        ``notice(unit_name, name, due, reason, tz)`` writes); return how many."""
        text = notice(unit["name"], name, due, reason, self.config.tz)
        draft = self.store.create_announcement(
            DEADLINE_CHANGE, actor, f"unit:{unit['id']}", unit["name"], text)
        recipients = self.audience_of_units([unit["id"]])

        def apply() -> None:
            self.store.grant_extension(unit["id"], name, utc_iso(due), actor, reason)

        self.store.queue_announcement(draft, recipients, actor, apply)
        return len(recipients)
