"""The consolidated figures of a cycle (综合汇总): ranking, grade distribution, per-category
analysis and who is missing what. Pure functions over plain rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scoring.rules import ScoringRules

NOT_SCORED = "未评分"


def ranks(units: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Rank by total, best first; equal totals share a rank (1, 2, 2, 4). Unscored: no rank."""
    scored = sorted((u for u in units if u.get("total") is not None), key=lambda u: -u["total"])
    result: dict[str, int] = {}
    previous, rank = None, 0
    for position, unit in enumerate(scored, start=1):
        if unit["total"] != previous:
            rank, previous = position, unit["total"]
        result[unit["id"]] = rank
    return result


@dataclass
class CategoryStats:
    name: str
    units: int = 0
    submitted: int = 0
    scored: int = 0
    total_sum: float = 0.0
    grades: Counter = field(default_factory=Counter)
    covered: Counter = field(default_factory=Counter)  # indicator id -> units covering it
    assessed: Counter = field(default_factory=Counter)  # indicator id -> units assessed on it

    @property
    def average(self) -> float | None:
        return round(self.total_sum / self.scored, 1) if self.scored else None

    def coverage(self, indicator_id: str) -> float | None:
        """Share of this category's scored units whose materials cover the indicator."""
        n = self.assessed[indicator_id]
        return round(self.covered[indicator_id] / n, 3) if n else None


@dataclass
class Summary:
    """Everything the report's summary pages and the charts need."""

    units: list[dict[str, Any]]
    ranks: dict[str, int]
    grades: Counter
    categories: dict[str, CategoryStats]
    not_submitted: list[dict[str, Any]]
    with_missing: list[dict[str, Any]]
    locked: int

    @property
    def scored(self) -> int:
        return sum(1 for u in self.units if u.get("total") is not None)

    @property
    def submitted(self) -> int:
        return sum(1 for u in self.units if u.get("first_at"))

    @property
    def average(self) -> float | None:
        totals = [u["total"] for u in self.units if u.get("total") is not None]
        return round(sum(totals) / len(totals), 1) if totals else None

    @property
    def preliminary(self) -> bool:
        """Not every unit's result is locked: every file says 初步."""
        return self.locked < len(self.units) or not self.units


def summarise(units: Sequence[dict[str, Any]], indicator_rows: Iterable[Mapping[str, Any]],
              rules: ScoringRules) -> Summary:
    """Fold the unit rows and (streamed) indicator rows into the cycle's figures."""
    categories: dict[str, CategoryStats] = {}
    by_id = {}
    for unit in units:
        stats = categories.setdefault(unit["category"], CategoryStats(unit["category"]))
        stats.units += 1
        stats.submitted += bool(unit.get("first_at"))
        if unit.get("total") is not None:
            stats.scored += 1
            stats.total_sum += unit["total"]
            stats.grades[unit["grade"]] += 1
        by_id[unit["id"]] = unit
    for row in indicator_rows:
        unit = by_id.get(row["unit_id"])
        if unit is None:
            continue
        stats = categories[unit["category"]]
        stats.assessed[row["indicator_id"]] += 1
        stats.covered[row["indicator_id"]] += row["coverage"] != "missing"
    grades: Counter = Counter()
    for unit in units:
        grades[unit["grade"] if unit.get("total") is not None else NOT_SCORED] += 1
    ordered = Counter({name: grades[name] for name, _ in rules.grades})
    ordered[rules.failing_grade] = grades[rules.failing_grade]
    if grades[NOT_SCORED]:
        ordered[NOT_SCORED] = grades[NOT_SCORED]
    return Summary(
        units=list(units), ranks=ranks(units), grades=ordered, categories=categories,
        not_submitted=[u for u in units if not u.get("first_at")],
        with_missing=[u for u in units if u.get("first_at") and u.get("missing")],
        locked=sum(1 for u in units if u.get("locked_at")),
    )


def progress_curve(first_times: Iterable[str]) -> list[tuple[str, int]]:
    """(day, units that had submitted by the end of it) from each unit's first receipt time."""
    per_day: dict[str, int] = defaultdict(int)
    for at in first_times:
        per_day[at[:10]] += 1
    running, curve = 0, []
    for day in sorted(per_day):
        running += per_day[day]
        curve.append((day, running))
    return curve
