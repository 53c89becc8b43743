"""The office's exports: the workbook, the report and the charts are read back and compared with
the database; 初步 until every result is locked; a liaison's /report holds only their unit;
only the office can /export; Chinese renders in the charts."""

from __future__ import annotations

import io
import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from bot.handlers import exports as export_handlers
from kaohe.exports import export_all, export_unit
from kaohe.fmt import fmt_time
from kaohe.writers.charts import cjk_font
from scoring.reminders import LATE_NOTICE
from tests.conftest import EXAMPLE_REPORT
from tests.support import running_bot, small_docx
from tests.test_ask import TZ

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
ADMIN, LIAISON = 10001, 60001
OTHER_UNITS = ("市发展和改革委员会", "东城区", "高新技术产业开发区")


def test_a_cjk_font_is_installed_and_draws_chinese():
    family = cjk_font()  # raises MissingCJKFont on a machine without one
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    font = FT2Font(path)
    for ch in "考核汇总得分分布指标覆盖率提交进度初步":
        assert font.get_char_index(ord(ch)), f"{family} has no glyph for {ch}"


@pytest.fixture
def filled(services):
    """Two units with materials, one office decision, one social score; two without."""
    services.ingest("sfj", 5, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes(), NOW)
    services.ingest("dcq", 6, "东城区自查.docx", small_docx(
        "全年承担市委市政府立项督查事项20项，建立督查事项台账，已办结销号18项，办结率90%。",
        "区委理论学习中心组全年集体学习12次，专题研讨5次。"), NOW)
    services.ingest("dcq", 6, "东城区自查.docx", small_docx(
        "全年承担市委市政府立项督查事项20项，建立督查事项台账，已办结销号19项，办结率95%。",
        "区委理论学习中心组全年集体学习12次，专题研讨5次。"), NOW)  # a second version
    services.decide("dcq", "bonus", None, 1, "获评省级示范", ADMIN)  # decided first, listed second
    services.decide("sfj", "indicator", "ldsp", 6, "调研报告2篇已现场核实", ADMIN)
    services.import_social([("dcq", 88.5, 300)], "社会评价.xlsx", ADMIN)
    return services


def _sheet(book, name):
    rows = list(book[name].iter_rows(values_only=True))
    return rows[0][0], rows[1], rows[2:]


