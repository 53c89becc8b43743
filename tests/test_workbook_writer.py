"""The office's workbook as Excel and WPS show it, read back from the file: the title row, the
header frozen under it with a filter, widths, number and date formats, text kept exactly as
typed (never a formula), and a sheet past the row limit continued in 「名称（续2）」. Also: the
package's parts are well-formed and declared, and the export written in its own process is
the one written in the caller's."""

from __future__ import annotations

import math
import re
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

import openpyxl
import pytest

from kaohe.exports import STAGES, export_all
from kaohe.writers import workbook as wb
from kaohe.writers.xlsx import MAX_CELL, Book, Style, column_letter
from tests.test_exports import NOW, filled  # noqa: F401  (filled: the fixture)

COLUMNS = [wb.Column("单位", 28), wb.Column("总分", 9, wb.NUMBER), wb.Column("材料（份）", 8, wb.INTEGER),
           wb.Column("得分率（%）", 9, wb.PERCENT), wb.Column("首次提交", 17, wb.TIME), wb.Column("备注", 40)]
ROWS = [("市司法局", 88.25, 3, 88.3, datetime(2026, 12, 1, 9, 30), "调研报告2篇"),
        ("东城区", 70.5, 1, 70.5, datetime(2026, 12, 2, 18, 5), None),
        ("高新区", None, 0, None, None, "")]


def _book(tmp_path, rows=ROWS, columns=COLUMNS, name="汇总"):
    path = tmp_path / "book.xlsx"
    counts = wb.write_workbook(path, "2026年度考核（初步）", [wb.Sheet(name, columns, iter(rows))])
    return path, counts


def test_title_header_frozen_filter_widths_and_formats(tmp_path):
    path, counts = _book(tmp_path)
    assert counts == {"汇总": 3}
    ws = openpyxl.load_workbook(path)["汇总"]
    assert ws["A1"].value == "2026年度考核（初步） · 汇总" and ws["A1"].font.b and ws["A1"].font.sz == 13
    assert [c.value for c in ws[2]] == [c.header for c in COLUMNS]
    assert all(c.font.b and c.font.color.rgb == "FFFFFFFF" and c.fill.fgColor.rgb == "FF3B6EA8" for c in ws[2])
    assert ws.freeze_panes == "A3"  # title and header stay in view
    assert ws.auto_filter.ref == "A2:F5"  # on the header, over every row
    for index, column in enumerate(COLUMNS, start=1):  # Excel shows the width asked for (it pads 0.71)
        assert ws.column_dimensions[column_letter(index)].width == pytest.approx(column.width + 0.71, abs=0.01)
    first = ws[3]
    assert [c.value for c in first] == list(ROWS[0])
    assert [c.number_format for c in first[1:5]] == ["0.0#", "0", "0.0", "yyyy-mm-dd hh:mm"]
    assert isinstance(first[4].value, datetime)  # a date Excel can sort and filter, not text
    empty = [c.value for c in ws[5]]
    assert empty[0] == "高新区" and empty[1] is None and empty[2] == 0 and empty[5] is None


def test_an_empty_sheet_keeps_its_title_header_and_filter(tmp_path):
    path, counts = _book(tmp_path, rows=[])
    ws = openpyxl.load_workbook(path)["汇总"]
    assert counts == {"汇总": 0}
    assert [c.value for c in ws[2]] == [c.header for c in COLUMNS]
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:F2"


def test_text_is_kept_as_typed_and_never_turns_into_a_formula(tmp_path):
    texts = ["=SUM(A1:A9)", "00123", "a&b <c> \"d\" 'e'", "  前后空格  ", "第一行\n第二行", "回车\r换行",
             "控制\x01字符\x1f去掉", "\ud800孤立代理", "𠀀 扩展区汉字 😀", "x" * (MAX_CELL + 50), "_x0041_"]
    path, _ = _book(tmp_path, rows=[(t,) for t in texts], columns=[wb.Column("文字", 20)])
    values = [r[0] for r in openpyxl.load_workbook(path)["汇总"].iter_rows(min_row=3, values_only=True)]
    assert values[:3] == texts[:3]  # a formula's text, leading zeros, XML's own characters
    assert values[3] == "  前后空格  " and values[4] == "第一行\n第二行" and values[5] == "回车\r换行"
    assert values[6] == "控制字符去掉" and values[7] == "孤立代理" and values[8] == texts[8]
    assert values[9] == "x" * MAX_CELL  # Excel's cell limit
    cells = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in cells and 't="str"' not in cells  # no formula anywhere
    # Excel reads "_x0041_" as its escape of "A": the underscore is escaped, as Excel does
    # (openpyxl does not undo it; Excel and LibreOffice show "_x0041_").
    assert "<t>_x005F_x0041_</t>" in cells


def test_numbers_booleans_and_dates_keep_their_type(tmp_path):
    rows = [(1, 2.5, True, date(2026, 12, 1), 10**12, float("nan")), (0, -0.125, False, None, -3, math.inf)]
    columns = [wb.Column(h, 8) for h in "ABCDEF"]
    path, _ = _book(tmp_path, rows=rows, columns=columns)
    got = list(openpyxl.load_workbook(path)["汇总"].iter_rows(min_row=3, values_only=True))
    # A date in a column without a date format is still shown as a date; NaN and infinity empty.
    assert got[0][:5] == (1, 2.5, True, datetime(2026, 12, 1), 10**12) and got[0][5] is None
    assert got[1][:3] == (0, -0.125, False) and got[1][4] == -3 and got[1][5] is None


