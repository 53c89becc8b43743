"""Tests for parsers/: detection, normalisation, .docx/PDF/.txt parsing and refusals.

All fixtures are built at test time (python-docx, reportlab, Pillow); nothing binary is
committed.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile

import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from PIL import Image
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from parsers import (
    CorruptDocument,
    DocumentRejected,
    EmptyDocument,
    EncryptedDocument,
    ImageOnlyDocument,
    Paragraph,
    ParsedDocument,
    UnsupportedDocument,
    detect_type,
    parse_document,
)
from parsers.normalize import join_broken_lines, normalize_text

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
LONG_SENTENCE = (
    "本单位认真贯彻落实市委市政府关于目标责任制考核的各项部署要求，"
    "全面推进重点任务落地见效，群众满意度较上年提高三个百分点，获得上级部门充分肯定。"
)


def _has_chinese(s: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", s))


def _texts(doc: ParsedDocument) -> list[str]:
    return [p.text for p in doc.paragraphs]


# --- builders -----------------------------------------------------------------------


def _png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _docx_bytes(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _add_chinese_numbering(doc) -> str:
    """Add a chineseCounting "%1、" list to the document's numbering part; return its numId."""
    numbering = doc.part.numbering_part.element
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        '<w:lvlText w:val="%1.%2"/></w:lvl>'
        "</w:abstractNum>"
    )
    first_num = numbering.find(qn("w:num"))
    first_num.addprevious(abstract)
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    return "90"


def _set_num(paragraph, num_id: str, ilvl: int = 0) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')
    )


@pytest.fixture
def sample_docx(tmp_path) -> bytes:
    """A report-style docx: title, headings, numbering, a table with merged and nested cells."""
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "页眉内容不应出现"
    doc.sections[0].footer.paragraphs[0].text = "页脚内容不应出现"
    doc.add_heading("年度工作总结", level=0)  # Title style
    num_id = _add_chinese_numbering(doc)
    h = doc.add_heading("总体情况", level=1)
    _set_num(h, num_id)
    # Kangxi radicals (U+2F63 ⽣, U+2F2F ⼯) and full-width digits, as real PDFs/Word files have.
    doc.add_paragraph("今年⽣态环境保护⼯作取得新进展，完成率１００％。")
    doc.add_paragraph("")  # empty: skipped
    sub = doc.add_paragraph("细项说明")
    _set_num(sub, num_id, ilvl=1)  # level 1 "%1.%2": both numbers, as Word shows them
    doc.add_paragraph("第一项任务", style="List Number")
    doc.add_paragraph("第二项任务", style="List Number")

    table = doc.add_table(rows=3, cols=3)
    table.rows[0].cells[0].text = "指标"
    table.rows[0].cells[1].text = "分值"
    table.rows[0].cells[2].text = "得分"
    merged = table.cell(1, 0).merge(table.cell(1, 1))
    merged.text = "群众满意度"
    table.cell(1, 2).text = "9.5"
    table.cell(2, 0).text = "备注"
    nested_host = table.cell(2, 1)
    nested_host.text = "明细"
    inner = nested_host.add_table(rows=2, cols=2)
    inner.cell(0, 0).text = "子项A"
    inner.cell(0, 1).text = "3分"
    inner.cell(1, 0).text = "子项B"
    inner.cell(1, 1).text = "2分"
    table.cell(2, 2).text = ""

    h2 = doc.add_heading("下一步计划", level=1)
    _set_num(h2, num_id)
    doc.add_paragraph("继续深化改革。")
    data = _docx_bytes(doc)
    (tmp_path / "sample.docx").write_bytes(data)
    return (tmp_path / "sample.docx").read_bytes()


