"""PDF files: text per page through pypdfium2 (fast); pdfplumber only where needed.

Each page's text is normalised, split into lines and re-joined into paragraphs
(``join_broken_lines``); paragraphs carry ``page`` and their 1-based ``index`` within it.

Pages with ruling lines (several path objects) are searched for ruled tables from pdfium's
own path objects and character boxes (``pdf_layout``); when there are tables, the text
outside them and one ``kind="table"`` paragraph per row are emitted in vertical order.

pdfplumber (≈30–100 ms/page) is opened lazily, at most once per document, and only for
pages whose pdfium text looks garbled (characters outside the scripts a Chinese/English
document uses, typical of fonts without a ToUnicode map, where pdfium returns raw glyph
ids): pdfminer maps those through the embedded font's cmap, and its text (and its tables)
are used when cleaner.

pdfium is not thread-safe, so all pdfium work holds one module-level lock.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from . import pdf_layout
from .model import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    ImageOnlyDocument,
    Paragraph,
    ParsedDocument,
    ParseLimits,
    too_many_pages,
)
from .normalize import (
    ends_sentence,
    is_page_number,
    join_broken_lines,
    join_pair,
    normalize_text,
    starts_with_marker,
    typical_width,
)
from .seal import has_seal

ENCRYPTED_REASON = "这个 PDF 设置了密码，无法读取。请去掉密码（在 PDF 阅读器/WPS 中取消加密，或从原文档重新导出不加密的 PDF）后重新上传。"
CORRUPT_REASON = "PDF 文件已损坏，无法读取。请从原文档重新导出 PDF（或重新下载原文件）后再上传。"
IMAGE_ONLY_REASON = (
    "这个 PDF 没有文字层，看起来是扫描件或图片，暂不支持识别其中的文字。"
    "请上传带文字的原始 Word 或 PDF 文件（例如由 Word/WPS 直接导出的 PDF）。"
)
EMPTY_REASON = (
    "PDF 中没有找到任何文字（可能是空白页，或文字已被转成图形）。请上传带文字的原始 Word 或 PDF 文件。"
)

log = logging.getLogger(__name__)

_LOCK = threading.RLock()

# A page with at least this many path objects may hold a ruled table.
_MIN_PATHS_FOR_TABLES = 4
_MAX_FORM_DEPTH = 8

# Characters expected in Chinese/English documents; anything else counts as suspicious.
_EXPECTED_RE = re.compile(
    "[\\s\u0020-\u024f\u02c6-\u02cb\u02d9\u0370-\u03ff\u0401\u0410-\u044f\u0451"
    "\u2000-\u2bff\u2e80-\u2fdf\u3000-\u30ff\u3105-\u312f\u3200-\u33ff"
    "\u4e00-\u9fff\uf900-\ufaff\ufe10-\ufe1f\ufe30-\ufe6f\uff00-\uffef"
    "\u2460-\u24ff\u2776-\u2793]"
)
_CID_RE = re.compile(r"\(cid:\d+\)")
# Fall back to pdfminer when at least this many and this share of characters are odd.
_SUSPICIOUS_MIN = 2
_SUSPICIOUS_SHARE = 0.02

# A space between two Chinese characters, punctuation or quotes (“三会一课”) is an artefact of
# the PDF's layout (justified lines, a quote set in a Latin font), never the writer's; so is
# one between Chinese and a number (Word's and WPS's automatic spacing: “第 1 项”, “2026 年”).
_CJK = r"\u2014\u2018-\u201f\u2026\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_NUMBER = r"0-9%"
_CJK_SPACE_RE = re.compile(
    f"(?<=[{_CJK}]) +(?=[{_CJK}{_NUMBER}])|(?<=[{_CJK}{_NUMBER}]) +(?=[{_CJK}])"
)


def parse_pdf(data: bytes, limits: ParseLimits | None = None) -> ParsedDocument:
    """Parse PDF bytes into located paragraphs (text and table rows), refusing a file beyond
    ``limits`` (pages counted before any page is read)."""
    limits = limits or ParseLimits()
    with _LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                raise EncryptedDocument(ENCRYPTED_REASON) from exc
            raise CorruptDocument(CORRUPT_REASON) from exc
        plumber = _LazyPlumber(data)
        try:
            return _parse(pdf, plumber, limits)
        finally:
            plumber.close()
            pdf.close()


def _parse(pdf: pdfium.PdfDocument, plumber: _LazyPlumber, limits: ParseLimits) -> ParsedDocument:
    """Extract every page of an opened document."""
    n_pages = len(pdf)
    if n_pages <= 0:
        raise CorruptDocument(CORRUPT_REASON)
    if n_pages > limits.max_pages:
        raise too_many_pages(n_pages, limits)
    budget = limits.budget()
    paragraphs: list[Paragraph] = []
    warnings: list[str] = []
    images_seen = False
    textless_image_pages: list[int] = []
    drawn_pages: list[int] = []  # pages with text and images or drawings: a seal may be there
    for number in range(1, n_pages + 1):
        budget.check_time()
        try:
            raw_text, n_paths, n_images, table_items = _read_page(pdf, number - 1)
        except pdfium.PdfiumError:
            warnings.append(f"第{number}页无法读取，已跳过。")
            continue
        images_seen = images_seen or n_images > 0
        texts = _page_paragraphs(raw_text, n_paths, table_items, number - 1, plumber, warnings)
        if not texts and n_images:
            textless_image_pages.append(number)
        elif texts and (n_images or n_paths):
            drawn_pages.append(number)
        if texts and paragraphs and _continues_from_last_page(paragraphs[-1], *texts[0]):
            # A paragraph broken by the page end: it stays where it began.
            last = paragraphs[-1]
            paragraphs[-1] = Paragraph(text=join_pair(last.text, texts[0][1]), kind=last.kind,
                                       page=last.page, index=last.index)
            texts = texts[1:]
        for index, (kind, text) in enumerate(texts, 1):
            budget.take(text)
            paragraphs.append(Paragraph(text=text, kind=kind, page=number, index=index))
    if not paragraphs:
        if images_seen:
            raise ImageOnlyDocument(IMAGE_ONLY_REASON, pages=tuple(range(1, n_pages + 1)))
        raise EmptyDocument(EMPTY_REASON)
    if textless_image_pages:
        pages = "、".join(str(n) for n in textless_image_pages[:10])
        more = "等" if len(textless_image_pages) > 10 else ""
        warnings.append(f"第{pages}{more}页没有文字层（像是扫描页），其中的内容未能读取。")
    return ParsedDocument(
        file_type="pdf", paragraphs=tuple(paragraphs), pages=n_pages, warnings=tuple(warnings),
        scanned_pages=tuple(textless_image_pages), sealed_pages=_sealed(pdf, drawn_pages, n_pages),
    )


SEAL_DPI = 50  # enough to see a 4 cm ring; a page renders in a few milliseconds
SEAL_LOOK = 2  # an electronic seal sits on the cover or by the signature at the end


def _sealed(pdf: pdfium.PdfDocument, drawn: list[int], n_pages: int) -> tuple[int, ...]:
    """Pages near the start or the end with text and a red seal (an electronic seal, or a
    stamped page printed to PDF); scanned pages are looked at when they are recognised."""
    found = []
    for number in drawn:
        if SEAL_LOOK < number <= n_pages - SEAL_LOOK:
            continue
        page = pdf[number - 1]
        try:
            image = render_page(page, SEAL_DPI)
            if image is not None and has_seal(image):
                found.append(number)
        except pdfium.PdfiumError:
            continue
        finally:
            page.close()
    return tuple(found)


MAX_RENDER_PIXELS = 16_000_000  # four A4 pages at 200 dpi; a larger page is rendered smaller


def render_page(page: pdfium.PdfPage, dpi: float) -> Any:
    """The page as a PIL image at ``dpi``, or at less when that would pass MAX_RENDER_PIXELS;
    None for a page without area (a damaged or absurd media box would otherwise ask
    pdfium for gigabytes, or for nothing)."""
    width, height = page.get_size()
    if not (1 <= width <= 1e6 and 1 <= height <= 1e6):
        return None
    scale = min(dpi / 72, (MAX_RENDER_PIXELS / (width * height)) ** 0.5)
    if width * scale < 1 or height * scale < 1:
        return None
    return page.render(scale=scale).to_pil()


_CONTINUATION = set("，,、；;：:。.）)》」』”")
PAGE_JOIN_MIN_CHARS = 30  # a shorter last line (a title, a signature) is not broken text


def _continues_from_last_page(last: Paragraph, kind: str, text: str) -> bool:
    """Whether a page's first paragraph is the rest of the previous page's last one."""
    if last.kind != "text" or kind != "text" or not text:
        return False
    if text[0] in _CONTINUATION:
        return True
    return (len(last.text) >= PAGE_JOIN_MIN_CHARS and not ends_sentence(last.text)
            and not starts_with_marker(text))


def _read_page(pdf: pdfium.PdfDocument, i: int) -> tuple[str, int, int, list | None]:
    """pdfium text of page ``i`` (in the order the characters stand on the page), its
    numbers of path and image objects, and, when it has ruled tables, its lines and table
    rows as ``_merge_items`` takes them."""
    page = pdf[i]
    try:
        textpage = page.get_textpage()
        try:
            counts = {pdfium_c.FPDF_PAGEOBJ_PATH: 0, pdfium_c.FPDF_PAGEOBJ_IMAGE: 0}
            _count_objects(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, counts, 0)
            tables = []
            if counts[pdfium_c.FPDF_PAGEOBJ_PATH] >= _MIN_PATHS_FOR_TABLES:
                tables = pdf_layout.find_tables(page.raw)
            items = None
            turned = pdf_layout.turn(page.raw)
            if tables:
                text = textpage.get_text_range()  # also to tell whether it is garbled
                items = _table_items(pdf_layout.page_chars(textpage, turned, text), tables)
            elif pdf_layout.out_of_order(textpage, turned):
                lines = pdf_layout.lines_of(pdf_layout.page_chars(textpage, turned))
                text = "\n".join(line for _, line in lines)
            else:
                text = textpage.get_text_range()
        finally:
            textpage.close()
        return text, counts[pdfium_c.FPDF_PAGEOBJ_PATH], counts[pdfium_c.FPDF_PAGEOBJ_IMAGE], items
    finally:
        page.close()


def _table_items(chars: list, tables: list[pdf_layout.Table]) -> list[tuple[float, int, str, str]]:
    """(top, order, kind, text) for the page's lines and table rows."""
    items: list[tuple[float, int, str, str]] = []  # top counts down the page, as in pdfplumber
    for top, line in pdf_layout.lines_of(pdf_layout.split_by_tables(chars, tables)):
        text = _clean_line(line)
        if text:
            items.append((-top, len(items), "line", text))
    for table in tables:
        for row in table.rows:
            text = row_text([cell.text for cell in row])
            if text:
                items.append((-row[0].top, len(items), "table", text))
    return items


