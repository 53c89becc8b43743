"""Near-identical materials of different units are flagged to the office and still accepted."""

from __future__ import annotations

import re
from datetime import datetime

import openpyxl

from kaohe.exports import export_all
from kaohe.texts import status as st
from parsers import parse_document
from storage.copies import copy_key
from tests.conftest import EXAMPLE_REPORT
from tests.support import small_docx
from tests.test_ask import TZ

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)


def _example_paragraphs() -> list[str]:
    doc = parse_document(EXAMPLE_REPORT.read_bytes(), EXAMPLE_REPORT.name)
    return [p.text for p in doc.paragraphs if p.kind != "heading"]


def test_copy_keys_ignore_figures_layout_and_short_lines():
    text = "全年承担立项督查事项12项，已办结销号11项，办结率91.7%。"
    assert copy_key(text) == copy_key("全年承担立项督查事项 20 项；已办结销号 19 项、办结率 95%")
    assert copy_key(text) != copy_key("全年承担民生实事项目12项，已全部完成，完成率100%。")
    assert copy_key("一、立项督查") is None


def test_the_same_report_from_two_units_is_flagged_on_card_overview_and_workbook(services, tmp_path):
    first = services.ingest("sfj", 5, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes(), NOW)
    # Another unit sends the report with every figure changed and its own file name.
    altered = [re.sub(r"\d+", lambda m: str(int(m.group()) + 1), p) for p in _example_paragraphs()]
    second = services.ingest("gxq", 6, "高新区自查报告.docx", small_docx(*altered), NOW)
    assert first.receipt.submission_id and second.receipt.submission_id  # both accepted
    pairs = services.store.similar_materials()
    assert len(pairs) == 1
    pair = pairs[0]
    assert (pair["unit_id"], pair["other_unit_id"]) == ("gxq", "sfj") and pair["share"] >= 0.9

    card = st.unit_card_text(services.cycle.unit_card("sfj"), TZ, NOW, services.config.scoring)
    assert "⚠️ 疑似雷同：市司法局《sfj_self_check_2026.docx》与高新技术产业开发区《高新区自查报告.docx》" in card
    overview = st.overview_text(services.cycle.overview(NOW), "考核", TZ)
    assert "<b>疑似雷同材料</b>：1 对" in overview
    assert "高新技术产业开发区《高新区自查报告.docx》与市司法局《sfj_self_check_2026.docx》" in overview

    files = export_all(services.config, services.store, tmp_path, NOW)
    rows = list(openpyxl.load_workbook(files.workbook)["疑似雷同"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("高新技术产业开发区", "高新区自查报告.docx", "市司法局", "sfj_self_check_2026.docx")]
    assert rows[0][4] == pair["shared"] and rows[0][5] == round(pair["share"] * 100, 1)


def test_different_reports_and_withdrawn_copies_are_not_flagged(services):
    services.ingest("sfj", 5, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes(), NOW)
    services.ingest("dcq", 6, "东城区自查.docx", small_docx(
        "全年承担市委市政府立项督查事项20项，建立督查事项台账，已办结销号18项，办结率90%。",
        "区委理论学习中心组全年集体学习12次，专题研讨5次，形成调研报告3篇。"), NOW)
    assert services.store.similar_materials() == []
    copy = services.ingest("gxq", 7, "复制.docx", small_docx(*_example_paragraphs()), NOW)
    assert len(services.store.similar_materials("sfj")) == 1
    services.withdraw("gxq", copy.receipt.submission_id, 7, NOW)
    assert services.store.similar_materials() == []
    assert "疑似雷同" not in st.overview_text(services.cycle.overview(NOW), "考核", TZ)


def test_upgrading_a_database_gives_its_existing_paragraphs_copy_keys(tmp_path):
    from sqlite_utils import Database

    from storage.migrations import migrations

    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="m009_copies")
    db.conn.execute("pragma foreign_keys = off")  # paragraphs alone are what the upgrade reads
    texts = _example_paragraphs()
    db["paragraphs"].insert_all({"submission_id": 1, "seq": i, "kind": "text", "text": t}
                                for i, t in enumerate(texts))
    migrations.apply(db)
    keys = [row["copy_key"] for row in db.query("select copy_key from paragraphs order by seq")]
    assert keys == [copy_key(t) for t in texts] and sum(k is not None for k in keys) > 20
