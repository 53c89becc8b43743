"""What the office reads in the exported files: an A4 report signed by the bot, said 初步 once;
indicators, add-ons, veto rulings and people by name, never by internal id; the progress chart
drawn against the deadlines as they stand; the histogram's counts readable; the workbook's
字数 the receipt's; file types by name. Everything is read back from the files."""

from __future__ import annotations

import re
import zipfile
from datetime import timedelta

import docx
import openpyxl
from docx.oxml.ns import qn
from docx.shared import Emu
from PIL import Image

from kaohe.exports import export_all, export_unit
from kaohe.labels import FILE_TYPE_LABELS
from kaohe.writers import charts
from scoring.reminders import LATE_NOTICE
from scoring.result import DEDUCTION, NO_DEDUCTION, VETO
from storage.store import parse_utc
from tests.conftest import EXAMPLE_REPORT
from tests.support import small_docx
from tests.test_exports import ADMIN, NOW, _sheet, _text, filled  # noqa: F401  (filled: the fixture)


def _cover(document) -> list[str]:
    """The cover's paragraphs: everything before the first page break."""
    lines = []
    for p in document.paragraphs:
        if any(br.get(qn("w:type")) == "page" for br in p._p.iter(qn("w:br"))):
            break
        lines.append(p.text)
    return lines


def _page(text: str, heading: str, headings: list[str]) -> str:
    """One unit's page of the report text (from its heading, after the contents line, to the next)."""
    start = text.rindex(heading)
    ends = [text.index(h, start + len(heading)) for h in headings if h != heading and h in text[start + 1:]]
    return text[start:min(ends, default=len(text))]


def _unit_headings(config) -> list[str]:
    return [f"{u.name}（{u.category}）" for u in config.units]


# ---- 1. A4, and the bot as the author ----------------------------------------------------


def test_the_reports_are_a4_with_margins_and_signed_by_the_bot(filled, tmp_path):  # noqa: F811
    files = export_all(filled.config, filled.store, tmp_path / "all", NOW)
    unit = export_unit(filled.config, filled.store, "sfj", tmp_path / "unit", NOW)
    for path in (files.report, unit):
        document = docx.Document(path)
        assert document.sections
        for section in document.sections:  # every section, not just the first
            assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
            margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
            assert all(2.0 <= m.cm <= 3.2 for m in margins)
            text_width = Emu(section.page_width - section.left_margin - section.right_margin)
            # Every table and picture fits between the margins.
            for grid in document.element.body.iter(qn("w:tblGrid")):
                assert sum(int(c.get(qn("w:w"))) for c in grid.iter(qn("w:gridCol"))) <= text_width.twips
            assert all(shape.width <= text_width for shape in document.inline_shapes)
        props = document.core_properties
        assert props.author == "考核助手" and props.last_modified_by == "考核助手"
        assert filled.config.cycle_name in props.title and "情况报告" in props.title
        assert props.created == NOW and props.modified == NOW
        core = zipfile.ZipFile(path).read("docProps/core.xml").decode("utf-8")
        assert "python-docx" not in core
    assert "市司法局" in docx.Document(unit).core_properties.title


# ---- 4. 初步 once on the cover ----------------------------------------------------------


def test_the_cover_says_preliminary_once(filled, tmp_path):  # noqa: F811
    files = export_all(filled.config, filled.store, tmp_path / "all", NOW)
    unit = export_unit(filled.config, filled.store, "sfj", tmp_path / "unit", NOW)
    for path in (files.report, unit):
        cover = "\n".join(_cover(docx.Document(path)))
        assert "【初步】" in cover
        assert len(re.findall(r"[【（(]初步[】）)]", cover)) == 1, cover


# ---- 2. decisions, indicators and add-ons by name ------------------------------------------


