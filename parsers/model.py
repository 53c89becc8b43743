"""What every parser returns: a document as located paragraphs, and the refusals."""

from __future__ import annotations

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


@dataclass(frozen=True)
class ParsedDocument:
    """A parsed upload: its detected format and its paragraphs in reading order."""

    file_type: str  # "docx" | "pdf" | "txt"
    paragraphs: tuple[Paragraph, ...]
    pages: int | None = None  # PDFs only
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def chars(self) -> int:
        """Number of non-whitespace characters of text extracted."""
        return sum(len("".join(p.text.split())) for p in self.paragraphs)


class DocumentRejected(Exception):
    """Raised when a file cannot be accepted; ``reason`` is the Chinese text for the user."""

    code = "rejected"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class UnsupportedDocument(DocumentRejected):
    code = "unsupported"


class LegacyWordDocument(DocumentRejected):
    code = "legacy_doc"


class EncryptedDocument(DocumentRejected):
    code = "encrypted"


class CorruptDocument(DocumentRejected):
    code = "corrupt"


class EmptyDocument(DocumentRejected):
    code = "empty"


class ImageOnlyDocument(DocumentRejected):
    code = "image_only"