def test_every_number_in_the_workbook_equals_the_database(filled, tmp_path):
    files = export_all(filled.config, filled.store, tmp_path, NOW)
    assert files.preliminary and "初步" in files.workbook.name and "初步" in files.report.name
    book = openpyxl.load_workbook(files.workbook)
    assert book.sheetnames == ["汇总", "指标得分", "材料清单", "疑似雷同", "证据", "提醒记录", "调整记录", "复核申请"]
    title, header, rows = _sheet(book, "汇总")
    assert "初步" in title and book["汇总"].freeze_panes == "A3"
    assert book["汇总"].auto_filter.ref == f"A2:T{len(rows) + 2}"
    col = {name: i for i, name in enumerate(header)}
    assert [r[col["单位"]] for r in rows] == [u.name for u in filled.config.units]
    for row in rows:
        unit_id = row[col["编号"]]
        stored = filled.store.unit_score(unit_id)
        if stored is None:
            assert row[col["总分"]] is None and row[col["等次"]] == "未评分" and row[col["排名"]] is None
            continue
        assert row[col["总分"]] == stored["total"] and row[col["等次"]] == stored["grade"]
        assert row[col["社会评价"]] == stored["social"] and row[col["结果状态"]] == "初步"
    totals = sorted(((r[col["总分"]], r[col["编号"]]) for r in rows if r[col["总分"]] is not None), reverse=True)
    assert [r[col["排名"]] for r in sorted(rows, key=lambda r: -(r[col["总分"]] or -1))][:2] == [1, 2]
    assert totals[0][1] == "sfj"

    _, header, rows = _sheet(book, "指标得分")
    col = {name: i for i, name in enumerate(header)}
    stored = {(r["unit_id"], r["indicator_id"]): r for u in ("sfj", "dcq")
              for r in filled.store.indicator_scores(u)}
    assert len(rows) == len(stored)
    for row in rows:
        unit_id = next(u.id for u in filled.config.units if u.name == row[col["单位"]])
        s = stored[(unit_id, row[col["指标编号"]])]
        assert (row[col["基础分"]], row[col["效果分"]], row[col["最终得分"]]) == (s["base"], s["effect"], s["final"])
    ldsp = next(r for r in rows if r[col["单位"]] == "市司法局" and r[col["指标编号"]] == "ldsp")
    assert ldsp[col["最终得分"]] == 6 and ldsp[col["考核办核定理由"]] == "调研报告2篇已现场核实"

    _, header, rows = _sheet(book, "材料清单")
    col = {name: i for i, name in enumerate(header)}
    subs = filled.store.submissions("sfj", True) + filled.store.submissions("dcq", True)
    assert sorted(r[col["SHA-256"]] for r in rows) == sorted(s["sha256"] for s in subs)
    assert sorted(r[col["状态"]] for r in rows) == ["已被新版本替换", "当前", "当前"]
    assert {r[col["类型"]] for r in rows} <= {"Word 文档", "PDF 文档", "纯文本"}  # names, not "docx"
    _, _, rows = _sheet(book, "证据")
    assert len(rows) == len(filled.store.evidence("sfj")) + len(filled.store.evidence("dcq"))
    _, header, rows = _sheet(book, "调整记录")
    col = {name: i for i, name in enumerate(header)}
    assert [(r[col["单位"]], r[col["分值"]], r[col["理由"]]) for r in rows] == [
        ("东城区", 1, "获评省级示范"), ("市司法局", 6, "调研报告2篇已现场核实")]
    assert files.rows["汇总"] == 4


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_report_has_its_sections_one_page_per_unit_and_the_database_numbers(filled, tmp_path):
    files = export_all(filled.config, filled.store, tmp_path, NOW)
    document = docx.Document(files.report)
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert [t for s, t in headings if s == "Heading 1"] == [
        "一、总体情况", "二、等次分布", "三、得分排名", "四、分类别分析", "五、材料或指标缺失的单位", "六、各单位情况"]
    units = [t for s, t in headings if s == "Heading 2" and "（" in t]
    assert units == [f"{u.name}（{u.category}）" for u in filled.config.units]
    xml = document.element.xml
    assert "TOC \\o" in xml and len(document.inline_shapes) == 3  # contents field, three charts
    # The contents are there before any update: a line per heading, in order, each linked to
    # a bookmark on that very heading.
    body = document.element.body
    marked = {b.get(qn("w:name")): "".join(t.text for t in b.getparent().iter(qn("w:t")))
              for b in body.iter(qn("w:bookmarkStart"))}
    lines = [(link.get(qn("w:anchor")), "".join(t.text for t in link.iter(qn("w:t"))))
             for link in body.iter(qn("w:hyperlink"))]
    assert [text for _, text in lines] == [t for _, t in headings]
    assert all(marked[anchor] == text for anchor, text in lines)
    text = _text(document)
    sfj = filled.store.unit_score("sfj")
    assert f"总分 {sfj['total']:g} / 100（{sfj['percent']:g}%），等次：{sfj['grade']}，排名第 1 位" in text
    assert "【初步】" in text and "未提交自查材料：市发展和改革委员会、高新技术产业开发区" in text
    assert f"首次提交：{fmt_time(NOW, filled.config.tz)}；当前材料 1 份。" in text
    rules = filled.config.scoring
    ldsp = next(i.name for i in rules.all_indicators() if i.id == "ldsp")
    assert f"· #2 核定指标得分：{ldsp} 6 分；理由：调研报告2篇已现场核实" in text  # on its unit's page
    assert f"· #1 {rules.bonus.name}加分 +1 分；理由：获评省级示范" in text
    ranking = document.tables[1]
    assert [c.text for c in ranking.rows[1].cells][:4] == ["1", "市司法局", "市直部门", f"{sfj['total']:g}"]


def test_locked_results_make_the_exports_final(filled, tmp_path):
    for unit in filled.config.units:
        filled.lock(unit.id, ADMIN, lambda: "结果反馈")
    files = export_all(filled.config, filled.store, tmp_path, NOW)
    assert not files.preliminary and "最终" in files.workbook.name
    _, header, rows = _sheet(openpyxl.load_workbook(files.workbook), "汇总")
    assert {r[header.index("结果状态")] for r in rows} == {"已锁定"}
    assert "【最终】" in _text(docx.Document(files.report))


