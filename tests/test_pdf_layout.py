"""Ruled tables in PDFs, read from pdfium's path objects and character boxes (parsers.pdf_layout).

The PDFs are drawn here with reportlab's canvas, so each test controls how the rules are
drawn: stroked lines, rectangles per cell, thin filled bars (as Word and WPS draw borders),
inside a transformed coordinate system or a form XObject.
"""

from __future__ import annotations

import io
import time

import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from bench.ingest import draw_quoted_out_of_order
from parsers import parse_document, pdf_layout

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

ROWS = [("指标", "分值", "自评得分"), ("目标任务完成", "60", "57.5"), ("共性指标", "20", "19")]
WIDTHS = (150, 80, 100)
ROW_HEIGHT = 22


def _grid(pdf: canvas.Canvas, x: float, top: float, rows=ROWS, style: str = "lines") -> float:
    """Draw ``rows`` as a ruled table with its top-left corner at (x, top); returns its bottom."""
    bottom = top - ROW_HEIGHT * len(rows)
    right = x + sum(WIDTHS)
    xs = [x]
    for w in WIDTHS:
        xs.append(xs[-1] + w)
    ys = [top - ROW_HEIGHT * r for r in range(len(rows) + 1)]
    if style == "lines":
        for y in ys:
            pdf.line(x, y, right, y)
        for cx in xs:
            pdf.line(cx, top, cx, bottom)
    elif style == "cells":  # a rectangle per cell, as reportlab's own canvas tables do
        for r in range(len(rows)):
            for c in range(len(WIDTHS)):
                pdf.rect(xs[c], ys[r + 1], WIDTHS[c], ROW_HEIGHT)
    elif style == "bars":  # borders as filled 0.5 pt bars, no stroke (Word/WPS export)
        for y in ys:
            pdf.rect(x, y - 0.25, right - x, 0.5, stroke=0, fill=1)
        for cx in xs:
            pdf.rect(cx - 0.25, bottom, 0.5, top - bottom, stroke=0, fill=1)
    pdf.setFont(FONT, 11)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            pdf.drawString(xs[c] + 4, ys[r + 1] + 7, text)
    return bottom


def _paragraphs(data: bytes) -> list[tuple[str, str]]:
    return [(p.kind, p.text) for p in parse_document(data, "表格.pdf").paragraphs]


def _page(draw) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setFont(FONT, 11)
    draw(pdf)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


EXPECTED_ROWS = [("table", "指标 | 分值 | 自评得分"), ("table", "目标任务完成 | 60 | 57.5"), ("table", "共性指标 | 20 | 19")]


def test_text_between_two_tables_is_kept_in_order() -> None:
    """pdfplumber's outside_bbox lost the paragraph between two tables of a LibreOffice
    export; every line outside the tables must survive, in its place."""
    second = [("社会评价", "领导评价", "合计"), ("8.6", "9.1", "17.7")]

    def draw(pdf):
        pdf.drawString(60, 800, "一、基础分情况。本单位对照目标任务逐项自查。")
        bottom = _grid(pdf, 60, 780, style="cells")
        pdf.setFont(FONT, 11)
        pdf.drawString(60, bottom - 20, "二、效果分情况。效果分由社会评价和领导评价组成。")
        bottom = _grid(pdf, 60, bottom - 36, rows=second, style="lines")
        pdf.setFont(FONT, 11)
        pdf.drawString(60, bottom - 20, "三、下一步打算。")

    assert _paragraphs(_page(draw)) == [
        ("text", "一、基础分情况。本单位对照目标任务逐项自查。"),
        *EXPECTED_ROWS,
        ("text", "二、效果分情况。效果分由社会评价和领导评价组成。"),
        ("table", "社会评价 | 领导评价 | 合计"),
        ("table", "8.6 | 9.1 | 17.7"),
        ("text", "三、下一步打算。"),
    ]


def test_borders_drawn_as_filled_bars_are_rules() -> None:
    assert _paragraphs(_page(lambda pdf: _grid(pdf, 60, 780, style="bars"))) == EXPECTED_ROWS