def _canvas_pdf(pages: list[list[str]], footers: list[str] | None = None, font_size: int = 12) -> bytes:
    """A PDF with the given lines drawn one per line (no automatic wrapping)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for n, lines in enumerate(pages):
        c.setFont(FONT, font_size)
        y = A4[1] - 72
        for line in lines:
            c.drawString(72, y, line)
            y -= font_size * 1.6
        if footers:
            c.setFont(FONT, 10)
            c.drawCentredString(A4[0] / 2, 40, footers[n])
        c.showPage()
    c.save()
    return buf.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


# --- detection ----------------------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n%...", "pdf"),
        (b"\xef\xbb\xbf junk before header\n%PDF-1.4\n", "pdf"),
        (_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}), "docx"),
        (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}), "unknown"),
        (_zip({"ppt/presentation.xml": b"<p/>"}), "unknown"),
        (OLE2 + b"\x00" * 512, "doc"),
        (OLE2 + b"\x00" * 64 + "WordDocument".encode("utf-16-le"), "doc"),
        (OLE2 + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le"), "encrypted_office"),
        (OLE2 + b"\x00" * 64 + "Workbook".encode("utf-16-le"), "unknown"),
        (_png_bytes(), "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image"),
        (b"GIF89a\x01\x00\x01\x00", "image"),
        (b"II*\x00\x08\x00\x00\x00", "image"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image"),
        (
            b"BM"
            + (70).to_bytes(4, "little")
            + b"\x00" * 4
            + (54).to_bytes(4, "little")
            + (40).to_bytes(4, "little"),
            "image",
        ),
        ("BMI 指数说明：体重除以身高的平方。".encode(), "txt"),
        ("考核办通知\n请按时提交材料。".encode(), "txt"),
        ("考核办通知\n请按时提交材料。".encode("utf-8-sig"), "txt"),
        ("考核办通知\n请按时提交材料。".encode("gb18030"), "txt"),
        ("考核办通知\n请按时提交材料。".encode("utf-16"), "txt"),
        ("{\\rtf1\\ansi 文档}".encode(), "unknown"),
        (b"<html><body>web page</body></html>", "unknown"),
        (bytes(range(256)) * 4, "unknown"),
        (b"", "unknown"),
    ],
)
def test_detect_type(data: bytes, expected: str) -> None:
    assert detect_type(data) == expected


# --- normalisation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("⽣态⼯作", "生态工作"),  # Kangxi radicals U+2F63, U+2F2F
        ("ＡＢＣ１２３", "ABC123"),
        ("  多个   空格\t\t和制表符  ", "多个 空格 和制表符"),
        ("零\u200b宽\ufeff字符\u200d", "零宽字符"),
        ("第一行  \r\n  第二行", "第一行\n第二行"),
        ("①完成 ⑴启动", "①完成 ⑴启动"),  # enclosed list numbers survive NFKC
        ("", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_join_broken_lines_rejoins_wrapped_chinese_sentence() -> None:
    lines = [
        "一、总体情况",
        "本单位认真贯彻落实市委市政府关于目标责任",
        "制考核的各项部署要求，全面推进重点任务落",
        "地见效。",
        "二、存在问题",
    ]
    assert join_broken_lines(lines) == [
        "一、总体情况",
        "本单位认真贯彻落实市委市政府关于目标责任制考核的各项部署要求，全面推进重点任务落地见效。",
        "二、存在问题",
    ]


def test_join_broken_lines_respects_markers_punctuation_and_short_lines() -> None:
    long_line = "全面推进各项重点工作并且持续加强督促检查和考核评价工作"
    lines = [
        "修订原则为:",
        long_line,  # previous ends with ":" -> new paragraph
        "(一)完善制度",  # marker -> new paragraph
        "1.建立台账",
        "①按月报送",
        "• 按季通报",
        "标题",  # short line followed by text -> not joined with the next
        long_line,
        "第三章 附则",
    ]
    assert join_broken_lines(lines) == [
        "修订原则为:",
        long_line,
        "(一)完善制度",
        "1.建立台账",
        "①按月报送",
        "• 按季通报",
        "标题",
        long_line,
        "第三章 附则",
    ]


def test_join_broken_lines_latin_words_get_one_space() -> None:
    lines = [
        "The assessment office publishes the annual list of indicators",
        "for every unit before the end of March.",
    ]
    assert join_broken_lines(lines) == [
        "The assessment office publishes the annual list of indicators for every unit before the end of March."
    ]


@pytest.mark.parametrize(
    "page_number", ["- 3 -", "3", "第 3 页", "第3页 共10页", "3/10", "— 12 —", "Page 3 of 10"]
)
def test_join_broken_lines_drops_page_numbers(page_number: str) -> None:
    assert join_broken_lines([page_number, "正文内容。", page_number]) == ["正文内容。"]


def test_pdf_line_end_hyphen_is_removed() -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 700, "The assessment office publishes the annual docu-")
    c.drawString(72, 685, "ment list for every unit before the end of March.")
    c.save()
    doc = parse_document(buf.getvalue())
    assert _texts(doc) == [
        "The assessment office publishes the annual document list for every unit before the end of March."
    ]


def test_bare_number_in_middle_of_page_is_kept() -> None:
    lines = ["第一段内容。", "第二段内容。", "100", "第三段内容。", "第四段内容。"]
    assert "100" in join_broken_lines(lines)


# --- docx ---------------------------------------------------------------------------


def test_docx_order_kinds_and_indexes(sample_docx: bytes) -> None:
    doc = parse_document(sample_docx, "总结.docx")
    assert doc.file_type == "docx"
    assert doc.pages is None
    assert doc.warnings == ()
    got = [(p.kind, p.text) for p in doc.paragraphs]
    assert got == [
        ("heading", "年度工作总结"),
        ("heading", "一、总体情况"),
        ("text", "今年生态环境保护工作取得新进展，完成率100%。"),
        ("text", "一.1 细项说明"),
        ("text", "1.第一项任务"),
        ("text", "2.第二项任务"),
        ("table", "指标 | 分值 | 得分"),
        ("table", "群众满意度 | 9.5"),  # merged cell once
        ("table", "备注 | 明细"),
        ("table", "子项A | 3分"),  # nested table rows follow their row
        ("table", "子项B | 2分"),
        ("heading", "二、下一步计划"),
        ("text", "继续深化改革。"),
    ]
    assert [p.index for p in doc.paragraphs] == list(range(1, len(doc.paragraphs) + 1))
    assert all(p.page is None for p in doc.paragraphs)
    assert "页眉" not in "".join(_texts(doc)) and "页脚" not in "".join(_texts(doc))
    assert doc.paragraphs[1].location() == "第2段"
    assert doc.paragraphs[6].location() == "第7表格行"


def test_docx_vertical_merge_and_sdt_content() -> None:
    doc = Document()
    table = doc.add_table(rows=3, cols=2)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "一级指标"
    table.cell(0, 1).text = "二级指标甲"
    table.cell(1, 1).text = "二级指标乙"
    table.cell(2, 0).text = "合计"
    table.cell(2, 1).text = "100"
    sdt = parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>内容控件中的文字</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>"
    )
    doc.element.body.insert(0, sdt)
    parsed = parse_document(_docx_bytes(doc))
    assert [(p.kind, p.text) for p in parsed.paragraphs] == [
        ("text", "内容控件中的文字"),
        ("table", "一级指标 | 二级指标甲"),
        ("table", "一级指标 | 二级指标乙"),  # python-docx repeats the vertically merged cell
        ("table", "合计 | 100"),
    ]


def test_docx_tracked_changes_hyperlinks_and_text_boxes() -> None:
    doc = Document()
    mc = "http://schemas.openxmlformats.org/markup-compatibility/2006"
    wps = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
    box = "<w:txbxContent><w:p><w:r><w:t>文本框文字</w:t></w:r></w:p></w:txbxContent>"
    paragraph = parse_xml(
        f'<w:p {nsdecls("w", "r")} xmlns:mc="{mc}" xmlns:wps="{wps}">'
        "<w:r><w:t>保留</w:t></w:r>"
        '<w:ins w:id="1" w:author="a"><w:r><w:t>插入的</w:t></w:r></w:ins>'
        '<w:del w:id="2" w:author="a"><w:r><w:delText>删除的</w:delText></w:r></w:del>'
        '<w:hyperlink r:id="rId99"><w:r><w:t>链接文字</w:t></w:r></w:hyperlink>'
        "<w:r><w:instrText> PAGE </w:instrText></w:r>"
        "<w:r><mc:AlternateContent>"
        f'<mc:Choice Requires="wps"><w:drawing><wps:txbx>{box}</wps:txbx></w:drawing></mc:Choice>'
        f"<mc:Fallback><w:pict>{box}</w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
        "</w:p>"
    )
    doc.element.body.insert(0, paragraph)
    parsed = parse_document(_docx_bytes(doc))
    assert _texts(parsed) == ["保留插入的链接文字", "文本框文字"]


def test_docx_without_text_is_empty() -> None:
    doc = Document()
    doc.add_paragraph("")
    doc.add_table(rows=2, cols=2)
    with pytest.raises(EmptyDocument) as exc:
        parse_document(_docx_bytes(doc), "空白.docx")
    assert _has_chinese(exc.value.reason) and "文字" in exc.value.reason


def test_docx_with_only_a_picture_is_image_only(tmp_path) -> None:
    img = tmp_path / "scan.png"
    img.write_bytes(_png_bytes())
    doc = Document()
    doc.add_picture(str(img))
    with pytest.raises(ImageOnlyDocument):
        parse_document(_docx_bytes(doc))


def _replace_part(data: bytes, name: str, content: bytes | None) -> bytes:
    """Copy of a docx with one part replaced (or removed when ``content`` is None)."""
    files = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for item in zf.namelist():
            files[item] = zf.read(item)
    if content is None:
        del files[name]
    else:
        files[name] = content
    return _zip(files)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda data: data[: len(data) // 2],  # truncated archive
        lambda data: _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<not xml"}),
        lambda data: _replace_part(data, "word/document.xml", b"<w:document><w:body><w:p>"),
        lambda data: _replace_part(data, "word/document.xml", None),  # main part missing
    ],
)
def test_corrupt_docx(sample_docx: bytes, mangle) -> None:
    data = mangle(sample_docx)
    assert detect_type(data) == "docx"
    with pytest.raises(CorruptDocument) as exc:
        parse_document(data, "坏文件.docx")
    assert "损坏" in exc.value.reason and "上传" in exc.value.reason


# --- pdf ----------------------------------------------------------------------------


def test_pdf_wrapped_sentence_becomes_one_paragraph_and_page_numbers_dropped() -> None:
    lines = _wrap(LONG_SENTENCE, 28)
    assert len(lines) == 3
    pages = [
        ["一、总体情况", *lines, "二、存在问题", "个别指标进度偏慢。"],
        ["三、下一步计划", "继续深化改革。"],
    ]
    data = _canvas_pdf(pages, footers=["- 1 -", "第2页 共2页"])
    doc = parse_document(data, "报告.pdf")
    assert doc.file_type == "pdf" and doc.pages == 2
    expected_sentence = normalize_text(LONG_SENTENCE)
    assert [(p.page, p.index, p.text) for p in doc.paragraphs] == [
        (1, 1, "一、总体情况"),
        (1, 2, expected_sentence),
        (1, 3, "二、存在问题"),
        (1, 4, "个别指标进度偏慢。"),
        (2, 1, "三、下一步计划"),
        (2, 2, "继续深化改革。"),
    ]
    assert doc.paragraphs[1].location() == "第1页第2段"
    assert all(p.kind == "text" for p in doc.paragraphs)


def test_pdf_ruled_table_rows_in_vertical_order() -> None:
    style = ParagraphStyle("cn", fontName=FONT, fontSize=12, leading=18, wordWrap="CJK")
    table = Table([["指标", "分值", "得分"], ["群众满意度", "10", "9.5"], ["工作完成率", "20", "18"]])
    table.setStyle(
        TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("GRID", (0, 0), (-1, -1), 0.5, colors.black)])
    )
    story = [
        RLParagraph("一、考核得分", style),
        RLParagraph(LONG_SENTENCE * 2, style),
        Spacer(1, 12),
        table,
        Spacer(1, 12),
        RLParagraph("二、说明", style),
    ]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    doc = parse_document(buf.getvalue())
    assert [(p.kind, p.text) for p in doc.paragraphs] == [
        ("text", "一、考核得分"),
        ("text", normalize_text(LONG_SENTENCE * 2)),
        ("table", "指标 | 分值 | 得分"),
        ("table", "群众满意度 | 10 | 9.5"),
        ("table", "工作完成率 | 20 | 18"),
        ("text", "二、说明"),
    ]
    assert [p.index for p in doc.paragraphs] == [1, 2, 3, 4, 5, 6]
    assert doc.paragraphs[3].location() == "第1页第4表格行"


def test_blank_pdf_is_empty() -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.showPage()
    c.save()
    with pytest.raises(EmptyDocument) as exc:
        parse_document(buf.getvalue())
    assert "文字" in exc.value.reason


def test_image_only_pdf() -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawImage(ImageReader(Image.new("RGB", (60, 40), (10, 120, 200))), 72, 600, width=300, height=200)
    c.showPage()
    c.save()
    with pytest.raises(ImageOnlyDocument) as exc:
        parse_document(buf.getvalue(), "扫描件.pdf")
    assert "扫描" in exc.value.reason and "上传" in exc.value.reason


def test_pdf_with_some_scanned_pages_warns() -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(FONT, 12)
    c.drawString(72, 700, "第一页有文字。")
    c.showPage()
    c.drawImage(ImageReader(Image.new("RGB", (60, 40), (0, 0, 0))), 72, 600, width=300, height=200)
    c.showPage()
    c.save()
    doc = parse_document(buf.getvalue())
    assert _texts(doc) == ["第一页有文字。"]
    assert doc.pages == 2
    assert any("第2页" in w for w in doc.warnings)


def test_encrypted_pdf() -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt="secret")
    c.setFont(FONT, 12)
    c.drawString(72, 700, "加密文档")
    c.save()
    with pytest.raises(EncryptedDocument) as exc:
        parse_document(buf.getvalue())
    assert "密码" in exc.value.reason and "上传" in exc.value.reason


@pytest.mark.parametrize(
    "data",
    [
        _canvas_pdf([["正常文档内容。"] * 20])[:300],
        _canvas_pdf([["正常文档内容。"] * 20])[:-60],
        b"%PDF-1.7\n" + bytes(range(256)) * 10,
        b"%PDF-",
    ],
)
def test_corrupt_pdf(data: bytes) -> None:
    with pytest.raises(CorruptDocument) as exc:
        parse_document(data, "x.pdf")
    assert "损坏" in exc.value.reason


def test_parse_is_thread_safe() -> None:
    data = _canvas_pdf([[f"第{i}段内容。" for i in range(1, 20)]] * 3)
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(len(parse_document(data).paragraphs))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [57] * 6


# --- txt ----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_txt_blank_line_paragraphs(encoding: str) -> None:
    text = "关于考核工作的通知\n\n各单位：请于月底前\n提交自查材料。\n\n  \n考核办\n"
    doc = parse_document(text.encode(encoding), "通知.txt")
    assert doc.file_type == "txt"
    assert [(p.index, p.text) for p in doc.paragraphs] == [
        (1, "关于考核工作的通知"),
        (2, "各单位：请于月底前提交自查材料。"),
        (3, "考核办"),
    ]
    assert doc.paragraphs[2].location() == "第3段"


def test_txt_without_blank_lines_one_paragraph_per_line() -> None:
    doc = parse_document("第一行内容\n第二行内容\r\n　　第三行内容".encode("gb18030"))
    assert _texts(doc) == ["第一行内容", "第二行内容", "第三行内容"]


def test_whitespace_only_txt_is_empty() -> None:
    with pytest.raises(EmptyDocument):
        parse_document(" \n\t\n　\n".encode())


# --- refusals by content --------------------------------------------------------------


def test_png_named_docx_is_refused_by_content() -> None:
    with pytest.raises(ImageOnlyDocument) as exc:
        parse_document(_png_bytes(), "自查报告.docx")
    assert "图片" in exc.value.reason and ".docx" in exc.value.reason


def test_pdf_named_docx_is_parsed_as_pdf_with_warning() -> None:
    doc = parse_document(_canvas_pdf([["正文内容。"]]), "报告.docx")
    assert doc.file_type == "pdf"
    assert _texts(doc) == ["正文内容。"]
    assert any(".docx" in w for w in doc.warnings)


def test_docx_named_pdf_is_parsed_as_docx(sample_docx: bytes) -> None:
    doc = parse_document(sample_docx, "报告.pdf")
    assert doc.file_type == "docx"


@pytest.mark.parametrize(
    ("data", "exc_type", "needle"),
    [
        (b"", EmptyDocument, "空"),
        (OLE2 + b"\x00" * 504, CorruptDocument, "另存为"),
        (OLE2 + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le"), EncryptedDocument, "密码"),
        (
            _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
            UnsupportedDocument,
            ".docx",
        ),
        (bytes(range(256)) * 4, UnsupportedDocument, ".txt"),
        (b"{\\rtf1\\ansi hello}", UnsupportedDocument, "RTF"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, ImageOnlyDocument, "图片"),
    ],
)
def test_refusals(data: bytes, exc_type: type[DocumentRejected], needle: str) -> None:
    with pytest.raises(exc_type) as exc:
        parse_document(data, "材料.docx")
    reason = exc.value.reason
    assert reason and _has_chinese(reason) and needle in reason
    assert str(exc.value) == reason
    assert exc.value.code == exc_type.code


def test_a_doc_that_cannot_be_converted_says_what_to_do() -> None:
    with pytest.raises(CorruptDocument) as exc:
        parse_document(OLE2 + b"\x00" * 504, "旧文件.doc")
    assert exc.value.reason.startswith("这个旧版 Word/WPS 文件（.doc/.wps）无法自动转换")
    assert "“另存为” .docx" in exc.value.reason


# --- model --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (Paragraph("x", page=3, index=2), "第3页第2段"),
        (Paragraph("x", kind="table", page=1, index=4), "第1页第4表格行"),
        (Paragraph("x", kind="heading", index=7), "第7段"),
        (Paragraph("x", kind="table", index=5), "第5表格行"),
    ],
)
def test_location(paragraph: Paragraph, expected: str) -> None:
    assert paragraph.location() == expected


def test_parsers_do_not_import_bot_layers() -> None:
    import parsers

    source_dir = __import__("pathlib").Path(parsers.__file__).parent
    for path in source_dir.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for forbidden in ("telegram", "sqlite_utils", "bot", "storage", "scoring"):
            assert not re.search(rf"^\s*(from|import)\s+{forbidden}\b", source, re.M), (path.name, forbidden)


def test_nfkc_keeps_chinese_punctuation_but_converts_full_width_numbers() -> None:
    from parsers.normalize import normalize_text

    assert normalize_text("办结率９１．７％，同比增长（含续建）：⽣态") == "办结率91.7%，同比增长（含续建）：生态"


def test_docx_that_unpacks_far_too_big_is_refused(monkeypatch) -> None:
    from parsers import docx_parser

    zf = zipfile
    document = Document()
    document.add_paragraph("全年承担立项督查事项12项，已办结销号11项。")
    out = io.BytesIO()
    document.save(out)
    bomb = io.BytesIO()
    with zf.ZipFile(io.BytesIO(out.getvalue())) as src, zf.ZipFile(bomb, "w", zf.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("word/media/padding.bin", b"\0" * (3 * 2**20))  # compresses to a few KB
    monkeypatch.setattr(docx_parser, "MAX_UNPACKED_BYTES", 2 * 2**20)
    with pytest.raises(CorruptDocument) as refused:
        parse_document(bomb.getvalue(), "报告.docx")
    assert "解压后有 3 MB" in refused.value.reason
    assert parse_document(out.getvalue(), "报告.docx").paragraphs  # the normal file still parses


def test_spaces_a_pdf_lays_between_chinese_quotes_and_characters_are_dropped() -> None:
    """Justified lines and quotes set in another font leave “ 三会一课 ” in the text layer;
    the evidence quoted back to the user must read as written. A space between Chinese and a
    number goes too: Word's and WPS's automatic spacing leaves one there (“第 1 项”)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setFont("STSong-Light", 12)
    pdf.drawString(50, 780, "严格落实 “ 三会一课 ” 制度 ， 市司法局 2026年召开支部委员会12次。")
    pdf.showPage()
    pdf.save()
    (paragraph,) = parse_document(out.getvalue(), "x.pdf").paragraphs
    assert paragraph.text == "严格落实“三会一课”制度，市司法局2026年召开支部委员会12次。"
