"""Parse a social-evaluation (社会评价/民意调查) result file into per-unit score rows.

``parse_survey`` takes the bytes of an .xlsx or .csv file from a survey contractor and
returns a ``SurveyTable``: one ``SurveyRow`` per unit with its 0–100 score and, when the
file has one, the number of respondents. The file type is judged by content, never by
name. Anything that cannot be used raises ``BadSurvey`` whose ``reason`` is a Chinese
message for the assessment office saying what is wrong and what to do. Matching the unit
names to the database happens elsewhere; this module is pure parsing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .table import BadTable, Cell, Row, TableFormat, blank, cell_text, sheet_rows

__all__ = ["BadSurvey", "SurveyRow", "SurveyTable", "parse_survey"]

HEADER_SEARCH_ROWS = 10
MAX_LISTED_PROBLEMS = 5

UNIT_HEADERS = ("单位", "单位名称", "被考核单位", "被评价单位", "部门", "单位代码")
SCORE_HEADERS = ("得分", "分数", "满意度", "满意率", "社会评价得分", "民意调查得分", "测评得分", "综合得分")
RESPONDENT_HEADERS = ("样本数", "有效问卷", "有效样本", "参评人数", "问卷数")

_TOTAL_EXACT = frozenset(
    {"合计", "总计", "小计", "平均", "平均分", "平均值", "均值", "汇总", "总平均", "总体", "全体", "总分"}
)
_TOTAL_PREFIXES = ("合计", "总计", "小计", "平均", "汇总")
_TOTAL_SUFFIXES = ("合计", "总计", "小计", "平均", "平均分", "平均值", "均值", "汇总")
_NOTE_PREFIXES = (
    "注:",
    "注：",
    "备注",
    "说明",
    "附注",
    "制表",
    "填表",
    "审核人",
    "数据来源",
    "资料来源",
    "来源:",
)
_RANK_WORDS = ("排名", "名次", "排序", "位次")
_CODE_WORDS = ("代码", "编码", "编号", "数")

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_INT_RE = re.compile(r"[+-]?\d+(?:\.0*)?")
_TRAILING_BRACKET_RE = re.compile(r"[(\[【〔][^()\[\]【】〔〕]*[)\]】〕]$")
_EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA")

_Cell = Cell
_Row = Row


@dataclass(frozen=True)
class SurveyRow:
    """One unit's social-evaluation result."""

    unit: str  # the unit as written in the file (name or code), stripped
    score: float  # 0–100
    respondents: int | None
    row: int  # 1-based row number in the sheet/file, for messages


@dataclass(frozen=True)
class SurveyTable:
    """All unit rows of a survey file plus where they were found."""

    rows: tuple[SurveyRow, ...]
    unit_column: str  # header text of the unit column as found
    score_column: str
    file_type: str  # "xlsx" or "csv"
    sheet: str | None  # xlsx sheet name
    skipped: tuple[str, ...]  # Chinese notes on rows skipped (合计/平均 rows, blank rows), for the office


class BadSurvey(BadTable):
    """The survey file cannot be used; ``reason`` says why and what to do, in Chinese."""


_FORMAT = TableFormat("社会评价结果表", BadSurvey,
                      pdf_hint="请向调查机构索取 Excel（.xlsx）或 CSV（.csv）格式的结果表后上传。")


@dataclass(frozen=True)
class _Header:
    """Where the unit, score and respondents columns are."""

    row: int
    unit: int
    unit_text: str
    score: int
    score_text: str
    respondents: int | None
    respondents_text: str | None


# ---------------------------------------------------------------------------- entry point


def parse_survey(data: bytes, file_name: str = "") -> SurveyTable:
    """Parse survey-result bytes (.xlsx or .csv, judged by content) into a ``SurveyTable``."""
    if _FORMAT.detect(data) == "xlsx":
        return _parse_xlsx(data)
    return _parse_csv(data, file_name)


# ---------------------------------------------------------------------------- type detection


# ---------------------------------------------------------------------------- xlsx