def test_office_decisions_and_evidence_show_names_not_ids(filled, tmp_path):  # noqa: F811
    rules = filled.config.scoring
    filled.decide("sfj", VETO, None, 0, "经核实不构成否决情形", ADMIN)
    filled.decide("sfj", NO_DEDUCTION, None, 0, "未发现违规失职情形", ADMIN)
    filled.decide("dcq", VETO, None, 1, "发生重大安全责任事故", ADMIN)
    files = export_all(filled.config, filled.store, tmp_path, NOW)

    indicators = {i.id: i.name for i in rules.all_indicators()}
    bonus, deduction = f"{rules.bonus.name}加分", f"{rules.deduction.name}扣分"
    internal = set(indicators) | {f"_{k}" for k in ("bonus", "deduction")}

    text = _text(docx.Document(files.report))
    headings = _unit_headings(filled.config)
    sfj = _page(text, "市司法局（市直部门）", headings)
    dcq = _page(text, "东城区（县区）", headings)
    assert f"核定指标得分：{indicators['ldsp']} 6 分" in sfj
    assert "一票否决：不否决" in sfj and "经核实不构成否决情形" in sfj
    assert f"{deduction}：核定无扣分" in sfj
    assert "一票否决：否决" in dcq and "发生重大安全责任事故" in dcq
    assert f"{bonus} +1 分" in dcq
    ids = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, sorted(internal))) + r")(?![A-Za-z0-9_])")
    assert not ids.findall(text)
    assert not re.search(r"一票否决\s*[01]\b", text)

    book = openpyxl.load_workbook(files.workbook)
    _, header, rows = _sheet(book, "调整记录")
    col = {name: i for i, name in enumerate(header)}
    by_reason = {r[col["理由"]]: r for r in rows}
    ldsp = by_reason["调研报告2篇已现场核实"]
    assert ldsp[col["指标编号"]] == "ldsp" and ldsp[col["指标 / 事项"]] == indicators["ldsp"]
    assert by_reason["获评省级示范"][col["指标 / 事项"]] == bonus
    assert by_reason["未发现违规失职情形"][col["指标 / 事项"]] == deduction
    assert by_reason["经核实不构成否决情形"][col["类型"]].startswith("一票否决：不否决")
    assert by_reason["发生重大安全责任事故"][col["类型"]] == "一票否决：否决"
    assert by_reason["发生重大安全责任事故"][col["分值"]] is None  # a ruling, not points

    _, header, rows = _sheet(book, "证据")
    col = {name: i for i, name in enumerate(header)}
    assert {r[col["指标"]] for r in rows} <= set(indicators.values()) | {bonus, deduction}
    assert bonus in {r[col["指标"]] for r in rows}  # the example report earns bonus items
    assert {r[col["指标编号"]] for r in rows} <= set(indicators) | {None}

    # No label column anywhere carries an internal id (the 指标编号 columns are ids on purpose).
    id_columns = {"指标编号", "编号"}
    for name in book.sheetnames:
        _, header, rows = _sheet(book, name)
        for row in rows:
            for head, value in zip(header, row, strict=True):
                if head not in id_columns and isinstance(value, str):
                    assert value not in internal, (name, head, value)


# ---- 3. people by name -------------------------------------------------------------------


def test_people_are_named_with_the_id_only_as_a_fallback(filled, tmp_path):  # noqa: F811
    store = filled.store
    store.bind_liaison(50001, "张三", None, "sfj")
    store.bind_liaison(50002, "李四", "lisi", "dcq")
    store.add_notifications([{"key": "late:test:gxq", "kind": LATE_NOTICE, "chat_id": 70001,
                              "unit_id": "gxq", "deadline_name": "自查材料提交", "status": "pending"}])
    filled.lock("sfj", ADMIN, lambda: "结果反馈", moment=NOW)
    filled.appeal("sfj", 50001, "严格程序行政得0分，请复核", NOW + timedelta(hours=2), lambda unit, due: "复核申请")
    filled.answer_appeal("sfj", ADMIN, "经复核，维持原考核结果。", lambda appeal: "复核答复")
    filled.decide("dcq", DEDUCTION, None, 1, "督查通报一次", ADMIN)
    made = next(a for a in store.adjustments("dcq") if a["reason"] == "督查通报一次")
    filled.revoke("dcq", made["id"], "通报已撤回", ADMIN)
    filled.remove_liaison(50002, ADMIN, NOW, lambda unit, person: ("你已不再是联络员", "联络员有变动"))
    files = export_all(filled.config, filled.store, tmp_path, NOW + timedelta(days=1))
    book = openpyxl.load_workbook(files.workbook)
    office = f"考核办（{ADMIN}）"  # the office has no people row: named by role, id in brackets

    _, header, rows = _sheet(book, "复核申请")
    assert [(r[header.index("提出人")], r[header.index("答复人")]) for r in rows] == [("张三", office)]
    _, header, rows = _sheet(book, "调整记录")
    assert {r[header.index("操作人")] for r in rows} == {office}
    revoked = next(r for r in rows if r[header.index("理由")] == "督查通报一次")
    assert revoked[header.index("撤销人")] == office
    _, header, rows = _sheet(book, "提醒记录")
    people = {r[header.index("联络员")] for r in rows}
    assert "张三" in people and "李四" in people  # 李四 was removed: named as the audit log knew him
    assert "用户 70001" in people  # nobody known by that id
    _, header, rows = _sheet(book, "汇总")
    liaisons = {r[header.index("单位")]: r[header.index("联络员")] for r in rows}
    assert liaisons["市司法局"] == "张三" and liaisons["东城区"] is None
    for name in ("复核申请", "调整记录", "提醒记录"):
        _, header, rows = _sheet(book, name)
        for head in ("提出人", "答复人", "操作人", "撤销人", "联络员"):
            if head in header:
                assert not any(re.fullmatch(r"-?\d+", str(r[header.index(head)])) for r in rows), (name, head)


