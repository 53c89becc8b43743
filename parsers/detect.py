"""File-type detection by content (magic bytes), never by file name.

``detect_type`` returns one of ``"pdf"``, ``"docx"``, ``"doc"``, ``"encrypted_office"``,
``"txt"``, ``"image"`` or ``"unknown"``; ``decode_text`` decodes plain text the same way
the detection judged it.
"""

from __future__ import annotations

import codecs
import io
import zipfile

from .model import ZIP_ERRORS

PDF = "pdf"
DOCX = "docx"
DOC = "doc"
ENCRYPTED_OFFICE = "encrypted_office"
TXT = "txt"
IMAGE = "image"
UNKNOWN = "unknown"

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_DOCX_MAIN = "word/document.xml"
_WORD_MAIN_CONTENT_TYPES = (
    b"wordprocessingml.document.main+xml",
    b"wordprocessingml.template.main+xml",
    b"ms-word.document.macroEnabled.main+xml",
    b"ms-word.template.macroEnabledTemplate.main+xml",
)


def _utf16(name: str) -> bytes:
    """``name`` as it appears in an OLE2 directory entry."""
    return name.encode("utf-16-le")


_OLE_ENCRYPTED = _utf16("EncryptedPackage")
_OLE_WORD = _utf16("WordDocument")
_OLE_OTHER = (_utf16("Workbook"), _utf16("Book"), _utf16("PowerPoint Document"), _utf16("__substg1.0_"))

_HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"heim",
    b"heis",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
    b"avif",
    b"avis",
}
_BMP_DIB_SIZES = {12, 40, 52, 56, 64, 108, 124}

# Share of characters that must be printable (incl. CJK and whitespace) for plain text.
_PRINTABLE_SHARE = 0.95
_TEXT_SAMPLE = 200_000


def detect_type(data: bytes) -> str:
    """Return the file type of ``data`` judged by its content."""
    if not data:
        return UNKNOWN
    if b"%PDF-" in data[:1024]:
        return PDF
    if data.startswith(_ZIP_MAGIC):
        return DOCX if _is_docx_zip(data) else UNKNOWN
    if data.startswith(_OLE2_MAGIC):
        return _ole2_type(data)
    if _is_image(data):
        return IMAGE
    if foreign_format_hint(data) is not None:
        return UNKNOWN  # RTF / web page / Word 2003 XML: text, but not plain text
    if decode_text(data) is not None:
        return TXT
    return UNKNOWN


def _is_docx_zip(data: bytes) -> bool:
    """True if the ZIP archive is a Word document (also when the archive itself is broken)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if _DOCX_MAIN in names:
                return True
            if "[Content_Types].xml" in names:
                types = zf.read("[Content_Types].xml")
                return any(t in types for t in _WORD_MAIN_CONTENT_TYPES)
            return False
    except ZIP_ERRORS:
        # A damaged archive: the local file headers still name the parts in clear text.
        return _DOCX_MAIN.encode() in data


def _ole2_type(data: bytes) -> str:
    """Classify an OLE2 compound file: encrypted OOXML, legacy Word, or something else."""
    if _OLE_ENCRYPTED in data:
        return ENCRYPTED_OFFICE
    if _OLE_WORD not in data and any(name in data for name in _OLE_OTHER):
        return UNKNOWN  # .xls / .ppt / .msg
    return DOC


def _is_image(data: bytes) -> bool:
    """True for PNG, JPEG, GIF, TIFF, BMP, WebP and HEIF/AVIF images."""
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")):
        return True
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return True
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return True
    if data.startswith(b"BM") and len(data) >= 18:
        reserved = data[6:10]
        dib_size = int.from_bytes(data[14:18], "little")
        return reserved == b"\x00\x00\x00\x00" and dib_size in _BMP_DIB_SIZES
    return False


def decode_text(data: bytes) -> str | None:
    """Decode ``data`` as UTF-8 (±BOM), UTF-16 with BOM or GB18030 if it looks like text."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text):
            return text
    return None


def _looks_like_text(text: str) -> bool:
    """No NUL characters and at least 95 % printable characters (CJK and whitespace count)."""
    if "\x00" in text:
        return False
    sample = text[:_TEXT_SAMPLE]
    if not sample:
        return True
    bad = sum(1 for c in sample if not (c.isprintable() or c.isspace() or c == "\ufeff"))
    return bad <= (1 - _PRINTABLE_SHARE) * len(sample)


def foreign_format_hint(data: bytes) -> str | None:
    """Name a known unsupported document format (RTF, web page, Word 2003 XML), if it is one."""
    head = data[:2048].lstrip(codecs.BOM_UTF8).lstrip().lower()
    if head.startswith(b"{\\rtf"):
        return "RTF"
    if head.startswith(b"mime-version:") or b"multipart/related" in head:
        return "MHT"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]:
        return "HTML"
    if head.startswith(b"<?xml") and b"word.document" in head:
        return "Word XML"
    return None
