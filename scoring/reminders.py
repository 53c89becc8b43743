"""Which automatic messages are due now: reminders, late notices, the office's overdue list,
the officials' daily digest and the "everyone has submitted" notice. Pure: the caller passes
the progress, the recipients and the keys already in the ledger, and gets rows to add.

Every message has a stable key. A key already in the ledger is never planned again, which
is what keeps a restart from repeating anything. When several reminder times for the same
person passed while the bot was down, only the latest is sent (its text is written at send
time from the current state); the older ones are recorded as skipped, never sent late.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scoring.progress import UnitProgress
from scoring.schedule import PACKAGE_CALENDAR, WorkCalendar, reminder_slots

REMINDER, LATE_NOTICE, OVERDUE_LIST, DIGEST, COMPLETE = (
    "reminder", "late", "overdue_list", "digest", "complete")
ANNOUNCEMENT, DEADLINE_CHANGE = "announcement", "deadline_change"
RESULT_FEEDBACK = "result"  # a locked result sent to the unit's liaisons (结果反馈)
APPEAL, APPEAL_ANSWER = "appeal", "appeal_answer"  # 复核申请 to the office, its 答复 to the unit
BINDING = "binding"  # a liaison joined or was removed: the unit's liaisons are told
KIND_LABELS = {REMINDER: "截止提醒", LATE_NOTICE: "逾期告知", OVERDUE_LIST: "逾期名单",
               DIGEST: "每日简报", COMPLETE: "全部提交", ANNOUNCEMENT: "通知公告",
               DEADLINE_CHANGE: "截止时间调整", RESULT_FEEDBACK: "结果反馈", APPEAL: "复核申请",
               APPEAL_ANSWER: "复核答复", BINDING: "联络员变动"}
# A late notice or the office's overdue list that could not go out within this long after
# the deadline (the bot was down) is recorded as skipped: the daily digest has taken over.
LATE_NOTICE_WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class Phase:
    """One phase of the cycle (准备阶段 …) with its calendar days, both inclusive."""

    name: str
    start: date
    end: date

    def open_on(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class ReminderRules:
    """When the bot reminds units that have not submitted, and when it may send at all."""

    offsets_days: tuple[int, ...] = (7, 3, 1, 0)
    at: time = time(9, 0)
    working_days_only: bool = True
    send_window: tuple[time, time] = (time(8, 0), time(21, 0))
    digest_at: time = time(9, 0)
    check_minutes: int = 10
    concurrency: int = 8
    max_attempts: int = 5
    calendar: WorkCalendar = PACKAGE_CALENDAR  # working days, with the office's declared days


@dataclass(frozen=True)
class Recipient:
    """A liaison who may be reminded."""

    chat_id: int
    unit_id: str
    bound_at: datetime
    reachable: bool = True


@dataclass(frozen=True)
class Notice:
    """A ledger row to add: ``pending`` to send now, ``skipped`` to record a stale one."""

    key: str
    kind: str
    chat_id: int
    unit_id: str | None = None
    deadline_name: str | None = None
    due_at: datetime | None = None
    status: str = "pending"
    error: str | None = None

    def row(self) -> dict:
        return {"key": self.key, "kind": self.kind, "chat_id": self.chat_id,
                "unit_id": self.unit_id, "deadline_name": self.deadline_name,
                "due_at": self.due_at.isoformat() if self.due_at else None,
                "status": self.status, "error": self.error}


def in_send_window(now: datetime, rules: ReminderRules, tz: ZoneInfo) -> bool:
    """Whether automatic messages may go out at ``now`` (local time inside the window)."""
    local = now.astimezone(tz).time()
    return rules.send_window[0] <= local < rules.send_window[1]


class Planner:
    """Plans the automatic messages for one moment; slot times are cached per due time."""

    def __init__(self, rules: ReminderRules, tz: ZoneInfo, phases: Iterable[Phase] = ()):
        self.rules = rules
        self.tz = tz
        self.phases = tuple(phases)
        self._slots: dict[datetime, list] = {}

    def slots(self, due: datetime) -> list:
        if due not in self._slots:
            self._slots[due] = reminder_slots(due, self.tz, self.rules.offsets_days, self.rules.at,
                                              self.rules.working_days_only, self.rules.calendar)
        return self._slots[due]

    def plan(self, now: datetime, progress: Iterable[UnitProgress],
             liaisons: Mapping[str, list[Recipient]], admins: Iterable[int],
             officials: Iterable[int], existing: set[str]) -> list[Notice]:
        """What is due at ``now`` and not yet in the ledger (``existing`` keys)."""
        if not in_send_window(now, self.rules, self.tz):
            return []
        progress = list(progress)
        notices: list[Notice] = []

        def add(notice: Notice) -> None:
            if notice.key not in existing:
                existing.add(notice.key)
                notices.append(notice)

        overdue_groups: dict[tuple[str, datetime], int] = defaultdict(int)
        for p in progress:
            rule = p.deadline
            due_iso = rule.due.isoformat()
            if p.submitted:
                continue
            people = [r for r in liaisons.get(p.unit_id, ()) if r.reachable]
            if now < rule.due:
                for person in people:
                    start = max(t for t in (rule.changed_at, person.bound_at) if t is not None)
                    passed = [s for s in self.slots(rule.due) if start <= s.fire_at <= now]
                    for i, slot in enumerate(passed):
                        stale = i < len(passed) - 1
                        add(Notice(
                            f"remind:{rule.name}:{p.unit_id}:{due_iso}:{slot.days_before}:{person.chat_id}",
                            REMINDER, person.chat_id, p.unit_id, rule.name, rule.due,
                            "skipped" if stale else "pending", "stale" if stale else None))
                continue
            overdue_groups[(rule.name, rule.due)] += 1
            stale = now - rule.due > LATE_NOTICE_WINDOW
            for person in people:
                if person.bound_at >= rule.due:
                    continue  # bound after the deadline: /start already told them
                add(Notice(f"late:{rule.name}:{p.unit_id}:{due_iso}:{person.chat_id}", LATE_NOTICE,
                           person.chat_id, p.unit_id, rule.name, rule.due,
                           "skipped" if stale else "pending", "stale" if stale else None))
        for (name, due), _count in overdue_groups.items():
            stale = now - due > LATE_NOTICE_WINDOW
            for chat_id in admins:
                add(Notice(f"overdue:{name}:{due.isoformat()}:{chat_id}", OVERDUE_LIST, chat_id,
                           None, name, due, "skipped" if stale else "pending",
                           "stale" if stale else None))
        self._digest(now, progress, officials, add)
        self._complete(progress, list(admins) + list(officials), add)
        return notices

    def _digest(self, now: datetime, progress: list[UnitProgress], officials: Iterable[int],
                add) -> None:
        local = now.astimezone(self.tz)
        today = local.date()
        if local.time() < self.rules.digest_at:
            return
        if self.rules.working_days_only and not self.rules.calendar.is_working_day(today):
            return
        open_phases = {p.name for p in self.phases if p.open_on(today)}
        # Only deadlines passed by this morning's digest time count: a deadline at 18:00
        # is the office's overdue list that evening and the digest from the next morning.
        digest_time = datetime.combine(today, self.rules.digest_at, self.tz)
        passed = any(p.deadline.phase in open_phases and p.deadline.due <= digest_time
                     for p in progress)
        if not passed:
            return
        for chat_id in officials:
            add(Notice(f"digest:{today.isoformat()}:{chat_id}", DIGEST, chat_id))

    @staticmethod
    def _complete(progress: list[UnitProgress], staff: list[int], add) -> None:
        by_name: dict[str, list[UnitProgress]] = defaultdict(list)
        for p in progress:
            by_name[p.deadline.name].append(p)
        for name, items in by_name.items():
            if items and all(p.submitted for p in items):
                for chat_id in dict.fromkeys(staff):
                    add(Notice(f"complete:{name}:{chat_id}", COMPLETE, chat_id, None, name))

    def next_wakeup(self, now: datetime, progress: Iterable[UnitProgress]) -> datetime | None:
        """The next moment something may fall due (a slot, a deadline, a digest, the window)."""
        progress = list(progress)
        candidates = []
        for p in progress:
            if p.submitted:
                continue
            if p.deadline.due > now:
                candidates.append(p.deadline.due)
            candidates.extend(s.fire_at for s in self.slots(p.deadline.due) if s.fire_at > now)
        local = now.astimezone(self.tz)
        for days in (0, 1):
            day = local.date() + timedelta(days=days)
            digest = datetime.combine(day, self.rules.digest_at, self.tz)
            open_phases = {ph.name for ph in self.phases if ph.open_on(day)}
            if digest > now and any(p.deadline.phase in open_phases and p.deadline.due <= digest
                                    for p in progress):
                candidates.append(digest)
                break
        if not candidates:
            return None
        moment = min(candidates)
        return self._into_window(moment)

    def _into_window(self, moment: datetime) -> datetime:
        local = moment.astimezone(self.tz)
        start, end = self.rules.send_window
        if local.time() < start:
            return datetime.combine(local.date(), start, self.tz)
        if local.time() >= end:
            return datetime.combine(local.date() + timedelta(days=1), start, self.tz)
        return moment