def _parse_xlsx(data: bytes) -> SurveyTable:
    """Read the first worksheet that has a unit and a score header."""
    workbook = _FORMAT.open_workbook(data)
    titles: list[str] = []
    partial: str | None = None
    found: tuple[str, _Header, list[_Row]] | None = None
    try:
        for sheet in workbook.worksheets:
            titles.append(sheet.title)
            sheet.reset_dimensions()  # some generators write a wrong <dimension>; read what is there
            head = sheet_rows(sheet, 1, HEADER_SEARCH_ROWS)
            header = _find_header(head)
            if header is None:
                partial = partial or _partial_header_hint(head)
                continue
            found = (sheet.title, header, sheet_rows(sheet, header.row + 1, None))
            break
    except Exception as exc:  # broken sheet XML, bad shared strings, ...
        raise _FORMAT.fail("corrupt_xlsx") from exc
    finally:
        workbook.close()
    if found is None:
        sheets = "、".join(f"“{t}”" for t in titles) or "（无）"
        raise BadSurvey(_no_header_reason(f"已检查的工作表：{sheets}。", partial))
    title, header, rows = found
    return _build_table(
        rows,
        header,
        file_type="xlsx",
        sheet=title,
        formula_rows=lambda wanted: _formula_rows(data, title, header.score, wanted),
    )


def _formula_rows(data: bytes, title: str, column: int, wanted: set[int]) -> set[int]:
    """Those of ``wanted`` rows whose score cell holds a formula (used to explain blank values)."""
    import openpyxl

    hits: set[int] = set()
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            sheet = workbook[title]
            sheet.reset_dimensions()
            last = max(wanted)
            for number, cells in enumerate(sheet.iter_rows(min_row=1, max_row=last), start=1):
                if number in wanted and column < len(cells):
                    value = cells[column].value
                    if isinstance(value, str) and value.startswith("="):
                        hits.add(number)
        finally:
            workbook.close()
    except Exception:  # only an explanation aid: never fail because of it
        return set()
    return hits


# ---------------------------------------------------------------------------- csv


def _parse_csv(data: bytes, file_name: str) -> SurveyTable:
    """Decode CSV text, sniff the delimiter by finding the header, and read the rows."""
    text = _FORMAT.csv_text(data, file_name)
    best: tuple[int, _Header, list[_Row]] | None = None
    partial: str | None = None
    for delimiter in (",", "\t", ";"):
        try:
            rows: list[_Row] = [
                (number, [(value, None) for value in record])
                for number, record in enumerate(
                    csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1
                )
            ]
        except csv.Error:
            continue
        header = _find_header(rows)
        if header is None:
            partial = partial or _partial_header_hint(rows[:HEADER_SEARCH_ROWS])
            continue
        width = len(rows[header.row - 1][1])
        if best is None or width > best[0]:
            best = (width, header, rows)
    if best is None:
        hint = ""
        first_lines = text.splitlines()[:HEADER_SEARCH_ROWS]
        if any("，" in line and "单位" in line for line in first_lines):
            hint = "这个文件的各列似乎是用中文逗号“，”分隔的；CSV 的列必须用英文逗号“,”（或制表符）分隔。"
        raise BadSurvey(_no_header_reason(hint, partial))
    _, header, rows = best
    return _build_table(rows[header.row :], header, file_type="csv", sheet=None, formula_rows=None)


# ---------------------------------------------------------------------------- header


def _find_header(rows: Iterable[_Row]) -> _Header | None:
    """The first row among the first ten with distinct unit and score columns."""
    for number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        header = _header_in(number, [_header_text(value) for value, _ in cells])
        if header is not None:
            return header
    return None


def _header_in(number: int, texts: list[str]) -> _Header | None:
    """Build a ``_Header`` from one row's cell texts, or ``None`` if it is not a header."""
    keys = [_key(t) for t in texts]
    score = _best(keys, _score_rank)
    if score is None:
        return None
    unit = _best(keys, _unit_rank, exclude={score})
    if unit is None:
        return None
    respondents = next(
        (i for i, k in enumerate(keys) if i not in (unit, score) and _is_respondents(k)),
        None,
    )
    return _Header(
        row=number,
        unit=unit,
        unit_text=texts[unit],
        score=score,
        score_text=texts[score],
        respondents=respondents,
        respondents_text=texts[respondents] if respondents is not None else None,
    )


