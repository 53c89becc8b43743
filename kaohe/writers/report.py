"""Writes the assessment report (.docx) for the office and the one-unit report for a liaison.

python-docx builds the front matter (cover, table of contents, summary, charts). The long
parts — the ranking table and one page per unit — are written as WordprocessingML text
straight into ``word/document.xml`` while the package is copied, one unit at a time, so a
province's 5,000 pages never sit in memory as an object tree.

Headings use Word's built-in styles (标题 1/2), so the navigation pane works. The table of
contents is a Word TOC field written already filled in: one entry per heading, each a link
to a bookmark on its heading, so it reads and clicks the same in Word, WPS and LibreOffice
before anything is updated. Page numbers appear when the field is updated (Word asks when
the file is opened; in WPS: right-click → 更新域).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

BODY_FONT = "宋体"
AUTHOR = "考核助手"  # the documents' author in their properties (文件 → 属性)
# A4 portrait with the margins of an office report: 16 cm of text across (table widths in
# this module and in kaohe.exports add up to it).
PAGE_WIDTH_CM, PAGE_HEIGHT_CM = 21.0, 29.7
MARGINS_CM = {"top": 2.5, "bottom": 2.5, "left": 2.5, "right": 2.5}
TEXT_WIDTH_CM = PAGE_WIDTH_CM - MARGINS_CM["left"] - MARGINS_CM["right"]
MARK = "〔〔{name}〕〕"
CONTENTS = "contents"
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


def para(text: str, style: str | None = None, bold: bool = False,
         bookmark: tuple[int, str] | None = None) -> str:
    """One paragraph (``style``: a style id such as Heading2; ``bookmark``: (id, name) around it,
    the target of its contents entry)."""
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    if bookmark is None:
        return f"<w:p>{props}{_run(text, bold)}</w:p>"
    mark_id, name = bookmark
    return (f'<w:p>{props}<w:bookmarkStart w:id="{mark_id}" w:name="{name}"/>{_run(text, bold)}'
            f'<w:bookmarkEnd w:id="{mark_id}"/></w:p>')


@dataclass(frozen=True)
class Entry:
    """One line of the table of contents: heading level (1 or 2), text, bookmark name."""

    level: int
    text: str
    bookmark: str


def stream_bookmark(n: int) -> tuple[int, str]:
    """The bookmark (id, name) of the ``n``-th streamed heading (the unit pages; ids stay
    clear of the python-docx part's, which count its paragraphs)."""
    return 1_000_000 + n, f"_TocStream{n}"


_TOC_INSTRUCTION = 'TOC \\o "1-2" \\h \\z \\u'
_HEADING_LEVELS = {"Heading1": 1, "Heading2": 2}


def _contents_field(entries: Iterable[Entry]) -> Iterator[str]:
    """The TOC field with its result already filled in: a linked line per entry."""
    begin = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
             f'<w:r><w:instrText xml:space="preserve">{escape(_TOC_INSTRUCTION)}</w:instrText></w:r>'
             '<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
    end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    previous = None
    for entry in entries:
        if previous is not None:
            yield previous + "</w:p>"
            begin = ""
        indent = 0 if entry.level == 1 else 420 * (entry.level - 1)
        previous = (f'<w:p><w:pPr><w:pStyle w:val="TOC{entry.level}"/><w:ind w:left="{indent}"/></w:pPr>{begin}'
                    f'<w:hyperlink w:anchor="{entry.bookmark}" w:history="1">{_run(entry.text)}</w:hyperlink>')
    if previous is None:
        yield f"<w:p>{begin}{_run('（无标题）')}{end}</w:p>"
    else:
        yield previous + end + "</w:p>"


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


def _a4(section) -> None:
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    section.top_margin, section.bottom_margin = Cm(MARGINS_CM["top"]), Cm(MARGINS_CM["bottom"])
    section.left_margin, section.right_margin = Cm(MARGINS_CM["left"]), Cm(MARGINS_CM["right"])
    section.header_distance = section.footer_distance = Cm(1.5)


def new_document(title: str, subtitle_lines: Sequence[str], label: str, properties_title: str = "",
                 created: datetime | None = None) -> docx.document.Document:
    """A document with the cover page: the title, 初步/最终 label and the subtitle lines; A4,
    with 考核助手 as its author and ``properties_title`` (default: ``title``) as the title its
    properties show."""
    document = docx.Document()
    for section in document.sections:
        _a4(section)
    props = document.core_properties
    props.author = props.last_modified_by = AUTHOR
    props.title = properties_title or title.replace("\n", "")
    props.language = "zh-CN"
    props.comments = props.keywords = props.subject = ""
    props.revision = 1
    if created is not None:  # python-docx writes the time as UTC as given
        moment = created.astimezone(timezone.utc).replace(tzinfo=None) if created.tzinfo else created
        props.created = props.modified = moment
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
    """The table of contents: filled in from the headings when the file is saved
    (``save_with_streams``); Word is asked to update it (page numbers) on opening."""
    document.add_paragraph("目  录", style="TOC Heading")
    add_placeholder(document, CONTENTS)
    document.add_paragraph("（页码在 Word 中打开文件、选择“是”更新目录后显示；WPS 中右键目录 →“更新域”。）")
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


def _mark_headings(document: docx.document.Document,
                   streamed: dict[str, Sequence[Entry]]) -> list[Entry]:
    """Bookmark every heading of the python-docx part and list the contents in document
    order, with the streamed parts' entries where their placeholders stand."""
    entries: list[Entry] = []
    body = document.element.body
    for n, element in enumerate(body.iterchildren(qn("w:p"))):
        style = element.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        text = "".join(t.text or "" for t in element.iter(qn("w:t")))
        if text.startswith("〔〔") and text.endswith("〕〕"):
            entries.extend(streamed.get(text[2:-2], ()))
            continue
        level = _HEADING_LEVELS.get(style.get(qn("w:val")) if style is not None else "")
        if level is None or not text.strip():
            continue
        name = f"_TocDoc{n}"
        start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
        start.set(qn("w:id"), str(n + 1))
        start.set(qn("w:name"), name)
        end.set(qn("w:id"), str(n + 1))
        element.find(qn("w:pPr")).addnext(start)
        element.append(end)
        entries.append(Entry(level, text, name))
    return entries


def add_chart(document: docx.document.Document, chart: Chart) -> None:
    document.add_paragraph(chart.title, style="Caption" if "Caption" in [s.name for s in document.styles]
                           else None)
    document.add_picture(io.BytesIO(chart.png), width=Cm(15.5))


def add_placeholder(document: docx.document.Document, name: str) -> None:
    """Where streamed XML goes (see ``save_with_streams``)."""
    document.add_paragraph(MARK.format(name=name))


def save_with_streams(document: docx.document.Document, path: Path,
                      streams: dict[str, Iterable[str]],
                      contents: dict[str, Sequence[Entry]] | None = None) -> None:
    """Save ``document`` to ``path``, replacing each placeholder paragraph by its stream (in
    document order). With a contents placeholder (``add_contents``) the table of contents is
    filled in from the headings, and from ``contents``: the entries of the headings each
    stream writes (bookmarked with ``stream_bookmark``)."""
    if any(p.text == MARK.format(name=CONTENTS) for p in document.paragraphs[:50]):
        streams = {CONTENTS: _contents_field(_mark_headings(document, contents or {})), **streams}
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
