"""Split a regulation (管理办法, 实施细则, 考核办法 …) into clauses by its own structure.

Chinese regulations are made of 章 (``第一章 总则``), optional 节 (``第一节 基础分``) and 条
(``第一条 …``); inside an 条 its paragraphs are 款 and its numbered items 项 (``（一）``,
``1.``, ``①``). ``parse_regulation`` reads a .docx, .pdf, .txt or .md file with
``parse_document`` and ``split_regulation`` turns the located paragraphs into one
``Clause`` per 条, each carrying its chapter and section headings as context, its 款/项 as
``parts`` and the table rows that appear inside it.

Text outside any 条 (a preamble, or a 章 without 条) is split on top-level items
(``一、`` …): each item is a clause whose ``article`` is that label; plain paragraphs
before the first item form a clause with ``article=None`` (very long runs of them are cut
at paragraph boundaries, so no clause grows into one huge chunk). Table rows belong to the
clause they appear in. An unnumbered styled heading (Word heading style, Markdown ``#``)
is a chapter, or a section once numbered chapters have been seen. A 附件/附表 line starts
a new chapter-like context, so an appendix is not glued onto the last 条.

Labels are recognised in the text (``第十二条　考核…``, ``第十二条【考核方式】…``,
``第 12 条``) and, for Word files, in the auto-numbering ``parse_docx`` rebuilds
(``第%1章`` / ``第%2条`` / ``（%3）`` levels). A label that is a cross-reference
(``第十二条规定的…``) is not taken for an article. ``article`` is always the canonical
Chinese form (``第 12 条`` → ``第十二条``) while ``text`` keeps the label as written.

Plain-text files are re-read line by line (``parse_text`` joins the lines of a
blank-line-separated block, which would glue 项 together); the paragraph numbers of
``parse_text`` are kept for locations, and ``Regulation.file_type`` stays ``"txt"`` for
Markdown too. Lines written as ``| a | b |`` are table rows. Markdown (.md/.markdown) is
stripped of ``#`` headings, ``**bold**``, list bullets and table separators first. Given
``parse_text`` output directly, ``split_regulation`` still cuts a paragraph before a
``第X条`` after 。/； and before an item marker after ：/；/。. In PDFs a paragraph
that does not end a sentence at the bottom of a page is joined with the first paragraph
of the next page, and lines repeated at the top/bottom of many pages (running headers and
footers) are dropped.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import parse_document
from .detect import decode_text
from .model import DocumentRejected, Paragraph, ParsedDocument
from .normalize import ends_sentence, join_broken_lines, join_pair, normalize_text, starts_with_marker

__all__ = [
    "Clause",
    "ClausePart",
    "NotARegulation",
    "Regulation",
    "chinese_numeral",
    "parse_chinese_numeral",
    "parse_regulation",
    "split_regulation",
]

NOT_A_REGULATION_REASON = (
    "{name}中几乎没有可用的文字，无法作为规定载入。"
    "请上传有文字内容的办法、细则、方案或标准（.docx、.pdf、.md 或 .txt 文件）。"
)

# Less text than this (after the title) is not a usable document.
MIN_TEXT_CHARS = 20
# Plain paragraphs outside any 条 are cut into clauses of about this many characters.
MAX_PLAIN_CLAUSE_CHARS = 1200
# A chapter/section title longer than this is body text that happens to start with 第X章.
_MAX_HEADING_TITLE = 40
# Longest line that may be the document title.
_MAX_TITLE = 60


class NotARegulation(DocumentRejected):
    """The document has no 章/条 structure: it is not a regulation."""

    code = "not_regulation"


@dataclass(frozen=True)
class ClausePart:
    """One 款 or 项 of a clause.

    ``label`` is ``""`` for the clause's first paragraph, ``"第2款"`` … for later plain
    paragraphs, and the item marker (``"（一）"``, ``"1."``, ``"①"``, ``"一、"``) for a 项;
    ``text`` is the paragraph without the article label or item marker.
    """

    label: str
    text: str


@dataclass(frozen=True)
class Clause:
    """One 条 (or, outside any 条, one top-level item or run of paragraphs)."""

    seq: int  # 1-based order in the document
    chapter: str | None  # full chapter heading, e.g. "第二章 考核内容"
    section: str | None  # "第一节 基础分" or None
    article: str | None  # "第十二条"; "一、" for a top-level item outside any 条; None otherwise
    text: str  # the clause as read: label line and all its 款/项 lines (and table rows), "\n"-joined
    parts: tuple[ClausePart, ...]
    tables: tuple[str, ...]  # table rows inside the clause (cells joined with " | ")
    location: str  # where it starts: "第3页" (pdf) or "第12段" (docx/txt/md)


@dataclass(frozen=True)
class Structure:
    """What numbering a document was split by, for the load message."""

    scheme: str  # "条" (第X条), "编号" (一、（一） or 1.1.1), "段落" (no numbering found)
    levels: tuple[str, ...]  # ("章", "条") or ("一、", "（一）") or ("1", "1.1", "1.1.1")
    rubric_tables: int  # 评分细则 tables split a clause per row

    def describe(self, clauses: int) -> str:
        """"识别到 3 级编号（1、1.1、1.1.1）、126 个条目、2 张评分表"."""
        if self.scheme == "条":
            what = "“" + "、".join(self.levels) + "”结构"
        elif self.levels:
            what = f" {len(self.levels)} 级编号（{' / '.join(self.levels)}）"
        else:
            what = "没有编号，按段落切分"
        rubric = f"、{self.rubric_tables} 张评分表" if self.rubric_tables else ""
        unit = "条款" if self.scheme == "条" else "条目"
        return f"识别到{what}、{clauses} 个{unit}{rubric}"


@dataclass(frozen=True)
class Regulation:
    """A regulation's title and its clauses in document order."""

    title: str
    clauses: tuple[Clause, ...]
    file_type: str
    structure: Structure = Structure("条", ("条",), 0)


