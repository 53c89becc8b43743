"""How times and points are written, everywhere (replies, refusals, the workbook, the
report): ``2026年12月15日 18:00``, ``87.5``, ``还有 3 天 4 小时``."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def fmt_time(moment: datetime, tz: ZoneInfo) -> str:
    """``2026年12月15日 18:00`` in the cycle's time zone."""
    local = moment.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def fmt_points(value: float) -> str:
    """Points with at most one decimal, no trailing ``.0``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def time_left(deadline: datetime, now: datetime) -> str:
    """``还有 3 天 4 小时`` or ``已过截止时间 2 天``."""
    seconds = (deadline - now).total_seconds()
    late = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(int(seconds), 86400)
    hours = rest // 3600
    minutes = (rest % 3600) // 60
    if days:
        span = f"{days} 天" + (f" {hours} 小时" if hours else "")
    elif hours:
        span = f"{hours} 小时" + (f" {minutes} 分钟" if minutes else "")
    else:
        span = f"{max(minutes, 1)} 分钟"
    return f"已过截止时间 {span}" if late else f"还有 {span}"
