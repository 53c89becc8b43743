"""Tests for parsers/regulation.py: splitting 管理办法/实施细则 into 章/节/条/款/项 clauses.

All fixtures are built at test time (text, python-docx, reportlab); the real corpus in
../shared/corpus is used when present (it holds no regulation, only a report-style docx
that must be refused).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from PIL import Image
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from parsers import EmptyDocument, ImageOnlyDocument, Paragraph, ParsedDocument, parse_document
from parsers.model import DocumentRejected
from parsers.normalize import normalize_text
from parsers.regulation import (
    MAX_PLAIN_CLAUSE_CHARS,
    Clause,
    ClausePart,
    NotARegulation,
    chinese_numeral,
    parse_chinese_numeral,
    parse_regulation,
    split_regulation,
)

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

TITLE = "某某市年度目标责任制考核实施细则（试行）"

REGULATION_TXT = """某某市年度目标责任制考核实施细则
（试行）
（2024年3月1日市考核委员会第2次会议通过）

目　录
第一章　总　则
第二章　考核内容
第三章　附　则

第一章　总　则

第一条　为做好年度目标责任制考核工作，根据《某某市年度目标责任制考核办法》，制定本细则。

第二条　【适用范围】本细则适用于：
（一）市直各部门；
（二）各县（市、区）人民政府。
前款所列单位统称考核对象。

第二章　考核内容

第一节　基础分

第 3 条　基础分满分60分，包括：
1.重点任务40分；
2.共性指标20分。
第二条规定的考核对象，均应参加基础分考核。

第三条之一　基础分按下表计算：
| 指标 | 分值 |
|---|---|
| 重点任务 | 40 |
| 共性指标 | 20 |

第二节　加减分

第四条　有下列情形之一的，予以减分：
①发生重大安全事故的；
②被上级通报批评的。

第三章　附　则

第五条　本细则由市考核办负责解释。

第六条　本细则自2024年4月1日起施行。
"""

REGULATION_MD = """# 某某市年度目标责任制考核实施细则

（试行）

（2024年3月1日市考核委员会第2次会议通过）

## 第一章　总　则

**第一条**　为做好年度目标责任制考核工作，根据《某某市年度目标责任制考核办法》，制定本细则。

**第二条**　【适用范围】本细则适用于：

- （一）市直各部门；
- （二）各县（市、区）人民政府。

前款所列单位统称考核对象。

## 第二章　考核内容

### 第一节　基础分

**第 3 条**　基础分满分60分，包括：

1. 重点任务40分；
2. 共性指标20分。

第二条规定的考核对象，均应参加基础分考核。

**第三条之一**　基础分按下表计算：

| 指标 | 分值 |
|:-----|-----:|
| 重点任务 | 40 |
| 共性指标 | 20 |

### 第二节　加减分

**第四条**　有下列情形之一的，予以减分：

- ①发生重大安全事故的；
- ②被上级通报批评的。

## 第三章　附　则

**第五条**　本细则由市考核办负责解释。

