"""Starting next year's cycle from the current one.

``plan_next_cycle`` reads config.toml and says what the new cycle will be: the year and name
one on, every phase and deadline date a year later (a due date that lands on a weekend is
flagged for the office to move), the indicator tree and the units as they are. Nothing is
written. ``start_next_cycle`` then, with the bot stopped:

1. copies the database, as it is, into ``<[storage] dir>/cycles/<year>/`` with the config it
   ran under: the finished cycle, never written again (its exports still come out the same:
   ``python -m bot.manage export --cycle <year>``);
2. writes the new config.toml (the old one is in the archive);
3. empties the cycle's own tables (``storage.cycles``): units, liaisons, invite codes and
   regulations carry over, nothing of this year's materials counts.

The unit card, /score and the exports then show each unit's result in the archived cycle
beside this one (``PreviousCycle``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from kaohe.config import AppConfig, ConfigError, load_config
from storage.cycles import ARCHIVE_CONFIG, ARCHIVE_DB, PreviousCycle, archive_folder
from storage.store import Store

_DATED = re.compile(r'^(\s*(?:start|end|due)\s*=\s*")(\d{4})-(\d{2})-(\d{2})(.*")(\s*(?:#.*)?)$')
_YEAR = re.compile(r"^(\s*year\s*=\s*)(\d{4})(\s*(?:#.*)?)$")
_NAME = re.compile(r'^(\s*name\s*=\s*")(.*)("\s*(?:#.*)?)$')
WEEKDAYS = "一二三四五六日"


class CycleError(Exception):
    """The next cycle cannot start; ``reason`` says why and what to do."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NextCyclePlan:
    year: int
    name: str
    archive: Path
    changes: tuple[tuple[str, str, str], ...]  # (what, old, new)
    warnings: tuple[str, ...]
    text: str  # the new config.toml
    units: int
    liaisons: int
    submissions: int


def _a_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def shift_config(text: str, year: int) -> tuple[str, list[tuple[str, str, str]], list[str]]:
    """config.toml's text for the next cycle: [cycle] year and name, every phase and deadline
    date a year on. Returns the text, the changes and warnings (a due date on a weekend)."""
    lines, changes, warnings = [], [], []
    section = ""
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        header = re.match(r"^\s*\[\[?\s*([\w.]+)\s*\]\]?", body)
        if header:
            section = header.group(1)
        if section == "cycle" and (m := _YEAR.match(body)):
            body = f"{m.group(1)}{int(m.group(2)) + 1}{m.group(3)}"
            changes.append(("考核年度", m.group(2), str(int(m.group(2)) + 1)))
        elif section == "cycle" and (m := _NAME.match(body)) and str(year) in m.group(2):
            new = m.group(2).replace(str(year), str(year + 1))
            body = f"{m.group(1)}{new}{m.group(3)}"
            changes.append(("考核名称", m.group(2), new))
        elif section in ("phases", "deadlines") and (m := _DATED.match(body)):
            old = date(int(m.group(2)), int(m.group(3)), int(m.group(4)))
            new = _a_year_later(old)
            body = f"{m.group(1)}{new.isoformat()}{m.group(5)}{m.group(6)}"
            what = "阶段" if section == "phases" else "截止时间"
            changes.append((what, old.isoformat() + m.group(5).rstrip('"'), new.isoformat() + m.group(5).rstrip('"')))
            if section == "deadlines" and new.weekday() >= 5:
                warnings.append(f"截止时间 {new.isoformat()} 是星期{WEEKDAYS[new.weekday()]}，请确认或在新配置中调整。")
        lines.append(body + ending)
    return "".join(lines), changes, warnings


def plan_next_cycle(config: AppConfig) -> NextCyclePlan:
    """What starting the next cycle would do; writes nothing. Raises ``CycleError``."""
    archive = archive_folder(config.storage_dir, config.year)
    if archive.exists():
        raise CycleError(f"{config.year} 年度已经归档（{archive}）：下一周期已开始过。"
                         "如需重来，请先用 backup 备份、restore 恢复到开始前的状态。")
    text, changes, warnings = shift_config(config.path.read_text(encoding="utf-8"), config.year)
    if not any(what == "考核年度" for what, _, _ in changes):
        raise CycleError("config.toml 的 [cycle] 中没有 year = 年份，无法确定下一周期。")
    candidate = config.path.with_name(config.path.name + ".next")
    try:
        candidate.write_text(text, encoding="utf-8")
        new = load_config(candidate, with_model=False)
    except ConfigError as exc:
        raise CycleError(f"生成的新配置有误，未开始：{exc}") from None
    finally:
        candidate.unlink(missing_ok=True)
    store = Store(config.storage_dir)
    try:
        counts = store.counts()
    finally:
        store.close()
    return NextCyclePlan(new.year, new.cycle_name, archive, tuple(changes), tuple(warnings), text,
                         counts["units"], counts["people"], counts["submissions"])


def start_next_cycle(config: AppConfig, plan: NextCyclePlan, actor: object) -> dict[str, int]:
    """Archive the cycle, write the new config, empty the cycle's tables (see the module)."""
    store = Store(config.storage_dir)
    try:
        store.archive_to(plan.archive)
        old_text = config.path.read_text(encoding="utf-8")
        (plan.archive / ARCHIVE_CONFIG).write_text(old_text, encoding="utf-8")
        partial = config.path.with_name(config.path.name + ".partial")
        partial.write_text(plan.text, encoding="utf-8")
        partial.replace(config.path)
        try:
            return store.start_next_cycle(str(config.year), actor, {
                "from": config.cycle_name, "to": plan.name, "archive": str(plan.archive)})
        except BaseException:
            config.path.write_text(old_text, encoding="utf-8")  # the database is unchanged: so is config
            raise
    finally:
        store.close()


_READERS: dict[Path, PreviousCycle] = {}  # an archive never changes: read it once


def previous_cycle(config: AppConfig, store: Store) -> PreviousCycle | None:
    """The cycle before this one (its results by unit), or None before any was archived."""
    year = store.previous_cycle()
    if not year:
        return None
    folder = archive_folder(config.storage_dir, int(year))
    reader = _READERS.get(folder)
    if reader is None:
        try:
            with open(folder / ARCHIVE_CONFIG, "rb") as f:
                name = tomllib.load(f).get("cycle", {}).get("name") or f"{year}年度"
        except (OSError, tomllib.TOMLDecodeError):
            name = f"{year}年度"
        if not (folder / ARCHIVE_DB).exists():
            return None
        reader = _READERS[folder] = PreviousCycle(folder, name)
    return reader


def archived_config(config: AppConfig, year: int) -> AppConfig:
    """The config an archived cycle ran under, reading its own database (for its exports)."""
    folder = archive_folder(config.storage_dir, year)
    if not (folder / ARCHIVE_DB).exists():
        raise CycleError(f"没有 {year} 年度的归档（{folder}）。")
    old = load_config(folder / ARCHIVE_CONFIG, with_model=False)
    return replace(old, storage_dir=folder, regulations_dir=None)