def test_a_sheet_past_the_row_limit_continues_with_its_title_header_and_filter(tmp_path, monkeypatch):
    monkeypatch.setattr(wb, "MAX_DATA_ROWS", 3)
    columns = [wb.Column("单位", 10), wb.Column("序号", 6, wb.INTEGER)]
    counts = wb.write_workbook(tmp_path / "x.xlsx", "测试", [
        wb.Sheet("证据", columns, ((f"单位{i}", i) for i in range(7))),
        wb.Sheet("整好", columns, ((f"单位{i}", i) for i in range(6)))])  # exactly two parts full
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert counts == {"证据": 7, "整好": 6}
    assert book.sheetnames == ["证据", "证据（续2）", "证据（续3）", "整好", "整好（续2）"]
    for name in book.sheetnames:
        ws = book[name]
        assert ws["A1"].value == f"测试 · {name}" and [c.value for c in ws[2]] == ["单位", "序号"]
        assert ws.freeze_panes == "A3" and ws["B3"].number_format == "0"
    assert [book[n].auto_filter.ref for n in book.sheetnames] == ["A2:B5", "A2:B5", "A2:B3", "A2:B5", "A2:B5"]
    values = [r[1] for n in book.sheetnames[:3] for r in book[n].iter_rows(min_row=3, values_only=True)]
    assert values == list(range(7))


def test_the_parts_are_well_formed_and_declared(tmp_path):
    rows = [(f"单位{i}", i) for i in range(5)]
    path = tmp_path / "x.xlsx"
    wb.write_workbook(path, "测试", [wb.Sheet("汇总", COLUMNS[:1], iter([("a",)])),
                                     wb.Sheet("证据", [wb.Column("单位", 10), wb.Column("序号", 6, wb.INTEGER)],
                                              iter(rows))])
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        parts = {name: ElementTree.fromstring(z.read(name)) for name in z.namelist()}
    declared = {o.get("PartName").lstrip("/") for o in parts["[Content_Types].xml"] if o.get("PartName")}
    assert {"xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} <= declared
    targets = {r.get("Target") for r in parts["xl/_rels/workbook.xml.rels"]}
    assert targets == {"worksheets/sheet1.xml", "worksheets/sheet2.xml", "styles.xml"}
    workbook = zipfile.ZipFile(path).read("xl/workbook.xml").decode()
    # Excel's own hidden name for each sheet's filter, the sheet name quoted.
    assert re.findall(r'_FilterDatabase" localSheetId="(\d)" hidden="1">([^<]+)<', workbook) == [
        ("0", "'汇总'!$A$2:$A$3"), ("1", "'证据'!$A$2:$B$7")]


def test_sheet_names_excel_would_refuse_are_refused(tmp_path):
    book = Book(tmp_path / "x.xlsx")
    book.sheet("汇总")
    for name in ("", "a" * 32, "a/b", "问题?", "汇总"):  # empty, too long, forbidden characters, taken
        with pytest.raises(ValueError):
            book.sheet(name)
    book.abort()


def test_styles_are_shared_between_cells(tmp_path):
    book = Book(tmp_path / "x.xlsx")
    assert book.style(Style(num_format="0")) == book.style(Style(num_format="0")) != book.style(Style(bold=True))
    book.sheet("a").append(["x"], book.style(Style(bold=True)))
    book.close()
    assert openpyxl.load_workbook(tmp_path / "x.xlsx")["a"]["A1"].font.b


def test_the_export_process_writes_what_this_process_writes_and_says_each_stage(filled, tmp_path):  # noqa: F811
    told = {True: [], False: []}
    files = {process: export_all(filled.config, filled.store, tmp_path / str(process), NOW,
                                 progress=told[process].append, process=process) for process in (True, False)}
    assert told[True] == told[False] == list(STAGES)
    books = {p: openpyxl.load_workbook(f.workbook) for p, f in files.items()}
    assert books[True].sheetnames == books[False].sheetnames
    for name in books[True].sheetnames:
        rows = {p: list(b[name].iter_rows(min_row=2, values_only=True)) for p, b in books.items()}
        assert rows[True] == rows[False]
    assert files[True].rows == files[False].rows and files[True].units == files[False].units == 4
    assert sorted(p.name for p in files[True].charts) == sorted(p.name for p in files[False].charts)
    # The export process's memory is known (the benchmark's figure); this process's is not separable.
    assert files[True].peak_rss > files[True].start_rss > 0 and files[False].peak_rss is None
    assert set(files[True].seconds) == {"snapshot", *STAGES, "total"}


def test_a_failing_progress_callback_does_not_stop_the_export(filled, tmp_path):  # noqa: F811
    def broken(stage):
        raise RuntimeError("chat gone")

    files = export_all(filled.config, filled.store, tmp_path, NOW, progress=broken, process=False)
    assert files.workbook.exists() and files.report.exists() and len(files.charts) == 3