**第六条**　本细则自2024年4月1日起施行。
"""

CH1, CH2, CH3 = "第一章 总则", "第二章 考核内容", "第三章 附则"
SEC1, SEC2 = "第一节 基础分", "第二节 加减分"


def _shape(clauses: tuple[Clause, ...]) -> list[tuple]:
    """Everything about the clauses except where they are."""
    return [(c.seq, c.chapter, c.section, c.article, c.text, c.parts, c.tables) for c in clauses]


# --- numerals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "一"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (21, "二十一"),
        (100, "一百"),
        (101, "一百零一"),
        (105, "一百零五"),
        (110, "一百一十"),
        (999, "九百九十九"),
        (1010, "一千零一十"),
    ],
)
def test_chinese_numeral(n: int, text: str) -> None:
    assert chinese_numeral(n) == text
    assert parse_chinese_numeral(text) == n


def test_chinese_numeral_round_trip_and_other_spellings() -> None:
    assert all(parse_chinese_numeral(chinese_numeral(n)) == n for n in range(1, 1000))
    assert parse_chinese_numeral("12") == 12
    assert parse_chinese_numeral("一〇五") == 105
    assert parse_chinese_numeral("两百") == 200
    assert parse_chinese_numeral("条") is None
    with pytest.raises(ValueError):
        chinese_numeral(0)


# --- plain text and Markdown ---------------------------------------------------------------


def test_text_regulation_structure() -> None:
    reg = parse_regulation(REGULATION_TXT.encode("utf-8"), "考核实施细则.txt")
    assert reg.title == TITLE
    assert reg.file_type == "txt"
    got = [(c.seq, c.chapter, c.section, c.article, c.location) for c in reg.clauses]
    assert got == [
        # The note under the title is a preamble: outside any 条.
        (1, None, None, None, "第1段"),
        (2, CH1, None, "第一条", "第4段"),
        (3, CH1, None, "第二条", "第5段"),
        (4, CH2, SEC1, "第三条", "第8段"),  # "第 3 条" → canonical 第三条
        (5, CH2, SEC1, "第三条之一", "第9段"),
        (6, CH2, SEC2, "第四条", "第11段"),
        (7, CH3, None, "第五条", "第13段"),
        (8, CH3, None, "第六条", "第14段"),
    ]
    preamble = reg.clauses[0]
    assert preamble.text == "（2024年3月1日市考核委员会第2次会议通过）"
    # The table of contents (目录 and its chapter lines) makes no clause.
    assert not any("目 录" in c.text or "第一章" in c.text for c in reg.clauses)

    art2 = reg.clauses[2]
    assert art2.text == (
        "第二条 【适用范围】本细则适用于：\n（一）市直各部门；\n（二）各县（市、区）人民政府。\n前款所列单位统称考核对象。"
    )
    assert art2.parts == (
        ClausePart("", "【适用范围】本细则适用于："),
        ClausePart("（一）", "市直各部门；"),
        ClausePart("（二）", "各县（市、区）人民政府。"),
        ClausePart("第2款", "前款所列单位统称考核对象。"),
    )
    art3 = reg.clauses[3]
    assert art3.text.startswith("第 3 条 基础分满分60分")  # the label as written stays in the text
    assert [p.label for p in art3.parts] == ["", "1.", "2.", "第2款"]
    # A paragraph starting with a cross-reference ("第二条规定的…") is not a new article.
    assert art3.parts[-1].text == "第二条规定的考核对象，均应参加基础分考核。"
    art3a = reg.clauses[4]
    assert art3a.tables == ("指标 | 分值", "重点任务 | 40", "共性指标 | 20")
    assert art3a.text == "第三条之一 基础分按下表计算：\n指标 | 分值\n重点任务 | 40\n共性指标 | 20"
    assert reg.clauses[5].parts == (
        ClausePart("", "有下列情形之一的，予以减分："),
        ClausePart("①", "发生重大安全事故的；"),
        ClausePart("②", "被上级通报批评的。"),
    )
    assert reg.clauses[7].parts == (ClausePart("", "本细则自2024年4月1日起施行。"),)
    assert [c.seq for c in reg.clauses] == list(range(1, len(reg.clauses) + 1))


def test_markdown_gives_the_same_clauses() -> None:
    text_reg = parse_regulation(REGULATION_TXT.encode("utf-8"), "细则.txt")
    md_reg = parse_regulation(REGULATION_MD.encode("utf-8"), "细则.md")
    assert md_reg.title == TITLE
    md_shape = _shape(md_reg.clauses)
    text_shape = _shape(text_reg.clauses)
    # Markdown lists write "1. 重点任务" with a space: only that text differs.
    assert [s[:4] for s in md_shape] == [s[:4] for s in text_shape]
    assert [s[5:] for s in md_shape] == [s[5:] for s in text_shape]
    assert md_reg.clauses[3].text.replace("1. ", "1.").replace("2. ", "2.") == text_reg.clauses[3].text
    assert "**" not in "".join(c.text for c in md_reg.clauses)
    assert md_reg.clauses[1].location == "第5段"  # paragraphs of the .md file as parse_document counts them


def test_text_without_blank_lines_one_line_per_paragraph() -> None:
    flat = "\n".join(line for line in REGULATION_TXT.splitlines() if line.strip())
    reg = parse_regulation(flat.encode("gb18030"), "细则.txt")
    assert reg.title == TITLE
    assert _shape(reg.clauses) == _shape(parse_regulation(REGULATION_TXT.encode(), "细则.txt").clauses)
    lines = flat.splitlines()
    first_article = next(c for c in reg.clauses if c.article == "第一条")
    assert (
        first_article.location
        == f"第{lines.index(next(ln for ln in lines if ln.startswith('第一条'))) + 1}段"
    )


def test_split_regulation_on_parse_document_output_still_splits_items() -> None:
    """parse_text joins the lines of a block; split_regulation still finds 条 and 项 in it."""
    parsed = parse_document(REGULATION_TXT.encode("utf-8"), "细则.txt")
    reg = split_regulation(parsed, "细则.txt")
    articles = [c.article for c in reg.clauses if c.article]
    assert articles == ["第一条", "第二条", "第三条", "第三条之一", "第四条", "第五条", "第六条"]
    art2 = next(c for c in reg.clauses if c.article == "第二条")
    assert [p.label for p in art2.parts][:3] == ["", "（一）", "（二）"]


def test_times_and_numbers_inside_a_sentence_are_not_items() -> None:
    text = (
        "考核办法\n\n第一条 市考核办工作日上午8：30至12：00、下午14：30至18：00受理咨询；"
        "得分按6∶4折算，保留1.5位小数的按2位计。\n\n第二条 本办法自印发之日起施行。"
    )
    for reg in (
        parse_regulation(text.encode("utf-8"), "办法.txt"),
        split_regulation(parse_document(text.encode("utf-8"), "办法.txt"), "办法.txt"),
    ):
        assert [c.article for c in reg.clauses] == ["第一条", "第二条"]
        assert [p.label for p in reg.clauses[0].parts] == [""]


def test_chapter_title_on_its_own_line_and_full_width_digits() -> None:
    text = "考核管理办法\n\n第一章\n总　则\n\n第１条 考核每年进行一次。\n\n第二章\n附　则\n\n第２条 本办法自印发之日起施行。\n"
    reg = parse_regulation(text.encode("utf-8"), "办法.txt")
    assert reg.title == "考核管理办法"
    assert [(c.chapter, c.article, c.text) for c in reg.clauses] == [
        ("第一章 总则", "第一条", "第1条 考核每年进行一次。"),
        ("第二章 附则", "第二条", "第2条 本办法自印发之日起施行。"),
    ]


def test_unnumbered_markdown_headings_are_chapters_and_two_line_title() -> None:
    text = (
        "# 某某市\n# 绩效考核办法\n\n## 总　则\n\n第一条 考核每年进行一次。\n\n第二条 考核实行百分制。\n\n"
        "## 附则\n\n第三条 本办法自印发之日起施行。\n"
    )
    reg = parse_regulation(text.encode("utf-8"), "办法.md")
    assert reg.title == "某某市绩效考核办法"
    assert [(c.chapter, c.article) for c in reg.clauses] == [
        ("总则", "第一条"),
        ("总则", "第二条"),
        ("附则", "第三条"),
    ]


def test_chapter_heading_and_first_article_on_one_line() -> None:
    text = (
        "某某大学章程\n第一章　总则　第一条　为保障学校依法办学，制定本章程。\n第二条　学校名称为某某大学。\n"
    )
    reg = parse_regulation(text.encode("utf-8"), "章程.txt")
    assert [(c.chapter, c.article, c.text) for c in reg.clauses] == [
        ("第一章 总则", "第一条", "第一条 为保障学校依法办学，制定本章程。"),
        ("第一章 总则", "第二条", "第二条 学校名称为某某大学。"),
    ]


def test_title_falls_back_to_file_name() -> None:
    text = "第一条 考核每年进行一次。\n第二条 本办法自印发之日起施行。\n"
    reg = parse_regulation(text.encode("utf-8"), "uploads/绩效考核办法.txt")
    assert reg.title == "绩效考核办法"
    assert [c.article for c in reg.clauses] == ["第一条", "第二条"]
    assert all(c.chapter is None and c.section is None for c in reg.clauses)


# --- preamble, chapters without 条, refusals ----------------------------------------------


def test_preamble_and_chapters_without_articles_split_on_top_level_items() -> None:
    long_paragraph = "各单位要高度重视考核工作，认真对照指标逐项自查，如实填报佐证材料。" * 10
    text = "\n\n".join(
        [
            "某某区目标管理考核实施细则",
            "为进一步完善考核机制，结合本区实际，制定本细则。",
            "一、指导思想",
            "坚持以人民为中心。",
            "二、基本原则",
            "（一）客观公正；",
            "（二）注重实绩。",
            "第一章 考核对象",
            "第一条 本细则适用于区直各部门。",
            "第二条 新设立的单位当年不参加考核。",
            "第二章 工作要求",
            *[long_paragraph] * 6,
            "第三章 考核程序",
            "一、自查自评。各单位于12月底前完成自查。",
            "二、综合评定。考核办汇总形成考核结果。",
            "| 环节 | 时间 |",
            "| 自查 | 12月 |",
        ]
    )
    reg = parse_regulation(text.encode("utf-8"), "细则.txt")
    assert reg.title == "某某区目标管理考核实施细则"
    got = [(c.chapter, c.article) for c in reg.clauses]
    n_plain = sum(1 for c in reg.clauses if c.chapter == "第二章 工作要求")
    assert got == [
        (None, None),  # the preamble sentence
        (None, "一、"),
        (None, "二、"),
        ("第一章 考核对象", "第一条"),
        ("第一章 考核对象", "第二条"),
        *[("第二章 工作要求", None)] * n_plain,
        ("第三章 考核程序", "一、"),
        ("第三章 考核程序", "二、"),
    ]
    assert reg.clauses[0].text == "为进一步完善考核机制，结合本区实际，制定本细则。"
    assert reg.clauses[1].text == "一、指导思想\n坚持以人民为中心。"
    assert reg.clauses[1].parts == (ClausePart("", "指导思想"), ClausePart("第2款", "坚持以人民为中心。"))
    assert reg.clauses[2].parts == (
        ClausePart("", "基本原则"),
        ClausePart("（一）", "客观公正；"),
        ClausePart("（二）", "注重实绩。"),
    )
    # Six long paragraphs without any 条 or item are not one huge chunk.
    plain = [c for c in reg.clauses if c.chapter == "第二章 工作要求"]
    assert n_plain >= 2
    assert all(len(c.text) <= MAX_PLAIN_CLAUSE_CHARS for c in plain)
    assert "\n".join(c.text for c in plain) == "\n".join([long_paragraph] * 6)
    # The table after the last item belongs to that item.
    assert reg.clauses[-1].tables == ("环节 | 时间", "自查 | 12月")
    assert reg.clauses[-1].text.endswith("环节 | 时间\n自查 | 12月")


def test_notice_numbered_with_chinese_items_loads_as_an_outline() -> None:
    """一、 sections are the document's own numbering: each with its text is a clause."""
    text = "关于做好年度考核工作的通知\n\n一、工作目标\n\n全面完成任务。\n\n二、工作要求\n\n按时报送材料。"
    reg = parse_regulation(text.encode("utf-8"), "通知.txt")
    assert reg.title == "关于做好年度考核工作的通知"
    assert [(c.article, c.text) for c in reg.clauses] == [
        ("一、", "一、工作目标\n全面完成任务。"), ("二、", "二、工作要求\n按时报送材料。")]
    assert reg.structure.describe(len(reg.clauses)) == "识别到 1 级编号（一、）、2 个条目"


