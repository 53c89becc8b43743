"""Units by the names people use, and the office's list of units.

**Names.** Officials call units by short names (发改委, 住建局, 高新区) or a fragment (发改).
``match_units`` finds, in order: the unit whose id, name or alias is what was typed; those
whose name or alias contains it; those whose name holds its characters in order (the way
Chinese short names are made: 发改委 from 发展和改革委员会). The first of these that finds any
unit decides; several units are offered as choices, none gives the nearest names.

**The list.** A city has about 100 units and a province about 5,000, kept in a spreadsheet.
``plan_import`` compares the sheet with the database: new, changed, unchanged and removed
units, and every row that cannot be used (no name, a duplicate name or alias, an unknown
category), which refuses the file whole. ``Units.import_units`` writes a plan, issuing each
new unit an invite code; from then on the database is the list (``storage.units``).
"""

from __future__ import annotations

import difflib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kaohe.errors import Refused
from parsers.unit_sheet import UnitRow, UnitSheet, name_key, parse_unit_sheet
from storage.units import UnitImport, UnitWrite

STALE_IMPORT = "单位名单在预览之后已有变化（可能已导入过另一份名单），本次没有导入。请重新发送表格，按新的预览确认。"
SUGGESTIONS = 5
NEAREST_POOL = 60  # units compared closely for "did you mean"
MAX_PROBLEMS = 30  # problems listed in a refusal (the count says how many more)
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,20}")
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_code(used: set[str]) -> str:
    """A fresh invite code (no 0/O, 1/I/L to misread) not among ``used`` (upper case; the
    code is added to it)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in used:
            used.add(code)
            return code


@dataclass(frozen=True)
class UnitMatch:
    """What a typed unit name found: ``units`` (one: that unit; several: choose), or none and
    the nearest names as ``suggestions``."""

    units: tuple[dict[str, Any], ...]
    suggestions: tuple[dict[str, Any], ...] = ()

    @property
    def unit(self) -> dict[str, Any] | None:
        return self.units[0] if len(self.units) == 1 else None


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


Names = list[tuple[dict[str, Any], str, list[str]]]  # (unit, name key, alias keys)


def prepare_names(units: list[dict[str, Any]]) -> Names:
    """``units`` (rows with id, name and aliases: ``Store.naming_units``) with their keys."""
    return [(u, name_key(u["name"]), [name_key(a) for a in u.get("aliases") or ()]) for u in units]


def match_units(query: str, units: list[dict[str, Any]] | None = None, names: Names | None = None) -> UnitMatch:
    """The units ``query`` names among ``units`` (or the prepared ``names``)."""
    key = name_key(query)
    if not key:
        return UnitMatch(())
    names = names if names is not None else prepare_names(units or [])
    exact = [u for u, name, aliases in names if key in (name, u["id"].casefold()) or key in aliases]
    if exact:
        return UnitMatch(tuple(exact))
    inside = [u for u, name, aliases in names if key in name or any(key in a for a in aliases)]
    if inside:
        return UnitMatch(tuple(inside))
    if len(key) >= 2:
        short = [u for u, name, aliases in names
                 if _subsequence(key, name) or any(_subsequence(key, a) for a in aliases)]
        if short:
            return UnitMatch(tuple(short))
    return UnitMatch((), tuple(_nearest(key, names)))


def _nearest(key: str, names) -> list[dict[str, Any]]:
    """The units whose name or alias is most like ``key`` (shared characters in order)."""
    chars = set(key)
    # Only the units sharing the most characters with it are compared closely (a province
    # has 5,000 units: difflib over all of them would take a tenth of a second).
    sharing = sorted(((len(chars & set(name + "".join(aliases))), unit, name, aliases)
                      for unit, name, aliases in names), key=lambda item: -item[0])
    scored = []
    for common, unit, name, aliases in sharing[:NEAREST_POOL]:
        if not common:
            break  # nothing in common: not worth comparing
        best = max(difflib.SequenceMatcher(None, key, candidate).ratio() for candidate in [name, *aliases])
        if best >= 0.5:  # more than a shared suffix (局, 区): 司法厅 → 司法局, not 水务局 → 司法局
            scored.append((best, unit))
    scored.sort(key=lambda item: -item[0])
    return [unit for _, unit in scored[:SUGGESTIONS]]


# ---- the list of units ------------------------------------------------------------------


@dataclass(frozen=True)
class ImportPlan:
    """A units sheet against the database, before anything is written."""

    new: tuple[UnitRow, ...]
    changed: tuple[tuple[UnitRow, dict[str, Any], tuple[str, ...]], ...]  # row, unit, what changes
    unchanged: tuple[tuple[UnitRow, dict[str, Any]], ...]
    removed: tuple[dict[str, Any], ...]  # active units the sheet no longer lists
    problems: tuple[tuple[int, str], ...]  # (row, what is wrong): the file is refused
    file_type: str = "xlsx"
    sheet: str | None = None
    source: UnitSheet | None = None  # the sheet read, to plan again at import time

    @property
    def summary(self) -> tuple:
        """What the plan would do, to compare a preview with the database at import time."""
        return (tuple(r.name for r in self.new), tuple(u["id"] for _, u, _ in self.changed),
                tuple(u["id"] for u in self.removed), self.problems)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.new or self.changed or self.unchanged)

    @property
    def rows(self) -> int:
        return len(self.new) + len(self.changed) + len(self.unchanged)


def plan_import(sheet: UnitSheet, existing: list[dict[str, Any]], categories: tuple[str, ...]) -> ImportPlan:
    """Compare ``sheet`` with ``existing`` units (``Store.naming_units(include_inactive=True)``).
    A row names its unit by 编号 when the sheet has one that exists, else by name."""
    problems = list(sheet.problems)
    by_id = {u["id"]: u for u in existing}
    by_name = {name_key(u["name"]): u for u in existing}
    seen_names: dict[str, int] = {}
    seen_aliases: dict[str, tuple[int, str]] = {}
    seen_ids: dict[str, int] = {}
    allowed = {name_key(c): c for c in categories}
    new, changed, unchanged = [], [], []
    matched: set[str] = set()
    for row in sheet.rows:
        key = name_key(row.name)
        if key in seen_names:
            problems.append((row.row, f"单位名称“{row.name}”与第 {seen_names[key]} 行重复"))
            continue
        seen_names[key] = row.row
        row_problem = False
        if allowed and name_key(row.category) not in allowed:
            problems.append((row.row, f"“{row.name}”的类别“{row.category}”不在本期的单位类别中"
                                      f"（{'、'.join(categories)}）"))
            row_problem = True
        for alias in (row.name, *row.aliases):
            akey = name_key(alias)
            other = seen_aliases.get(akey)
            if other is not None and other[0] != row.row:
                problems.append((row.row, f"“{alias}”与第 {other[0]} 行的“{other[1]}”重复，简称/别名必须只指一个单位"))
                row_problem = True
            seen_aliases.setdefault(akey, (row.row, alias))
        if row.unit_id is not None:
            if not ID_PATTERN.fullmatch(row.unit_id):
                problems.append((row.row, f"编号“{row.unit_id}”只能由字母、数字、- 或 _ 组成（最长 20 位）"))
                row_problem = True
            elif row.unit_id in seen_ids:
                problems.append((row.row, f"编号“{row.unit_id}”与第 {seen_ids[row.unit_id]} 行重复"))
                row_problem = True
            else:
                seen_ids[row.unit_id] = row.row
        if row_problem:
            continue
        row = _with_category(row, allowed)
        unit = by_id.get(row.unit_id) if row.unit_id else None
        unit = unit or by_name.get(key)
        if unit is None or unit["id"] in matched:
            new.append(row)
            continue
        matched.add(unit["id"])
        what = _differences(row, unit)
        if what:
            changed.append((row, unit, what))
        else:
            unchanged.append((row, unit))
    if not sheet.rows and not problems:
        problems.append((0, "表中没有任何单位（表头下面是空的）"))
    removed = tuple(u for u in existing if u["active"] and u["id"] not in matched)
    return ImportPlan(tuple(new), tuple(changed), tuple(unchanged), removed,
                      tuple(sorted(problems)), sheet.file_type, sheet.sheet, sheet)


def _with_category(row: UnitRow, allowed: dict[str, str]) -> UnitRow:
    """The category as config spells it (全角/半角, spaces)."""
    spelled = allowed.get(name_key(row.category), row.category)
    if spelled == row.category:
        return row
    return UnitRow(row.row, row.name, row.aliases, spelled, row.liaisons, row.unit_id)


def _differences(row: UnitRow, unit: dict[str, Any]) -> tuple[str, ...]:
    what = []
    if row.name != unit["name"]:
        what.append(f"名称：{unit['name']} → {row.name}")
    if row.category != unit["category"]:
        what.append(f"类别：{unit['category']} → {row.category}")
    old = {name_key(a) for a in unit.get("aliases") or ()}
    if old != {name_key(a) for a in row.aliases}:
        shown = "、".join(row.aliases) or "（无）"
        what.append(f"简称/别名：{'、'.join(unit.get('aliases') or ()) or '（无）'} → {shown}")
    if "、".join(row.liaisons) != (unit.get("contacts") or ""):
        what.append(f"联络员：{unit.get('contacts') or '（无）'} → {'、'.join(row.liaisons) or '（无）'}")
    if not unit["active"]:
        what.append("重新启用")
    return tuple(what)


class Units:
    """Unit naming and the units import, for ``kaohe.services.Services``."""

    # Provided by Services: config, store.

    def find_unit(self, query: str) -> UnitMatch:
        """The active unit(s) ``query`` names (id, name, alias, fragment, short form)."""
        return match_units(query, names=self.unit_names())

    def unit_names(self) -> Names:
        """The active units' names and aliases with their keys, kept until the database
        changes (a province's 5,000 units are normalised once, not at every command)."""
        stamp = self.store.change_stamp()
        cached = getattr(self, "_unit_names", None)
        if cached is None or cached[0] != stamp:
            cached = (stamp, prepare_names(self.store.naming_units()))
            self._unit_names = cached
        return cached[1]

    def preview_units(self, data: bytes, file_name: str) -> ImportPlan:
        """Read a units sheet and compare it with the database; writes nothing. Raises
        ``parsers.unit_sheet.BadUnitSheet`` for a file that is not a units table."""
        sheet = parse_unit_sheet(data, file_name)
        return plan_import(sheet, self.store.naming_units(include_inactive=True), self.config.categories)

    def import_units(self, plan: ImportPlan, actor: object, at: datetime) -> dict[str, str]:
        """Write a previewed plan (all or nothing); returns the new units' ids → invite codes.
        New units get ids ``u0001``… unless the sheet gave 编号. A list that changed since the
        preview (another import, a unit renamed) is refused: the office previews again."""
        if plan.source is not None:
            now = plan_import(plan.source, self.store.naming_units(include_inactive=True), self.config.categories)
            if now.summary != plan.summary:
                raise Refused(STALE_IMPORT)
        rules = self.config.invites
        taken = {u["id"] for u in self.store.naming_units(include_inactive=True)}
        used = self.store.invite_codes()  # every code ever issued, revoked ones included
        codes: dict[str, str] = {}
        new = []
        counter = 0
        for row in plan.new:
            unit_id = row.unit_id if row.unit_id and row.unit_id not in taken else None
            while unit_id is None or unit_id in taken:
                counter += 1
                unit_id = f"u{counter:04d}"
            taken.add(unit_id)
            codes[unit_id] = new_code(used)
            new.append(UnitWrite(unit_id, row.name, row.category, row.aliases, row.liaisons))
        self.store.import_units(UnitImport(
            new=tuple(new),
            changed=tuple(UnitWrite(u["id"], r.name, r.category, r.aliases, r.liaisons) for r, u, _ in plan.changed),
            unchanged=tuple(UnitWrite(u["id"], r.name, r.category, r.aliases, r.liaisons) for r, u in plan.unchanged),
            removed=tuple(u["id"] for u in plan.removed), codes=codes,
            expires_at=at + timedelta(days=rules.valid_days) if rules.valid_days else None,
            max_uses=rules.max_uses or None), actor, at)
        return codes

    def units_imported(self) -> bool:
        """Whether the list of units comes from an import (else from config.toml)."""
        return self.store.units_imported()

    def unit_listing(self) -> list[dict[str, Any]]:
        """The active units with their aliases and listed contacts."""
        return self.store.naming_units()

    def invite_list(self) -> list[dict[str, Any]]:
        """Every active unit with its newest working invite code (for the invite workbook)."""
        codes = self.store.working_codes()
        rows = []
        for unit in self.store.naming_units():
            usable = codes.get(unit["id"], [])
            rows.append({**unit, "invite": usable[0] if usable else None})
        return rows
