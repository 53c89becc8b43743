"""Working days from the real 2026 holiday data, reminder slots, daily digest times, typed deadlines."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from scoring.schedule import (
    Slot,
    WorkCalendar,
    covered_by_calendar,
    is_working_day,
    next_working_day,
    parse_local_time,
    previous_working_day,
    reminder_slots,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE = time(9, 0)
OFFSETS = (7, 3, 1, 0)

# The weekend days of 2026 the State Council made working days (调休), as the package has them.
ADJUSTED_WORKDAYS_2026 = [
    date(2026, 1, 4),  # Sun, after 元旦
    date(2026, 2, 14),  # Sat, before 春节
    date(2026, 2, 28),  # Sat, after 春节
    date(2026, 5, 9),  # Sat, after 劳动节
    date(2026, 9, 20),  # Sun, before 中秋
    date(2026, 10, 10),  # Sat, after 国庆
]


def local(year, month, day, hour=0, minute=0) -> datetime:
    """A Shanghai wall-clock time as aware UTC, the way deadlines are stored."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def at_nine(year, month, day) -> datetime:
    """09:00 Shanghai on that day, in UTC (01:00 UTC)."""
    return datetime(year, month, day, 1, 0, tzinfo=UTC)


# --- the package and its coverage ---------------------------------------------------------------


def test_package_weekend_workdays_of_2026_are_the_adjusted_days():
    workdays = chinese_calendar.get_workdays(date(2026, 1, 1), date(2026, 12, 31))
    assert [d for d in workdays if d.weekday() >= 5] == ADJUSTED_WORKDAYS_2026


@pytest.mark.parametrize("day", [date(2004, 1, 1), date(2025, 6, 1), date(2026, 1, 1), date(2026, 12, 31)])
def test_covered_by_calendar_inside_the_data(day):
    assert covered_by_calendar(day)


@pytest.mark.parametrize("day", [date(2003, 12, 31), date(2027, 1, 1), date(2040, 10, 1)])
def test_covered_by_calendar_outside_the_data(day):
    assert not covered_by_calendar(day)


def test_covered_by_calendar_accepts_a_datetime():
    assert covered_by_calendar(datetime(2026, 5, 1, 12, 0))
    assert not covered_by_calendar(datetime(2040, 5, 1, 12, 0))


# --- is_working_day --------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 10, d) for d in range(1, 8)])
def test_national_day_2026_is_not_a_working_day(day):
    assert not is_working_day(day)


@pytest.mark.parametrize("day", ADJUSTED_WORKDAYS_2026)
def test_adjusted_weekend_days_of_2026_are_working_days(day):
    assert day.weekday() >= 5
    assert is_working_day(day)


@pytest.mark.parametrize("day", [
    date(2026, 1, 1),  # 元旦, Thu
    date(2026, 2, 16),  # 春节, Mon
    date(2026, 2, 23),  # last day of 春节, Mon
    date(2026, 4, 6),  # 清明, Mon
    date(2026, 5, 5),  # 劳动节, Tue
    date(2026, 6, 19),  # 端午, Fri
    date(2026, 9, 25),  # 中秋, Fri
])
def test_weekday_public_holidays_of_2026_are_not_working_days(day):
    assert day.weekday() < 5
    assert not is_working_day(day)


@pytest.mark.parametrize("day, expected", [
    (date(2026, 9, 30), True),  # Wed before 国庆
    (date(2026, 10, 8), True),  # Thu after 国庆
    (date(2026, 11, 13), True),  # ordinary Fri
    (date(2026, 11, 14), False),  # ordinary Sat
    (date(2026, 11, 15), False),  # ordinary Sun
])
def test_ordinary_days_of_2026(day, expected):
    assert is_working_day(day) is expected


@pytest.mark.parametrize("day, expected", [
    (date(2040, 10, 1), True),  # Mon: no holiday data for 2040, so Monday–Friday
    (date(2040, 10, 5), True),  # Fri
    (date(2040, 10, 6), False),  # Sat
    (date(2040, 10, 7), False),  # Sun
    (date(2003, 1, 1), True),  # Wed, before the data starts
])
def test_outside_the_data_falls_back_to_monday_to_friday(day, expected):
    assert is_working_day(day) is expected