def test_cross_references_are_not_structure() -> None:
    """A document that only mentions 第十二条 is split into paragraphs, not fake articles."""
    text = "情况说明\n\n依照《考核办法》第十二条的规定执行。\n\n第十二条规定的情形，第三章第二节另有规定的除外。"
    reg = parse_regulation(text.encode("utf-8"), "说明.txt")
    assert [c.article for c in reg.clauses] == [None]
    assert "第三章第二节另有规定的除外" in reg.clauses[0].text
    assert reg.structure.describe(1) == "识别到没有编号，按段落切分、1 个条目"


@pytest.mark.parametrize("text", ["通知", "附件：\n\n（空）", "   \n\n  "])
def test_document_without_usable_text_is_refused(text: str) -> None:
    with pytest.raises(DocumentRejected) as exc:
        parse_regulation(text.encode("utf-8"), "通知.txt")
    if isinstance(exc.value, NotARegulation):
        assert exc.value.code == "not_regulation"
        assert exc.value.reason.startswith("《通知.txt》中几乎没有可用的文字，无法作为规定载入。")
    else:
        assert exc.value.code == "empty"


def test_parse_document_refusals_pass_through() -> None:
    with pytest.raises(EmptyDocument):
        parse_regulation(b"", "办法.txt")
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, format="PNG")
    with pytest.raises(ImageOnlyDocument):
        parse_regulation(buf.getvalue(), "办法.docx")