def test_tables_under_a_transform_and_in_a_form_xobject() -> None:
    def moved(pdf):
        pdf.saveState()
        pdf.translate(30, -200)
        pdf.scale(0.9, 0.9)
        _grid(pdf, 40, 800)
        pdf.restoreState()

    def in_form(pdf):
        pdf.beginForm("tbl")
        _grid(pdf, 0, 100)
        pdf.endForm()
        pdf.saveState()
        pdf.translate(60, 600)
        pdf.doForm("tbl")
        pdf.restoreState()

    assert _paragraphs(_page(moved)) == EXPECTED_ROWS
    assert _paragraphs(_page(in_form)) == EXPECTED_ROWS


def test_merged_cells_are_read_once() -> None:
    """A cell spanning two rows is read in its first row; one spanning two columns is one cell."""
    def draw(pdf):
        x, top = 60, 780
        xs = (x, x + 150, x + 230, x + 330)
        ys = [top - ROW_HEIGHT * r for r in range(4)]
        pdf.line(x, ys[0], xs[3], ys[0])
        pdf.line(x, ys[1], xs[3], ys[1])
        pdf.line(xs[1], ys[2], xs[3], ys[2])  # no rule under 职能目标: it spans rows 2 and 3
        pdf.line(x, ys[3], xs[3], ys[3])
        for cx in (xs[0], xs[1], xs[3]):
            pdf.line(cx, ys[0], cx, ys[3])
        pdf.line(xs[2], ys[1], xs[2], ys[3])  # the header's 分值 spans two columns
        pdf.setFont(FONT, 11)
        pdf.drawString(x + 4, ys[1] + 7, "一级指标")
        pdf.drawString(xs[1] + 4, ys[1] + 7, "二级指标及分值")
        pdf.drawString(x + 4, ys[2] - 4, "职能目标")
        pdf.drawString(xs[1] + 4, ys[2] + 7, "经济发展")
        pdf.drawString(xs[2] + 4, ys[2] + 7, "20")
        pdf.drawString(xs[1] + 4, ys[3] + 7, "社会民生")
        pdf.drawString(xs[2] + 4, ys[3] + 7, "15")

    assert _paragraphs(_page(draw)) == [
        ("table", "一级指标 | 二级指标及分值"),
        ("table", "职能目标 | 经济发展 | 20"),
        ("table", "社会民生 | 15"),
    ]


def test_a_framed_paragraph_is_text_not_a_table() -> None:
    def draw(pdf):
        pdf.rect(55, 760, 400, 40)
        pdf.drawString(60, 775, "说明：以上得分为本单位自评结果，最终以考核办核定为准。")

    assert _paragraphs(_page(draw)) == [("text", "说明：以上得分为本单位自评结果，最终以考核办核定为准。")]


def test_automatic_spacing_between_chinese_and_numbers_is_dropped() -> None:
    def draw(pdf):
        _grid(pdf, 60, 780, rows=[("第 1 项", "2026 年 10 月"), ("完成率", "98.5%")])
        pdf.setFont(FONT, 11)
        pdf.drawString(60, 700, "表 1 指标自评得分情况")

    assert _paragraphs(_page(draw)) == [
        ("table", "第1项 | 2026年10月"),
        ("table", "完成率 | 98.5%"),
        ("text", "表1指标自评得分情况"),
    ]


def _many_strokes(pdf: canvas.Canvas) -> None:
    """A chart or map: tens of thousands of strokes in one path."""
    path = pdf.beginPath()
    for i in range(pdf_layout.MAX_SEGMENTS + 10):
        path.moveTo(60 + (i % 400), 300)
        path.lineTo(60 + (i % 400), 300 + (i * 7) % 300)
    pdf.drawPath(path)


