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
    "{name}中没有找到“第一条”“第一章”这样的条款结构，不像是规章制度文件。"
    "请上传管理办法或实施细则的 .docx、.pdf、.md 或 .txt 文件。"
)

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
class Regulation:
    """A regulation's title and its clauses in document order."""

    title: str
    clauses: tuple[Clause, ...]
    file_type: str


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
_TITLE_WORDS = re.compile(r"办法|细则|规定|规则|制度|方案|条例|章程|准则|标准|意见|规范|守则|通知")
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
    )


def _find_title(units: list[_Unit], first_structural: int) -> tuple[str | None, set[int]]:
    """The title among the units before the first 章/条 and the indexes it used."""
    candidates = [i for i in range(first_structural) if _title_like(units[i])]
    if not candidates:
        return None, set()
    chosen = next((i for i in candidates if _TITLE_WORDS.search(units[i].text)), None)
    if chosen is None:
        chosen = next((i for i in candidates if units[i].kind == "heading"), candidates[0])
    title, used = _tighten(units[chosen].text), {chosen}
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
    """Split a parsed document into clauses; raise ``NotARegulation`` if it has no 章/条."""
    markdown = os.path.splitext(file_name.strip().lower())[1] in (".md", ".markdown")
    units, running = _units(parsed, markdown)
    kinds = [(_structural(u.text) if u.kind != "table" else None) for u in units]
    chapters = sum(1 for k in kinds if k is not None and k.kind == "chapter")
    articles = sum(1 for k in kinds if k is not None and k.kind == "article")
    if articles < 2 and chapters < 2 and not (chapters and articles):
        base = os.path.basename(file_name.strip())
        name = f"《{base}》" if base else "文件"
        raise NotARegulation(NOT_A_REGULATION_REASON.format(name=name))
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
    return Regulation(title=title, clauses=tuple(splitter.clauses), file_type=parsed.file_type)


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
