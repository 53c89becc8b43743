"""A streaming .xlsx writer for big, plainly styled tables: each row goes as XML straight into
the zip file's compressor, so memory stays flat however many rows there are, and a cell costs
about a microsecond (openpyxl's write-only mode about 9, XlsxWriter's ``constant_memory``
mode about 6: ``python -m bench.export`` compares them).

It writes the parts XlsxWriter writes for the same features, in the same form: inline
strings, a handful of cell styles (font, fill, number format), column widths, panes frozen
under the top rows and a filter on a header row (with the hidden ``_FilterDatabase`` name
Excel itself keeps for it). Nothing else: no formulas, no merged cells, no shared strings.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from itertools import islice
from numbers import Real
from pathlib import Path
from typing import Any, BinaryIO

MAX_ROWS = 1_048_576  # Excel's rows per sheet
MAX_CELL = 32_000  # Excel's limit is 32,767 characters per cell
MAX_SHEET_NAME = 31
EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year quirk folded in)
CHUNK_ROWS = 1000  # rows joined before one write into the compressor

# Characters XML 1.0 does not allow (C0 controls but tab, newline and return; lone
# surrogates; U+FFFE and U+FFFF): removed from text.
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Text that reads as Excel's own escape of a character (``_x0041_`` is "A" to Excel): its
# underscore is escaped in turn, as Excel itself writes it.
EXCEL_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
# Text that needs more than copying: the above, XML's own three, and a carriage return
# (kept as a character reference: a parser would fold it into a newline).
SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
DATE_FORMAT, DATETIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}


@dataclass(frozen=True)
class Style:
    """A cell style: font weight and size, font colour and solid fill (``RRGGBB``), number format."""

    bold: bool = False
    size: float = 11
    color: str | None = None
    fill: str | None = None
    num_format: str | None = None


DATE, DATETIME = Style(num_format=DATE_FORMAT), Style(num_format=DATETIME_FORMAT)  # a date's own


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def clean_text(value: str) -> str:
    """What Excel can hold of a text: characters XML forbids removed, cut at ``MAX_CELL``."""
    return ILLEGAL.sub("", value)[:MAX_CELL]


def _escape(text: str) -> str:
    """Text for a ``<t>`` element (callers have checked SPECIAL matched)."""
    text = EXCEL_ESCAPE.sub("_x005F_", ILLEGAL.sub("", text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attr(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def _serial(value: datetime | date) -> float:
    """A date or time as Excel's day number (an aware time as its wall-clock time)."""
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - EPOCH
        return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return (value - EPOCH.date()).days


def _quoted(sheet_name: str) -> str:
    return "'" + sheet_name.replace("'", "''") + "'"


