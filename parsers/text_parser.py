"""Plain-text (.txt) files: UTF-8 (±BOM), UTF-16 with BOM or GB18030.

Blank lines separate paragraphs (the lines of one block are joined); a file without any
blank line has one paragraph per line.
"""

from __future__ import annotations

import re

from .detect import decode_text
from .model import EmptyDocument, Paragraph, ParsedDocument, ParseLimits, UnsupportedDocument
from .normalize import join_pair, normalize_text

EMPTY_TEXT_REASON = "文本文件里没有任何文字。请确认上传的是正确的文件，或改为上传 Word（.docx）/PDF 文件。"
UNDECODABLE_REASON = (
    "无法识别这个文本文件的编码。请用记事本/WPS 将其另存为 UTF-8 编码的 .txt，"
    "或直接上传 Word（.docx）/PDF 文件。"
)

_BLANK_LINE_RE = re.compile(r"\n\s*\n")


def parse_text(data: bytes, limits: ParseLimits | None = None) -> ParsedDocument:
    """Parse plain-text bytes into paragraphs."""
    budget = (limits or ParseLimits()).budget()
    text = decode_text(data)
    if text is None:
        raise UnsupportedDocument(UNDECODABLE_REASON)
    text = normalize_text(text)
    if not text:
        raise EmptyDocument(EMPTY_TEXT_REASON)
    if _BLANK_LINE_RE.search(text):
        blocks = [_join_lines(block.split("\n")) for block in _BLANK_LINE_RE.split(text)]
    else:
        blocks = text.split("\n")
    texts = [b for b in (b.strip() for b in blocks) if b]
    for t in texts:
        budget.take(t)
    paragraphs = tuple(Paragraph(text=t, kind="text", index=i) for i, t in enumerate(texts, 1))
    return ParsedDocument(file_type="txt", paragraphs=paragraphs)


def _join_lines(lines: list[str]) -> str:
    """Join the lines of one blank-line-separated block into one paragraph."""
    out = ""
    for line in lines:
        out = join_pair(out, line.strip())
    return out