def test_is_working_day_accepts_a_datetime():
    assert not is_working_day(datetime(2026, 10, 1, 9, 0))
    assert is_working_day(datetime(2026, 10, 10, 9, 0))


# --- previous / next working day -------------------------------------------------------------------


@pytest.mark.parametrize("day, expected", [
    (date(2026, 9, 30), date(2026, 9, 30)),  # a working day is itself
    (date(2026, 10, 10), date(2026, 10, 10)),  # so is an adjusted Saturday
    (date(2026, 10, 7), date(2026, 9, 30)),  # out of 国庆 backwards
    (date(2026, 10, 11), date(2026, 10, 10)),  # Sun after an adjusted Saturday
    (date(2026, 2, 20), date(2026, 2, 14)),  # inside 春节, to the adjusted Saturday before it
    (date(2026, 11, 15), date(2026, 11, 13)),  # ordinary Sun to Fri
    (date(2026, 1, 3), date(2025, 12, 31)),  # 元旦 across the year boundary
    (date(2040, 10, 7), date(2040, 10, 5)),  # fallback years: Sun to Fri
])
def test_previous_working_day(day, expected):
    assert previous_working_day(day) == expected


@pytest.mark.parametrize("day, expected", [
    (date(2026, 10, 8), date(2026, 10, 8)),
    (date(2026, 10, 1), date(2026, 10, 8)),  # out of 国庆 forwards
    (date(2026, 9, 19), date(2026, 9, 20)),  # Sat before an adjusted Sunday
    (date(2026, 2, 15), date(2026, 2, 24)),  # first day of 春节 to the Tuesday after
    (date(2026, 11, 14), date(2026, 11, 16)),  # ordinary Sat to Mon
    (date(2026, 12, 26), date(2026, 12, 28)),
    (date(2040, 10, 6), date(2040, 10, 8)),  # fallback years: Sat to Mon
])
def test_next_working_day(day, expected):
    assert next_working_day(day) == expected


# --- reminder_slots ----------------------------------------------------------------------------------


def test_slots_on_ordinary_working_days_fire_at_nine_shanghai_in_utc():
    due = local(2026, 12, 18, 18)  # Fri
    slots = reminder_slots(due, SHANGHAI, OFFSETS, NINE)
    assert slots == [
        Slot(7, at_nine(2026, 12, 11)),
        Slot(3, at_nine(2026, 12, 15)),
        Slot(1, at_nine(2026, 12, 17)),
        Slot(0, at_nine(2026, 12, 18)),
    ]
    for slot in slots:
        assert slot.fire_at.tzinfo is UTC
        assert slot.fire_at.utcoffset() == timedelta(0)
        assert (slot.fire_at.hour, slot.fire_at.minute) == (1, 0)
        assert slot.fire_at.astimezone(SHANGHAI).time() == NINE


def test_seven_day_slot_inside_a_holiday_moves_to_the_last_working_day_before_it():
    due = local(2026, 10, 12, 18)  # Mon after 国庆; 7 days before is 10-05, inside the holiday
    slots = reminder_slots(due, SHANGHAI, OFFSETS, NINE)
    assert slots == [
        Slot(7, at_nine(2026, 9, 30)),  # last working day before 国庆
        Slot(3, at_nine(2026, 10, 9)),  # Fri, a working day
        Slot(1, at_nine(2026, 10, 10)),  # Sun 10-11 moves to Sat 10-10, an adjusted working day
        Slot(0, at_nine(2026, 10, 12)),
    ]


def test_slot_on_an_ordinary_weekend_moves_to_friday():
    due = local(2026, 11, 18, 18)  # Wed; 3 days before is Sun 11-15
    assert reminder_slots(due, SHANGHAI, [3], NINE) == [Slot(3, at_nine(2026, 11, 13))]