# --- Word auto-numbering ----------------------------------------------------------------------


def _lvl(ilvl: int, fmt: str, text: str, extra: str = "") -> str:
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>{extra}'
        f'<w:lvlText w:val="{text}"/></w:lvl>'
    )


def _add_lists(doc, abstracts: dict[str, str], nums: dict[str, tuple[str, str]]) -> None:
    """Add abstractNums ({id: levels xml}) and nums ({numId: (abstractNumId, overrides xml)})."""
    numbering = doc.part.numbering_part.element
    first_num = numbering.find(qn("w:num"))
    for aid, levels in abstracts.items():
        first_num.addprevious(
            parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{aid}">{levels}</w:abstractNum>')
        )
    for nid, (aid, overrides) in nums.items():
        numbering.append(
            parse_xml(
                f'<w:num {nsdecls("w")} w:numId="{nid}"><w:abstractNumId w:val="{aid}"/>{overrides}</w:num>'
            )
        )


def _numbered(doc, text: str, num_id: str, ilvl: int = 0, style: str | None = None) -> None:
    p = doc.add_paragraph(text, style=style)
    p._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')
    )


def _docx_bytes(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


RESTART = '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>'


@pytest.fixture
def auto_numbered_docx() -> bytes:
    """章/条/项 numbers only in Word auto-numbering; a table inside 第三条.

    List 80 is multi-level: 第%1章 / 第%2条 (lvlRestart 0: counts on across chapters) /
    （%3） (restarts under each 条). List 81 is a separate "（%1）" list; num 82 is the same
    list restarted (startOverride), as Word's "重新开始于一" writes it.
    """
    doc = Document()
    doc.add_heading("某某市年度目标责任制考核办法", level=0)
    _add_lists(
        doc,
        {
            "80": _lvl(0, "chineseCounting", "第%1章", '<w:suff w:val="space"/>')
            + _lvl(1, "chineseCounting", "第%2条", '<w:lvlRestart w:val="0"/>')
            + _lvl(2, "chineseCounting", "（%3）", '<w:suff w:val="nothing"/>'),
            "81": _lvl(0, "chineseCountingThousand", "（%1）"),
        },
        {"80": ("80", ""), "81": ("81", ""), "82": ("81", RESTART)},
    )
    _numbered(doc, "总则", "80", 0, style="Heading 1")
    _numbered(doc, "为了推进目标责任制考核工作，制定本办法。", "80", 1)
    _numbered(doc, "本办法适用于：", "80", 1)
    _numbered(doc, "市直各部门；", "80", 2)
    _numbered(doc, "各县（市、区）人民政府。", "80", 2)
    _numbered(doc, "考核内容", "80", 0, style="Heading 1")
    _numbered(doc, "考核实行百分制，分值见下表。", "80", 1)
    table = doc.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "指标", (0, 1): "分值", (1, 0): "群众满意度", (1, 1): "10"}.items():
        table.cell(r, c).text = value
    doc.add_paragraph("分值每年调整一次。")
    _numbered(doc, "考核等次分为：", "80", 1)
    _numbered(doc, "优秀；", "81")
    _numbered(doc, "良好。", "81")
    _numbered(doc, "有下列情形之一的，不得评为优秀：", "80", 1)
    _numbered(doc, "弄虚作假的；", "82")
    _numbered(doc, "发生重大责任事故的。", "82")
    _numbered(doc, "考核结果运用：", "80", 1)
    _numbered(doc, "与评先评优挂钩；", "80", 2)
    _numbered(doc, "与干部任用挂钩。", "80", 2)
    _numbered(doc, "附则", "80", 0, style="Heading 1")
    _numbered(doc, "本办法自2024年1月1日起施行。", "80", 1)
    return _docx_bytes(doc)