# ---- 5. the deadline line where the office moved it ---------------------------------------


def test_the_progress_chart_draws_deadlines_as_the_office_moved_them(filled, tmp_path):  # noqa: F811
    tz = filled.config.tz
    rows = filled.cycle.deadline_rows()
    name = rows[0]["name"]
    before = {parse_utc(r["due"]).astimezone(tz).date() for r in rows if r["name"] == name}
    moved = max(parse_utc(r["due"]) for r in rows if r["name"] == name) + timedelta(days=3)
    change = filled.cycle.deadline_change_preview(name, None, moved, "考核大会改期", ADMIN, lambda *a: "截止时间调整")
    assert filled.cycle.confirm(change.draft_id, ADMIN) is not None  # what /deadline does when confirmed
    files = export_all(filled.config, filled.store, tmp_path, NOW)
    chart = next(p for p in files.charts if p.name.startswith("提交进度"))
    drawn = Image.open(chart).text["Description"]
    assert f"{name} {moved.astimezone(tz).date().isoformat()}" in drawn
    assert not any(day.isoformat() in drawn for day in before)
    # The report carries that very chart.
    report = docx.Document(files.report)
    pictures = {rel.target_part.blob for rel in report.part.rels.values() if "image" in rel.reltype}
    assert chart.read_bytes() in pictures


# ---- 6. the histogram's counts readable ---------------------------------------------------


def test_the_histogram_shows_each_count_clear_of_the_bars_and_the_grade_names(filled, tmp_path):  # noqa: F811
    files = export_all(filled.config, filled.store, tmp_path, NOW)
    _, header, rows = _sheet(openpyxl.load_workbook(files.workbook), "汇总")
    scored = [r for r in rows if r[header.index("总分")] is not None]
    totals = [r[header.index("总分")] for r in scored]
    full = max(r[header.index("满分")] for r in scored)
    grades = list(filled.config.scoring.grades)
    fig = charts.score_distribution_figure(totals, full, grades, "得分分布")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    bars = [p.get_window_extent(renderer) for p in ax.patches if p.get_height() > 0]
    labels = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts]
    counts = [int(text) for text, _ in labels if text.isdigit()]
    assert sum(counts) == len(totals) and len(counts) == len(bars)  # a count on every bar
    assert {text for text, _ in labels if not text.isdigit()} == {f"{n} ≥{lower:g}" for n, lower in grades}
    inside = ax.get_window_extent(renderer)
    for n, (text, box) in enumerate(labels):
        assert not any(box.overlaps(bar) for bar in bars), f"“{text}” is drawn over a bar"
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 + 1 and box.y1 <= inside.y1 + 1, text
        assert not any(box.overlaps(other) for _, other in labels[n + 1:]), f"“{text}” overlaps another label"
    charts.plt.close(fig)
    png = next(p for p in files.charts if p.name.startswith("得分分布"))
    assert Image.open(png).text["Title"].startswith("得分分布")


# ---- 7. 字数 as the receipt counts it -------------------------------------------------------


def test_the_workbook_counts_characters_as_the_receipt_does(services, tmp_path):
    receipts = [
        services.ingest("sfj", 5, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes(), NOW).receipt,
        services.ingest("dcq", 6, "东城区自查.docx", small_docx(
            "全年承担 市委市政府 立项督查事项 20 项，\u3000建立督查事项台账，已办结销号 18 项。",
            "区委理论学习中心组\t全年集体学习 12 次， 专题研讨 5 次。"), NOW).receipt]
    files = export_all(services.config, services.store, tmp_path, NOW)
    _, header, rows = _sheet(openpyxl.load_workbook(files.workbook), "材料清单")
    shown = {r[header.index("文件名")]: r[header.index("字数")] for r in rows}
    assert shown == {r.file_name: r.chars for r in receipts}


# ---- file types by name ------------------------------------------------------------------


def test_file_types_are_named_in_the_workbook_and_the_report(filled, tmp_path):  # noqa: F811
    files = export_all(filled.config, filled.store, tmp_path, NOW)
    raw = re.compile(r"(?<![.\w])(" + "|".join(sorted(FILE_TYPE_LABELS)) + r")(?![\w])", re.IGNORECASE)
    text = _text(docx.Document(files.report))
    assert not raw.findall(re.sub(r"《[^》]*》", "", text))  # file names may end in .docx
    book = openpyxl.load_workbook(files.workbook)
    _, header, rows = _sheet(book, "材料清单")
    assert {r[header.index("类型")] for r in rows} <= set(FILE_TYPE_LABELS.values())
    for name in book.sheetnames:
        _, header, rows = _sheet(book, name)
        for row in rows:
            for value in row:
                assert not (isinstance(value, str) and value.lower() in FILE_TYPE_LABELS), (name, value)