def test_slot_is_not_moved_when_working_days_only_is_off():
    due = local(2026, 11, 18, 18)
    assert reminder_slots(due, SHANGHAI, [3], NINE, working_days_only=False) == [Slot(3, at_nine(2026, 11, 15))]
    holiday = reminder_slots(local(2026, 10, 12, 18), SHANGHAI, [7], NINE, working_days_only=False)
    assert holiday == [Slot(7, at_nine(2026, 10, 5))]


@pytest.mark.parametrize("hour, minute", [(8, 0), (9, 0)])
def test_morning_of_slot_is_dropped_when_the_deadline_is_not_after_it(hour, minute):
    due = local(2026, 12, 18, hour, minute)
    slots = reminder_slots(due, SHANGHAI, OFFSETS, NINE)
    assert [s.days_before for s in slots] == [7, 3, 1]
    assert all(s.fire_at < due for s in slots)


def test_morning_of_slot_is_kept_when_the_deadline_is_a_minute_later():
    due = local(2026, 12, 18, 9, 1)
    assert reminder_slots(due, SHANGHAI, [0], NINE) == [Slot(0, at_nine(2026, 12, 18))]


def test_offsets_collapsing_to_one_fire_time_keep_the_smaller_days_before():
    due = local(2026, 11, 16, 18)  # Mon: 1 day before is Sun, 3 days before is Fri -> both Fri 11-13
    assert reminder_slots(due, SHANGHAI, [3, 1], NINE) == [Slot(1, at_nine(2026, 11, 13))]
    assert reminder_slots(due, SHANGHAI, [1, 3], NINE) == [Slot(1, at_nine(2026, 11, 13))]


def test_deadline_on_a_holiday_moves_morning_of_back_and_keeps_offset_zero():
    due = local(2026, 10, 3, 18)  # Sat inside 国庆
    slots = reminder_slots(due, SHANGHAI, OFFSETS, NINE)
    # 7 days before is Sat 09-26 inside 中秋 (09-25..27) -> Thu 09-24; 3 days before is Wed 09-30;
    # 1 day before (10-02) and the day itself (10-03) move back to 09-30 too: one slot there, days_before 0.
    assert slots == [Slot(7, at_nine(2026, 9, 24)), Slot(0, at_nine(2026, 9, 30))]


def test_slots_use_the_local_date_of_the_deadline_not_the_utc_date():
    due = local(2026, 12, 19, 0, 30)  # 2026-12-18 16:30 UTC, but Saturday 12-19 in Shanghai
    assert due.date() == date(2026, 12, 18)
    slots = reminder_slots(due, SHANGHAI, [0, 1], NINE)
    # Sat 12-19 morning moves to Fri 12-18 09:00, 1 day before is Fri too: one slot, days_before 0
    assert slots == [Slot(0, at_nine(2026, 12, 18))]


def test_slots_accept_a_deadline_in_any_aware_zone():
    due_utc = local(2026, 12, 18, 18)
    due_shanghai = due_utc.astimezone(SHANGHAI)
    assert reminder_slots(due_shanghai, SHANGHAI, OFFSETS, NINE) == reminder_slots(due_utc, SHANGHAI, OFFSETS, NINE)


def test_slots_are_sorted_by_fire_time_whatever_the_offset_order():
    due = local(2026, 12, 18, 18)
    slots = reminder_slots(due, SHANGHAI, [0, 7, 1, 3], NINE)
    assert [s.days_before for s in slots] == [7, 3, 1, 0]
    assert [s.fire_at for s in slots] == sorted(s.fire_at for s in slots)


def test_slots_in_a_fallback_year_use_monday_to_friday():
    due = local(2040, 10, 8, 18)  # Mon; 1 day before is Sun -> Fri 10-05
    assert reminder_slots(due, SHANGHAI, [7, 1], NINE) == [
        Slot(7, at_nine(2040, 10, 1)),
        Slot(1, at_nine(2040, 10, 5)),
    ]


def test_slots_in_another_time_zone():
    utc_zone = ZoneInfo("UTC")
    due = datetime(2026, 12, 18, 18, 0, tzinfo=UTC)
    assert reminder_slots(due, utc_zone, [1], NINE) == [Slot(1, datetime(2026, 12, 17, 9, 0, tzinfo=UTC))]


