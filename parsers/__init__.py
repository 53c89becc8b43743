"""Turn uploaded bytes into a ``ParsedDocument`` (located paragraphs) or a refusal.

``parse_document`` judges the file type by content (magic bytes), never by file name, and
dispatches to the .docx, PDF or plain-text parser. Files that cannot be accepted raise a
``DocumentRejected`` subclass whose ``reason`` is a Chinese message for the user saying
what is wrong and what to do.
"""

from __future__ import annotations

import dataclasses
import os

from .detect import (
    DOC,
    DOCX,
    ENCRYPTED_OFFICE,
    IMAGE,
    PDF,
    TXT,
    detect_type,
    foreign_format_hint,
)
from .doc_parser import parse_doc
from .docx_parser import parse_docx
from .model import (
    CorruptDocument,
    DocumentRejected,
    EmptyDocument,
    EncryptedDocument,
    ImageOnlyDocument,
    Paragraph,
    ParsedDocument,
    ParseLimits,
    TooLargeDocument,
    UnsupportedDocument,
)
from .pdf_parser import parse_pdf
from .text_parser import parse_text

__all__ = [
    "CorruptDocument",
    "DocumentRejected",
    "EmptyDocument",
    "EncryptedDocument",
    "ImageOnlyDocument",
    "Paragraph",
    "ParseLimits",
    "ParsedDocument",
    "TooLargeDocument",
    "UnsupportedDocument",
    "detect_type",
    "parse_document",
]

EMPTY_FILE_REASON = "文件是空的（0 字节），没有任何文字。请检查后重新上传有内容的文件。"
ENCRYPTED_OFFICE_REASON = "这个 Word 文件设置了打开密码，无法读取。请在 Word/WPS 中取消密码（文件 → 信息/文档加密）并保存后重新上传。"
IMAGE_REASON = (
    "这是图片文件（照片或扫描件），暂不支持识别图片中的文字。请上传 Word（.docx）或 PDF（.pdf）文件。"
)
UNKNOWN_REASON = "无法识别这个文件的类型，暂不支持。目前只接受 Word（.docx/.doc）、WPS（.wps）、PDF（.pdf）和纯文本（.txt）文件，请转换后重新上传。"
FOREIGN_FORMAT_REASON = (
    "这是 {fmt} 格式的文档，暂不支持。请在 Word/WPS 中“另存为” .docx（或导出为 PDF）后重新上传。"
)

_TYPE_LABELS = {PDF: "PDF", DOCX: "Word（.docx）", TXT: "纯文本", DOC: "旧版 Word/WPS（.doc/.wps）"}
_EXTENSION_TYPES = {".pdf": PDF, ".docx": DOCX, ".txt": TXT, ".doc": DOC, ".wps": DOC}


def parse_document(data: bytes, file_name: str = "", limits: ParseLimits | None = None) -> ParsedDocument:
    """Parse uploaded bytes by their content; raise a ``DocumentRejected`` subclass if refused
    (``TooLargeDocument`` beyond ``limits``: pages, paragraphs, characters, part size, time)."""
    if not data:
        raise EmptyDocument(EMPTY_FILE_REASON)
    kind = detect_type(data)
    if kind == PDF:
        document = parse_pdf(data, limits)
    elif kind == DOCX:
        document = parse_docx(data, limits)
    elif kind == TXT:
        document = parse_text(data, limits)
    elif kind == DOC:
        document = parse_doc(data, limits)
    elif kind == ENCRYPTED_OFFICE:
        raise EncryptedDocument(ENCRYPTED_OFFICE_REASON)
    elif kind == IMAGE:
        raise ImageOnlyDocument(IMAGE_REASON, image=True)
    else:
        hint = foreign_format_hint(data)
        raise UnsupportedDocument(FOREIGN_FORMAT_REASON.format(fmt=hint) if hint else UNKNOWN_REASON)
    return _note_extension_mismatch(document, file_name)


def _note_extension_mismatch(document: ParsedDocument, file_name: str) -> ParsedDocument:
    """Add a warning when the file name's extension disagrees with the content."""
    ext = os.path.splitext(file_name.strip().lower())[1]
    claimed = _EXTENSION_TYPES.get(ext)
    if claimed is None or claimed == document.file_type:
        return document
    note = f"文件名后缀是 {ext}，但内容实际是 {_TYPE_LABELS[document.file_type]} 文件，已按实际内容读取。"
    return dataclasses.replace(document, warnings=document.warnings + (note,))