def _hatching(pdf: canvas.Canvas) -> None:
    """4,000 short horizontal and 4,000 short vertical strokes that never meet: no table is
    made of them."""
    for i in range(4000):
        x, y = 20 + (i % 50) * 11, 60 + (i // 50) * 9
        pdf.line(x, y, x + 4, y)
        pdf.line(x, y + 5, x, y + 9)


@pytest.mark.parametrize("drawing", [_many_strokes, _hatching])
def test_a_page_of_drawing_is_read_as_text_quickly(drawing) -> None:
    def draw(pdf):
        pdf.drawString(60, 800, "图1 全年受理案件走势")
        drawing(pdf)

    data = _page(draw)
    start = time.perf_counter()
    assert _paragraphs(data) == [("text", "图1全年受理案件走势")]
    assert time.perf_counter() - start < 5  # a generous bound: guards a quadratic walk, not speed


def test_find_tables_reports_rows_and_cells() -> None:
    data = _page(lambda pdf: _grid(pdf, 60, 780))
    document = pdfium.PdfDocument(data)
    try:
        page = document[0]
        tables = pdf_layout.find_tables(page.raw)
        assert len(tables) == 1
        assert [len(row) for row in tables[0].rows] == [3, 3, 3]
        first = tables[0].rows[0][0]
        assert (round(first.x0), round(first.top), round(first.x1)) == (60, 780, 210)
        page.close()
    finally:
        document.close()


def _out_of_order_line(pdf: canvas.Canvas, x: float, y: float, before: str, quoted: str, after: str) -> None:
    draw_quoted_out_of_order(pdf, x, y, before, quoted, after, FONT, 11)


def test_characters_written_out_of_order_are_read_as_they_stand() -> None:
    """pdfium follows the content stream: a LibreOffice PDF gave 严格执行三会一课“”制度."""
    def draw(pdf):
        _out_of_order_line(pdf, 60, 800, "严格执行", "三会一课", "制度，党建与业务同部署。")
        pdf.drawString(60, 780, "第二段按顺序写成。")

    assert _paragraphs(_page(draw)) == [("text", "严格执行“三会一课”制度，党建与业务同部署。"),
                                        ("text", "第二段按顺序写成。")]


def test_a_cell_written_out_of_order_is_read_as_it_stands() -> None:
    def draw(pdf):
        _grid(pdf, 60, 780, rows=[("任务", "完成情况"), ("", "已完成")])
        _out_of_order_line(pdf, 64, 780 - 2 * ROW_HEIGHT + 7, "", "九五", "普法规划")

    assert _paragraphs(_page(draw)) == [("table", "任务 | 完成情况"), ("table", "“九五”普法规划 | 已完成")]


def test_a_turned_page_is_read_as_it_is_shown() -> None:
    """A page with /Rotate 90 whose text runs up the page in its own coordinates, read out
    of order: lines are found across the page as the reader sees it."""
    def draw(pdf):
        pdf.setPageRotation(90)
        pdf.saveState()
        pdf.translate(500, 60)
        pdf.rotate(90)
        _out_of_order_line(pdf, 0, 0, "落实", "谁执法谁普法", "责任制。")
        pdf.drawString(0, -20, "全年开展普法活动32场。")
        pdf.restoreState()

    assert _paragraphs(_page(draw)) == [("text", "落实“谁执法谁普法”责任制。"), ("text", "全年开展普法活动32场。")]


def test_a_watermark_across_the_lines_stays_out_of_them() -> None:
    """A page read by position with a big diagonal watermark over its lines: each line is
    read whole, the watermark is a line of its own (its tall boxes once joined every line
    they crossed into one)."""
    body = "全年共办理法律援助案件一千余件，同比增长百分之八。"

    def draw(pdf):
        y = 800
        for i in range(12):
            if i % 4 == 0:
                _out_of_order_line(pdf, 60, y, f"第{i}行严格执行", "三会一课", "制度。")
            else:
                pdf.drawString(60, y, f"第{i}行{body}")
            y -= 17
        pdf.saveState()
        pdf.setFont(FONT, 60)
        pdf.setFillGray(0.85)
        pdf.translate(150, 560)
        pdf.rotate(45)
        pdf.drawString(0, 0, "内部资料")
        pdf.restoreState()

    texts = [text for _, text in _paragraphs(_page(draw))]
    lines = [f"第{i}行严格执行“三会一课”制度。" if i % 4 == 0 else f"第{i}行{body}" for i in range(12)]
    assert [t for t in texts if t != "内部资料"] == lines
    assert texts.count("内部资料") == 1