def test_no_offsets_give_no_slots():
    assert reminder_slots(local(2026, 12, 18, 18), SHANGHAI, [], NINE) == []


def test_duplicate_offsets_give_one_slot():
    assert reminder_slots(local(2026, 12, 18, 18), SHANGHAI, [1, 1], NINE) == [Slot(1, at_nine(2026, 12, 17))]


def test_negative_offset_is_rejected():
    with pytest.raises(ValueError, match="负数"):
        reminder_slots(local(2026, 12, 18, 18), SHANGHAI, [-1], NINE)


def test_naive_deadline_is_rejected():
    with pytest.raises(ValueError, match="aware"):
        reminder_slots(datetime(2026, 12, 18, 18, 0), SHANGHAI, OFFSETS, NINE)


def test_slot_is_frozen():
    slot = Slot(1, at_nine(2026, 12, 17))
    with pytest.raises(FrozenInstanceError):
        slot.days_before = 2  # type: ignore[misc]


# --- parse_local_time -------------------------------------------------------------------------------

SIX_PM = local(2026, 12, 18, 18)  # 10:00 UTC


@pytest.mark.parametrize("text, expected", [
    ("2026-12-18 18:00", SIX_PM),
    ("2026-12-18 18:00:00", SIX_PM),
    ("2026-12-18 18:00:30", SIX_PM + timedelta(seconds=30)),
    ("2026-12-18T18:00", SIX_PM),
    ("2026/12/18 18:00", SIX_PM),
    ("2026.12.18 18:00", SIX_PM),
    ("2026-12-18", SIX_PM),  # default_at is 18:00
    ("2026-12-18 9:05", local(2026, 12, 18, 9, 5)),
    ("12-18 18:00", SIX_PM),  # default_year
    ("12/18", SIX_PM),
    ("2026年12月18日 18:00", SIX_PM),
    ("2026年12月18日18:00", SIX_PM),
    ("2026年12月18日18时", SIX_PM),
    ("2026年12月18日18时30分", local(2026, 12, 18, 18, 30)),
    ("2026年12月18日 9点", local(2026, 12, 18, 9)),
    ("12月18日 18:00", SIX_PM),
    ("12月18日", SIX_PM),
    ("12月18号", SIX_PM),
    ("2026年12月18日", SIX_PM),
    ("２０２６－１２－１８　１８：００", SIX_PM),  # full-width digits, dash, ideographic space, colon
    ("１２月１８日 １８：００", SIX_PM),
    ("2026年12月18日１８时３０分", local(2026, 12, 18, 18, 30)),
    ("  12月18日 18:00\n", SIX_PM),
    ("2026-1-5 08:00", local(2026, 1, 5, 8)),
    ("2028-02-29", local(2028, 2, 29, 18)),  # leap day
])
def test_parse_local_time_accepted_forms(text, expected):
    parsed = parse_local_time(text, SHANGHAI, 2026, time(18, 0))
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_parse_local_time_uses_default_year_and_default_time():
    assert parse_local_time("3月1日", SHANGHAI, 2027, time(17, 30)) == local(2027, 3, 1, 17, 30)
    assert parse_local_time("3/1", SHANGHAI, 2027, time(17, 30)) == local(2027, 3, 1, 17, 30)
    # an explicit year wins over the default
    assert parse_local_time("2026年3月1日", SHANGHAI, 2027, time(17, 30)) == local(2026, 3, 1, 17, 30)


def test_parse_local_time_result_is_utc_of_local_time():
    parsed = parse_local_time("2026-12-18 08:00", SHANGHAI, 2026, NINE)
    assert parsed == datetime(2026, 12, 18, 0, 0, tzinfo=UTC)
    assert parse_local_time("2026-12-18 02:00", SHANGHAI, 2026, NINE) == datetime(2026, 12, 17, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", [
    "明天",
    "下周五",
    "",
    "   ",
    "18:00",
    "25:00",
    "2026-12",
    "2026-12/18",  # mixed separators
    "20261218",
    "2026-12-18 18",
    "2026-12-18 18:0",
    "12月",
    "12月18日 下午6点",
    "2026-12-18 18:00 左右",
])
def test_parse_local_time_rejects_unrecognised_text(text):
    with pytest.raises(ValueError) as caught:
        parse_local_time(text, SHANGHAI, 2026, NINE)
    message = str(caught.value)
    assert message.startswith("无法识别时间")
    assert f"“{text.strip()}”" in message
    assert "2026-12-18 18:00" in message and "12月18日 18:00" in message


