"""Reading a table the office sends (.xlsx or .csv, judged by content, never by name): the
social-evaluation results (``parsers.survey``) and the list of units (``parsers.unit_sheet``).

``TableFormat`` holds the Chinese refusals, worded for the table asked for ("请上传单位名单：
Excel（.xlsx）或 CSV（.csv）文件。"), and raises its ``error`` type with them: a Word file, a
PDF, an image, an archive, an old .xls, an encrypted or broken workbook, binary data.
"""

from __future__ import annotations

import codecs
import io
import unicodedata
import zipfile
from collections.abc import Sequence
from typing import Any

from .model import ZIP_ERRORS

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK"
_XLSX_MAIN = "xl/workbook.xml"
MAX_BLANK_RUN = 1000  # stop reading after this many consecutive blank rows (formatted-but-empty sheets)

Cell = tuple[Any, str | None]  # (value, Excel number format or None)
Row = tuple[int, Sequence[Cell]]  # (1-based row number, cells)


class BadTable(ValueError):
    """The file cannot be read as a table; ``reason`` says why and what to do, in Chinese."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TableFormat:
    """File-type checks and decoding for one kind of table, with refusals that name it."""

    def __init__(self, what: str, error: type[BadTable] = BadTable, pdf_hint: str | None = None):
        self.error = error
        expected = f"请上传{what}：Excel（.xlsx）或 CSV（.csv）文件。"
        resave = "请另存为 .xlsx 或 .csv 后重新上传（在 Excel/WPS 中“文件 → 另存为”）。"
        self.reasons = {
            "empty": "文件是空的（0 字节），没有任何数据。" + expected,
            "blank": "文件里没有任何内容（只有空白）。" + expected,
            "xls": "这是旧版 Excel（.xls）文件，暂不支持。" + resave,
            "encrypted": "这个 Excel 文件设置了打开密码，无法读取。请取消密码，" + resave,
            "doc": "这是 Word 文档（.doc），不是表格。" + expected,
            "docx": "这是 Word 文档（.docx），不是表格。" + expected,
            "pptx": "这是 PowerPoint 演示文稿，不是表格。" + expected,
            "ods": "这是 ODS 表格（WPS/LibreOffice 格式），暂不支持。" + resave,
            "xlsb": "这是 Excel 二进制工作簿（.xlsb），暂不支持。" + resave,
            "zip": "这是一个压缩包（.zip），不是表格。请解压后上传其中的 Excel（.xlsx）或 CSV（.csv）文件。",
            "archive": "这是一个压缩包（RAR/7z/gzip），不是表格。请解压后上传其中的 Excel（.xlsx）或 CSV（.csv）文件。",
            "corrupt_zip": ("文件看起来是 Excel（.xlsx）或压缩格式，但已损坏，无法打开（可能没有上传完整）。"
                            "请重新导出后上传 .xlsx 或 .csv 文件。"),
            "corrupt_xlsx": ("这个 Excel（.xlsx）文件已损坏或格式异常，无法读取。"
                             "请在 Excel/WPS 中打开，重新另存为 .xlsx 或 .csv 后上传。"),
            "pdf": "这是 PDF 文件，无法从中读取表格数据。" + (pdf_hint or expected),
            "image": "这是图片文件，无法读取其中的表格。" + expected,
            "markup": ("这个文件其实是网页（HTML/XML）格式的表格（常见于业务系统导出的“.xls”），无法直接读取。"
                       "请用 Excel/WPS 打开后" + resave.removeprefix("请")),
            "binary": ("无法识别这个文件：它既不是 Excel（.xlsx）工作簿，也不是可读的 CSV 文本（看起来是二进制数据）。"
                       + expected),
        }

    def fail(self, key: str) -> BadTable:
        return self.error(self.reasons[key])

    def detect(self, data: bytes) -> str:
        """``"xlsx"`` or ``"csv"`` for ``data``, or the refusal naming what it is."""
        if not data:
            raise self.fail("empty")
        if data.startswith(_OLE_MAGIC):
            if "EncryptedPackage".encode("utf-16-le") in data:
                raise self.fail("encrypted")
            if "WordDocument".encode("utf-16-le") in data:
                raise self.fail("doc")
            raise self.fail("xls")
        if data.startswith(_ZIP_MAGIC):
            return self._detect_zip(data)
        if b"%PDF-" in data[:1024]:
            raise self.fail("pdf")
        if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")) or (
            data[:4] == b"RIFF" and data[8:12] == b"WEBP"
        ):
            raise self.fail("image")
        if data.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
            raise self.fail("archive")
        return "csv"

    def _detect_zip(self, data: bytes) -> str:
        """Tell an .xlsx workbook from other zip containers (docx, pptx, ods, plain zip)."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = {name.lower() for name in archive.namelist()}
                mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
        except ZIP_ERRORS as exc:
            raise self.fail("corrupt_zip") from exc
        if _XLSX_MAIN in names:
            return "xlsx"
        for part, key in (("xl/workbook.bin", "xlsb"), ("word/document.xml", "docx"),
                          ("ppt/presentation.xml", "pptx")):
            if part in names:
                raise self.fail(key)
        if b"opendocument.spreadsheet" in mimetype:
            raise self.fail("ods")
        raise self.fail("zip")

    def open_workbook(self, data: bytes, data_only: bool = True):
        """The .xlsx opened read-only (the caller closes it)."""
        import openpyxl  # local: only .xlsx uploads pay for the import

        try:
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
        except Exception as exc:  # openpyxl raises many types for broken packages
            raise self.fail("corrupt_xlsx") from exc

    def csv_text(self, data: bytes, file_name: str) -> str:
        """CSV bytes as text (UTF-8 with or without BOM, UTF-16 with BOM, or GB18030),
        refused when blank, binary or an HTML table saved as .xls."""
        text = self._decode(data, file_name)
        if not text.strip():
            raise self.fail("blank")
        head = text.lstrip()[:2000].lower()
        if head.startswith("<") and any(
            mark in head for mark in ("<html", "<table", "<?xml", "urn:schemas-microsoft-com:office")
        ):
            raise self.fail("markup")
        return text

    def _decode(self, data: bytes, file_name: str) -> str:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encodings: tuple[str, ...] = ("utf-16",)
        else:
            encodings = ("utf-8-sig", "gb18030")
        for encoding in encodings:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if _looks_binary(text):
                break
            return text
        reason = self.reasons["binary"]
        if file_name:
            reason = reason.replace("这个文件", f"文件“{file_name}”", 1)
        raise self.error(reason)


def _looks_binary(text: str) -> bool:
    """True when decoded text holds NULs or many control characters (i.e. it is not text)."""
    sample = text[:8192]
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\f\v")
    return controls > max(2, len(sample) // 100)


def sheet_rows(sheet: Any, min_row: int, max_row: int | None) -> list[Row]:
    """Rows ``min_row``..``max_row`` of a read-only sheet as ``(row number, [(value, format)])``."""
    out: list[Row] = []
    blank_run = 0
    for number, cells in enumerate(sheet.iter_rows(min_row=min_row, max_row=max_row), start=min_row):
        row = [(cell.value, cell.number_format if is_number(cell.value) else None) for cell in cells]
        out.append((number, row))
        blank_run = blank_run + 1 if all(blank(v) for v, _ in row) else 0
        if blank_run > MAX_BLANK_RUN:
            break
    return out


def blank(value: Any) -> bool:
    """True for an empty cell (None or whitespace-only text)."""
    return value is None or (isinstance(value, str) and not value.strip())


def is_number(value: Any) -> bool:
    """True for int/float cell values (not bools)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def cell_text(value: Any) -> str:
    """A cell value as stripped text; integral floats (unit codes) lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