class Book:
    """One .xlsx file being written: ``sheet()`` for each sheet in turn, then ``close()``."""

    def __init__(self, path: Path | str | BinaryIO, compresslevel: int = 6):
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._styles = [Style()]  # id 0: Excel's default
        self._sheets: list[tuple[str, str | None]] = []  # (name, filter range)
        self._open: Worksheet | None = None

    def style(self, style: Style) -> int:
        """The id of ``style`` (added to the book's styles if new)."""
        if style not in self._styles:
            self._styles.append(style)
        return self._styles.index(style)

    def sheet(self, name: str, widths: Sequence[float] = (), frozen_rows: int = 0) -> Worksheet:
        """Start the next sheet (the one before it is finished first)."""
        if self._open is not None:
            self._open.close()
        if not name or len(name) > MAX_SHEET_NAME or re.search(r"[\[\]:*?/\\]", name) \
                or name.lower() in (n.lower() for n, _ in self._sheets):
            raise ValueError(f"sheet name Excel would refuse: {name!r}")
        self._sheets.append((name, None))
        index = len(self._sheets)
        self._open = Worksheet(self, index, self._zip.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True),
                               widths, frozen_rows, selected=index == 1)
        return self._open

    def _finished(self, index: int, filter_ref: str | None) -> None:
        name, _ = self._sheets[index - 1]
        self._sheets[index - 1] = (name, filter_ref)
        self._open = None

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
        if not self._sheets:
            raise ValueError("a workbook needs at least one sheet")
        write = self._zip.writestr
        n = len(self._sheets)
        write("xl/workbook.xml", self._workbook_xml())
        write("xl/styles.xml", self._styles_xml())
        write("xl/_rels/workbook.xml.rels", HEAD + f'<Relationships xmlns="{PKG_REL}">' + "".join(
            f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)) + f'<Relationship Id="rId{n + 1}" Type="{REL}/styles" Target="styles.xml"/>'
            "</Relationships>")
        write("_rels/.rels", HEAD + f'<Relationships xmlns="{PKG_REL}">'
              f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
              f'<Relationship Id="rId2" Type="{PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
              "</Relationships>")
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        write("docProps/core.xml", HEAD +
              '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
              'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
              'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>考核助手</dc:creator>'
              f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
              f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>')
        sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        write("[Content_Types].xml", HEAD +
              '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
              '<Default Extension="xml" ContentType="application/xml"/>'
              '<Override PartName="/xl/workbook.xml" '
              'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
              '<Override PartName="/xl/styles.xml" '
              'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
              '<Override PartName="/docProps/core.xml" '
              'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
              + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>'
                        for i in range(1, n + 1)) + "</Types>")
        self._zip.close()

    def abort(self) -> None:
        """Stop without a usable file (after an error)."""
        if self._open is not None:
            self._open.handle.close()
        self._zip.close()

    def _workbook_xml(self) -> str:
        sheets = "".join(f'<sheet name="{_attr(name)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, (name, _) in enumerate(self._sheets, start=1))
        names = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                        f"{_escape(_quoted(name))}!{ref}</definedName>"
                        for i, (name, ref) in enumerate(self._sheets) if ref)
        return (HEAD + f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><workbookPr/>'
                '<bookViews><workbookView activeTab="0"/></bookViews>'
                f"<sheets>{sheets}</sheets>" + (f"<definedNames>{names}</definedNames>" if names else "")
                + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')

    def _styles_xml(self) -> str:
        formats: dict[str, int] = {}
        fonts: list[str] = []
        fills = ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>']
        xfs = []
        for style in self._styles:
            number = BUILTIN_FORMATS.get(style.num_format or "General")
            if number is None:
                number = formats.setdefault(style.num_format, 164 + len(formats))
            font = ("<font>" + ("<b/>" if style.bold else "") + f'<sz val="{style.size:g}"/>'
                    + (f'<color rgb="FF{style.color.upper()}"/>' if style.color else "")
                    + '<name val="Calibri"/><family val="2"/><scheme val="minor"/></font>')
            if font not in fonts:
                fonts.append(font)
            fill = 0
            if style.fill:
                xml = (f'<fill><patternFill patternType="solid"><fgColor rgb="FF{style.fill.upper()}"/>'
                       '<bgColor indexed="64"/></patternFill></fill>')
                if xml not in fills:
                    fills.append(xml)
                fill = fills.index(xml)
            xfs.append(f'<xf numFmtId="{number}" fontId="{fonts.index(font)}" fillId="{fill}" borderId="0" xfId="0"'
                       + (' applyNumberFormat="1"' if number else "") + (' applyFont="1"' if fonts.index(font) else "")
                       + (' applyFill="1"' if fill else "") + "/>")
        numfmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{_attr(code)}"/>' for code, i in formats.items())
        return (HEAD + f'<styleSheet xmlns="{MAIN}">'
                + (f'<numFmts count="{len(formats)}">{numfmts}</numFmts>' if formats else "")
                + f'<fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
                + f'<fills count="{len(fills)}">{"".join(fills)}</fills>'
                + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                + f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                + '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
                'defaultPivotStyle="PivotStyleLight16"/></styleSheet>')


class Worksheet:
    """One sheet being written: rows in order, top to bottom."""

    def __init__(self, book: Book, index: int, handle: BinaryIO, widths: Sequence[float], frozen_rows: int,
                 selected: bool):
        self.book, self.index, self.handle = book, index, handle
        self.rows_written = 0
        self._filter: str | None = None
        pane = (f'<pane ySplit="{frozen_rows}" topLeftCell="A{frozen_rows + 1}" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft"/>') if frozen_rows else ""
        # Excel shows a width of w characters for w + 0.71 here (its padding), as XlsxWriter writes.
        cols = "".join(f'<col min="{i}" max="{i}" width="{w + 0.7109375:.10g}" customWidth="1"/>'
                       for i, w in enumerate(widths, start=1))
        handle.write((HEAD + f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetViews><sheetView '
                      + ('tabSelected="1" ' if selected else "") + f'workbookViewId="0">{pane}</sheetView>'
                      '</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                      + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>").encode())

    def append(self, values: Sequence[Any], styles: Sequence[int] | int = 0) -> None:
        """One row; ``styles`` a style id for every cell or one per cell."""
        if isinstance(styles, int):
            styles = [styles] * len(values)
        self.extend(iter([values]), styles)

    def extend(self, rows: Iterator[Sequence[Any]], styles: Sequence[int], limit: int | None = None) -> int:
        """Write rows from ``rows`` (at most ``limit``; Excel's row limit in any case), the
        cells of column ``i`` in style ``styles[i]``; returns how many were written."""
        room = MAX_ROWS - self.rows_written
        limit = room if limit is None else min(limit, room)
        refs = [column_letter(i) for i in range(1, len(styles) + 1)]
        marks = [f' s="{s}"' if s else "" for s in styles]
        first = self.rows_written + 1
        number = first - 1
        chunk: list[str] = []
        write, special = self.handle.write, SPECIAL.search
        for row in islice(rows, limit):
            number += 1
            r = str(number)
            cells = [f'<row r="{r}">']
            add = cells.append
            for i, value in enumerate(row):
                if value is None:
                    continue
                kind = type(value)
                if kind is str:
                    if not value:
                        continue
                    if len(value) > MAX_CELL:
                        value = value[:MAX_CELL]
                    if special(value):
                        value = _escape(value)
                        if not value:
                            continue
                    space = ' xml:space="preserve"' if value[0] in " \t\n" or value[-1] in " \t\n" else ""
                    add(f'<c r="{refs[i]}{r}"{marks[i]} t="inlineStr"><is><t{space}>{value}</t></is></c>')
                elif kind is int or kind is float:
                    if kind is float and not math.isfinite(value):
                        continue
                    add(f'<c r="{refs[i]}{r}"{marks[i]}><v>{value!r}</v></c>')
                elif kind is bool:
                    add(f'<c r="{refs[i]}{r}"{marks[i]} t="b"><v>{int(value)}</v></c>')
                elif isinstance(value, date):  # in a column without a format: shown as a date still
                    mark = marks[i] or self._date_mark(isinstance(value, datetime))
                    add(f'<c r="{refs[i]}{r}"{mark}><v>{_serial(value)!r}</v></c>')
                elif isinstance(value, Real):  # numpy's numbers and the like
                    if math.isfinite(value):
                        add(f'<c r="{refs[i]}{r}"{marks[i]}><v>{float(value)!r}</v></c>')
                else:
                    text = str(value)[:MAX_CELL]
                    add(f'<c r="{refs[i]}{r}"{marks[i]} t="inlineStr"><is><t>{_escape(text)}</t></is></c>')
            add("</row>")
            chunk.append("".join(cells))
            if len(chunk) == CHUNK_ROWS:
                write("".join(chunk).encode("utf-8", "replace"))
                chunk.clear()
        if chunk:
            write("".join(chunk).encode("utf-8", "replace"))
        self.rows_written = number
        return number - first + 1

    def _date_mark(self, with_time: bool) -> str:
        return f' s="{self.book.style(DATETIME if with_time else DATE)}"'

    def autofilter(self, header_row: int, columns: int, last_row: int) -> None:
        """A filter on ``header_row`` (1-based) over ``columns`` columns down to ``last_row``."""
        self._filter = f"$A${header_row}:${column_letter(columns)}${max(last_row, header_row)}"

    def close(self) -> None:
        tail = "</sheetData>"
        if self._filter:
            tail += f'<autoFilter ref="{self._filter.replace("$", "")}"/>'
        tail += '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
        self.handle.write(tail.encode())
        self.handle.close()
        self.book._finished(self.index, self._filter)

