"""Writes the office's workbook (.xlsx) with openpyxl in write-only mode: rows are streamed to
disk as they come, so 5,000 units cost no more memory than 50.

Every sheet has a title row (the cycle, the sheet, 初步 or 最终, when exported), a bold
header row frozen under it with a filter, column widths and number formats. Opens in Excel
and WPS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

TEXT, NUMBER, INTEGER, PERCENT, TIME = "text", "number", "integer", "percent", "time"
FORMATS = {NUMBER: "0.0#", INTEGER: "0", PERCENT: "0.0", TIME: "yyyy-mm-dd hh:mm"}
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="3B6EA8")
TITLE_FONT = Font(bold=True, size=13)
MAX_CELL = 32_000  # Excel's limit is 32,767 characters per cell
MAX_DATA_ROWS = 1_048_576 - 2  # Excel's rows per sheet, less the title and header rows


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = TEXT


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL]
    return value


def write_workbook(path: Path, title: str, sheets: Iterable[Sheet]) -> dict[str, int]:
    """Write ``sheets`` to ``path``; return the number of data rows per sheet.

    A sheet with more rows than Excel allows continues in 「名称（续2）」 and so on.
    """
    book = Workbook(write_only=True)
    counts = {}
    for sheet in sheets:
        formats = [FORMATS.get(c.kind) for c in sheet.columns]
        ws, part, n, in_part = _start_sheet(book, sheet, sheet.name, title), 1, 0, 0
        for row in sheet.rows:
            if in_part == MAX_DATA_ROWS:
                _finish_sheet(ws, sheet, in_part)
                part += 1
                ws, in_part = _start_sheet(book, sheet, f"{sheet.name}（续{part}）", title), 0
            # Plain values where no format is needed: a styled cell costs several times more.
            cells = []
            for value, fmt in zip(row, formats, strict=True):
                if fmt and value is not None:
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = fmt
                    cells.append(cell)
                else:
                    cells.append(_clean(value))
            ws.append(cells)
            n += 1
            in_part += 1
        _finish_sheet(ws, sheet, in_part)
        counts[sheet.name] = n
    book.save(path)
    return counts


def _start_sheet(book: Workbook, sheet: Sheet, name: str, title: str):
    ws = book.create_sheet(name)
    for index, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A3"
    head = WriteOnlyCell(ws, value=f"{title} · {name}")
    head.font = TITLE_FONT
    ws.append([head])
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        header.append(cell)
    ws.append(header)
    return ws


def _finish_sheet(ws, sheet: Sheet, rows: int) -> None:
    ws.auto_filter.ref = f"A2:{get_column_letter(len(sheet.columns))}{rows + 2}"


def local(text: str | None, tz) -> datetime | None:
    """A stored UTC ISO time as a naive local datetime (what Excel shows)."""
    if not text:
        return None
    return datetime.fromisoformat(text).astimezone(tz).replace(tzinfo=None)