def test_docx_parser_rebuilds_chapter_article_and_item_numbers(auto_numbered_docx: bytes) -> None:
    doc = parse_document(auto_numbered_docx, "办法.docx")
    assert [(p.kind, p.text) for p in doc.paragraphs] == [
        ("heading", "某某市年度目标责任制考核办法"),
        ("heading", "第一章 总则"),
        ("text", "第一条 为了推进目标责任制考核工作，制定本办法。"),
        ("text", "第二条 本办法适用于："),
        ("text", "（一）市直各部门；"),
        ("text", "（二）各县（市、区）人民政府。"),
        ("heading", "第二章 考核内容"),
        ("text", "第三条 考核实行百分制，分值见下表。"),  # 条 count on across chapters
        ("table", "指标 | 分值"),
        ("table", "群众满意度 | 10"),
        ("text", "分值每年调整一次。"),
        ("text", "第四条 考核等次分为："),
        ("text", "（一）优秀；"),
        ("text", "（二）良好。"),
        ("text", "第五条 有下列情形之一的，不得评为优秀："),
        ("text", "（一）弄虚作假的；"),  # num 82 restarts list 81
        ("text", "（二）发生重大责任事故的。"),
        ("text", "第六条 考核结果运用："),
        ("text", "（一）与评先评优挂钩；"),  # level 2 restarts after a level-1 paragraph
        ("text", "（二）与干部任用挂钩。"),
        ("heading", "第三章 附则"),
        ("text", "第七条 本办法自2024年1月1日起施行。"),
    ]


