"""Legacy Word (.doc, Word 97–2003) and WPS Writer (.wps) files.

They are converted to .docx by msdoc2docx and read by the .docx parser, so a .doc and its
.docx twin give the same paragraphs (automatic numbering such as "一、" and tables
included) and the same score. Chosen by measurement on ``../shared/corpus/``'s .doc/.docx
twin: msdoc2docx (pure Python, from the package registry) gave exactly the .docx's 82
paragraphs in 1.3 s. By the issue's own measurements, LibreOffice headless gives the same
text but needs about 250 MB of Debian packages and 8.5 s a file, and antiword is fast but
loses the automatic numbering.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from .docx_parser import parse_docx
from .model import CorruptDocument, EncryptedDocument, ParsedDocument, ParseLimits, TooLargeDocument

ENCRYPTED_REASON = ("这个 Word（.doc）文件设置了打开密码，无法读取。请在 Word/WPS 中取消密码后，"
                    "“另存为” .docx 重新上传。")
FAILED_REASON = ("这个旧版 Word/WPS 文件（.doc/.wps）无法自动转换（{why}）。请在 Word 或 WPS 中打开它，"
                 "“另存为” .docx（或导出为 PDF）后重新上传。")


def parse_doc(data: bytes, limits: ParseLimits | None = None) -> ParsedDocument:
    """Parse .doc / .wps bytes (an OLE2 file with a WordDocument stream)."""
    from doc2docx import convert
    from doc2docx.cfb.container import CompoundFileLimits
    from doc2docx.errors import Doc2DocxError, EncryptedDocumentError

    limits = limits or ParseLimits()
    bound = limits.max_part_mb * 2**20
    with tempfile.TemporaryDirectory(prefix="kaohe-doc-") as folder:
        source, target = Path(folder) / "upload.doc", Path(folder) / "upload.docx"
        source.write_bytes(data)
        try:
            convert(source, target, limits=CompoundFileLimits(max_input_bytes=max(bound, len(data)),
                                                              max_stream_bytes=bound))
        except EncryptedDocumentError as exc:
            raise EncryptedDocument(ENCRYPTED_REASON) from exc
        except Doc2DocxError as exc:
            raise CorruptDocument(FAILED_REASON.format(why=_why(exc))) from exc
        except (MemoryError, RecursionError) as exc:
            raise TooLargeDocument(FAILED_REASON.format(why="文件结构过大或过深")) from exc
        except Exception as exc:  # the converter failing on a file it did not expect
            raise CorruptDocument(FAILED_REASON.format(why="文件结构无法识别")) from exc
        converted = target.read_bytes()
    return dataclasses.replace(parse_docx(converted, limits), file_type="doc")


def _why(exc: Exception) -> str:
    name = type(exc).__name__
    if "Unsupported" in name:
        return "含有暂不支持的内容"
    if "Bounds" in name or "Invalid" in name or "NotFound" in name:
        return "文件已损坏或不完整"
    return "转换失败"
