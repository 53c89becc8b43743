"""Documents numbered without 第X条 load by their own numbering: 一、（一）1., 1 / 1.1 /
1.1.1 (typed or Word automatic numbers) and scoring-rubric tables (a clause per row)."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from parsers.regulation import parse_regulation
from tests.test_regulation_parser import _add_lists, _docx_bytes, _lvl, _numbered

ROOT = Path(__file__).resolve().parents[1]
OWN = ROOT / "bench" / "qa_docs"
REAL = ROOT.parent / "shared" / "real_regulations"


def _articles(reg) -> list[str | None]:
    return [c.article for c in reg.clauses]


def test_a_plan_numbered_with_chinese_levels_cites_its_own_numbers():
    reg = parse_regulation((OWN / "gongzuo_fangan.md").read_bytes(), "gongzuo_fangan.md")
    assert reg.title == "某某市2026年度目标责任制考核工作方案"
    assert reg.structure.describe(len(reg.clauses)) == "识别到 2 级编号（一、 / （一））、14 个条目"
    assert _articles(reg)[:4] == [None, "一、（一）", "一、（二）", "二、（一）"]
    report = next(c for c in reg.clauses if c.article == "三、（二）")
    assert report.chapter == "三、时间安排"
    # 1. 2. 3. under （二） are its parts, not clauses of their own
    assert [p.label for p in report.parts] == ["", "1.", "2.", "3."]
    assert "逾期报送的" in report.parts[3].text
    # a heading alone ("一、总体要求") is context, not a clause
    assert "一、" not in _articles(reg)


def test_each_row_of_a_scoring_rubric_is_a_clause_cited_by_table_and_row():
    reg = parse_regulation((OWN / "pingfen_xize.md").read_bytes(), "pingfen_xize.md")
    assert reg.structure.describe(len(reg.clauses)).endswith("、12 个条目、4 张评分表")
    row = next(c for c in reg.clauses if c.article == "表2第2行")
    assert row.chapter == "二、依法行政指标评分表"
    assert row.text.startswith("表2第2行：考核内容：严格程序行政；分值：8；评分标准：重大行政决策履行")
    assert row.tables == ("严格程序行政 | 8 | 重大行政决策履行公众参与、专家论证、风险评估、合法性审查和集体讨论决定程序；"
                          "缺少任一程序的每项扣2分。",)


def test_a_word_rubric_table_and_decimal_auto_numbers():
    """A .docx whose headings carry Word multi-level numbers (1 / 1.1) and whose rubric is a
    real Word table."""
    doc = docx.Document()
    doc.add_paragraph("某某局应急值守工作规范")
    _add_lists(doc, {"90": _lvl(0, "decimal", "%1", '<w:suff w:val="nothing"/>')
                     + _lvl(1, "decimal", "%1.%2", '<w:suff w:val="nothing"/>')}, {"90": ("90", "")})
    _numbered(doc, "总则", "90", 0)
    _numbered(doc, "值班安排", "90", 1)
    doc.add_paragraph("节假日实行24小时值班，带班领导由局领导轮流担任。")
    _numbered(doc, "信息报送", "90", 1)
    doc.add_paragraph("突发事件发生后30分钟内电话报告，2小时内书面报告。")
    _numbered(doc, "考核", "90", 0)
    _numbered(doc, "评分办法", "90", 1)
    table = doc.add_table(rows=4, cols=3)
    for r, cells in enumerate([("项目", "分值", "评分标准"), ("值班到岗", "10", "迟到一次扣1分"),
                               ("信息报送", "10", "迟报一次扣2分"), ("值班记录", "5", "缺记录一次扣1分")]):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    reg = parse_regulation(_docx_bytes(doc), "值守规范.docx")
    assert reg.title == "某某局应急值守工作规范"
    assert _articles(reg) == ["1.1", "1.2", "表1第1行", "表1第2行", "表1第3行"]
    assert reg.clauses[1].chapter == "1 总则" and "30分钟内电话报告" in reg.clauses[1].text
    assert reg.clauses[3].text == "表1第2行：项目：信息报送；分值：10；评分标准：迟报一次扣2分"
    assert reg.clauses[3].chapter == "2 考核" and reg.clauses[3].section == "2.1 评分办法"
    assert reg.structure.rubric_tables == 1


@pytest.mark.parametrize(("doc", "title", "structure", "labels"), [
    ("xinmeiti", ("国务院办公厅关于推进", "发展的意见"),
     "识别到 2 级编号（一、 / （一））、16 个条目", ["二、", "三、（三）", "四、（四）", "五、（三）"]),
    ("sanxiang", ("国务院办公厅关于全面推行", "审核制度的指导意见"),
     "识别到 2 级编号（一、 / （一））、28 个条目", ["一、（二）", "四、（十二）", "六、（二十三）"]),
    ("liangshi", ("国家粮食应急预案", ""),
     "识别到 3 级编号（1 / 1.1 / 1.1.1）、41 个条目", ["1.2.1", "5.1.1", "6.4.2"]),
    ("chufa", ("中华人民共和国行政处罚法", ""), "识别到“章、节、条”结构、87 个条款",
     ["第一条", "第六十四条", "第八十六条"]),
])
def test_real_documents_load_by_their_own_numbering(doc, title, structure, labels):
    """Three documents without 第X条 and a law, from ../shared/real_regulations (the file
    whose name holds ``doc``); the title is checked by its start and end."""
    paths = sorted(REAL.glob(f"*{doc}*.md"))
    if len(paths) != 1:
        pytest.skip(f"no single {doc} document in {REAL}")
    reg = parse_regulation(paths[0].read_bytes(), paths[0].name)
    assert reg.title.startswith(title[0]) and reg.title.endswith(title[1] or title[0])
    assert reg.structure.describe(len(reg.clauses)) == structure
    assert set(labels) <= set(_articles(reg))
    # the signing date and 此件公开发布 are not glued to the last clause
    assert not reg.clauses[-1].text.endswith("公开发布）")