def _count_objects(parent: Any, count: Callable, get: Callable, counts: dict[int, int], depth: int) -> None:
    """Count page objects by type, descending into form XObjects."""
    for j in range(max(count(parent), 0)):
        obj = get(parent, j)
        if not obj:
            continue
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind in counts:
            counts[kind] += 1
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < _MAX_FORM_DEPTH:
            _count_objects(
                obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject, counts, depth + 1
            )


def _page_paragraphs(
    raw_text: str, n_paths: int, table_items: list | None, i: int, plumber: _LazyPlumber,
    warnings: list[str],
) -> list[tuple[str, str]]:
    """(kind, text) paragraphs of page ``i`` in reading order."""
    text = _clean_line(raw_text)
    garbled = _is_garbled(text)
    if table_items and not garbled:
        return _merge_items(table_items)
    if garbled and n_paths >= _MIN_PATHS_FOR_TABLES:
        # pdfium has raw glyph ids here; pdfminer maps them through the font's cmap
        with_tables = plumber.page_with_tables(i)
        if with_tables:
            return with_tables
    if garbled:
        lines = plumber.page_lines(i)
        if lines is not None:
            alt = "\n".join(lines)
            if _suspicious(alt) < _suspicious(text) and _visible(alt) >= 0.8 * _visible(text):
                text = alt
        if _is_garbled(text):
            warnings.append(f"第{i + 1}页部分文字可能无法正确识别（PDF 字体缺少编码信息）。")
    if not text:
        return []
    return [("text", p) for p in join_broken_lines(text.split("\n"))]