# --- Chinese numerals ------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"
_CN_DIGIT_VALUES = {**{c: i for i, c in enumerate(_CN_DIGITS)}, "〇": 0, "两": 2}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_numeral(n: int) -> str:
    """Chinese numeral for 1 ≤ n ≤ 9999: 12 → 十二, 20 → 二十, 105 → 一百零五, 110 → 一百一十."""
    if not 0 < n < 10000:
        raise ValueError(f"chinese_numeral supports 1..9999, got {n}")
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    out = ""
    zero = False
    for power, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = (n // power) % 10
        if digit:
            if zero and out:
                out += "零"
            out += _CN_DIGITS[digit] + unit
            zero = False
        elif out:
            zero = True
    return out


def parse_chinese_numeral(s: str) -> int | None:
    """Value of a Chinese or Arabic numeral ("十二", "一百零五", "一〇五", "12"); None if not one."""
    s = s.strip()
    if not s:
        return None
    if s.isascii() and s.isdigit():
        return int(s)
    if all(c in _CN_DIGIT_VALUES for c in s):
        if len(s) == 1:
            return _CN_DIGIT_VALUES[s]
        return int("".join(str(_CN_DIGIT_VALUES[c]) for c in s))  # positional: 一〇五
    total = current = 0
    for c in s:
        if c in _CN_DIGIT_VALUES:
            current = _CN_DIGIT_VALUES[c]
        elif c in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[c]
            current = 0
        else:
            return None
    return total + current


def _canonical_number(raw: str) -> str | None:
    """The Chinese numeral for a label number as written ("12", "十二"), or None."""
    value = parse_chinese_numeral(re.sub(r"\s+", "", raw))
    if value is None or not 0 < value < 10000:
        return None
    return chinese_numeral(value)


# --- line classification ---------------------------------------------------------------

_NUM = r"(?P<num>\d{1,4}|[〇零一二两三四五六七八九十百千]{1,8})"
_LABEL_RE = {
    kind: re.compile(rf"第\s*{_NUM}\s*{word}")
    for kind, word in (("chapter", "章"), ("section", "节"), ("article", "条"))
}
_SUB_ARTICLE_RE = re.compile(r"之\s*(?P<sub>[一二三四五六七八九十]{1,3})(?![条款项])")
# What follows a label that is really a cross-reference ("第十二条规定的", "第三章第二节").
_REFERENCE_AFTER = tuple(
    "规定 所 的 第 、 ， , 款 项 之 中的 中规定 中所 以外 以及 和第 与第 及第 或第 至第".split()
)
_SEPARATORS = " \t:：.．、，,"
_APPENDIX_RE = re.compile(r"附\s*(?:件|表)\s*\d{0,2}(?:[：:\s].{0,30})?")
_TOC_RE = re.compile(r"目\s*录")
_TOC_PAGE_RE = re.compile(r"(?:\s*[.．…·_-]{2,}\s*\d{0,4}|\s+\d{1,4})$")
_DOC_NUMBER_RE = re.compile(r".{0,12}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d{1,4}\s*号")

_TOP_ITEM_RE = re.compile(r"(?P<label>[一二三四五六七八九十]{1,3}\s*(?:、|\.(?!\d)))")
_ITEM_RES = (
    re.compile(r"(?P<label>[（(]\s*[一二三四五六七八九十]{1,3}\s*[)）])"),
    re.compile(r"(?P<label>[（(]\s*\d{1,3}\s*[)）])"),
    re.compile(r"(?P<label>\d{1,3}\s*(?:[、)）]|[.．](?![\d.])))"),
    re.compile("(?P<label>[\u2460-\u249b\u2776-\u2793])"),
)
_CJK_GAP_RE = re.compile(
    r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]) (?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])"
)
_TITLE_WORDS = re.compile(r"办法|细则|规定|规则|制度|方案|条例|章程|准则|标准|意见|规范|守则|通知|预案|纲要|指引|指南|要点|计划|决定|的函")
_TITLE_END_RE = re.compile(r"(?:办法|细则|规定|规则|方案|条例|章程|准则|标准|意见|规范|守则|通知|预案|纲要|指引|指南|要点|计划|决定|函)$")
_SUBTITLE_RE = re.compile(r"[（(][^（）()]{0,10}(?:试行|暂行|修订|修正|草案|征求意见稿)[^（）()]{0,10}[）)]")


