"""Stamped pages (盖章页): a red seal is found on a page; a scan of a stamped page with little
text is kept as the unit's 盖章页 and not scored; a scanned or electronic report with a seal is
scored as usual and its sealed pages named."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from PIL import ImageDraw

from bench.ingest import make_pdf, make_scan, report_blocks, seal
from parsers import parse_document
from parsers.seal import has_seal
from tests.conftest import BEFORE_DEADLINE, EXAMPLE_REPORT
from tests.test_handlers import LIAISON

COVER = [("heading", "市司法局2026年度目标责任制考核自查报告"), ("text", "市司法局（盖章）"),
         ("text", "2026年11月30日")]


@pytest.fixture(scope="module")
def page():
    pdf = pdfium.PdfDocument(make_pdf(blocks=report_blocks(2)[:8]))
    return pdf[0].render(scale=200 / 72).to_pil()


def test_a_red_seal_is_found_at_scan_and_preview_resolution_and_through_jpeg(page):
    assert has_seal(seal(page))
    small = page.resize((page.width // 4, page.height // 4))  # 50 dpi
    assert has_seal(seal(small))
    out = io.BytesIO()
    seal(page).save(out, format="JPEG", quality=50)
    from PIL import Image

    assert has_seal(Image.open(io.BytesIO(out.getvalue())))


def test_red_that_is_not_a_seal_is_not_taken_for_one(page):
    assert not has_seal(page)
    banded = page.convert("RGB")
    ImageDraw.Draw(banded).rectangle((100, 60, banded.width - 100, 180), fill=(210, 20, 20))  # a 红头 band
    assert not has_seal(banded)
    disc = page.convert("RGB")
    ImageDraw.Draw(disc).ellipse((600, 600, 900, 900), fill=(210, 20, 20))  # a solid red logo
    assert not has_seal(disc)
    assert not has_seal(seal(page).convert("L"))  # a black-and-white scan loses the red


def _electronically_sealed(pages: int = 3) -> bytes:
    """A text PDF whose last page carries a vector red seal (an OA system's electronic seal)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for number in range(1, pages + 1):
        c.setFont("STSong-Light", 12)
        for line in range(30):
            c.drawString(2 * cm, 27 * cm - line * 0.8 * cm,
                         f"第{number}页第{line}行：本单位严格落实重大行政决策程序，全年办结督查事项{line}件。")
        if number == pages:
            c.setStrokeColorRGB(0.85, 0.1, 0.1)
            c.setFillColorRGB(0.85, 0.1, 0.1)
            c.setLineWidth(1.5)
            c.circle(15 * cm, 5 * cm, 2 * cm, stroke=1, fill=0)
            c.drawCentredString(15 * cm, 5 * cm, "★市司法局★")
        c.showPage()
    c.save()
    return out.getvalue()


def test_an_electronic_seal_on_a_text_pdf_is_found_and_the_report_is_not_a_seal_page():
    parsed = parse_document(_electronically_sealed(), "自查报告.pdf")
    assert parsed.sealed_pages == (3,)
    assert not parsed.seal_page  # 90 lines of text: a report with a seal, scored as one
    plain = parse_document(make_pdf(blocks=report_blocks(2)[:8]), "自查报告.pdf")
    assert plain.sealed_pages == ()


async def test_a_stamped_cover_page_is_kept_as_the_seal_page_and_not_scored(chat, services, tmp_path):
    await chat.send(LIAISON, "/bind SFJ2026")
    cover = make_scan(make_pdf(blocks=COVER), dpi=150, sealed={1: (0.65, 0.12)})
    reply = await chat.upload(LIAISON, "市司法局自查报告（盖章页）.pdf", cover)
    assert "已接收自查材料（回执）" in reply and "识别为盖章页" in reply
    assert "第1页有红色公章印迹" in reply and "不参与指标打分" in reply
    assert "请再发送 .docx 报告正文" in reply  # nothing scored yet: the bot asks for the report
    assert "初步得分" not in reply and "没有找到与考核指标相关的内容" not in reply
    assert services.score_row("sfj") is None or not services.store.evidence("sfj")

    reply = await chat.upload(LIAISON, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
    assert "初步得分" in reply
    with_cover = services.score_row("sfj")["total"]
    status = await chat.send(LIAISON, "/status")
    assert "🔏盖章页" in status and "未在已交材料中识别到公章印迹" not in status
    assert "🔏盖章页（PDF 文档，不计分）" in await chat.send(LIAISON, "/files")
    import openpyxl

    book = openpyxl.load_workbook(services.export_all(tmp_path, BEFORE_DEADLINE).workbook)
    rows = list(book["材料清单"].iter_rows(values_only=True))
    marks = {row[rows[1].index("文件名")]: row[rows[1].index("盖章")] for row in rows[2:]}
    assert marks == {"市司法局自查报告（盖章页）.pdf": "盖章页（不计分）", EXAMPLE_REPORT.name: None}
    cover_row = next(s for s in services.store.submissions("sfj") if s["role"] == "seal")
    services.withdraw("sfj", cover_row["id"], LIAISON)
    assert services.score_row("sfj")["total"] == with_cover  # the cover never counted
    assert "未在已交材料中识别到公章印迹" in await chat.send(LIAISON, "/status")


async def test_a_scanned_report_with_a_seal_on_its_last_page_is_scored_and_the_seal_named(chat, services):
    blocks = [b for b in report_blocks(3) if "督查" in b[1] or "办结" in b[1]][:6]
    scan = make_scan(make_pdf(blocks=blocks), sealed={1: (0.7, 0.85)})
    await chat.send(LIAISON, "/bind SFJ2026")
    reply = await chat.upload(LIAISON, "自查报告（盖章扫描件）.pdf", scan)
    assert "识别为盖章页" not in reply and "初步得分" in reply
    assert "第1页有红色公章印迹" in reply
    assert services.store.evidence("sfj")
    assert "未在已交材料中识别到公章印迹" not in await chat.send(LIAISON, "/status")
