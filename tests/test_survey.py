"""Tests for parsers/survey.py: social-evaluation .xlsx/.csv parsing and its Chinese refusals.

Every fixture is built at test time with openpyxl, csv and zipfile; nothing binary is committed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook

from parsers.survey import BadSurvey, SurveyRow, SurveyTable, parse_survey

Rows = list[list[Any]]


def make_xlsx(sheets: dict[str, Rows], formats: dict[tuple[str, str], str] | None = None) -> bytes:
    """An .xlsx with the given sheets (in order); ``formats`` maps (sheet, cell) to a number format."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    for (title, coordinate), number_format in (formats or {}).items():
        workbook[title][coordinate].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_csv(rows: Rows, encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    """CSV bytes as Excel would save them."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def make_zip(files: dict[str, bytes]) -> bytes:
    """A zip archive holding ``files``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def refusal(data: bytes, file_name: str = "") -> str:
    """The ``reason`` of the ``BadSurvey`` that parsing ``data`` must raise."""
    with pytest.raises(BadSurvey) as info:
        parse_survey(data, file_name)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == info.value.reason
    return info.value.reason


BASIC: Rows = [
    ["序号", "单位名称", "社会评价得分"],
    [1, "市公安局", 92.5],
    [2, "市财政局", 88],
    [3, "市教育局", "90.1"],
]


def as_tuples(table: SurveyTable) -> list[tuple[str, float, int | None, int]]:
    """Rows as plain tuples for compact assertions."""
    return [(r.unit, r.score, r.respondents, r.row) for r in table.rows]


# ---------------------------------------------------------------------------- xlsx


def test_xlsx_with_title_row_above_header() -> None:
    rows: Rows = [["2025年度社会评价结果（各单位得分）"], [], *BASIC]
    table = parse_survey(make_xlsx({"结果": rows}), "结果.xlsx")
    assert table.file_type == "xlsx"
    assert table.sheet == "结果"
    assert (table.unit_column, table.score_column) == ("单位名称", "社会评价得分")
    assert as_tuples(table) == [
        ("市公安局", 92.5, None, 4),
        ("市财政局", 88.0, None, 5),
        ("市教育局", 90.1, None, 6),
    ]
    assert all(isinstance(r, SurveyRow) for r in table.rows)
    assert table.skipped == ()


def test_xlsx_wrapped_header_cells() -> None:
    rows: Rows = [
        ["序号", "被考核\n单位", "有效问卷\n（份）", "满意度得分\n（百分制）"],
        [1, "市公安局", 300, "95.2%"],
    ]
    table = parse_survey(make_xlsx({"S": rows}))
    assert (table.unit_column, table.score_column) == ("被考核单位", "满意度得分（百分制）")
    assert as_tuples(table) == [("市公安局", 95.2, 300, 2)]


def test_xlsx_uses_first_sheet_with_header() -> None:
    data = make_xlsx({"说明": [["本表由调查机构提供"], ["数据截至12月"]], "数据": BASIC})
    table = parse_survey(data)
    assert table.sheet == "数据"
    assert [r.unit for r in table.rows] == ["市公安局", "市财政局", "市教育局"]


def test_xlsx_percent_formatted_fractions_and_plain_numbers() -> None:
    rows: Rows = [["单位", "满意度"], ["甲局", 0.925], ["乙局", 0.8], ["丙局", 87], ["丁局", 1]]
    formats = {("S", "B2"): "0.0%", ("S", "B3"): "0%", ("S", "B5"): "0.00%"}
    table = parse_survey(make_xlsx({"S": rows}, formats))
    assert [r.score for r in table.rows] == [92.5, 80.0, 87.0, 100.0]


def test_xlsx_numeric_unit_codes_lose_trailing_zero() -> None:
    rows: Rows = [["单位代码", "得分"], [1001, 90], [1002.0, 91]]
    table = parse_survey(make_xlsx({"S": rows}))
    assert table.unit_column == "单位代码"
    assert [r.unit for r in table.rows] == ["1001", "1002"]


def test_xlsx_formula_without_cached_value_is_explained() -> None:
    rows: Rows = [["单位", "得分"], ["甲局", "=80+10"], ["乙局", 85]]
    reason = refusal(make_xlsx({"S": rows}))
    assert "第2行（甲局）" in reason
    assert "公式" in reason and "保存" in reason


def test_type_is_judged_by_content_not_name() -> None:
    assert parse_survey(make_xlsx({"S": BASIC}), "结果.csv").file_type == "xlsx"
    assert parse_survey(make_csv(BASIC), "结果.xlsx").file_type == "csv"


# ---------------------------------------------------------------------------- csv


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030", "gbk", "utf-16"])
def test_csv_encodings(encoding: str) -> None:
    table = parse_survey(make_csv(BASIC, encoding), "结果.csv")
    assert table.file_type == "csv"
    assert table.sheet is None
    assert table.unit_column == "单位名称"
    assert as_tuples(table) == [
        ("市公安局", 92.5, None, 2),
        ("市财政局", 88.0, None, 3),
        ("市教育局", 90.1, None, 4),
    ]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiters_are_sniffed(delimiter: str) -> None:
    rows: Rows = [
        ["被考核单位", "综合得分", "有效问卷"],
        ["市委办，市政府办", "95", "120"],
        ["市发改委", "90", "80"],
    ]
    table = parse_survey(make_csv(rows, "gb18030", delimiter))
    assert as_tuples(table) == [("市委办，市政府办", 95.0, 120, 2), ("市发改委", 90.0, 80, 3)]


def test_full_width_comma_is_not_a_delimiter() -> None:
    data = "单位，得分\n甲局，90\n乙局，85\n".encode()
    reason = refusal(data)
    assert "没有找到表头" in reason
    assert "中文逗号" in reason


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("92.5%", 92.5),
        ("９２．５％", 92.5),
        ("８８", 88.0),
        (" 90 ", 90.0),
        ("86分", 86.0),
        ("100", 100.0),
        ("0", 0.0),
        ("95.5 %", 95.5),
    ],
)
def test_csv_score_strings(cell: str, expected: float) -> None:
    table = parse_survey(make_csv([["单位", "得分"], ["甲局", cell], ["乙局", "80"]]))
    assert table.rows[0].score == pytest.approx(expected)