@dataclass(frozen=True)
class _Label:
    kind: str  # chapter | section | article | appendix | top_item | item
    label: str  # canonical label ("第十二条", "第二章", "一、", "（一）")
    rest: str  # the text after the label, separators stripped


def _tighten(s: str) -> str:
    """Drop spaces between CJK characters ("总 则" → "总则"), as spaced-out PDF headings have."""
    return _CJK_GAP_RE.sub("", s).strip()


def _structural(text: str) -> _Label | None:
    """The 章/节/条 label (or 附件 heading) ``text`` starts with, if it is one."""
    for kind, regex in _LABEL_RE.items():
        m = regex.match(text)
        if not m:
            continue
        number = _canonical_number(m.group("num"))
        if number is None:
            return None
        word = {"chapter": "章", "section": "节", "article": "条"}[kind]
        label = f"第{number}{word}"
        end = m.end()
        if kind == "article":
            sub = _SUB_ARTICLE_RE.match(text, end)
            if sub:
                label += "之" + sub.group("sub")
                end = sub.end()
        after = text[end:]
        if after.startswith(_REFERENCE_AFTER):
            return None
        rest = after.lstrip(_SEPARATORS)
        if kind != "article":
            rest = _tighten(_TOC_PAGE_RE.sub("", rest))
            if len(rest) > _MAX_HEADING_TITLE or rest.endswith(("。", "；", ";")):
                return None
        return _Label(kind, label, rest)
    if _APPENDIX_RE.fullmatch(text) and not ends_sentence(text):
        return _Label("appendix", _tighten(text), "")
    return None


def _item(text: str) -> _Label | None:
    """The item marker (一、 （一） 1. ①) ``text`` starts with, if any."""
    m = _TOP_ITEM_RE.match(text)
    if m:
        return _Label("top_item", re.sub(r"\s+", "", m.group("label")), text[m.end() :].strip())
    for regex in _ITEM_RES:
        m = regex.match(text)
        if m:
            label = re.sub(r"\s+", "", m.group("label")).replace("(", "（").replace(")", "）")
            return _Label("item", label, text[m.end() :].strip())
    return None


# --- units: the located lines the splitter works on -------------------------------------


@dataclass
class _Unit:
    text: str
    kind: str  # "text" | "heading" | "table"
    page: int | None
    index: int

    def location(self) -> str:
        if self.page is not None:
            return f"第{self.page}页"
        return f"第{self.index}表格行" if self.kind == "table" else f"第{self.index}段"


_MD_HEADING_RE = re.compile(r"#{1,6}(?=[^#]|$)\s*")
_MD_BULLET_RE = re.compile(r"(?:>\s*)*(?:[-*+]\s+)?")
_MD_RULE_RE = re.compile(r"(?:[-*_]\s*){3,}")
_MD_TABLE_SEP_RE = re.compile(r"\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?")
_MD_INLINE = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # bold
    (re.compile(r"(?<![*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?![*\w])"), r"\1"),  # italic
    (re.compile(r"`([^`]+)`"), r"\1"),  # code
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])"), r"\1"),  # escapes
)


def _markdown_line(line: str) -> tuple[str, str]:
    """(text, kind) of one Markdown line: heading marks, bullets and inline markup removed."""
    s = line.strip()
    if _MD_RULE_RE.fullmatch(s):
        return "", "text"
    kind = "text"
    m = _MD_HEADING_RE.match(s)
    if m:
        s, kind = s[m.end() :].rstrip("#").strip(), "heading"
    else:
        s = s[_MD_BULLET_RE.match(s).end() :]
    for regex, repl in _MD_INLINE:
        s = regex.sub(repl, s)
    return normalize_text(s), kind


def _table_row(line: str) -> str | None:
    """A text line written as a table row ("| a | b |" or "a | b"), cells joined by " | "."""
    s = line.strip()
    if not s.startswith("|") and (" | " not in s or "。" in s or _structural(s) or _item(s)):
        return None
    cells = [c.strip() for c in s.strip("|").split("|")]
    cells = [c for c in cells if c]
    return " | ".join(cells) if len(cells) >= 2 else None


_INLINE_SPLIT_RE = re.compile(
    r"(?<=[。；;！？!?])\s*(?=第\s*(?:\d{1,4}|[〇零一二两三四五六七八九十百千]{1,8})\s*[章节条])"
    r"|(?<=[^\d\s][。；;：:])\s*(?=[（(]\s*(?:[一二三四五六七八九十]{1,3}|\d{1,3})\s*[)）]"
    r"|\d{1,3}[.．、](?![\d.])|[\u2460-\u2473])"
)