def test_docx_auto_numbered_regulation_clauses(auto_numbered_docx: bytes) -> None:
    reg = parse_regulation(auto_numbered_docx, "办法.docx")
    assert reg.title == "某某市年度目标责任制考核办法"
    assert reg.file_type == "docx"
    assert [(c.seq, c.chapter, c.article, c.location) for c in reg.clauses] == [
        (1, "第一章 总则", "第一条", "第3段"),
        (2, "第一章 总则", "第二条", "第4段"),
        (3, "第二章 考核内容", "第三条", "第8段"),
        (4, "第二章 考核内容", "第四条", "第12段"),
        (5, "第二章 考核内容", "第五条", "第15段"),
        (6, "第二章 考核内容", "第六条", "第18段"),
        (7, "第三章 附则", "第七条", "第22段"),
    ]
    art3 = reg.clauses[2]
    assert art3.tables == ("指标 | 分值", "群众满意度 | 10")
    assert (
        art3.text == "第三条 考核实行百分制，分值见下表。\n指标 | 分值\n群众满意度 | 10\n分值每年调整一次。"
    )
    assert art3.parts == (
        ClausePart("", "考核实行百分制，分值见下表。"),
        ClausePart("第2款", "分值每年调整一次。"),
    )
    assert [p.label for p in reg.clauses[4].parts] == ["", "（一）", "（二）"]
    assert all(c.tables == () for c in reg.clauses if c is not art3)


