"""Writes the assessment report (.docx) for the office and the one-unit report for a liaison.

python-docx builds the front matter (cover, table of contents, summary, charts). The long
parts — the ranking table and one page per unit — are written as WordprocessingML text
straight into ``word/document.xml`` while the package is copied, one unit at a time, so a
province's 5,000 pages never sit in memory as an object tree.

Headings use Word's built-in styles (标题 1/2), so the navigation pane and the table of
contents work; Word asks to update the contents field when the file is opened (in WPS:
right-click → 更新域).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

BODY_FONT = "宋体"
MARK = "〔〔{name}〕〕"
_AFTER_UPDATE_FIELDS = {"hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids",
                        "mathPr", "attachedSchema", "themeFontLang", "clrSchemeMapping",
                        "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade",
                        "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary",
                        "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator",
                        "docId", "defaultImageDpi"}  # a placeholder paragraph replaced by streamed XML


# ---- WordprocessingML as text -----------------------------------------------------------


def _run(text: str, bold: bool = False) -> str:
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    clean = "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 32)
    return f'<w:r>{props}<w:t xml:space="preserve">{escape(clean)}</w:t></w:r>'


def para(text: str, style: str | None = None, bold: bool = False) -> str:
    """One paragraph (``style``: a style id such as Heading2)."""
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{props}{_run(text, bold)}</w:p>"


def page_break() -> str:
    return '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'


def table_start(headers: Sequence[str], widths_cm: Sequence[float]) -> str:
    """The opening of a bordered table with a repeated bold header row."""
    grid = "".join(f'<w:gridCol w:w="{int(w * 567)}"/>' for w in widths_cm)
    return ('<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
            f'</w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
            + table_row(headers, widths_cm, header=True))


def table_row(cells: Sequence[object], widths_cm: Sequence[float], header: bool = False) -> str:
    props = "<w:trPr><w:tblHeader/></w:trPr>" if header else ""
    body = "".join(
        f'<w:tc><w:tcPr><w:tcW w:w="{int(w * 567)}" w:type="dxa"/></w:tcPr>'
        f"<w:p>{_run('' if c is None else str(c), bold=header)}</w:p></w:tc>"
        for c, w in zip(cells, widths_cm, strict=True))
    return f"<w:tr>{props}{body}</w:tr>"


TABLE_END = "</w:tbl>"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], widths_cm: Sequence[float]) -> Iterator[str]:
    """A whole table as XML pieces (streamed row by row)."""
    yield table_start(headers, widths_cm)
    for row in rows:
        yield table_row(row, widths_cm)
    yield TABLE_END + para("")


# ---- the document -----------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    title: str
    png: bytes


def new_document(title: str, subtitle_lines: Sequence[str], label: str) -> docx.document.Document:
    """A document with the cover page: the title, 初步/最终 label and the subtitle lines."""
    document = docx.Document()
    for section in document.sections:
        section.left_margin = section.right_margin = Cm(2.5)
    styles = document.styles
    styles["Normal"].font.name = BODY_FONT
    styles["Normal"].font.size = Pt(11)
    styles["Normal"].element.rPr.rFonts.set(qn("w:eastAsia"), BODY_FONT)
    for _ in range(6):
        document.add_paragraph()
    heading = document.add_paragraph(title, style="Title")
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    mark = document.add_paragraph()
    mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = mark.add_run(label)
    run.bold = True
    run.font.size = Pt(16)
    for line in subtitle_lines:
        p = document.add_paragraph(line)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_page_break()
    return document


def add_contents(document: docx.document.Document) -> None:
    """A table-of-contents field (Word fills it in when asked to update fields on open)."""
    document.add_heading("目录", level=1)
    paragraph = document.add_paragraph()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = 'TOC \\o "1-2" \\h \\z \\u'
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    hint = OxmlElement("w:t")
    hint.text = "（打开文件时选择“是”更新目录；WPS 中右键此处 →“更新域”）"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instr, separate):
        run = OxmlElement("w:r")
        run.append(element)
        paragraph._p.append(run)
    run = OxmlElement("w:r")
    run.append(hint)
    paragraph._p.append(run)
    run = OxmlElement("w:r")
    run.append(end)
    paragraph._p.append(run)
    settings = document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    # The schema fixes the order of settings: updateFields comes before these.
    later = next((child for child in settings if child.tag.split("}")[1] in _AFTER_UPDATE_FIELDS), None)
    if later is not None:
        later.addprevious(update)
    else:
        settings.append(update)
    document.add_page_break()


def add_chart(document: docx.document.Document, chart: Chart) -> None:
    document.add_paragraph(chart.title, style="Caption" if "Caption" in [s.name for s in document.styles]
                           else None)
    document.add_picture(io.BytesIO(chart.png), width=Cm(15.5))


def add_placeholder(document: docx.document.Document, name: str) -> None:
    """Where streamed XML goes (see ``save_with_streams``)."""
    document.add_paragraph(MARK.format(name=name))


def save_with_streams(document: docx.document.Document, path: Path,
                      streams: dict[str, Iterable[str]]) -> None:
    """Save ``document`` to ``path``, replacing each placeholder paragraph by its stream."""
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename != "word/document.xml":
                target.writestr(item, data)
                continue
            xml = data.decode("utf-8")
            with target.open(zipfile.ZipInfo("word/document.xml", item.date_time), "w") as out:
                position = 0
                for name, pieces in streams.items():
                    marker = escape(MARK.format(name=name))
                    at = xml.index(marker)
                    start = xml.rindex("<w:p>", 0, at) if "<w:p>" in xml[:at] else xml.rindex("<w:p ", 0, at)
                    end = xml.index("</w:p>", at) + len("</w:p>")
                    out.write(xml[position:start].encode("utf-8"))
                    for piece in pieces:
                        out.write(piece.encode("utf-8"))
                    position = end
                out.write(xml[position:].encode("utf-8"))