# "第一章 总则 第一条 为了…" on one line: the heading ends before the article label.
_HEADING_THEN_ARTICLE_RE = re.compile(
    r"第\s*(?:\d{1,4}|[〇零一二两三四五六七八九十百千]{1,8})\s*[章节][^。；;]{0,40}?"
    r"(?=\s*第\s*(?:\d{1,4}|[〇零一二两三四五六七八九十百千]{1,8})\s*条)"
)


def _split_heading_and_article(text: str) -> list[str]:
    """``text`` as one piece, or as [chapter/section heading, article] when it holds both."""
    m = _HEADING_THEN_ARTICLE_RE.match(text)
    if m is None:
        return [text]
    head, rest = m.group().strip(), text[m.end() :].strip()
    head_label, rest_label = _structural(head), _structural(rest)
    if head_label is None or rest_label is None or rest_label.kind != "article":
        return [text]
    return [head, rest]


def _paragraph_units(p: Paragraph, markdown: bool, plain_text: bool) -> Iterator[_Unit]:
    """The units of one parsed paragraph (several when it holds several lines)."""
    if p.kind == "table":
        yield _Unit(p.text, "table", p.page, p.index)
        return
    run: list[str] = []

    def flush() -> Iterator[_Unit]:
        joined = join_broken_lines(run, edge_lines=0) if len(run) > 1 else run[:]
        for text in joined:
            pieces = _INLINE_SPLIT_RE.split(text) if plain_text else [text]
            for piece in pieces:
                for part in _split_heading_and_article(piece.strip()) if piece.strip() else []:
                    yield _Unit(part, p.kind, p.page, p.index)
        run.clear()

    for raw in p.text.split("\n"):
        kind = p.kind
        line = raw.strip()
        if plain_text and "-" in line and _MD_TABLE_SEP_RE.fullmatch(line):
            continue  # the |---|---| line under a table's header row
        if markdown:
            line, md_kind = _markdown_line(line)
            kind = "heading" if md_kind == "heading" else kind
        if not line:
            continue
        row = _table_row(line) if plain_text else None
        if row is not None or kind == "heading":
            yield from flush()
            yield _Unit(row, "table", p.page, p.index) if row else _Unit(line, "heading", p.page, p.index)
            continue
        run.append(line)
    yield from flush()


def _units(parsed: ParsedDocument, markdown: bool) -> tuple[list[_Unit], list[str]]:
    """The document's units; for PDFs also the running header/footer texts removed."""
    plain_text = parsed.file_type == "txt"
    units = [u for p in parsed.paragraphs for u in _paragraph_units(p, markdown, plain_text)]
    removed: list[str] = []
    if parsed.file_type == "pdf":
        units, removed = _drop_running_lines(units)
        units = _join_across_pages(units)
    return units, removed


