"""What every parser returns: a document as located paragraphs, and the refusals."""

from __future__ import annotations

import time
import zipfile
import zlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    """One block of text and where it sits in the source file.

    ``kind`` is ``"heading"``, ``"text"`` or ``"table"`` (one table row, cells joined
    with `` | ``). ``page`` is 1-based for PDFs and ``None`` otherwise; ``index`` is the
    1-based position among the document's paragraphs (docx/txt) or within the page (pdf).
    """

    text: str
    kind: str = "text"
    page: int | None = None
    index: int = 0

    def location(self) -> str:
        """Chinese label a user can find the paragraph by, e.g. ``第3页第2段``."""
        what = "表格行" if self.kind == "table" else "段"
        if self.page is not None:
            return f"第{self.page}页第{self.index}{what}"
        return f"第{self.index}{what}"


SEAL_PAGE_CHARS = 300  # a page of report text has 600-900 characters; a cover or 落款 page, tens


@dataclass(frozen=True)
class ParsedDocument:
    """A parsed upload: its detected format and its paragraphs in reading order."""

    file_type: str  # "docx" | "doc" | "pdf" | "txt" | "image"
    paragraphs: tuple[Paragraph, ...]
    pages: int | None = None  # PDFs only
    warnings: tuple[str, ...] = field(default_factory=tuple)
    scanned_pages: tuple[int, ...] = ()  # PDF pages with images and no text layer
    ocr_pages: tuple[int, ...] = ()  # pages read by text recognition
    ocr_confidence: float | None = None
    sealed_pages: tuple[int, ...] = ()  # pages carrying a red official seal (parsers.seal)

    @property
    def seal_page(self) -> bool:
        """A stamped page (盖章页) and little else: a seal, and on average fewer than
        ``SEAL_PAGE_CHARS`` characters a page (a title, the unit's name, a date)."""
        return bool(self.sealed_pages) and self.chars < SEAL_PAGE_CHARS * max(1, self.pages or 1)

    @property
    def chars(self) -> int:
        """Number of non-whitespace characters of text extracted."""
        return sum(len("".join(p.text.split())) for p in self.paragraphs)


# What reading a damaged zip package (.docx, .xlsx) can raise: a damaged header, a part whose
# compressed bytes are broken (zlib), a version or method no reader knows (found by bench.fuzz).
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError, ValueError, EOFError,
              NotImplementedError, zlib.error)


class DocumentRejected(Exception):
    """Raised when a file cannot be accepted; ``reason`` is the Chinese text for the user."""

    code = "rejected"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class UnsupportedDocument(DocumentRejected):
    code = "unsupported"


class EncryptedDocument(DocumentRejected):
    code = "encrypted"


class CorruptDocument(DocumentRejected):
    code = "corrupt"


class EmptyDocument(DocumentRejected):
    code = "empty"


class ImageOnlyDocument(DocumentRejected):
    """No text to read: a scan or a photo. ``pages`` (PDF pages, 1-based) or ``image`` say
    what text recognition could read instead."""

    code = "image_only"

    def __init__(self, reason: str, pages: tuple[int, ...] = (), image: bool = False):
        super().__init__(reason)
        self.pages = tuple(pages)
        self.image = image

    def __reduce__(self):  # across the parser processes, with what OCR would read
        return (type(self), (self.reason, self.pages, self.image))


class TooLargeDocument(DocumentRejected):
    """The file is beyond a configured limit (pages, paragraphs, characters, unpacked size,
    reading time); ``reason`` names the limit."""

    code = "too_large"


@dataclass(frozen=True)
class ParseLimits:
    """How much of a file the parsers read before refusing it: checked while reading, so
    memory and time stay bounded whatever the file claims. A real self-check report has tens
    of pages and a few thousand paragraphs; the defaults are far beyond that."""

    max_pages: int = 300
    max_paragraphs: int = 20_000
    max_chars: int = 1_000_000
    max_part_mb: int = 40  # one part of a .docx unpacked (word/document.xml …)
    max_seconds: float = 60.0

    def budget(self) -> Budget:
        return Budget(self)


class Budget:
    """What one document has used of its limits; ``take`` raises ``TooLargeDocument``."""

    def __init__(self, limits: ParseLimits):
        self.limits = limits
        self.paragraphs = 0
        self.chars = 0
        self._clock = time.monotonic
        self._deadline = self._clock() + limits.max_seconds

    def take(self, text: str) -> None:
        """Count one paragraph (or table row) just read."""
        self.paragraphs += 1
        self.chars += len(text)
        limits = self.limits
        if self.paragraphs > limits.max_paragraphs:
            raise TooLargeDocument(TOO_MANY_PARAGRAPHS.format(limit=limits.max_paragraphs))
        if self.chars > limits.max_chars:
            raise TooLargeDocument(TOO_MANY_CHARS.format(limit=limits.max_chars // 10_000))
        if self.paragraphs % 200 == 0:
            self.check_time()

    def check_time(self) -> None:
        if self._clock() > self._deadline:
            raise TooLargeDocument(TOO_SLOW.format(limit=round(self.limits.max_seconds)))


def too_many_pages(pages: int, limits: ParseLimits) -> TooLargeDocument:
    return TooLargeDocument(TOO_MANY_PAGES.format(pages=pages, limit=limits.max_pages))


def part_too_large(mb: int, limits: ParseLimits) -> TooLargeDocument:
    return TooLargeDocument(PART_TOO_LARGE.format(mb=mb, limit=limits.max_part_mb))


_SPLIT = "请只上传自查报告正文和必要的佐证材料，或把文件拆成几份分别上传。"
TOO_MANY_PAGES = "这个文件有 {pages} 页，超过了每份材料 {limit} 页的处理上限，本次未接收。" + _SPLIT
TOO_MANY_PARAGRAPHS = "这个文件超过了每份材料 {limit} 段的处理上限，本次未接收。" + _SPLIT
TOO_MANY_CHARS = "这个文件的文字超过了每份材料 {limit} 万字的处理上限，本次未接收。" + _SPLIT
PART_TOO_LARGE = ("这个 Word 文件的正文解压后有 {mb} MB，超过了 {limit} MB 的处理上限（正常文档只有几 MB，"
                  "可能已损坏或被异常放大），本次未接收。请另存为新的 .docx 后重新上传。")
TOO_SLOW = "这个文件读取超过了 {limit} 秒的处理上限，本次未接收。" + _SPLIT
