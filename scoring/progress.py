"""Who has submitted for which deadline, on time or late: pure rules over plain rows.

A deadline is a row per (name, category), '' being the default for every category; a unit
gets the row of its own category if there is one, else the default, and an extension of
its own wins over both. A unit has submitted for a deadline when any of its files was
recorded against it; it is on time when the first one came before the effective due time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ON_TIME, LATE, OPEN, OVERDUE = "on_time", "late", "open", "overdue"
STATUS_LABELS = {ON_TIME: "按时提交", LATE: "逾期提交", OPEN: "未提交", OVERDUE: "逾期未交"}


def _utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class DeadlineRule:
    """One deadline as it applies to one unit."""

    name: str
    phase: str
    due: datetime  # effective, UTC
    category_due: datetime  # what the unit's category has, before any extension
    extended: bool = False
    extension_reason: str = ""
    changed_at: datetime | None = None  # when the office last moved it for this unit


@dataclass(frozen=True)
class UnitProgress:
    """A unit's standing against one deadline."""

    unit_id: str
    unit_name: str
    category: str
    deadline: DeadlineRule
    first_at: datetime | None = None
    last_at: datetime | None = None
    files: int = 0

    @property
    def submitted(self) -> bool:
        return self.first_at is not None

    def status(self, now: datetime) -> str:
        """on_time, late, open (not yet, still time) or overdue (not submitted, past due)."""
        if self.first_at is not None:
            return ON_TIME if self.first_at <= self.deadline.due else LATE
        return OPEN if now < self.deadline.due else OVERDUE


def _by_name(deadline_rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Mapping[str, Any]]]:
    by_name: dict[str, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for row in deadline_rows:
        by_name[row["name"]][row["category"]] = row
    return by_name


def _category_rules(category: str, by_name: dict[str, dict[str, Mapping[str, Any]]]
                    ) -> list[DeadlineRule]:
    rules = []
    for name, rows in by_name.items():
        row = rows.get(category) or rows.get("")
        if row is not None:
            due = _utc(row["due"])
            rules.append(DeadlineRule(name, row["phase"], due, due, False, "",
                                      _utc(row.get("changed_at"))))
    return sorted(rules, key=lambda r: (r.due, r.name))


def _extended(rules: list[DeadlineRule], unit_id: str,
              extensions: Mapping[tuple[str, str], Mapping[str, Any]]) -> list[DeadlineRule]:
    result = []
    for rule in rules:
        ext = extensions.get((unit_id, rule.name))
        if ext is None:
            result.append(rule)
            continue
        granted = _utc(ext["granted_at"])
        result.append(DeadlineRule(
            rule.name, rule.phase, _utc(ext["due"]), rule.category_due, True,
            ext.get("reason") or "",
            max(t for t in (rule.changed_at, granted) if t is not None)))
    return sorted(result, key=lambda r: (r.due, r.name))


def unit_deadlines(unit: Mapping[str, Any], deadline_rows: Iterable[Mapping[str, Any]],
                   extensions: Mapping[tuple[str, str], Mapping[str, Any]]) -> list[DeadlineRule]:
    """The deadlines that apply to ``unit`` (id, category), earliest first."""
    return _extended(_category_rules(unit["category"], _by_name(deadline_rows)), unit["id"],
                     extensions)


def deadline_for_upload(rules: list[DeadlineRule], received_at: datetime) -> DeadlineRule | None:
    """The deadline an upload counts toward: the earliest still open, else the last one passed."""
    if not rules:
        return None
    upcoming = [r for r in rules if r.due >= received_at]
    return upcoming[0] if upcoming else rules[-1]


def next_deadline(progress: list[UnitProgress]) -> UnitProgress | None:
    """What a liaison should look at next: the earliest deadline not yet met, else the last."""
    if not progress:
        return None
    ordered = sorted(progress, key=lambda p: p.deadline.due)
    waiting = [p for p in ordered if not p.submitted]
    return waiting[0] if waiting else ordered[-1]


def build_progress(units: Iterable[Mapping[str, Any]], deadline_rows: list[Mapping[str, Any]],
                   extension_rows: Iterable[Mapping[str, Any]],
                   summary_rows: Iterable[Mapping[str, Any]]) -> list[UnitProgress]:
    """One ``UnitProgress`` per unit and applicable deadline, from the store's rows."""
    extensions = {(e["unit_id"], e["name"]): e for e in extension_rows}
    extended_units = {unit_id for unit_id, _ in extensions}
    summaries = {(s["unit_id"], s["deadline_name"]): s for s in summary_rows}
    by_name = _by_name(deadline_rows)
    per_category: dict[str, list[DeadlineRule]] = {}
    result = []
    for unit in units:
        rules = per_category.get(unit["category"])
        if rules is None:
            rules = per_category[unit["category"]] = _category_rules(unit["category"], by_name)
        if unit["id"] in extended_units:
            rules = _extended(rules, unit["id"], extensions)
        for rule in rules:
            s = summaries.get((unit["id"], rule.name))
            result.append(UnitProgress(
                unit["id"], unit["name"], unit["category"], rule,
                _utc(s["first_at"]) if s else None, _utc(s["last_at"]) if s else None,
                s["files"] if s else 0))
    return result


@dataclass
class Tally:
    """Counts for one deadline and category."""

    phase: str
    name: str
    category: str
    dues: set[datetime]
    counts: Counter

    @property
    def expected(self) -> int:
        return sum(self.counts.values())

    @property
    def submitted(self) -> int:
        return self.counts[ON_TIME] + self.counts[LATE]


def tally(progress: Iterable[UnitProgress], now: datetime,
          phase_order: list[str] | None = None) -> list[Tally]:
    """Submitted / on time / late / not submitted per deadline and unit category."""
    groups: dict[tuple[str, str, str], Tally] = {}
    for p in progress:
        key = (p.deadline.phase, p.deadline.name, p.category)
        t = groups.get(key)
        if t is None:
            t = groups[key] = Tally(p.deadline.phase, p.deadline.name, p.category, set(), Counter())
        t.dues.add(p.deadline.due)
        t.counts[p.status(now)] += 1
    order = {name: i for i, name in enumerate(phase_order or [])}
    return sorted(groups.values(),
                  key=lambda t: (order.get(t.phase, len(order)), min(t.dues), t.name, t.category))


def ranking(units: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Units with a score, best first (ties by name so the order is stable)."""
    scored = [u for u in units if u.get("total") is not None]
    return sorted(scored, key=lambda u: (-(u.get("percent") or 0), u["name"]))