def _visible(text: str) -> int:
    """Number of non-whitespace characters."""
    return len("".join(text.split()))


def _suspicious(text: str) -> int:
    """Number of characters unlikely in a Chinese/English document (garbled extraction)."""
    text = _CID_RE.sub("\ufffd", text)
    return len(_EXPECTED_RE.sub("", text))


def _is_garbled(text: str) -> bool:
    """True if enough characters look like raw glyph ids rather than real text."""
    bad = _suspicious(text)
    return bad >= _SUSPICIOUS_MIN and bad >= _SUSPICIOUS_SHARE * max(_visible(text), 1)


class _LazyPlumber:
    """Opens the document in pdfplumber on first use, at most once."""

    def __init__(self, data: bytes):
        self._data = data
        self._pdf: Any = None
        self._failed = False

    def _page(self, i: int) -> Any:
        """pdfplumber page ``i``, or None if pdfplumber cannot read the document."""
        if self._failed:
            return None
        if self._pdf is None:
            try:
                import pdfplumber  # deferred: only needed for tables and garbled pages

                self._pdf = pdfplumber.open(io.BytesIO(self._data))
            except Exception:  # any pdfminer failure just disables the fallback
                log.debug("pdfplumber could not open the document", exc_info=True)
                self._failed = True
                return None
        try:
            return self._pdf.pages[i]
        except Exception:
            log.debug("pdfplumber could not read page %d", i + 1, exc_info=True)
            return None

    def page_lines(self, i: int) -> list[str] | None:
        """Normalised text lines of page ``i`` as pdfminer reads them, or None."""
        page = self._page(i)
        if page is None:
            return None
        try:
            return [_clean_line(line["text"]) for line in page.extract_text_lines(return_chars=False)]
        except Exception:
            log.debug("pdfplumber text failed on page %d", i + 1, exc_info=True)
            return None
        finally:
            page.close()

    def page_with_tables(self, i: int) -> list[tuple[str, str]] | None:
        """Paragraphs of page ``i`` with ruled tables as rows, or None if it has no tables."""
        page = self._page(i)
        if page is None:
            return None
        try:
            tables = page.find_tables()
            if not tables:
                return None
            items: list[tuple[float, int, str, str]] = []  # (top, order, kind, text)
            outside = page
            for table in tables:
                outside = outside.outside_bbox(table.bbox)
            for line in outside.extract_text_lines(return_chars=False):
                text = _clean_line(line["text"])
                if text:
                    items.append((line["top"], len(items), "line", text))
            for table in tables:
                for row, cells in zip(table.rows, table.extract(), strict=False):
                    text = row_text(cells)
                    if text:
                        items.append((row.bbox[1], len(items), "table", text))
            return _merge_items(items)
        except Exception:  # fall back to pdfium's text for this page
            log.debug("pdfplumber tables failed on page %d", i + 1, exc_info=True)
            return None
        finally:
            page.close()

    def close(self) -> None:
        """Close the pdfplumber document if it was opened. Closing walks the pages it read,
        and a damaged page dictionary raises there (found by bench.fuzz): the text is read
        by then, so that failure is logged, not the user's problem."""
        if self._pdf is not None:
            pdf, self._pdf = self._pdf, None
            try:
                pdf.close()
            except Exception:
                log.debug("pdfplumber failed while closing", exc_info=True)