def _best(keys: list[str], rank: Callable[[str], int | None], exclude: set[int] | None = None) -> int | None:
    """Index of the best-ranked header key (lowest rank, then leftmost)."""
    ranked = [
        (r, i)
        for i, k in enumerate(keys)
        if (exclude is None or i not in exclude) and (r := rank(k)) is not None
    ]
    return min(ranked)[1] if ranked else None


def _bare(key: str) -> str:
    """A header key without trailing bracketed notes such as （分） or (%)."""
    previous = None
    while previous != key:
        previous, key = key, _TRAILING_BRACKET_RE.sub("", key)
    return key.rstrip(":")


def _score_rank(key: str) -> int | None:
    """Rank of a score header (得分-like first, 满意率 last), or ``None``."""
    if not key or _is_respondents(key) or any(w in key for w in _RANK_WORDS):
        return None
    bare = _bare(key)
    if bare in ("社会评价得分", "民意调查得分"):
        return 0
    if bare in ("测评得分", "综合得分", "得分"):
        return 1
    if bare == "分数":
        return 2
    if "得分" in key:
        return 3
    if bare == "满意度":
        return 4
    if "满意度" in key:
        return 5
    if bare == "满意率":
        return 6
    return None


def _unit_rank(key: str) -> int | None:
    """Rank of a unit header (names before codes), or ``None``."""
    if not key or _is_respondents(key) or _score_rank(key) is not None:
        return None
    bare = _bare(key)
    if bare in ("被考核单位", "被评价单位", "单位名称", "被考核单位名称", "被评价单位名称"):
        return 0
    if bare == "单位":
        return 1
    if bare in ("部门", "部门名称"):
        return 2
    if "单位" in key and not any(w in key for w in _CODE_WORDS):
        return 3
    if "单位" in key and "数" not in key:
        return 4  # 单位代码, 单位编码
    return None


def _is_respondents(key: str) -> bool:
    """True for a respondents header such as 样本数 or 有效问卷（份）."""
    return any(word in key for word in RESPONDENT_HEADERS)


def _partial_header_hint(rows: Iterable[_Row]) -> str | None:
    """Say which row had only one of the two needed columns, to make the refusal concrete."""
    for number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        texts = [cell_text(value) for value, _ in cells]
        keys = [_key(t) for t in texts]
        unit = _best(keys, _unit_rank)
        score = _best(keys, _score_rank)
        if unit is not None and score is None:
            return f"第{number}行有单位列“{texts[unit]}”，但没有得分列。"
        if score is not None and unit is None:
            return f"第{number}行有得分列“{texts[score]}”，但没有单位列。"
    return None


def _no_header_reason(where: str, partial: str | None) -> str:
    """The refusal for a file without a recognisable header row."""
    return (
        f"没有找到表头：前 {HEADER_SEARCH_ROWS} 行中需要有一行同时包含“单位”列和“得分”列。"
        + where
        + (partial or "")
        + "\n可用的单位列名："
        + "、".join(UNIT_HEADERS)
        + "（或含“单位”的列名）；"
        + "\n可用的得分列名："
        + "、".join(SCORE_HEADERS)
        + "（或含“得分”“满意度”的列名）；"
        + "\n可选的样本数列名："
        + "、".join(RESPONDENT_HEADERS)
        + "。"
        + "\n请修改表头后重新上传。"
    )


# ---------------------------------------------------------------------------- rows