def test_docx_numbering_restarts_and_formats() -> None:
    """Without lvlRestart a level restarts after its parent; multi-level "%2.%3" shows the numbers of both levels;
    a second num of the same abstract list continues it; decimal "第%1条" is canonicalised."""
    doc = Document()
    doc.add_paragraph("考核细则")
    _add_lists(
        doc,
        {
            "70": _lvl(0, "chineseCounting", "第%1章")
            + _lvl(1, "chineseCounting", "第%2条")
            + _lvl(2, "decimal", "%2.%3"),
            "71": _lvl(0, "decimal", "第%1条", '<w:suff w:val="nothing"/>'),
        },
        {"70": ("70", ""), "72": ("70", ""), "71": ("71", "")},
    )
    _numbered(doc, "总则", "70", 0)
    _numbered(doc, "考核每年一次。", "70", 1)
    _numbered(doc, "细项", "70", 2)
    _numbered(doc, "考核内容", "72", 0)  # same abstract list: continues to 第二章
    _numbered(doc, "考核实行百分制。", "72", 1)  # restarted by the new chapter: 第一条
    doc.add_paragraph("附件")
    _numbered(doc, "按季度通报。", "71")
    _numbered(doc, "按年度汇总。", "71")
    texts = [p.text for p in parse_document(_docx_bytes(doc), "细则.docx").paragraphs]
    assert texts == [
        "考核细则",
        "第一章 总则",
        "第一条 考核每年一次。",
        "一.1 细项",
        "第二章 考核内容",
        "第一条 考核实行百分制。",
        "附件",
        "第1条按季度通报。",
        "第2条按年度汇总。",
    ]
    reg = parse_regulation(_docx_bytes(doc), "细则.docx")
    assert [(c.chapter, c.article) for c in reg.clauses] == [
        ("第一章 总则", "第一条"),
        ("第二章 考核内容", "第一条"),
        ("附件", "第一条"),
        ("附件", "第二条"),
    ]
    assert reg.clauses[0].parts == (ClausePart("", "考核每年一次。"), ClausePart("第2款", "一.1 细项"))


# --- PDF --------------------------------------------------------------------------------------

FILL = "各考核对象应当按照年度目标任务分解表的要求，认真组织实施各项工作，确保按期完成任务，"