def test_a_unit_report_names_no_other_unit(filled, tmp_path):
    path = export_unit(filled.config, filled.store, "sfj", tmp_path, NOW)
    text = _text(docx.Document(path)) + docx.Document(path).element.xml
    assert "市司法局" in text and "初步" in text
    assert not any(name in text for name in OTHER_UNITS)
    assert not re.search(r"排名第 \d+ 位", text)  # the office's ranking is not shown to a unit


def test_a_decision_on_a_unit_without_materials_is_listed_as_waiting(filled, tmp_path):
    assert filled.decide("fgw", "deduction", None, 2, "督查通报一次", ADMIN) is None
    files = export_all(filled.config, filled.store, tmp_path, NOW)
    text = _text(docx.Document(files.report))
    start = text.rindex("市发展和改革委员会（市直部门）")  # its page, after the contents line
    page = text[start:text.index("东城区（县区）", start)]
    assert "尚未提交自查材料，暂无得分。" in page and "待提交材料后计入" in page and "督查通报一次" in page
    _, header, rows = _sheet(openpyxl.load_workbook(files.workbook), "汇总")
    fgw = next(r for r in rows if r[header.index("单位")] == "市发展和改革委员会")
    assert fgw[header.index("总分")] is None and fgw[header.index("排名")] is None  # not ranked at 0


def test_appeals_and_their_answers_are_in_the_workbook(filled, tmp_path):
    filled.store.bind_liaison(50001, "张三", None, "sfj")
    filled.store.add_notifications([{"key": "late:test:sfj", "kind": LATE_NOTICE, "chat_id": 50001,
                                     "unit_id": "sfj", "deadline_name": "自查材料提交", "status": "pending"}])
    filled.lock("sfj", ADMIN, lambda: "结果反馈", moment=NOW)
    filled.appeal("sfj", 5, "严格程序行政得0分，请复核", NOW + timedelta(hours=2), lambda unit, due: "复核申请")
    filled.answer_appeal("sfj", ADMIN, "经复核，维持原考核结果。", lambda appeal: "复核答复")
    files = export_all(filled.config, filled.store, tmp_path, NOW + timedelta(days=1))
    book = openpyxl.load_workbook(files.workbook)
    _, header, rows = _sheet(book, "提醒记录")  # the liaison's messages, late notices too, in Chinese
    assert sorted((r[header.index("联络员")], r[header.index("类型")]) for r in rows) == [
        ("张三", "复核答复"), ("张三", "结果反馈"), ("张三", "逾期告知")]
    _, header, rows = _sheet(book, "复核申请")
    assert [(r[header.index("单位")], r[header.index("理由")], r[header.index("状态")], r[header.index("答复")])
            for r in rows] == [("市司法局", "严格程序行政得0分，请复核", "已答复", "经复核，维持原考核结果。")]
    assert rows[0][header.index("应答复时间")] == datetime(2026, 12, 15, 23, 59)  # ten working days after 12-01