def _drop_running_lines(units: list[_Unit]) -> tuple[list[_Unit], list[str]]:
    """Drop short lines repeated at the top or bottom of many pages (running headers/footers)."""
    by_page: dict[int, list[_Unit]] = {}
    for u in units:
        if u.kind != "table" and u.page is not None:
            by_page.setdefault(u.page, []).append(u)
    if len(by_page) < 2:
        return units, []
    edge_counts: Counter[str] = Counter()
    for page_units in by_page.values():
        edges = {page_units[0].text, page_units[-1].text}
        edge_counts.update(t for t in edges if len(t) <= _MAX_TITLE and _structural(t) is None)
    need = max(2, len(by_page) // 2)
    running = {t for t, n in edge_counts.items() if n >= need}
    if not running:
        return units, []
    order = list(dict.fromkeys(u.text for u in units if u.text in running))
    return [u for u in units if u.text not in running], order


def _join_across_pages(units: list[_Unit]) -> list[_Unit]:
    """Join a paragraph cut by a page break with its continuation at the top of the next page."""
    first_on_page: set[int] = set()
    seen_pages: set[int | None] = set()
    for k, u in enumerate(units):
        if u.page not in seen_pages:
            seen_pages.add(u.page)
            first_on_page.add(k)
    out: list[_Unit] = []
    for k, u in enumerate(units):
        prev = out[-1] if out else None
        if prev is not None and k in first_on_page and _continues_on_next_page(prev, u):
            out[-1] = _Unit(join_pair(prev.text, u.text), prev.kind, prev.page, prev.index)
            continue
        out.append(u)
    return out


def _continues_on_next_page(prev: _Unit, u: _Unit) -> bool:
    """Whether ``u`` (first on its page) continues ``prev`` (last on the page before)."""
    if prev.kind != "text" or u.kind != "text" or prev.page is None or u.page != prev.page + 1:
        return False
    if ends_sentence(prev.text) or starts_with_marker(u.text) or _item(u.text) or _structural(u.text):
        return False
    label = _structural(prev.text)
    return label is None or label.kind == "article"


# --- title -------------------------------------------------------------------------------


def _title_like(u: _Unit) -> bool:
    """Short line that may be a document title (not a sentence, item, date or 文号)."""
    t = u.text
    return (
        u.kind != "table"
        and 2 <= len(t) <= _MAX_TITLE
        and not t.endswith(("。", "；", ";", "，", ",", "：", ":"))
        and _item(t) is None
        and not _DOC_NUMBER_RE.fullmatch(t)
        and not _TOC_RE.fullmatch(t)
        and not re.fullmatch(r"[\d\s年月日.\-/（）()]+", t)
        and not re.match(r"\d{4}\s*年\s*\d{1,2}\s*月", t)  # an adoption or revision line
    )


def _find_title(units: list[_Unit], first_structural: int) -> tuple[str | None, set[int]]:
    """The title among the units before the first 章/条 and the indexes it used."""
    candidates = [i for i in range(first_structural) if _title_like(units[i])]
    if not candidates:
        return None, set()
    titled = [i for i in candidates if _TITLE_WORDS.search(units[i].text)]
    # A styled heading (Markdown "# …") naming the kind of document wins over an adoption
    # line that mentions one ("…《关于修改部分法律的决定》第一次修正").
    headings = [i for i in candidates if units[i].kind == "heading"]
    chosen = next((i for i in titled if i in headings), None)
    if chosen is None:
        chosen = headings[0] if headings else (titled[0] if titled else None)
    if chosen is None:
        chosen = next((i for i in candidates if units[i].kind == "heading"), candidates[0])
    title, used = _tighten(units[chosen].text), {chosen}
    start = candidates[0]
    if start < chosen and "关于" in units[start].text and set(range(start, chosen + 1)) <= set(candidates):
        # 国务院办公厅关于全面推行 / …制度 / …的指导意见: a title set on several lines
        end = chosen
        while not _TITLE_END_RE.search(units[end].text) and end + 1 in candidates and end - start < 3:
            end += 1  # the title goes on to the line that ends it ("…的指导意见")
        lines = [_tighten(units[i].text) for i in range(start, end + 1)]
        if sum(map(len, lines)) <= 2 * _MAX_TITLE:
            return "".join(lines), set(range(start, end + 1))
    before = chosen - 1
    if (
        before == candidates[0]
        and units[before].kind == units[chosen].kind == "heading"
        and len(units[before].text) + len(units[chosen].text) <= _MAX_TITLE
    ):
        title, used = _tighten(units[before].text) + title, {before, chosen}  # a two-line title
    nxt = chosen + 1
    if nxt < first_structural and _SUBTITLE_RE.fullmatch(units[nxt].text):
        title += units[nxt].text
        used.add(nxt)
    return title, used


# --- splitting ---------------------------------------------------------------------------


@dataclass
class _Open:
    """A clause being collected."""

    article: str | None
    is_article: bool  # a 条 (not a top-level item or a run of paragraphs outside any 条)
    location: str
    lines: list[str] = field(default_factory=list)
    parts: list[ClausePart] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    paragraphs: int = 0  # plain paragraphs (款) seen so far
    chars: int = 0

    def add_line(self, text: str) -> None:
        self.lines.append(text)
        self.chars += len(text)

    def add_paragraph(self, text: str, body: str | None = None) -> None:
        """A plain paragraph (``body``: its text without label): the first 款 (label "") or "第n款"."""
        self.add_line(text)
        body = text if body is None else body
        if body:
            self.paragraphs += 1
            self.parts.append(ClausePart("" if self.paragraphs == 1 else f"第{self.paragraphs}款", body))

    def add_item(self, text: str, label: str, body: str) -> None:
        """A 项 such as "（一）…"."""
        self.add_line(text)
        if body:
            self.parts.append(ClausePart(label, body))

    def add_table_row(self, row: str) -> None:
        self.add_line(row)
        self.tables.append(row)


class _Splitter:
    """Walks the units and collects clauses, tracking the current chapter and section."""

    def __init__(self) -> None:
        self.chapter: str | None = None
        self.section: str | None = None
        self.numbered_chapters = False  # a "第X章" heading has been seen
        self.current: _Open | None = None
        self.clauses: list[Clause] = []

    def close(self) -> None:
        """Finish the clause being collected, if any."""
        c = self.current
        self.current = None
        if c is None or not c.lines:
            return
        self.clauses.append(
            Clause(
                seq=len(self.clauses) + 1,
                chapter=self.chapter,
                section=self.section,
                article=c.article,
                text="\n".join(c.lines),
                parts=tuple(c.parts),
                tables=tuple(c.tables),
                location=c.location,
            )
        )

    def open(self, article: str | None, u: _Unit, *, is_article: bool = False) -> _Open:
        """Finish the current clause and start a new one at unit ``u``."""
        self.close()
        self.current = _Open(article=article, is_article=is_article, location=u.location())
        return self.current

    def heading(self, kind: str, text: str) -> None:
        """A heading (kind chapter, section, appendix or unnumbered): context for the clauses after it."""
        self.close()
        if kind == "section":
            self.section = text
        else:
            self.chapter, self.section = text, None
            self.numbered_chapters = self.numbered_chapters or kind == "chapter"

    def feed(self, units: list[_Unit]) -> None:
        """Collect the clauses of ``units`` (title already removed)."""
        i = 0
        while i < len(units):
            u = units[i]
            i += 1
            if u.kind == "table":
                (self.current or self.open(None, u)).add_table_row(u.text)
                continue
            label = _structural(u.text)
            if label is not None and label.kind != "article":
                title = label.rest
                if not title and label.kind != "appendix" and i < len(units) and _heading_title(units[i]):
                    title = _tighten(units[i].text)  # "第一章" and "总 则" on two lines
                    i += 1
                self.heading(label.kind, f"{label.label} {title}".strip())
                continue
            if label is not None:
                self.open(label.label, u, is_article=True).add_paragraph(u.text, label.rest)
                continue
            item = _item(u.text)
            in_article = self.current is not None and self.current.is_article
            if item is not None and item.kind == "top_item" and not in_article:
                self.open(item.label, u).add_paragraph(u.text, item.rest)
                continue
            if item is None and u.kind == "heading" and _heading_title(u, _MAX_HEADING_TITLE):
                # A styled heading without a number ("附则"): a section under numbered chapters.
                self.heading("section" if self.numbered_chapters else "unnumbered", _tighten(u.text))
                continue
            current = self.current
            if current is None or (
                current.article is None
                and item is None
                and current.chars + len(u.text) > MAX_PLAIN_CLAUSE_CHARS
            ):
                current = self.open(None, u)
            if item is not None:
                current.add_item(u.text, item.label, item.rest)
            else:
                current.add_paragraph(u.text)
        self.close()


def _heading_title(u: _Unit, max_len: int = 20) -> bool:
    """True if ``u`` is a short unnumbered heading line ("总 则" after a bare "第一章")."""
    t = u.text
    return (
        u.kind != "table"
        and len(t) <= max_len
        and not ends_sentence(t)
        and _structural(t) is None
        and _item(t) is None
    )


def split_regulation(parsed: ParsedDocument, file_name: str) -> Regulation:
    """Split a parsed document into clauses by its own numbering: 章/节/条 when it has 第X条
    (or 第X章), else its outline (一、（一）1. or 1 / 1.1 / 1.1.1, see ``_OutlineSplitter``).

    Raises ``NotARegulation`` only when the document has no usable text.
    """
    markdown = os.path.splitext(file_name.strip().lower())[1] in (".md", ".markdown")
    units, running = _units(parsed, markdown)
    if sum(len(u.text) for u in units) < MIN_TEXT_CHARS:
        base = os.path.basename(file_name.strip())
        name = f"《{base}》" if base else "文件"
        raise NotARegulation(NOT_A_REGULATION_REASON.format(name=name))
    kinds = [(_structural(u.text) if u.kind != "table" else None) for u in units]
    chapters = sum(1 for k in kinds if k is not None and k.kind == "chapter")
    articles = sum(1 for k in kinds if k is not None and k.kind == "article")
    if articles < 2 and chapters < 2 and not (chapters and articles):
        return _split_outline(units, running, parsed.file_type, file_name)
    first = next(
        i for i, k in enumerate(kinds) if k is not None and k.kind in ("chapter", "section", "article")
    )
    title, used = _find_title(units, first)
    if title is None:
        title = running[0] if running else _file_stem(file_name)
    body = [
        u
        for i, u in enumerate(units)
        if i not in used and not (i < first and u.kind != "table" and _TOC_RE.fullmatch(u.text))
    ]
    splitter = _Splitter()
    splitter.feed(body)
    clauses = tuple(splitter.clauses)
    levels = ["章"] * bool(chapters) + ["节"] * any(c.section for c in clauses) + ["条"]
    return Regulation(title=title, clauses=clauses, file_type=parsed.file_type,
                      structure=Structure("条", tuple(levels), 0))


# --- outline documents: 一、（一）1. or 1 / 1.1 / 1.1.1, no 第X条 --------------------------

# A numbered line whose own text is at most this long (and one sentence) is a heading.
_MAX_OUTLINE_TITLE = 30
_DECIMAL_RE = re.compile(r"(?P<label>\d{1,2}(?:\s*[.．]\s*\d{1,2}){1,4})(?![\d.．])[.．]?\s*(?P<rest>.*)")
_DECIMAL_TOP_RE = re.compile(r"(?P<label>\d{1,2})[.．]?\s+(?P<rest>[^\d\s.．].*)")
_ARABIC_RE = re.compile(r"(?P<label>\d{1,2})\s*(?:[.．](?![\d.．])|、)\s*(?P<rest>.*)")
_DATE_LINE_RE = re.compile(r"[\d〇零一二三四五六七八九十]{2,4}\s*年[\d〇零一二三四五六七八九十\s]{1,3}月"
                           r"[\d〇零一二三四五六七八九十\s]{1,3}日")
# Header cells of a scoring rubric (评分细则) table: one clause per row.
_RUBRIC_HEADER_RE = re.compile(r"分值|分数|得分|评分|计分|扣分|加分|标准分|权重")


@dataclass(frozen=True)
class _Node:
    rank: int  # 1 一、  2 （一）  3 1.  (decimal: 10 + depth)
    label: str  # as cited: "一、" "（三）" "2." "5.1.1"
    rest: str


def _outline_node(text: str, scheme: str) -> _Node | None:
    """The outline number ``text`` starts with, if it is structural under ``scheme``
    (``decimal``: 1 / 1.1 / 1.1.1; ``cn``: 一、 and （一）; ``cn+arabic``: also 1.)."""
    if scheme == "decimal":
        m = _DECIMAL_RE.match(text)
        if m:
            label = re.sub(r"\s+", "", m.group("label")).replace("．", ".")
            return _Node(10 + label.count(".") + 1, label, m.group("rest").strip())
        m = _DECIMAL_TOP_RE.match(text)
        if m and len(m.group("rest")) <= _MAX_OUTLINE_TITLE and not ends_sentence(m.group("rest")):
            return _Node(11, m.group("label"), m.group("rest").strip())
        return None
    item = _item(text)
    if item is None:
        return None
    if item.kind == "top_item":
        return _Node(1, item.label.replace(".", "、"), item.rest)
    if re.fullmatch(r"（[一二三四五六七八九十]{1,3}）", item.label):
        return _Node(2, item.label, item.rest)
    if scheme == "cn+arabic":
        m = _ARABIC_RE.match(text)
        if m:
            return _Node(3, m.group("label") + ".", m.group("rest").strip())
    return None


def _outline_scheme(units: list[_Unit]) -> str:
    """Which numbers make the outline: decimal when 1.1-style numbers recur, else the
    Chinese levels (and 1. under 一、 when the document has no （一）)."""
    texts = [u.text for u in units if u.kind != "table"]
    if sum(1 for t in texts if _DECIMAL_RE.match(t)) >= 2:
        return "decimal"
    has_paren = sum(1 for t in texts if (n := _outline_node(t, "cn")) and n.rank == 2) >= 2
    return "cn" if has_paren else "cn+arabic"


def _is_rubric_header(row: str) -> bool:
    cells = [c.strip() for c in row.split(" | ")]
    return len(cells) >= 2 and any(_RUBRIC_HEADER_RE.search(c) and len(c) <= 8 for c in cells)


@dataclass
class _OutlineOpen:
    node: _Node | None
    path: str | None
    location: str
    lines: list[str] = field(default_factory=list)
    parts: list[ClausePart] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


class _OutlineSplitter:
    """A clause per numbered node that has text of its own (its line beyond a short title,
    or paragraphs under it); a node with only a short title is a heading, context for the
    clauses under it. Lower numbers (1. （1） ①, and 一、（一） in a decimal document) are the
    clause's parts. Each row of a scoring-rubric table (a header naming 分值/评分…) is a
    clause of its own, cited as 表N第M行."""

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.stack: list[_Node] = []
        self.current: _OutlineOpen | None = None
        self.clauses: list[Clause] = []
        self.ranks: set[int] = set()
        self.rubrics = 0
        self.tables = 0

    def path(self) -> str:
        if self.stack and self.stack[-1].rank > 10:
            return self.stack[-1].label
        return "".join(n.label for n in self.stack if n.rank < 10)

    def context(self, under: bool = False) -> tuple[str | None, str | None]:
        """(chapter, section): the headings above the clause; ``under``: the clause is not
        itself a numbered node (text or a table row under the last heading)."""
        nodes = self.stack if under or (self.current is not None and self.current.node is None) else self.stack[:-1]
        heads = [f"{n.label}{n.rest}" if n.rank < 10 else f"{n.label} {n.rest}" for n in nodes if n.rest]
        return (heads[0] if heads else None, " ".join(heads[1:]) or None)

    def emit(self, article: str | None, text: str, parts, tables, location: str, under: bool = False) -> None:
        chapter, section = self.context(under)
        self.clauses.append(Clause(seq=len(self.clauses) + 1, chapter=chapter, section=section,
                                   article=article, text=text, parts=tuple(parts),
                                   tables=tuple(tables), location=location))

    def close(self) -> None:
        c, self.current = self.current, None
        if c is None or not c.lines:
            return
        if c.node is not None and len(c.lines) == 1 and not c.tables and _title_only(c.node.rest):
            return  # a heading: its title is context for what follows
        self.current = c  # context() reads it
        self.emit(c.path, "\n".join(c.lines), c.parts, c.tables, c.location)
        self.current = None

    def feed(self, units: list[_Unit]) -> None:
        i = 0
        while i < len(units):
            u = units[i]
            if u.kind == "table":
                j = i
                while j < len(units) and units[j].kind == "table":
                    j += 1
                self.table(units[i:j])
                i = j
                continue
            i += 1
            if _DATE_LINE_RE.fullmatch(u.text.strip()) or re.fullmatch(r"[（(]此件.{0,8}[)）]", u.text):
                continue  # the signing date and 此件公开发布 at the end
            node = _outline_node(u.text, self.scheme)
            if node is not None:
                self.close()
                while self.stack and self.stack[-1].rank >= node.rank:
                    self.stack.pop()
                self.stack.append(node)
                self.ranks.add(node.rank)
                self.current = _OutlineOpen(node, self.path(), u.location(), [u.text])
                if node.rest:
                    self.current.parts.append(ClausePart("", node.rest))
                continue
            if self.current is None or (self.current.node is None
                                        and sum(map(len, self.current.lines)) + len(u.text) > MAX_PLAIN_CLAUSE_CHARS):
                self.close()
                self.current = _OutlineOpen(None, None, u.location())
            item = _item(u.text)
            self.current.lines.append(u.text)
            if item is not None:
                self.current.parts.append(ClausePart(item.label, item.rest))
            else:
                n = sum(1 for p in self.current.parts if not p.label or p.label.startswith("第"))
                self.current.parts.append(ClausePart("" if n == 0 else f"第{n + 1}款", u.text))
        self.close()

    def table(self, rows: list[_Unit]) -> None:
        """A table: rows of a rubric become clauses; any other table belongs to the clause."""
        self.tables += 1
        if len(rows) >= 3 and _is_rubric_header(rows[0].text):
            self.close()
            self.rubrics += 1
            header = [c.strip() for c in rows[0].text.split(" | ")]
            for r, u in enumerate(rows[1:], 1):
                cells = [c.strip() for c in u.text.split(" | ")]
                pairs = [f"{h}：{c}" if h and h != c else c
                         for h, c in zip(header + [""] * len(cells), cells, strict=False) if c]
                label = f"表{self.tables}第{r}行"
                self.emit(label, f"{label}：" + "；".join(pairs), [ClausePart("", "；".join(pairs))],
                          [u.text], u.location(), under=True)
            return
        if self.current is None:
            self.current = _OutlineOpen(None, None, rows[0].location())
        for u in rows:
            self.current.lines.append(u.text)
            self.current.tables.append(u.text)


def _title_only(rest: str) -> bool:
    """A numbered line's own text that is just a heading ("总体要求", "指导思想。")."""
    body = rest.rstrip("。.:：")
    return len(body) <= _MAX_OUTLINE_TITLE and not re.search(r"[。；;，,：:]", body)


def _split_outline(units: list[_Unit], running: list[str], file_type: str, file_name: str) -> Regulation:
    scheme = _outline_scheme(units)
    first = next((i for i, u in enumerate(units)
                  if u.kind != "table" and _outline_node(u.text, scheme) is not None), len(units))
    title, used = _find_title(units, first)
    if title is None:
        title = running[0] if running else _file_stem(file_name)
    body = [u for i, u in enumerate(units)
            if i not in used and not (i < first and u.kind != "table" and _TOC_RE.fullmatch(u.text))]
    splitter = _OutlineSplitter(scheme)
    splitter.feed(body)
    if scheme == "decimal":
        levels = tuple(f"{'.'.join(['1'] * (r - 10))}" for r in sorted(splitter.ranks))
    else:
        names = {1: "一、", 2: "（一）", 3: "1."}
        levels = tuple(names[r] for r in sorted(splitter.ranks))
    return Regulation(title=title, clauses=tuple(splitter.clauses), file_type=file_type,
                      structure=Structure("编号" if levels else "段落", levels, splitter.rubrics))


def _file_stem(file_name: str) -> str:
    base = os.path.basename(file_name.strip())
    return os.path.splitext(base)[0] or base or "未命名文件"


# --- plain text re-read line by line -----------------------------------------------------

_BLANK_LINE_RE = re.compile(r"\n\s*\n")


def _text_with_lines(data: bytes, parsed: ParsedDocument) -> ParsedDocument:
    """``parsed`` (from ``parse_text``) with each paragraph's line breaks kept.

    Paragraphs are the same blocks ``parse_text`` makes (so their numbers match); only
    their text keeps its lines, "\\n"-separated, instead of being joined.
    """
    text = decode_text(data)
    if text is None:
        return parsed
    text = normalize_text(text)
    if _BLANK_LINE_RE.search(text):
        blocks = [[line.strip() for line in block.split("\n")] for block in _BLANK_LINE_RE.split(text)]
    else:
        blocks = [[line.strip()] for line in text.split("\n")]
    texts = ["\n".join(line for line in block if line) for block in blocks]
    texts = [t for t in texts if t]
    if len(texts) != len(parsed.paragraphs):
        return parsed
    paragraphs = tuple(Paragraph(text=t, kind="text", index=i) for i, t in enumerate(texts, 1))
    return ParsedDocument(file_type=parsed.file_type, paragraphs=paragraphs, warnings=parsed.warnings)


def parse_regulation(data: bytes, file_name: str) -> Regulation:
    """Parse a .docx/.pdf/.txt/.md regulation into clauses.

    Raises the ``DocumentRejected`` subclasses of ``parse_document`` (empty, image-only,
    encrypted … files) and ``NotARegulation`` when no 章/条 structure is found.
    """
    parsed = parse_document(data, file_name)
    if parsed.file_type == "txt":
        parsed = _text_with_lines(data, parsed)
    return split_regulation(parsed, file_name)