def _regulation_pdf() -> bytes:
    """A regulation whose 第八条 runs over the page break, with a ruled table in 第二条."""
    style = ParagraphStyle("cn", fontName=FONT, fontSize=12, leading=18, wordWrap="CJK")
    table = Table([["指标", "分值"], ["群众满意度", "10"], ["工作完成率", "20"]])
    table.setStyle(
        TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("GRID", (0, 0), (-1, -1), 0.5, colors.black)])
    )

    def footer(canvas, document) -> None:
        canvas.setFont(FONT, 10)
        canvas.drawCentredString(A4[0] / 2, 30, f"- {document.page} -")

    story = [
        RLParagraph("某某市年度目标责任制考核办法", style),
        RLParagraph("第一章 总则", style),
        RLParagraph("第一条 为了推进目标责任制考核工作，制定本办法。", style),
        RLParagraph("第二条 考核实行百分制，分值如下：", style),
        Spacer(1, 6),
        table,
        Spacer(1, 6),
    ]
    for n in "三四五六七":
        story.append(RLParagraph(f"第{n}条 " + FILL * 4 + "并按时报送材料。", style))
    story.append(RLParagraph("第八条 " + FILL * 12 + "不得弄虚作假。", style))
    story.append(RLParagraph("第二章 附则", style))
    story.append(RLParagraph("第九条 本办法自2024年1月1日起施行。", style))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def test_pdf_article_over_page_break_and_table_rows() -> None:
    data = _regulation_pdf()
    parsed = parse_document(data, "办法.pdf")
    assert parsed.pages == 2
    # 第八条 continues on page 2: the parser joins it back into one paragraph on page 1.
    art8_paragraph = parsed.paragraphs[-3]
    assert art8_paragraph.page == 1 and art8_paragraph.text.startswith("第八条")
    assert art8_paragraph.text.endswith("不得弄虚作假。")
    reg = parse_regulation(data, "办法.pdf")
    assert reg.title == "某某市年度目标责任制考核办法"
    assert reg.file_type == "pdf"
    assert [(c.chapter, c.article, c.location) for c in reg.clauses] == [
        ("第一章 总则", "第一条", "第1页"),
        ("第一章 总则", "第二条", "第1页"),
        *[("第一章 总则", f"第{n}条", "第1页") for n in "三四五六七八"],
        ("第二章 附则", "第九条", "第2页"),
    ]
    art8 = reg.clauses[7]
    assert art8.parts == (ClausePart("", normalize_text(FILL * 12 + "不得弄虚作假。")),)
    # (pdfplumber reads this page, because of its table, and drops the space after "第八条")
    assert art8.text.replace("第八条 ", "第八条") == "第八条" + art8.parts[0].text
    art2 = reg.clauses[1]
    assert art2.tables == ("指标 | 分值", "群众满意度 | 10", "工作完成率 | 20")
    assert art2.text.endswith("\n指标 | 分值\n群众满意度 | 10\n工作完成率 | 20")
    assert "- 1 -" not in "".join(c.text for c in reg.clauses)


def test_pdf_running_header_dropped_and_page_break_joined() -> None:
    header = "某市人民政府规章汇编"

    def page(n: int, texts: list[str]) -> list[Paragraph]:
        return [Paragraph(t, page=n, index=i) for i, t in enumerate([header, *texts], 1)]

    parsed = ParsedDocument(
        file_type="pdf",
        pages=3,
        paragraphs=(
            *page(
                1,
                [
                    "某某市年度目标责任制考核办法",
                    "第一章 总则",
                    "第一条 考核工作坚持客观公正、注重实绩的原则，考核结果",
                ],
            ),
            *page(2, ["作为评先评优的重要依据。", "第二条 考核每年进行一次。"]),
            *page(3, ["第三条 本办法自印发之日起施行。"]),
        ),
    )
    reg = split_regulation(parsed, "办法.pdf")
    assert reg.title == "某某市年度目标责任制考核办法"
    assert [(c.article, c.location) for c in reg.clauses] == [
        ("第一条", "第1页"),
        ("第二条", "第2页"),
        ("第三条", "第3页"),
    ]
    assert (
        reg.clauses[0].text == "第一条 考核工作坚持客观公正、注重实绩的原则，考核结果作为评先评优的重要依据。"
    )
    assert header not in "".join(c.text for c in reg.clauses)


# --- real files ---------------------------------------------------------------------------------


def test_corpus_report_docx_loads_by_its_own_numbering() -> None:
    """A real explanatory note (一、… sections, 1、 items, a "第十六条" cross-reference
    mid-sentence) loads by its 一、 numbering, with no fake article from the reference."""
    path = CORPUS / "04_std_explanation_part1.docx"
    if not path.is_file():
        pytest.skip("corpus file 04_std_explanation_part1.docx not available")
    reg = parse_regulation(path.read_bytes(), path.name)
    articles = [c.article for c in reg.clauses]
    assert "第十六条" not in articles
    assert ["一、", "三、", "四、", "五、"] == [a for a in articles if a in ("一、", "三、", "四、", "五、")]
    assert any(a and a.startswith("二、") and a != "二、" for a in articles)  # 二、's 1、 items
    assert "第十六条明确规定" in next(c.text for c in reg.clauses if c.article == "五、")