def test_the_export_command_writes_the_files(filled, tmp_path, capsys):
    from bot.manage import main

    config_file = tmp_path / "config.toml"
    source = (Path(__file__).resolve().parents[1] / "config.toml").read_text(encoding="utf-8")
    config_file.write_text(source.replace('dir = "data"', f'dir = "{filled.config.storage_dir}"')
                           .replace('folder = "regulations"', 'folder = ""'), encoding="utf-8")
    filled.close()
    assert main(["--config", str(config_file), "export", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "已导出（初步，4 个单位）" in out
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [".docx", ".png", ".png", ".png", ".xlsx"]


@pytest.fixture
async def bot(config, scorer):
    async with running_bot(config, scorer, lambda: NOW, {LIAISON: "SFJ2026"}) as (api, svc, app):
        svc.ingest("sfj", LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes(), NOW)
        svc.ingest("fgw", 7, "发改委自查.docx", small_docx("全年承担市委市政府立项督查事项9项，办结率100%。"), NOW)
        yield api, svc, app


async def test_export_and_report_in_chat(bot):
    api, svc, _ = bot
    since = len(api.sent)
    api.send_text(LIAISON, "/export")
    refused = await api.wait_for_async(lambda a: a["chat_id"] == LIAISON and "仅考核办" in (a.get("text") or ""),
                                       since=since)
    assert "/report" in refused["text"]

    since = len(api.sent)
    api.send_text(LIAISON, "/report")
    sent = await api.wait_for_async(lambda a: a["chat_id"] == LIAISON and a["method"] == "sendDocument",
                                    since=since, timeout=30)
    document = docx.Document(io.BytesIO(sent["data"]))
    text = _text(document) + document.element.xml
    assert "市司法局" in text and not any(name in text for name in OTHER_UNITS)

    since = len(api.sent)
    api.send_text(ADMIN, "/export")
    await api.wait_for_async(lambda a: len([x for x in api.sent[since:] if x["method"] == "sendDocument"]) == 5,
                             since=since, timeout=60)
    files = [a for a in api.sent[since:] if a["method"] == "sendDocument"]
    assert sorted(Path(a["file_name"]).suffix for a in files) == [".docx", ".png", ".png", ".png", ".xlsx"]
    charts = [a for a in files if a["file_name"].endswith(".png")]
    assert [a["caption"] for a in charts] == ["得分分布", "指标覆盖", "提交进度"]
    assert all(a["data"].startswith(b"\x89PNG") for a in charts)  # the file itself, not recompressed
    book = openpyxl.load_workbook(io.BytesIO(next(a for a in files if a["file_name"].endswith(".xlsx"))["data"]))
    rows = list(book["汇总"].iter_rows(min_row=3, values_only=True))
    assert {r[1]: r[12] for r in rows if r[12] is not None} == {
        u: svc.store.unit_score(u)["total"] for u in ("sfj", "fgw")}
    done = [a for a in api.sent[since:] if "已生成（初步，4 个单位）" in (a.get("text") or "")]
    assert done and json.dumps(done[0]["text"], ensure_ascii=False)


async def test_the_progress_message_says_which_files_are_done_as_each_is(bot):
    api, _, _ = bot
    since = len(api.sent)
    api.send_text(ADMIN, "/export")
    await api.wait_for_async(lambda a: len([x for x in api.sent[since:] if x["method"] == "sendDocument"]) == 5,
                             since=since, timeout=60)
    said = [a for a in api.sent[since:] if a["chat_id"] == ADMIN and a["method"] in ("sendMessage", "editMessageText")]
    first, edits = said[0], [a for a in said if a["method"] == "editMessageText"]
    assert first["method"] == "sendMessage" and {e["message_id"] for e in edits} == {first["message_id"]}
    assert first["text"].splitlines()[1:] == ["⏳ 图表：正在生成", "▫️ 考核报告：等待", "▫️ 汇总表：等待"]
    assert [e["text"].splitlines()[1:] for e in edits[:-1]] == [
        ["✅ 图表：已生成", "⏳ 考核报告：正在生成", "▫️ 汇总表：等待"],
        ["✅ 图表：已生成", "✅ 考核报告：已生成", "⏳ 汇总表：正在生成"]]
    assert edits[-1]["text"].startswith("✅ 已生成（初步，4 个单位）")  # the result replaces the progress
    assert edits[-1]["time"] <= min(a["time"] for a in api.sent[since:] if a["method"] == "sendDocument")


async def test_others_are_answered_while_an_export_runs(bot):
    api, _, _ = bot
    since = len(api.sent)
    api.send_text(ADMIN, "/export")
    await api.wait_for_async(lambda a: a["chat_id"] == ADMIN and "正在生成" in (a.get("text") or ""), since=since)
    api.send_text(LIAISON, "/help")
    answered = await api.wait_for_async(lambda a: a["chat_id"] == LIAISON and a["method"] == "sendMessage",
                                        since=since, timeout=30)
    done = await api.wait_for_async(lambda a: "已生成（" in (a.get("text") or ""), since=since, timeout=60)
    assert answered["time"] < done["time"]  # the export (in its own process) did not hold the bot


async def test_a_file_telegram_cannot_take_is_named_and_the_others_still_arrive(bot, monkeypatch):
    api, _, _ = bot
    since = len(api.sent)
    api.send_text(ADMIN, "/export")
    await api.wait_for_async(lambda a: len([x for x in api.sent[since:] if x["method"] == "sendDocument"]) == 5,
                             since=since, timeout=60)
    sizes = {Path(a["file_name"]).suffix: len(a["data"]) for a in api.sent[since:] if a["method"] == "sendDocument"}
    others = max(size for suffix, size in sizes.items() if suffix != ".docx")
    assert sizes[".docx"] > others  # the report carries the three charts
    # A report over the upload limit, and Telegram refusing the workbook: the charts still arrive.
    monkeypatch.setattr(export_handlers, "UPLOAD_LIMIT", (sizes[".docx"] + others) // 2)
    api.fail_next("sendDocument", error_code=400, description="Bad Request: file is too big")
    since = len(api.sent)
    api.send_text(ADMIN, "/export")
    warning = await api.wait_for_async(lambda a: "以下文件未能发送" in (a.get("text") or ""), since=since, timeout=60)
    sent = [a["file_name"] for a in api.sent[since:] if a["method"] == "sendDocument" and a.get("data")]
    assert sorted(Path(name).suffix for name in sent) == [".png", ".png", ".png"]
    assert "考核报告" in warning["text"] and "超过 Telegram 单个文件" in warning["text"]
    assert "考核汇总" in warning["text"] and "发送失败" in warning["text"]
    assert "python -m bot.manage export" in warning["text"]


def test_a_sheet_longer_than_excel_allows_continues_on_another(tmp_path, monkeypatch):
    from kaohe.writers import workbook as wb

    monkeypatch.setattr(wb, "MAX_DATA_ROWS", 3)
    counts = wb.write_workbook(tmp_path / "x.xlsx", "测试", [wb.Sheet(
        "证据", [wb.Column("单位", 10), wb.Column("序号", 6, wb.INTEGER)], ((f"单位{i}", i) for i in range(7)))])
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert book.sheetnames == ["证据", "证据（续2）", "证据（续3）"] and counts == {"证据": 7}
    values = [r[1] for name in book.sheetnames for r in book[name].iter_rows(min_row=3, values_only=True)]
    assert values == list(range(7))
    assert book["证据（续3）"].auto_filter.ref == "A2:B3"


async def test_a_second_export_while_one_runs_is_told_to_wait(bot):
    api, _, app = bot
    lock = app.bot_data.export_lock
    async with lock:  # an export in progress
        since = len(api.sent)
        api.send_text(ADMIN, "/export")
        wait = await api.wait_for_async(lambda a: a["chat_id"] == ADMIN and "还在生成中" in (a.get("text") or ""),
                                        since=since)
    assert wait and not [a for a in api.sent[since:] if a["method"] == "sendDocument"]


async def test_an_export_killed_midway_is_answered_and_cleaned_up_at_the_next_start(config):
    import os
    import time as _time

    from bot.handlers.upload import resume_interrupted_uploads
    from kaohe.services import Services

    svc = Services(config)
    at = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    svc.begin_upload(10001, 77, 10001, "", "/export", at, "export")  # ⏳ sent, then killed
    leftover = config.storage_dir / "tmp" / "export-dead"
    leftover.mkdir(parents=True)
    (leftover / "snapshot.db").write_bytes(b"x" * 1000)
    old = _time.time() - 2 * 3600
    os.utime(leftover, (old, old))
    svc.close()

    class Bot:
        edits: list = []

        async def edit_message_text(self, text, chat_id, message_id):
            self.edits.append((chat_id, message_id, text))

    again = Services(config)  # the next start
    try:
        assert not leftover.exists()  # the snapshot a killed export left is gone
        assert await resume_interrupted_uploads(Bot(), again) == 1
        assert Bot.edits == [(10001, 77, "⚠️ 生成汇总导出时机器人重新启动，导出没有完成。请重新发送 /export。")]
        assert again.interrupted_uploads() == []
    finally:
        again.close()


def test_an_export_killed_mid_way_leaves_no_scratch_after_the_next_start(config, scorer):
    import subprocess
    import sys as system

    from kaohe.exports import SCRATCH
    from kaohe.services import Services

    gone = subprocess.run([system.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    base = config.storage_dir / SCRATCH
    (base / f"export-{gone}-abc").mkdir(parents=True)  # its process was killed a moment ago
    (base / f"export-{gone}-abc" / "snapshot.db").write_bytes(b"\0" * 1024)
    (base / f"export-{os.getpid()}-def").mkdir()  # an export running now in this process
    Services(config, scorer=scorer).close()
    assert sorted(p.name for p in base.iterdir()) == [f"export-{os.getpid()}-def"]