def test_respondents_column() -> None:
    rows: Rows = [
        ["单位", "样本数", "得分"],
        ["甲局", "1,200份", "90"],
        ["乙局", "", "85"],
        ["丙局", "３００", "80"],
        ["丁局", "45.0", "70"],
    ]
    table = parse_survey(make_csv(rows))
    assert [r.respondents for r in table.rows] == [1200, None, 300, 45]


def test_respondents_column_xlsx_numbers() -> None:
    rows: Rows = [["单位", "得分", "参评人数"], ["甲局", 90, 150], ["乙局", 85, None]]
    table = parse_survey(make_xlsx({"S": rows}))
    assert [r.respondents for r in table.rows] == [150, None]


def test_bad_respondents_named_with_row_and_unit() -> None:
    rows: Rows = [["单位", "得分", "有效样本"], ["甲局", "90", "很多"], ["乙局", "85", "-3"]]
    reason = refusal(make_csv(rows))
    assert "第2行（甲局）" in reason and "不是整数" in reason
    assert "第3行（乙局）" in reason and "负数" in reason


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["单位", "满意率", "得分"], "得分"),
        (["单位", "得分", "满意率"], "得分"),
        (["单位", "满意率", "满意度"], "满意度"),
        (["单位", "服务态度得分", "综合得分"], "综合得分"),
        (["单位", "得分排名", "满意率(%)"], "满意率(%)"),
        (["单位名称", "分数（百分制）"], "分数（百分制）"),
    ],
)
def test_score_column_preference(headers: list[str], expected: str) -> None:
    row = ["甲局"] + [str(50 + i) for i in range(len(headers) - 1)]
    table = parse_survey(make_csv([headers, row]))
    assert table.score_column == expected
    assert table.rows[0].score == 50 + headers.index(expected) - 1


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["单位代码", "单位名称", "得分"], "单位名称"),
        (["部门", "得分"], "部门"),
        (["被评价单位", "测评得分"], "被评价单位"),
        (["参评单位", "民意调查得分"], "参评单位"),
    ],
)
def test_unit_column_preference(headers: list[str], expected: str) -> None:
    table = parse_survey(make_csv([headers, ["A", "B", "90"][-len(headers) :]]))
    assert table.unit_column == expected


# ---------------------------------------------------------------------------- skipped rows


def test_total_average_and_blank_rows_are_skipped_and_noted() -> None:
    rows: Rows = [
        ["单位", "得分"],
        ["甲局", 90],
        [None, None],
        [None, None],
        ["乙局", 80],
        ["合  计", 170],
        ["全市平均", 85],
        ["平均分", 85],
        ["均值", 85],
        [None, 60],
        ["注：得分为百分制", None],
        [None, None],
        [None, None],
    ]
    table = parse_survey(make_xlsx({"S": rows}))
    assert [(r.unit, r.row) for r in table.rows] == [("甲局", 2), ("乙局", 5)]
    notes = "\n".join(table.skipped)
    assert "第3–4行：空行" in notes
    assert "第6行" in notes and "合  计" in notes and "汇总行" in notes
    assert "第7行" in notes and "第8行" in notes and "第9行" in notes
    assert "第10行：单位为空" in notes
    assert "第11行：备注" in notes
    assert "第12" not in notes  # trailing blank rows are not worth a note
    assert len(table.skipped) == 7


def test_repeated_header_row_is_skipped() -> None:
    rows: Rows = [["单位", "得分"], ["甲局", "90"], ["单位", "得分"], ["乙局", "80"]]
    table = parse_survey(make_csv(rows))
    assert [r.unit for r in table.rows] == ["甲局", "乙局"]
    assert table.skipped == ("第3行：重复的表头，已跳过",)


