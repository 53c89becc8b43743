"""Parser tests on real third-party files from ../shared/corpus (skipped when absent).

The files are never copied into this repository; see ../shared/corpus/SOURCES.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parsers import (
    EncryptedDocument,
    ImageOnlyDocument,
    ParsedDocument,
    detect_type,
    parse_document,
)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
KANGXI = re.compile("[\u2f00-\u2fdf]")


def _read(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"corpus file {name} not available")
    return path.read_bytes()


def _all_text(doc: ParsedDocument) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


@pytest.mark.parametrize(
    ("name", "file_type"),
    [
        ("04_std_explanation_part1.docx", "docx"),
        ("05_std_explanation_part1.doc", "doc"),
        ("11_zh_contract_stamp_line.pdf", "pdf"),
        ("12_zh_en_invoice_fragment.pdf", "pdf"),
        ("13_tiny_zh_table.docx", "docx"),
        ("14_encrypted_aes256_pw_foo.pdf", "pdf"),
        ("16_scanned_image_only.pdf", "pdf"),
        ("17_corrupted_pdf.pdf", "pdf"),
    ],
)
def test_detected_type(name: str, file_type: str) -> None:
    assert detect_type(_read(name)) == file_type


def test_04_report_docx() -> None:
    doc = parse_document(_read("04_std_explanation_part1.docx"), "04.docx")
    assert doc.file_type == "docx"
    texts = [p.text for p in doc.paragraphs]
    # The first section number comes from Word auto-numbering (numFmt japaneseCounting "%1、").
    assert "一、任务来源及计划要求" in texts
    assert "二、 编制过程" in texts
    assert "八、其他需要说明的问题" in texts
    full = _all_text(doc)
    assert "本标准来源于国家能源局2021年下达的能源行业核电标准制修订计划" in full
    assert "《中华人民共和国核安全法》第十六条明确规定" in full
    # Decimal auto-numbering "%1）" on the list of revision points (full-width bracket kept).
    assert "1）引入差异项定义" in texts
    assert "15）增加一章内容“定期安全评价后工作”" in texts
    # The cover page is a table: its rows come first, as table rows, before the body text.
    rows = [p for p in doc.paragraphs if p.kind == "table"]
    assert [p.text for p in rows] == [
        "NB/T XXXX-20YY 核电厂定期安全评价 第1部分：通用要求",
        "编制说明",
        "（征求意见稿） （从工作组讨论稿一直写到报批稿）",
        "（2023年3月）",
    ]
    assert [p.index for p in rows] == [1, 2, 3, 4]
    assert rows[1].location() == "第2表格行"
    assert [p.index for p in doc.paragraphs] == list(range(1, len(doc.paragraphs) + 1))
    assert texts[-1] == "无"


def test_05_legacy_doc_gives_the_paragraphs_of_its_docx_twin() -> None:
    doc = parse_document(_read("05_std_explanation_part1.doc"), "05.doc")
    twin = parse_document(_read("04_std_explanation_part1.docx"), "04.docx")
    assert doc.file_type == "doc" and not doc.warnings
    assert [(p.text, p.kind) for p in doc.paragraphs] == [(p.text, p.kind) for p in twin.paragraphs]
    assert any(p.text.startswith("一、") for p in doc.paragraphs)  # Word's automatic numbering


def test_05_legacy_doc_named_docx_is_read_by_its_content() -> None:
    doc = parse_document(_read("05_std_explanation_part1.doc"), "05.docx")
    assert doc.file_type == "doc" and any("实际是" in w for w in doc.warnings)


@pytest.mark.parametrize(
    ("name", "phrases"),
    [
        ("11_zh_contract_stamp_line.pdf", ["甲方：中国饮料有限公司（盖章）"]),
        # The Chinese glyphs of this file's font have no ToUnicode map: pdfium returns raw
        # glyph ids (哾㦓); the parser falls back to pdfminer, which maps them through the font.
        ("12_zh_en_invoice_fragment.pdf", ["ISSUE Date：2019-4-25", "Buyer：黎荣"]),
    ],
)
def test_chinese_pdfs(name: str, phrases: list[str]) -> None:
    doc = parse_document(_read(name), name)
    assert doc.file_type == "pdf" and doc.pages == 1
    full = _all_text(doc)
    for phrase in phrases:
        assert phrase in full
    assert not KANGXI.search(full)
    assert "哾" not in full and "㦓" not in full
    assert all(p.page == 1 for p in doc.paragraphs)
    assert doc.paragraphs[0].location() == "第1页第1段"
    assert doc.warnings == ()


def test_13_tiny_table_docx() -> None:
    doc = parse_document(_read("13_tiny_zh_table.docx"), "13.docx")
    assert [(p.kind, p.text, p.index) for p in doc.paragraphs] == [
        ("text", "我是文字", 1),
        ("table", "我是表格1 | 我是表格2", 2),
        ("table", "我是表格3 | 我是表格4", 3),
    ]


def test_14_encrypted_pdf() -> None:
    with pytest.raises(EncryptedDocument) as exc:
        parse_document(_read("14_encrypted_aes256_pw_foo.pdf"), "14.pdf")
    assert "密码" in exc.value.reason


def test_16_scanned_pdf() -> None:
    with pytest.raises(ImageOnlyDocument) as exc:
        parse_document(_read("16_scanned_image_only.pdf"), "16.pdf")
    assert "扫描" in exc.value.reason


def test_17_corrupted_xref_pdf_is_recovered() -> None:
    doc = parse_document(_read("17_corrupted_pdf.pdf"), "17.pdf")
    texts = [p.text for p in doc.paragraphs]
    assert "Beautiful is better than ugly." in texts
    assert "Readability counts." in texts
    assert "In the face of ambiguity, refuse the temptation to guess." in texts
    # Lines ending with "." are sentences: not glued together.
    assert (
        texts.index("Explicit is better than implicit.") == texts.index("Beautiful is better than ugly.") + 1
    )
