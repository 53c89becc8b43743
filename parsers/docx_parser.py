"""Word (.docx) files through python-docx.

The body is walked in document order: paragraphs and tables interleaved as they appear
(content controls and text boxes are entered too). Every non-empty paragraph becomes a
``Paragraph`` (``kind="heading"`` for Heading/标题/Title styles or an outline level);
every table row becomes one ``kind="table"`` paragraph with its cells joined by `` | ``,
followed by the rows of tables nested in its cells. Word auto-numbering (``一、`` ``1.``
``（一）`` ``第一章`` ``第十二条`` …), which python-docx does not return, is rebuilt from the
numbering part where its format is a Chinese, decimal, letter or roman counter and the
level's text shows only that level's own number (``%1、`` at level 0, ``（%2）`` or
``第%2条`` at level 1; multi-level texts such as ``%1.%2`` are left out). Counters are kept
per list and level: a level restarts after a higher level of its list (unless its
``lvlRestart`` says otherwise), and a ``w:num`` with a ``lvlOverride`` is a list of its own
that starts again. A number ending in a letter or ideograph (``第一条``) is followed by a
space unless the level's suffix is "nothing". Headers and footers are ignored.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import docx
from docx.oxml.ns import qn
from docx.table import Table, _Row
from lxml import etree

from .model import (
    ZIP_ERRORS,
    Budget,
    CorruptDocument,
    EmptyDocument,
    ImageOnlyDocument,
    Paragraph,
    ParsedDocument,
    ParseLimits,
    UnsupportedDocument,
    part_too_large,
)
from .normalize import normalize_text

CORRUPT_REASON = "Word 文件已损坏或不完整，无法打开。请在 Word/WPS 中重新保存（或“另存为” .docx）后再上传。"
EMPTY_REASON = "Word 文件中没有任何文字。请确认上传的是正确的文件。"
IMAGES_ONLY_REASON = (
    "Word 文件里只有图片，没有可读取的文字（像是扫描件或截图），暂不支持识别图片中的文字。"
    "请上传包含文字的原始 Word 或 PDF 文件。"
)
NOT_PLAIN_DOCX_REASON = (
    "这是带宏或模板格式的 Word 文件（.docm/.dotx），暂不支持。请在 Word/WPS 中“另存为” .docx 后重新上传。"
)

_P = qn("w:p")
_TBL = qn("w:tbl")
_TR = qn("w:tr")
_TC = qn("w:tc")
_T = qn("w:t")
_SDT = qn("w:sdt")
_SDT_CONTENT = qn("w:sdtContent")
_CUSTOM_XML = qn("w:customXml")
_TXBX_CONTENT = qn("w:txbxContent")
_BREAKS = {qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:ptab")}
_NO_BREAK_HYPHEN = qn("w:noBreakHyphen")
_MATH_T = "{http://schemas.openxmlformats.org/officeDocument/2006/math}t"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Subtrees whose text is not part of the visible paragraph text.
_SKIP = {
    qn("w:pPr"),
    qn("w:rPr"),
    qn("w:del"),
    qn("w:moveFrom"),
    qn("w:instrText"),
    qn("w:delText"),
    qn("w:footnoteReference"),
    qn("w:endnoteReference"),
    _MC_FALLBACK,
}
_VAL = qn("w:val")
# A real self-check report unpacks to a few MB (pictures included); 200 MB is far beyond.
MAX_UNPACKED_BYTES = 200 * 2**20
TOO_BIG_UNPACKED_REASON = ("这个 Word 文件解压后有 {mb} MB，远超正常文档（可能已损坏，或嵌入了超大的附件）。"
                           "请删去不必要的图片和附件、另存为新的 .docx 后重新上传。")


def _check_unpacked_size(data: bytes, limits: ParseLimits) -> None:
    """Refuse packages that would unpack to more than ``MAX_UNPACKED_BYTES`` in all, or a
    part beyond ``limits.max_part_mb`` (zip bombs: a small file whose document.xml deflates
    to hundreds of MB): python-docx reads every part into memory, and zipfile never reads
    past a part's declared size, so the declared sizes bound what is read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            sizes = [info.file_size for info in package.infolist()]
    except ZIP_ERRORS as exc:
        raise CorruptDocument(CORRUPT_REASON) from exc
    if sum(sizes) > MAX_UNPACKED_BYTES:
        raise CorruptDocument(TOO_BIG_UNPACKED_REASON.format(mb=sum(sizes) // 2**20))
    largest = max(sizes, default=0)
    if largest > limits.max_part_mb * 2**20:
        raise part_too_large(largest // 2**20, limits)


def parse_docx(data: bytes, limits: ParseLimits | None = None) -> ParsedDocument:
    """Parse .docx bytes into paragraphs and table rows in document order."""
    limits = limits or ParseLimits()
    _check_unpacked_size(data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except ValueError as exc:
        if "content type" in str(exc) or "not a Word file" in str(exc):
            raise UnsupportedDocument(NOT_PLAIN_DOCX_REASON) from exc
        raise CorruptDocument(CORRUPT_REASON) from exc
    except Exception as exc:  # python-docx fails in many ways on broken packages
        raise CorruptDocument(CORRUPT_REASON) from exc
    if body is None:
        raise CorruptDocument(CORRUPT_REASON)

    walker = _Walker(document, limits.budget())
    walker.blocks(body)
    if not walker.paragraphs:
        has_pictures = any(True for _ in body.iter(qn("w:drawing"), qn("w:pict")))
        raise ImageOnlyDocument(IMAGES_ONLY_REASON) if has_pictures else EmptyDocument(EMPTY_REASON)
    return ParsedDocument(file_type="docx", paragraphs=tuple(walker.paragraphs))


def _iter_blocks(container: etree._Element) -> Iterator[etree._Element]:
    """Yield the w:p and w:tbl children of ``container``, entering content controls."""
    for child in container:
        tag = child.tag
        if tag in (_P, _TBL):
            yield child
        elif tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _iter_blocks(content)
        elif tag == _CUSTOM_XML:
            yield from _iter_blocks(child)


def _paragraph_text(p: etree._Element) -> tuple[str, list[etree._Element]]:
    """Visible text of paragraph ``p`` (one line) and the text boxes anchored in it."""
    parts: list[str] = []
    boxes: list[etree._Element] = []

    def walk(el: etree._Element) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == _T or tag == _MATH_T:
                parts.append(child.text or "")
            elif tag in _BREAKS:
                parts.append(" ")
            elif tag == _NO_BREAK_HYPHEN:
                parts.append("-")
            elif tag == _TXBX_CONTENT:
                boxes.append(child)
            else:
                walk(child)

    walk(p)
    return normalize_text("".join(parts)).replace("\n", " "), boxes


@dataclass(frozen=True)
class _Level:
    start: int
    fmt: str
    text: str
    restart: int | None = None  # w:lvlRestart: 0 = never; k = after level k-1 (1-based levels)
    legal: bool = False  # w:isLgl: numbers shown as decimal
    suffix: str = "tab"  # w:suff: tab | space | nothing


@dataclass(frozen=True)
class _StyleInfo:
    name: str
    based_on: str | None
    num_id: str | None
    ilvl: int | None
    outline: int | None


class _Styles:
    """Paragraph styles by id: names (for headings), numbering and outline levels."""

    def __init__(self, document: docx.document.Document):
        self.by_id: dict[str, _StyleInfo] = {}
        self.default_id: str | None = None
        try:
            root = document.styles.element
        except (KeyError, NotImplementedError, AttributeError, ValueError):
            # No styles part, or one of another type (a damaged package: found by bench.fuzz)
            return
        for st in root.iterchildren(qn("w:style")):
            if st.get(qn("w:type")) not in (None, "paragraph"):
                continue
            style_id = st.get(qn("w:styleId"))
            if not style_id:
                continue
            if st.get(qn("w:default")) in ("1", "true", "on"):
                self.default_id = style_id
            name_el = st.find(qn("w:name"))
            based_el = st.find(qn("w:basedOn"))
            num_id, ilvl = _num_pr(st.find(qn("w:pPr")))
            self.by_id[style_id] = _StyleInfo(
                name=name_el.get(_VAL, "") if name_el is not None else "",
                based_on=based_el.get(_VAL) if based_el is not None else None,
                num_id=num_id,
                ilvl=ilvl,
                outline=_outline(st.find(qn("w:pPr"))),
            )

    def chain(self, style_id: str | None) -> Iterator[tuple[str, _StyleInfo]]:
        """The style and its basedOn ancestors (cycle-safe)."""
        seen: set[str] = set()
        while style_id and style_id not in seen and style_id in self.by_id:
            seen.add(style_id)
            info = self.by_id[style_id]
            yield style_id, info
            style_id = info.based_on

    def is_heading(self, style_id: str | None) -> bool:
        """Heading/标题/Title style (or based on one), or a style with an outline level."""
        for _, info in self.chain(style_id):
            name = info.name.strip().lower()
            if name.startswith(("heading", "标题")) or name == "title":
                return True
            if info.outline is not None:
                return info.outline < 9
        return False

    def numbering(self, style_id: str | None) -> tuple[str | None, int | None, str | None]:
        """(numId, ilvl, defining style id) of the numbering a style applies, if any."""
        for sid, info in self.chain(style_id):
            if info.num_id is not None:
                return info.num_id, info.ilvl, sid
        return None, None, None


def _num_pr(ppr: etree._Element | None) -> tuple[str | None, int | None]:
    """(numId, ilvl) from a w:pPr's w:numPr, or Nones."""
    if ppr is None:
        return None, None
    num_pr = ppr.find(qn("w:numPr"))
    if num_pr is None:
        return None, None
    num_el = num_pr.find(qn("w:numId"))
    lvl_el = num_pr.find(qn("w:ilvl"))
    num_id = num_el.get(_VAL) if num_el is not None else None
    ilvl = _int(lvl_el.get(_VAL)) if lvl_el is not None else None
    return num_id, ilvl


def _outline(ppr: etree._Element | None) -> int | None:
    """The w:outlineLvl of a w:pPr, if set."""
    if ppr is None:
        return None
    el = ppr.find(qn("w:outlineLvl"))
    return _int(el.get(_VAL)) if el is not None else None


def _int(value: str | None) -> int | None:
    """``int(value)`` or None."""
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


_CN_DIGITS = "零一二三四五六七八九"
_CN_LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_IDEOGRAPH_TRADITIONAL = "甲乙丙丁戊己庚辛壬癸"


def _chinese_number(n: int, digits: str = _CN_DIGITS, units: str = "十百千") -> str:
    """Chinese counting numeral for 1 ≤ n < 10000 (10 → 十, 21 → 二十一, 105 → 一百零五)."""
    if n < 10:
        return digits[n]
    if n < 20 and digits is _CN_DIGITS:
        return units[0] + (digits[n % 10] if n % 10 else "")
    out = ""
    zero = False
    for power, unit in ((1000, units[2]), (100, units[1]), (10, units[0]), (1, "")):
        d = (n // power) % 10
        if d:
            if zero and out:
                out += digits[0]
            out += digits[d] + unit
            zero = False
        elif out:
            zero = True
    return out


def _format_number(n: int, fmt: str) -> str | None:
    """Render counter ``n`` in Word number format ``fmt``; None for unsupported formats."""
    if n < 1 or n >= 10000:
        return None
    if fmt in ("decimal", "decimalHalfWidth", "decimalFullWidth", "decimalFullWidth2"):
        return str(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting"):
        return _chinese_number(n)
    if fmt == "chineseLegalSimplified":
        return _chinese_number(n, _CN_LEGAL_DIGITS, "拾佰仟")
    if fmt == "ideographTraditional":
        return _IDEOGRAPH_TRADITIONAL[n - 1] if n <= 10 else None
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return chr(0x2460 + n - 1) if n <= 20 else str(n)
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(n)
        return roman.lower() if fmt == "lowerRoman" else roman
    return None


_ROMAN_VALUES = (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1)
_ROMAN_SYMBOLS = ("M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I")


def _roman(n: int) -> str:
    """Roman numeral for 1 ≤ n < 10000 (M repeated beyond 3999)."""
    out = ""
    for value, symbol in zip(_ROMAN_VALUES, _ROMAN_SYMBOLS, strict=True):
        while n >= value:
            out += symbol
            n -= value
    return out


class _Numbering:
    """Rebuilds Word auto-numbering (``一、`` ``1.`` ``（一）`` ``第一条``) from the numbering part."""

    def __init__(self, document: docx.document.Document, styles: _Styles):
        self.styles = styles
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.abstract_pstyle: dict[str, dict[str, int]] = {}  # abstractNumId -> pStyle -> ilvl
        self.abstract_link: dict[str, str] = {}  # abstractNumId -> numStyleLink style id
        self.nums: dict[str, str] = {}  # numId -> abstractNumId
        self.overrides: dict[str, dict[int, tuple[int | None, _Level | None]]] = {}
        # list key (numId or abstractNumId) -> level -> last number shown at that level
        self.counters: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError, ValueError):
            return
        for an in root.iterchildren(qn("w:abstractNum")):
            aid = an.get(qn("w:abstractNumId"))
            if aid is None:
                continue
            levels: dict[int, _Level] = {}
            pstyles: dict[str, int] = {}
            for lvl in an.iterchildren(qn("w:lvl")):
                ilvl = _int(lvl.get(qn("w:ilvl")))
                if ilvl is None:
                    continue
                levels[ilvl] = _level(lvl)
                ps = lvl.find(qn("w:pStyle"))
                if ps is not None and ps.get(_VAL):
                    pstyles[ps.get(_VAL)] = ilvl
            self.abstract[aid] = levels
            self.abstract_pstyle[aid] = pstyles
            link = an.find(qn("w:numStyleLink"))
            if link is not None and link.get(_VAL):
                self.abstract_link[aid] = link.get(_VAL)
        for num in root.iterchildren(qn("w:num")):
            nid = num.get(qn("w:numId"))
            ref = num.find(qn("w:abstractNumId"))
            if nid is None or ref is None:
                continue
            self.nums[nid] = ref.get(_VAL)
            overrides: dict[int, tuple[int | None, _Level | None]] = {}
            for ov in num.iterchildren(qn("w:lvlOverride")):
                ilvl = _int(ov.get(qn("w:ilvl")))
                if ilvl is None:
                    continue
                so = ov.find(qn("w:startOverride"))
                lvl = ov.find(qn("w:lvl"))
                overrides[ilvl] = (
                    _int(so.get(_VAL)) if so is not None else None,
                    _level(lvl) if lvl is not None else None,
                )
            self.overrides[nid] = overrides

    def _abstract_id(self, num_id: str) -> str | None:
        """The abstractNumId a num points to, following one numStyleLink."""
        aid = self.nums.get(num_id)
        if aid in self.abstract_link:
            linked_num, _, _ = self.styles.numbering(self.abstract_link[aid])
            if linked_num is not None and linked_num != num_id:
                aid = self.nums.get(linked_num, aid)
        return aid

    def _level_of(self, num_id: str, aid: str, ilvl: int) -> tuple[_Level | None, int]:
        """The level definition (with any override) of list ``num_id`` and its start value."""
        start_override, level_override = self.overrides.get(num_id, {}).get(ilvl, (None, None))
        level = level_override or self.abstract[aid].get(ilvl)
        if level is None:
            return None, 1
        return level, start_override if start_override is not None else level.start

    def prefix(self, p: etree._Element, style_id: str | None) -> str:
        """The number Word displays before paragraph ``p`` ("一、", "（二）", "第三条 "), or ""."""
        num_id, ilvl = _num_pr(p.find(qn("w:pPr")))
        defining_style = None
        if num_id is None:
            num_id, style_ilvl, defining_style = self.styles.numbering(style_id)
            ilvl = ilvl if ilvl is not None else style_ilvl
        if num_id is None or num_id == "0" or num_id not in self.nums:
            return ""
        aid = self._abstract_id(num_id)
        if aid is None or aid not in self.abstract:
            return ""
        if ilvl is None:
            ilvl = self.abstract_pstyle.get(aid, {}).get(defining_style or "", 0)
        if not 0 <= ilvl <= 8:
            return ""
        level, start = self._level_of(num_id, aid, ilvl)
        if level is None:
            return ""
        # Instances of one abstract list continue its counting unless they restart it
        # (a w:num with level overrides is a list of its own).
        restarted = any(
            so is not None or lv is not None for so, lv in self.overrides.get(num_id, {}).values()
        )
        key = f"num:{num_id}" if restarted else f"abstract:{aid}"
        counters = self.counters.setdefault(key, {})
        n = counters.get(ilvl, start - 1) + 1
        counters[ilvl] = n
        for deeper in [k for k in counters if k > ilvl]:
            deeper_level, _ = self._level_of(num_id, aid, deeper)
            restart = deeper_level.restart if deeper_level is not None else None
            if restart is None or (restart > 0 and ilvl < restart):
                del counters[deeper]
        if f"%{ilvl + 1}" not in level.text:
            return ""
        text = level.text
        for k in range(1, ilvl + 2):  # "%1.%2.%3": the numbers of the levels above too
            if f"%{k}" not in text:
                continue
            k_level = level if k == ilvl + 1 else self._level_of(num_id, aid, k - 1)[0]
            if k_level is None:
                return ""
            value = n if k == ilvl + 1 else counters.get(k - 1, k_level.start)
            fmt = "decimal" if level.legal else k_level.fmt
            rendered = _format_number(value, fmt)
            if not rendered:
                return ""
            text = text.replace(f"%{k}", rendered)
        if "%" in text:
            return ""
        # A number glued to the title ("1.1范围") is read as part of it: keep a space after
        # a number that ends in a digit even when the level's suffix is "nothing".
        if text[-1:].isalnum() and (level.suffix != "nothing" or text[-1:].isdigit()):
            text += " "
        return text


def _level(lvl: etree._Element) -> _Level:
    """Start, format and text of a w:lvl."""
    start_el = lvl.find(qn("w:start"))
    fmt_el = lvl.find(qn("w:numFmt"))
    text_el = lvl.find(qn("w:lvlText"))
    restart_el = lvl.find(qn("w:lvlRestart"))
    legal_el = lvl.find(qn("w:isLgl"))
    suff_el = lvl.find(qn("w:suff"))
    start = _int(start_el.get(_VAL)) if start_el is not None else None
    return _Level(
        start=start if start is not None else 1,
        fmt=fmt_el.get(_VAL, "decimal") if fmt_el is not None else "decimal",
        text=text_el.get(_VAL, "") if text_el is not None else "",
        restart=_int(restart_el.get(_VAL)) if restart_el is not None else None,
        legal=legal_el is not None and legal_el.get(_VAL, "1") not in ("0", "false", "off"),
        suffix=suff_el.get(_VAL, "tab") if suff_el is not None else "tab",
    )


class _Walker:
    """Collects paragraphs from the body in document order."""

    def __init__(self, document: docx.document.Document, budget: Budget):
        self.document = document
        self.budget = budget
        self.styles = _Styles(document)
        self.numbering = _Numbering(document, self.styles)
        self.paragraphs: list[Paragraph] = []

    def emit(self, text: str, kind: str) -> None:
        """Append a paragraph with the next running index (within the document's limits)."""
        self.budget.take(text)
        self.paragraphs.append(Paragraph(text=text, kind=kind, index=len(self.paragraphs) + 1))

    def blocks(self, container: etree._Element) -> None:
        """Emit every paragraph and table under ``container``."""
        for block in _iter_blocks(container):
            if block.tag == _P:
                self.paragraph(block)
            else:
                self.table(block)

    def _style_id(self, p: etree._Element) -> str | None:
        """Paragraph style id of ``p`` (the default paragraph style if none is set)."""
        ppr = p.find(qn("w:pPr"))
        ps = ppr.find(qn("w:pStyle")) if ppr is not None else None
        if ps is not None and ps.get(_VAL):
            return ps.get(_VAL)
        return self.styles.default_id

    def paragraph_text(self, p: etree._Element) -> tuple[str, list[etree._Element]]:
        """Text of ``p`` with its auto-number prefix, and its text boxes."""
        text, boxes = _paragraph_text(p)
        try:
            prefix = self.numbering.prefix(p, self._style_id(p))
        except (KeyError, ValueError, TypeError, IndexError):
            prefix = ""
        if prefix and text:
            # normalize_text strips the space that separates "第一条" from the text: keep it.
            text = normalize_text(prefix) + (" " if prefix.endswith(" ") else "") + text
        return text, boxes

    def paragraph(self, p: etree._Element) -> None:
        """Emit a body paragraph, then the content of its text boxes."""
        text, boxes = self.paragraph_text(p)
        if text:
            ppr = p.find(qn("w:pPr"))
            outline = _outline(ppr)
            heading = self.styles.is_heading(self._style_id(p)) or (outline is not None and outline < 9)
            self.emit(text, "heading" if heading else "text")
        for box in boxes:
            self.blocks(box)

    def table(self, tbl: etree._Element) -> None:
        """Emit one paragraph per row, each followed by the rows of tables nested in it."""
        table = Table(tbl, self.document._body)  # parent only provides the part
        # Vertically merged cells come back in every row they span: read each cell once.
        # (Keeping the element in the value keeps its id() from being reused.)
        seen: dict[int, tuple[etree._Element, str]] = {}
        for tr in tbl.iterchildren(_TR):
            texts: list[str] = []
            nested: list[etree._Element] = []
            for tc in self._row_cells(_Row(tr, table), tr):
                if id(tc) in seen:
                    text = seen[id(tc)][1]
                else:
                    text = self._cell_text(tc)
                    seen[id(tc)] = (tc, text)
                    nested.extend(b for b in _iter_blocks(tc) if b.tag == _TBL)
                if text:
                    texts.append(text)
            if texts:
                self.emit(" | ".join(texts), "table")
            for inner in nested:
                self.table(inner)

    @staticmethod
    def _row_cells(row: _Row, tr: etree._Element) -> list[etree._Element]:
        """The row's w:tc elements in grid order, merged cells only once in a row."""
        try:
            tcs = [cell._tc for cell in row.cells]
        except (ValueError, IndexError, AttributeError):
            tcs = list(tr.iterchildren(_TC))
        out: list[etree._Element] = []
        for tc in tcs:
            if not out or out[-1] is not tc:
                out.append(tc)
        return out

    def _cell_text(self, tc: etree._Element) -> str:
        """The cell's own paragraphs (not nested tables) joined with spaces."""
        parts = []
        for block in _iter_blocks(tc):
            if block.tag == _P:
                text, _ = self.paragraph_text(block)
                if text:
                    parts.append(text)
        return " ".join(parts)