def test_parse_local_time_message_names_the_text_as_typed():
    with pytest.raises(ValueError) as caught:
        parse_local_time("  明天  ", SHANGHAI, 2026, NINE)
    assert str(caught.value) == "无法识别时间“明天”：请写成 2026-12-18 18:00 或 12月18日 18:00"


@pytest.mark.parametrize("text", ["2月30日", "2026-02-30", "2026年13月1日", "4/31", "2027-02-29 10:00", "0月5日"])
def test_parse_local_time_rejects_impossible_dates(text):
    with pytest.raises(ValueError) as caught:
        parse_local_time(text, SHANGHAI, 2026, NINE)
    message = str(caught.value)
    assert message.startswith("日期不存在")
    assert f"“{text}”" in message
    assert "2026-12-18 18:00" in message


@pytest.mark.parametrize("text", [
    "2026-12-18 25:00",
    "2026-12-18 24:00",
    "2026-12-18 18:60",
    "2026-12-18 18:00:61",
    "12月18日 25:00",
    "12月18日25时",
    "12月18日18时75分",
    "１２月１８日 ２５：００",
])
def test_parse_local_time_rejects_impossible_times(text):
    with pytest.raises(ValueError) as caught:
        parse_local_time(text, SHANGHAI, 2026, NINE)
    message = str(caught.value)
    assert message.startswith("时间不存在")
    assert f"“{text}”" in message
    assert "2026-12-18 18:00" in message


# --- days the office declares ---------------------------------------------------------------------
# Hypothetical days, not the State Council's 2027 schedule: the office copies that from the notice.


def test_declared_days_cover_a_year_the_package_does_not_know():
    calendar = WorkCalendar(holidays=frozenset({date(2027, 2, 8), date(2027, 2, 9)}),
                            workdays=frozenset({date(2027, 2, 20)}))
    assert not covered_by_calendar(date(2027, 3, 1)) and calendar.covers(date(2027, 3, 1))
    assert not calendar.is_working_day(date(2027, 2, 8))  # a Monday, declared off
    assert calendar.is_working_day(date(2027, 2, 20))  # a Saturday, declared worked
    assert calendar.is_working_day(date(2027, 2, 10))  # undeclared weekday: Monday–Friday rule
    assert calendar.previous_working_day(date(2027, 2, 9)) == date(2027, 2, 5)  # past the weekend
    assert calendar.next_working_day(date(2027, 2, 6)) == date(2027, 2, 10)


def test_declared_days_win_over_the_package():
    local_day_off = date(2026, 12, 15)  # a Tuesday the package counts as working
    calendar = WorkCalendar(holidays=frozenset({local_day_off}))
    assert is_working_day(local_day_off) and not calendar.is_working_day(local_day_off)
    assert calendar.is_working_day(date(2026, 2, 14))  # the package's 调休 still stands
    with pytest.raises(ValueError, match="2026-12-15"):
        WorkCalendar(holidays=frozenset({local_day_off}), workdays=frozenset({local_day_off}))


def test_reminders_move_off_declared_holidays():
    due = local(2027, 2, 10, 18)  # Wednesday
    days_off = frozenset({date(2027, 2, 8), date(2027, 2, 9)})
    plain = reminder_slots(due, SHANGHAI, (1, 0), NINE)
    declared = reminder_slots(due, SHANGHAI, (1, 0), NINE, calendar=WorkCalendar(holidays=days_off))
    assert [s.fire_at for s in plain] == [at_nine(2027, 2, 9), at_nine(2027, 2, 10)]
    assert [s.fire_at for s in declared] == [at_nine(2027, 2, 5), at_nine(2027, 2, 10)]
