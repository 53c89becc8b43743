"""Working days (法定节假日 and 调休 from the chinese-calendar package) and reminder times, as pure functions.

Dates are calendar days in the office's time zone; every datetime returned is aware and in UTC.
Days the office declares (``WorkCalendar``: holidays and 调休 working days, e.g. from the
State Council's notice for a year the package does not know yet) win over the package; other
days of years the package has no data for fall back to Monday–Friday working days.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

ACCEPTED_FORMS = "2026-12-18 18:00 或 12月18日 18:00"

_ONE_DAY = timedelta(days=1)
# Far more than the longest run of days off (Spring Festival plus a weekend is nine or ten days).
_MAX_SEARCH_DAYS = 60

# "2026-12-18 18:00[:00]", "2026-12-18T18:00", "2026/12/18", "2026.12.18", "12-18 18:00", "12/18".
# The same separator must be used throughout the date part.
_NUMERIC = re.compile(
    r"(?:(?P<year>\d{4})(?P<sep>[-/.]))?(?P<month>\d{1,2})(?(sep)(?P=sep)|[-/.])(?P<day>\d{1,2})"
    r"(?:(?:\s+|T)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
)
# "2026年12月18日 18:00", "2026年12月18日18时", "2026年12月18日18时30分", "12月18日", "12月18号 18点".
_CHINESE = re.compile(
    r"(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]"
    r"(?:\s*(?P<hour>\d{1,2})(?:\s*:\s*(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"|\s*[时点](?:\s*(?P<minute_cn>\d{1,2})\s*分)?))?"
)


@dataclass(frozen=True)
class WorkCalendar:
    """chinese-calendar's working days, with the days the office declares on top.

    ``holidays`` are days off (法定节假日, or a local day off); ``workdays`` are working days
    (调休上班 weekends). A year counts as known when the package has it or the office
    declared any day in it."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        both = self.holidays & self.workdays
        if both:
            raise ValueError("同一天不能既是节假日又是调休工作日：" + "、".join(sorted(d.isoformat() for d in both)))

    def covers(self, day: date) -> bool:
        """Whether the year of `day` has holiday data (from the package or the office)."""
        day = _as_date(day)
        if any(d.year == day.year for d in self.holidays | self.workdays):
            return True
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            return False
        return True

    def is_working_day(self, day: date) -> bool:
        """True on working days: 调休 weekends count, 法定节假日 do not; Monday–Friday for unknown years."""
        day = _as_date(day)
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5

    def previous_working_day(self, day: date) -> date:
        """The latest working day on or before `day` (`day` itself when it is a working day)."""
        return self._walk(_as_date(day), -_ONE_DAY)

    def next_working_day(self, day: date) -> date:
        """The earliest working day on or after `day` (`day` itself when it is a working day)."""
        return self._walk(_as_date(day), _ONE_DAY)

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``day`` itself for 0)."""
        day = _as_date(day)
        for _ in range(count):
            day = self.next_working_day(day + _ONE_DAY)
        return day

    def _walk(self, day: date, step: timedelta) -> date:
        """The first working day reached from `day` (inclusive) moving by `step`."""
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day += step
        raise RuntimeError(f"no working day within {_MAX_SEARCH_DAYS} days of {day}")  # pragma: no cover


PACKAGE_CALENDAR = WorkCalendar()  # the package alone, nothing declared
covered_by_calendar = PACKAGE_CALENDAR.covers
is_working_day = PACKAGE_CALENDAR.is_working_day
previous_working_day = PACKAGE_CALENDAR.previous_working_day
next_working_day = PACKAGE_CALENDAR.next_working_day


@dataclass(frozen=True)
class Slot:
    """One reminder: the configured offset that produced it and when it fires (aware, UTC)."""

    days_before: int  # 7, 3, 1, ...; 0 means the morning of the deadline day
    fire_at: datetime


def reminder_slots(due: datetime, tz: ZoneInfo, offsets_days: Sequence[int], at: time,
                   working_days_only: bool = True, calendar: WorkCalendar = PACKAGE_CALENDAR) -> list[Slot]:
    """Reminder times before `due`, at local `at` on (working) days `offsets_days` before it, sorted by fire_at."""
    due = _require_aware(due, "due")
    due_day = due.astimezone(tz).date()
    chosen: dict[datetime, int] = {}
    for offset in offsets_days:
        if offset < 0:
            raise ValueError(f"提醒提前天数不能为负数：{offset}")
        day = due_day - timedelta(days=offset)
        if working_days_only:
            day = calendar.previous_working_day(day)  # never closer to the deadline
        fire_at = _local_to_utc(day, at, tz)
        if fire_at >= due:
            continue
        if fire_at not in chosen or offset < chosen[fire_at]:
            chosen[fire_at] = offset
    return [Slot(days_before=offset, fire_at=fire_at) for fire_at, offset in sorted(chosen.items())]


def parse_local_time(text: str, tz: ZoneInfo, default_year: int, default_at: time) -> datetime:
    """A deadline typed in chat ("2026-12-18 18:00", "12月18日" ...) read as local time in `tz`, returned in UTC."""
    shown = text.strip()
    normalized = unicodedata.normalize("NFKC", text).strip()
    match = _NUMERIC.fullmatch(normalized) or _CHINESE.fullmatch(normalized)
    if match is None:
        raise ValueError(f"无法识别时间“{shown}”：请写成 {ACCEPTED_FORMS}")
    parts = match.groupdict()
    year = int(parts["year"]) if parts["year"] else default_year
    month, day_of_month = int(parts["month"]), int(parts["day"])
    try:
        day = date(year, month, day_of_month)
    except ValueError:
        raise ValueError(
            f"日期不存在：“{shown}”中的 {year}年{month}月{day_of_month}日 不是有效日期，请写成 {ACCEPTED_FORMS}"
        ) from None
    if parts["hour"] is None:
        at = default_at
    else:
        hour = int(parts["hour"])
        minute = int(parts["minute"] or parts.get("minute_cn") or 0)
        second = int(parts["second"] or 0)
        if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
            raise ValueError(
                f"时间不存在：“{shown}”中的 {hour}:{minute:02d} 不是有效时刻（小时 0–23，分钟 0–59），"
                f"请写成 {ACCEPTED_FORMS}"
            )
        at = time(hour, minute, second)
    return _local_to_utc(day, at, tz)


def _as_date(day: date) -> date:
    """A plain date (a datetime is cut to its own date)."""
    return day.date() if isinstance(day, datetime) else day


def _local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Wall-clock `at` on `day` in `tz`, as an aware UTC datetime (any tzinfo on `at` is ignored)."""
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz).astimezone(UTC)


def _require_aware(moment: datetime, name: str) -> datetime:
    """`moment` unchanged, or ValueError when it has no time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {moment!r}")
    return moment


def end_of_working_day(moment: datetime, working_days: int, calendar: WorkCalendar, tz: ZoneInfo) -> datetime:
    """The end (UTC) of the ``working_days``-th working day after ``moment``'s local day: a
    window of "N working days" closes at midnight after that day."""
    last = calendar.add_working_days(moment.astimezone(tz).date(), working_days)
    return datetime.combine(last + timedelta(days=1), time(0), tz).astimezone(UTC)


# A deadline is moved within the cycle: further than this ahead is a typo (9999年).
MAX_DEADLINE_AHEAD = timedelta(days=366)


def too_far_ahead(due: datetime, now: datetime) -> bool:
    """Whether a new due time is further ahead than any cycle runs."""
    return due - now > MAX_DEADLINE_AHEAD