def _clean_line(text: str) -> str:
    """Normalise a line (ours or pdfminer's) and drop the spaces layout leaves between
    Chinese characters and beside numbers."""
    return _CJK_SPACE_RE.sub("", normalize_text(text))


def row_text(cells: list[str | None]) -> str:
    """One table row: non-empty cells (wrapped lines re-joined) joined with " | "."""
    out: list[str] = []
    for cell in cells:
        if not cell:
            continue
        text = ""
        for line in _clean_line(cell).split("\n"):
            text = join_pair(text, line.strip())
        if text:
            out.append(text)
    return " | ".join(out)


def _merge_items(items: list[tuple[float, int, str, str]]) -> list[tuple[str, str]]:
    """Order lines and table rows top to bottom; re-join runs of lines into paragraphs."""
    items.sort(key=lambda item: (item[0], item[1]))
    # Page numbers sit at the top or bottom of the whole page, not of each run of lines.
    edge = set(range(min(2, len(items)))) | set(range(max(len(items) - 2, 0), len(items)))
    items = [
        item
        for k, item in enumerate(items)
        if item[2] != "line" or not is_page_number(item[3], at_edge=k in edge)
    ]
    typical = typical_width([text for _, _, kind, text in items if kind == "line"])
    out: list[tuple[str, str]] = []
    run: list[str] = []
    for _, _, kind, text in items:
        if kind == "line":
            run.append(text)
            continue
        out.extend(("text", p) for p in join_broken_lines(run, typical=typical, edge_lines=0))
        run = []
        out.append(("table", text))
    out.extend(("text", p) for p in join_broken_lines(run, typical=typical, edge_lines=0))
    return out