def _build_table(
    rows: Iterable[_Row],
    header: _Header,
    *,
    file_type: str,
    sheet: str | None,
    formula_rows: Callable[[set[int]], set[int]] | None,
) -> SurveyTable:
    """Turn the rows below the header into a ``SurveyTable`` or raise ``BadSurvey``."""
    result: list[SurveyRow] = []
    skipped: list[str] = []
    problems: dict[int, tuple[str, list[str]]] = {}
    blank_scores: set[int] = set()
    seen: dict[str, list[tuple[int, str]]] = {}
    blank_run: tuple[int, int] | None = None
    header_keys = (_key(header.unit_text), _key(header.score_text))

    for number, cells in rows:
        if all(blank(value) for value, _ in cells):
            blank_run = (blank_run[0] if blank_run else number, number)
            continue
        if blank_run is not None:  # blank rows between data rows; trailing ones are ignored
            first, last = blank_run
            skipped.append(
                f"第{first}行：空行，已跳过" if first == last else f"第{first}–{last}行：空行，已跳过"
            )
            blank_run = None
        unit_value, _ = _cell(cells, header.unit)
        score_value, score_format = _cell(cells, header.score)
        resp_value, _ = _cell(cells, header.respondents)
        unit = cell_text(unit_value)
        key = _key(unit)
        if not unit:
            shown = cell_text(score_value)
            skipped.append(
                f"第{number}行：单位为空" + (f"（得分“{_short(shown)}”）" if shown else "") + "，已跳过"
            )
            continue
        if _is_total(key):
            skipped.append(f"第{number}行：“{_short(unit)}”是汇总行，已跳过")
            continue
        if blank(score_value) and blank(resp_value) and key.startswith(_NOTE_PREFIXES):
            skipped.append(f"第{number}行：备注“{_short(unit)}”，已跳过")
            continue
        if (key, _key(cell_text(score_value))) == header_keys:
            skipped.append(f"第{number}行：重复的表头，已跳过")
            continue

        seen.setdefault(key, []).append((number, unit))
        reasons: list[str] = []
        score, score_error = _parse_score(score_value, score_format)
        if score_error:
            reasons.append(score_error)
            if blank(score_value):
                blank_scores.add(number)
        respondents: int | None = None
        if header.respondents is not None:
            respondents, resp_error = _parse_respondents(resp_value, header.respondents_text or "样本数")
            if resp_error:
                reasons.append(resp_error)
        if reasons:
            problems[number] = (unit, reasons)
        elif score is not None:
            result.append(SurveyRow(unit=unit, score=score, respondents=respondents, row=number))

    sections: list[str] = []
    if problems:
        formulas = formula_rows(blank_scores) if (formula_rows and blank_scores) else set()
        sections.append(_problems_section(problems, formulas, header.respondents_text))
    duplicates = [entries for entries in seen.values() if len(entries) > 1]
    if duplicates:
        sections.append(_duplicates_section(duplicates))
    if sections:
        raise BadSurvey("\n".join(sections))
    if not result:
        where = f"工作表“{sheet}”" if sheet else "文件"
        raise BadSurvey(
            f"{where}第{header.row}行找到了表头（“{header.unit_text}”“{header.score_text}”），"
            "但下面没有任何单位的得分数据"
            + ("（只有汇总行或空行）" if skipped else "")
            + "。请检查文件是否填写完整后重新上传。"
        )
    top = max(result, key=lambda r: r.score)
    if 0 < top.score <= 1:
        raise BadSurvey(
            f"得分列“{header.score_text}”的数值都在 0–1 之间（如第{top.row}行 {top.score:g}），"
            "看起来是小数形式的比例，而不是百分制得分。"
            "请换算成 0–100 的分数（例如 0.92 写成 92 或 92%）后重新上传。"
        )
    return SurveyTable(
        rows=tuple(result),
        unit_column=header.unit_text,
        score_column=header.score_text,
        file_type=file_type,
        sheet=sheet,
        skipped=tuple(skipped),
    )


def _problems_section(
    problems: dict[int, tuple[str, list[str]]], formulas: set[int], respondents_label: str | None
) -> str:
    """List up to five rows with unusable scores (or respondent counts), plus the total count."""
    rule = "得分必须是 0–100 的数字" + (
        f"，{respondents_label}必须是非负整数或留空" if respondents_label else ""
    )
    lines = [f"有 {len(problems)} 行的数据无法使用（{rule}）："]
    for number in sorted(problems)[:MAX_LISTED_PROBLEMS]:
        unit, reasons = problems[number]
        if number in formulas:
            reasons = ["得分是公式，但文件里没有保存计算结果" if r == "得分为空" else r for r in reasons]
        lines.append(f"第{number}行（{_short(unit)}）：" + "；".join(reasons))
    if len(problems) > MAX_LISTED_PROBLEMS:
        lines.append(f"……另有 {len(problems) - MAX_LISTED_PROBLEMS} 行有同类问题（共 {len(problems)} 行）。")
    if formulas:
        lines.append("含公式的文件请先用 Excel/WPS 打开并保存一次（让公式算出结果），再重新上传。")
    lines.append("请在文件中改正后重新上传。")
    return "\n".join(lines)


