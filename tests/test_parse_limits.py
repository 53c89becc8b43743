"""Limits on what one upload may make the parsers read: pages, paragraphs, characters, the
unpacked size of a .docx part, reading time. Refused with a Chinese reason naming the limit,
checked while reading (a 3,000-page PDF is refused before a page is read)."""

from __future__ import annotations

import io
import time

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from parsers import ParseLimits, TooLargeDocument, parse_document
from tests.support import small_docx


def _pdf(pages: int) -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for n in range(pages):
        c.setFont("STSong-Light", 12)
        c.drawString(72, 760, f"第{n + 1}页：全年办结立项督查事项12项，按期办结率100%。")
        c.showPage()
    c.save()
    return buf.getvalue()


def test_a_pdf_with_too_many_pages_is_refused_before_reading_them(monkeypatch):
    import parsers.pdf_parser as pdf_parser

    read = []
    original = pdf_parser._read_page
    monkeypatch.setattr(pdf_parser, "_read_page", lambda *a: read.append(a) or original(*a))
    with pytest.raises(TooLargeDocument) as exc:
        parse_document(_pdf(5), "报告.pdf", ParseLimits(max_pages=4))
    assert exc.value.reason.startswith("这个文件有 5 页，超过了每份材料 4 页的处理上限，本次未接收。")
    assert read == []
    assert len(parse_document(_pdf(4), "报告.pdf", ParseLimits(max_pages=4)).paragraphs) == 4


def test_too_many_paragraphs_or_characters_are_refused_while_reading():
    text = "\n\n".join(f"第{i}段：全年办结立项督查事项12项。" for i in range(30)).encode()
    with pytest.raises(TooLargeDocument) as exc:
        parse_document(text, "报告.txt", ParseLimits(max_paragraphs=20))
    assert "超过了每份材料 20 段的处理上限" in exc.value.reason
    with pytest.raises(TooLargeDocument) as exc:
        parse_document(small_docx(*["全年办结立项督查事项十二项，按期办结率百分之百。" * 40] * 30), "报告.docx",
                       ParseLimits(max_chars=20_000))
    assert "超过了每份材料 2 万字的处理上限" in exc.value.reason


def test_a_docx_part_that_unpacks_beyond_the_limit_is_refused_before_it_is_read():
    doc = docx.Document()
    for _ in range(12_000):  # highly compressible: a small file, a large document.xml
        doc.add_paragraph("全年办结立项督查事项十二项。" * 5)
    buf = io.BytesIO()
    doc.save(buf)
    data = buf.getvalue()
    assert len(data) < 2**20
    started = time.monotonic()
    with pytest.raises(TooLargeDocument) as exc:
        parse_document(data, "报告.docx", ParseLimits(max_part_mb=1))
    assert "超过了 1 MB 的处理上限" in exc.value.reason
    assert time.monotonic() - started < 2  # refused from the zip directory, not by parsing it


def test_reading_time_is_bounded():
    text = "\n\n".join(f"第{i}段：全年办结立项督查事项12项。" for i in range(1000)).encode()
    with pytest.raises(TooLargeDocument) as exc:
        parse_document(text, "报告.txt", ParseLimits(max_seconds=1e-9))
    assert exc.value.reason.startswith("这个文件读取超过了 0 秒的处理上限，本次未接收。")