# ---------------------------------------------------------------------------- refusals: data


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("120", ["120", "超出 0–100"]),
        ("-5", ["-5", "超出"]),
        ("优秀", ["优秀", "不是数字"]),
        ("", ["得分为空"]),
        ("#DIV/0!", ["错误值", "#DIV/0!"]),
    ],
)
def test_bad_score_names_row_and_unit(cell: str, words: list[str]) -> None:
    rows: Rows = [["单位", "得分"], ["市公安局", "90"], ["市财政局", cell]]
    reason = refusal(make_csv(rows))
    assert "第3行（市财政局）" in reason
    for word in words:
        assert word in reason
    assert "市公安局" not in reason
    assert "重新上传" in reason


def test_bad_score_list_is_capped_at_five_with_count() -> None:
    rows: Rows = [["单位", "得分"]] + [[f"单位{i}", "无"] for i in range(1, 9)] + [["好单位", "90"]]
    reason = refusal(make_csv(rows))
    for i in range(1, 6):
        assert f"第{i + 1}行（单位{i}）" in reason
    assert "第7行" not in reason
    assert "共 8 行" in reason


def test_duplicate_unit_names_both_rows() -> None:
    rows: Rows = [["单位", "得分"], ["市公安局", "90"], ["市财政局", "80"], [" 市公安局 ", "85"]]
    reason = refusal(make_csv(rows))
    assert "市公安局" in reason
    assert "第2行" in reason and "第4行" in reason
    assert "重复" in reason or "不止一次" in reason


def test_header_without_data_rows() -> None:
    reason = refusal(make_xlsx({"S": [["单位", "得分"], ["合计", 0], [None, None]]}))
    assert "没有任何单位的得分数据" in reason
    assert "第1行" in reason


def test_no_header_lists_accepted_headers() -> None:
    reason = refusal(make_xlsx({"表1": [["名称", "成绩"], ["甲局", 90]], "表2": [["x"]]}))
    assert "没有找到表头" in reason
    assert "“表1”" in reason and "“表2”" in reason
    for word in ("单位名称", "被考核单位", "社会评价得分", "满意率", "样本数"):
        assert word in reason


def test_no_header_names_the_half_found_row() -> None:
    reason = refusal(make_csv([["单位名称", "成绩"], ["甲局", "90"]]))
    assert "第1行有单位列“单位名称”，但没有得分列" in reason


def test_header_below_row_ten_is_not_found() -> None:
    rows: Rows = [[f"说明{i}"] for i in range(10)] + [["单位", "得分"], ["甲局", "90"]]
    assert "前 10 行" in refusal(make_csv(rows))


def test_all_scores_fractions_are_refused() -> None:
    reason = refusal(make_csv([["单位", "满意度"], ["甲局", "0.92"], ["乙局", "0.88"]]))
    assert "0–1" in reason and "百分制" in reason


# ---------------------------------------------------------------------------- refusals: file type


OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DOCX = make_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", ["空的", ".xlsx", ".csv"]),
        (b"  \r\n \r\n", ["没有任何内容", ".xlsx"]),
        (
            OLE_HEADER + b"\x00" * 504 + "Workbook".encode("utf-16-le"),
            ["旧版 Excel（.xls）", "请另存为 .xlsx 或 .csv"],
        ),
        (OLE_HEADER + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le"), ["密码"]),
        (OLE_HEADER + b"\x00" * 504 + "WordDocument".encode("utf-16-le"), ["Word", ".doc"]),
        (DOCX, ["Word 文档（.docx）", "不是表格", ".xlsx"]),
        (make_zip({"ppt/presentation.xml": b"<p/>"}), ["PowerPoint"]),
        (
            make_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
            ["ODS", "请另存为 .xlsx 或 .csv"],
        ),
        (make_zip({"a.xlsx": b"PK"}), ["压缩包", "解压"]),
        (b"PK\x03\x04" + b"\x00" * 40, ["损坏"]),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", ["PDF", ".xlsx"]),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, ["图片"]),
        (bytes(range(256)) * 8, ["二进制", ".xlsx", ".csv"]),
        (
            b"<html><body><table><tr><td>\xe5\x8d\x95\xe4\xbd\x8d</td></tr></table></body></html>",
            ["网页", "另存为"],
        ),
    ],
    ids=[
        "empty",
        "blank",
        "xls",
        "encrypted",
        "doc",
        "docx",
        "pptx",
        "ods",
        "zip",
        "bad-zip",
        "pdf",
        "png",
        "junk",
        "html",
    ],
)
def test_file_type_refusals(data: bytes, words: list[str]) -> None:
    reason = refusal(data)
    for word in words:
        assert word in reason


def test_junk_refusal_names_the_file() -> None:
    assert "文件“结果.xlsx”" in refusal(b"\x00\x01\x02\xff" * 100, "结果.xlsx")


def test_corrupt_xlsx_is_refused() -> None:
    data = make_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not xml"})
    assert "损坏" in refusal(data)