def _duplicates_section(duplicates: list[list[tuple[int, str]]]) -> str:
    """Name each unit that appears more than once, with all its rows."""
    lines = ["同一单位出现了不止一次（每个单位只能有一行得分）："]
    for entries in duplicates[:MAX_LISTED_PROBLEMS]:
        rows = "、".join(f"第{number}行" for number, _ in entries)
        lines.append(f"“{_short(entries[0][1])}”：{rows}")
    if len(duplicates) > MAX_LISTED_PROBLEMS:
        lines.append(
            f"……另有 {len(duplicates) - MAX_LISTED_PROBLEMS} 个单位重复（共 {len(duplicates)} 个）。"
        )
    lines.append("请删除或合并重复的行后重新上传。")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- values


def _parse_score(value: Any, number_format: str | None) -> tuple[float | None, str | None]:
    """Return ``(score, None)`` or ``(None, Chinese reason)`` for one score cell."""
    if blank(value):
        return None, "得分为空"
    if isinstance(value, bool):
        return None, f"得分“{value}”不是数字"
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return None, f"得分“{value}”是日期/时间，不是数字"
    if isinstance(value, int | float):
        score = float(value)
        if not math.isfinite(score):
            return None, "得分不是有效数字"
        if number_format and "%" in number_format and 0 <= score <= 1:
            score = round(score * 100, 9)  # a fraction shown as a percentage in Excel
    else:
        raw = str(value).strip()
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))
        if text.upper() in _EXCEL_ERRORS:
            return None, f"得分单元格是 Excel 错误值“{text}”"
        if text.endswith("%"):
            text = text[:-1]
        elif text.endswith("分"):
            text = text[:-1]
        if not _NUMBER_RE.fullmatch(text):
            return None, f"得分“{_short(raw)}”不是数字"
        score = float(text)
    if not 0 <= score <= 100:
        return None, f"得分 {score:g} 超出 0–100 范围"
    return score, None


def _parse_respondents(value: Any, label: str) -> tuple[int | None, str | None]:
    """Return ``(count or None, None)`` or ``(None, Chinese reason)`` for a respondents cell."""
    if blank(value):
        return None, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or value != int(value):
            return None, f"{label} {value:g} 不是整数"
        count = int(value)
    else:
        raw = str(value).strip()
        text = re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", raw)).rstrip("份人个张")
        if not _INT_RE.fullmatch(text):
            return None, f"{label}“{_short(raw)}”不是整数"
        count = int(float(text))
    if count < 0:
        return None, f"{label} {count} 不能是负数"
    return count, None


def _cell(cells: Sequence[_Cell], index: int | None) -> _Cell:
    """The cell at ``index``, or an empty cell for short rows / absent columns."""
    if index is None or index >= len(cells):
        return None, None
    return cells[index]


def _header_text(value: Any) -> str:
    """A header cell as text, with line breaks from wrapped cells (得分\n（百分制）) removed."""
    return re.sub(r"\s*[\r\n]+\s*", "", cell_text(value))


def _key(text: str) -> str:
    """Comparison key: NFKC-normalised (full-width → half-width) with all whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _is_total(key: str) -> bool:
    """True for 合计/总计/平均/均值-style summary rows (on a normalised key)."""
    bare = _bare(key)
    return bare in _TOTAL_EXACT or bare.startswith(_TOTAL_PREFIXES) or bare.endswith(_TOTAL_SUFFIXES)


def _short(text: str, limit: int = 30) -> str:
    """``text`` cut to ``limit`` characters for messages."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
