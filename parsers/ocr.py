"""Reading scanned pages and photos: Chinese OCR with RapidOCR (PP-OCR models inside the
wheel, run by onnxruntime; nothing is downloaded at run time).

``ocr_document`` renders the pages of a PDF that have no text layer (or takes an image
file), recognises their text lines and groups the lines into paragraphs the way a page is
laid out: a line that stops well short of the right margin ends its paragraph, a line that
starts indented begins one. It runs in a process of its own (``kaohe.parsing``): the engine
takes several hundred MB, returned to the system when the document is done.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

from .model import ImageOnlyDocument, Paragraph, TooLargeDocument
from .normalize import normalize_text
from .seal import has_seal

RENDER_DPI = 200
MISSING_REASON = ("这是扫描件或照片，需要文字识别（OCR），但本机没有安装文字识别组件。"
                  "请上传带文字的 Word/PDF 文件，或请管理员重新运行 ./scripts/run 安装。")
TOO_MANY_PAGES_REASON = ("这个文件有 {n} 页需要文字识别，超过了每份材料 {limit} 页的识别上限（[ocr] max_pages），"
                         "本次未接收。请只上传需要的页，或提供带文字的原始 Word/PDF 文件。")
TOO_SLOW_REASON = ("识别这个文件的文字超过了 {seconds:g} 秒的时间上限（[ocr] max_seconds），已停止，本次未接收。"
                   "请减少页数或提供带文字的原始 Word/PDF 文件。")
NOTHING_READ_REASON = ("这个文件是图片或扫描件，但没有识别出文字（可能太模糊、太暗或方向不对）。"
                       "请重新扫描或拍摄清晰的正面照片，或提供带文字的原始 Word/PDF 文件。")
END_SHORT = 0.85  # a line narrower than this share of the page's text width ends its paragraph
INDENT = 1.5  # a line starting this many character heights right of the margin begins one


@dataclass(frozen=True)
class OcrRules:
    """Text recognition of scans and photos (``[ocr]``)."""

    enabled: bool = True
    max_pages: int = 30  # pages recognised per document
    max_seconds: float = 600.0  # per document (a dense A4 page takes 4-30 s on 2 cores)


@dataclass(frozen=True)
class OcrPage:
    page: int  # 1-based
    paragraphs: tuple[str, ...]
    confidence: float | None  # mean of the lines' scores
    chars: int
    sealed: bool = False  # a red official seal is on the page (parsers.seal)


@dataclass(frozen=True)
class OcrResult:
    pages: tuple[OcrPage, ...]
    seconds: float

    @property
    def confidence(self) -> float | None:
        """Mean line confidence over all pages, weighted by characters."""
        weighted = [(p.confidence, p.chars) for p in self.pages if p.confidence is not None and p.chars]
        total = sum(c for _, c in weighted)
        return sum(s * c for s, c in weighted) / total if total else None

    @property
    def sealed_pages(self) -> tuple[int, ...]:
        return tuple(p.page for p in self.pages if p.sealed)

    def paragraphs(self) -> list[Paragraph]:
        return [Paragraph(text=text, kind="text", page=p.page, index=i)
                for p in self.pages for i, text in enumerate(p.paragraphs, 1)]


_engine = None


def available() -> bool:
    try:
        import rapidocr  # noqa: F401
    except ImportError:
        return False
    return True


def _recogniser():
    global _engine
    if _engine is None:
        import logging

        from rapidocr import RapidOCR

        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        _engine = RapidOCR(params={"Global.log_level": "warning"})
    return _engine


def ocr_document(data: bytes, is_pdf: bool, pages: tuple[int, ...] | None, max_pages: int,
                 max_seconds: float, progress_file: str | None = None) -> OcrResult:
    """Recognise ``pages`` (1-based; None = all) of a PDF, or the image in ``data``. Before
    each page, "n/total" is written to ``progress_file`` (for the chat's progress message)."""
    if not available():
        raise ImageOnlyDocument(MISSING_REASON)
    import numpy as np

    started = time.monotonic()
    total = _count(data, pages) if is_pdf else 1
    images = _pdf_pages(data, pages, max_pages) if is_pdf else [(1, _image(data))]
    done = []
    for number, image in images:
        if progress_file:
            _note(progress_file, f"{len(done) + 1}/{total}")
        if time.monotonic() - started > max_seconds:
            raise TooLargeDocument(TOO_SLOW_REASON.format(seconds=max_seconds))
        result = _recogniser()(np.asarray(image.convert("RGB")))
        lines = [(text, box, float(score)) for text, box, score in
                 zip(result.txts or (), result.boxes if result.boxes is not None else (), result.scores or (), strict=True)]
        paragraphs = group_lines([(t, b) for t, b, _ in lines])
        chars = sum(len(t) for t, _, _ in lines)
        confidence = sum(s * len(t) for t, _, s in lines) / chars if chars else None
        done.append(OcrPage(number, tuple(paragraphs), confidence, chars, has_seal(image)))
    return OcrResult(tuple(done), time.monotonic() - started)


def _count(data: bytes, pages: tuple[int, ...] | None) -> int:
    if pages:
        return len(pages)
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return len(pdf)
    finally:
        pdf.close()


def _note(path: str, text: str) -> None:
    from pathlib import Path

    temporary = Path(path + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _pdf_pages(data: bytes, pages: tuple[int, ...] | None, max_pages: int):
    import pypdfium2 as pdfium

    from .pdf_parser import render_page

    pdf = pdfium.PdfDocument(data)
    try:
        wanted = list(pages) if pages else list(range(1, len(pdf) + 1))
        if len(wanted) > max_pages:
            raise TooLargeDocument(TOO_MANY_PAGES_REASON.format(n=len(wanted), limit=max_pages))
        for number in wanted:  # one page in memory at a time
            page = pdf[number - 1]
            try:
                image = render_page(page, RENDER_DPI)
                if image is not None:  # a page without area has nothing to read
                    yield number, image
            finally:
                page.close()
    finally:
        pdf.close()


def _image(data: bytes):
    from PIL import Image, ImageOps

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:  # not an image Pillow can read
        raise ImageOnlyDocument(NOTHING_READ_REASON) from exc
    return ImageOps.exif_transpose(image)  # a phone photo's orientation


def group_lines(lines: list[tuple[str, object]]) -> list[str]:
    """Text lines (text, 4-point box) in reading order → paragraphs."""
    boxes = []
    for text, box in lines:
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        text = normalize_text(text)
        if text:
            boxes.append((min(ys), min(xs), max(xs), max(ys) - min(ys), text))
    if not boxes:
        return []
    boxes.sort(key=lambda b: (round(b[0] / max(1.0, b[3] * 0.6)), b[1]))
    left = min(b[1] for b in boxes)
    right = max(b[2] for b in boxes)
    width = max(1.0, right - left)
    paragraphs: list[str] = []
    current = ""
    for _top, x0, x1, height, text in boxes:
        indented = x0 - left > INDENT * height
        if current and indented:
            paragraphs.append(current)
            current = ""
        current += text
        if (x1 - left) < END_SHORT * width:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def images_to_pdf(images: list[bytes]) -> bytes:
    """Photos (JPEG/PNG bytes, in order) as one PDF of image pages, each turned upright as the
    phone recorded it: several photos sent together are one document."""
    pages = [_image(data).convert("RGB") for data in images]
    if not pages:
        raise ImageOnlyDocument(NOTHING_READ_REASON)
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=200)
    for page in pages:
        page.close()
    return out.getvalue()
