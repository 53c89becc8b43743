"""Parse the office's list of units (.xlsx or .csv): 单位名称, 简称/别名, 类别, optional 联络员
and 编号. A city has about 100 units and a province about 5,000; the office keeps them in a
spreadsheet, not in config.toml.

``parse_unit_sheet`` returns every row it could read and, separately, every row it could not
(with its row number and what is wrong); whether the rows fit the database (a duplicate of
an existing unit's alias, an unknown category) is decided by ``kaohe.units``. A file that is
not a table at all raises ``BadUnitSheet`` with a Chinese reason.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from .survey import SCORE_HEADERS
from .table import BadTable, Row, TableFormat, blank, cell_text, sheet_rows

HEADER_SEARCH_ROWS = 10
NAME_HEADERS = ("单位名称", "单位全称", "被考核单位", "单位", "名称")
ALIAS_HEADERS = ("简称/别名", "简称或别名", "简称、别名", "简称", "别名", "单位简称")
CATEGORY_HEADERS = ("类别", "单位类别", "考核类别", "类型", "分类", "单位类型")
LIAISON_HEADERS = ("联络员", "联络员姓名", "联系人")
ID_HEADERS = ("编号", "单位编号", "代码", "单位代码")
SPLIT = re.compile(r"[、,，;；/|｜\s]+")
MAX_NAME = 60


class BadUnitSheet(BadTable):
    """The file cannot be read as a list of units."""


_FORMAT = TableFormat("单位名单（单位名称、简称/别名、类别）", BadUnitSheet)
NO_HEADER = ("在前 10 行中没有找到表头：单位名单需要“单位名称”和“类别”两列（可选“简称/别名”“联络员”“编号”）。"
             "请在第一行写上这些列名后重新上传。")


@dataclass(frozen=True)
class UnitRow:
    row: int  # 1-based row number in the sheet, for messages
    name: str
    aliases: tuple[str, ...]
    category: str
    liaisons: tuple[str, ...] = ()
    unit_id: str | None = None  # the 编号 column, when the sheet has one


@dataclass(frozen=True)
class UnitSheet:
    rows: tuple[UnitRow, ...]
    problems: tuple[tuple[int, str], ...]  # (row, what is wrong) for rows that could not be read
    file_type: str
    sheet: str | None


@dataclass(frozen=True)
class _Columns:
    row: int
    name: int
    category: int
    aliases: int | None
    liaisons: int | None
    unit_id: int | None


def name_key(text: str) -> str:
    """How names and aliases are compared: NFKC (full-width → half-width), no spaces, case
    folded. "市 发改委" and "市发改委" are the same name."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def clean_name(text: str) -> str:
    """A name as shown: NFKC, inner runs of spaces and line breaks (Alt+Enter in a cell) as one."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def looks_like_unit_sheet(data: bytes, file_name: str = "") -> bool:
    """Whether the table's header has a unit-name and a category column (and is therefore a
    list of units, not survey results)."""
    try:
        _read(data, file_name)
    except BadTable:
        return False
    return True


def parse_unit_sheet(data: bytes, file_name: str = "") -> UnitSheet:
    columns, rows, file_type, sheet = _read(data, file_name)
    good: list[UnitRow] = []
    problems: list[tuple[int, str]] = []
    for number, cells in rows:
        values = [cell_text(v) for v, _ in cells]
        if all(blank(v) for v in values):
            continue

        def at(index: int | None, values=values) -> str:
            return values[index] if index is not None and index < len(values) else ""

        name = clean_name(at(columns.name))
        category = clean_name(at(columns.category))
        if not name:
            problems.append((number, "缺少单位名称"))
            continue
        if len(name) > MAX_NAME:
            problems.append((number, f"单位名称超过 {MAX_NAME} 个字"))
            continue
        if not category:
            problems.append((number, f"“{name}”缺少类别"))
            continue
        aliases = tuple(dict.fromkeys(
            clean_name(a) for a in SPLIT.split(at(columns.aliases)) if a.strip() and name_key(a) != name_key(name)))
        liaisons = tuple(clean_name(p) for p in SPLIT.split(at(columns.liaisons)) if p.strip())
        unit_id = at(columns.unit_id).strip() or None
        good.append(UnitRow(number, name, aliases, category, liaisons, unit_id))
    return UnitSheet(tuple(good), tuple(problems), file_type, sheet)


def _read(data: bytes, file_name: str) -> tuple[_Columns, list[Row], str, str | None]:
    if _FORMAT.detect(data) == "xlsx":
        workbook = _FORMAT.open_workbook(data)
        try:
            for sheet in workbook.worksheets:
                sheet.reset_dimensions()
                head = sheet_rows(sheet, 1, HEADER_SEARCH_ROWS)
                columns = _find_header(head)
                if columns is not None:
                    return columns, sheet_rows(sheet, columns.row + 1, None), "xlsx", sheet.title
        except BadTable:
            raise
        except Exception as exc:  # broken sheet XML, bad shared strings, ...
            raise _FORMAT.fail("corrupt_xlsx") from exc
        finally:
            workbook.close()
        raise BadUnitSheet(NO_HEADER)
    text = _FORMAT.csv_text(data, file_name)
    for delimiter in (",", "\t", ";"):
        try:
            rows: list[Row] = [(n, [(v, None) for v in record]) for n, record in
                               enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1)]
        except csv.Error:
            continue
        columns = _find_header(rows[:HEADER_SEARCH_ROWS])
        if columns is not None:
            return columns, rows[columns.row:], "csv", None
    raise BadUnitSheet(NO_HEADER)


def _find_header(rows: list[Row]) -> _Columns | None:
    for number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        keys = ["".join(cell_text(v).split()) for v, _ in cells]

        def find(names: tuple[str, ...], keys=keys, taken: tuple[int | None, ...] = ()) -> int | None:
            for wanted in names:  # the most specific header first
                for index, key in enumerate(keys):
                    if key == wanted and index not in taken:
                        return index
            return None

        if any(key in SCORE_HEADERS for key in keys):
            return None  # a score column: survey results (parsers.survey), not a list of units
        name = find(NAME_HEADERS)
        category = find(CATEGORY_HEADERS, taken=(name,))
        if name is None or category is None:
            continue
        aliases = find(ALIAS_HEADERS, taken=(name, category))
        liaisons = find(LIAISON_HEADERS, taken=(name, category, aliases))
        unit_id = find(ID_HEADERS, taken=(name, category, aliases, liaisons))
        return _Columns(number, name, category, aliases, liaisons, unit_id)
    return None
