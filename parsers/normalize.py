"""Text clean-up shared by all parsers, and re-joining of PDF lines into paragraphs.

``normalize_text`` applies NFKC (real PDFs emit Kangxi radicals such as ``⽣`` U+2F63 for
``生``; NFKC also turns full-width digits and letters into half-width), drops zero-width characters and
stray control characters, collapses runs of spaces/tabs and strips every line. Enclosed
list numbers (``①``, ``⑴``, ``❶`` …) are kept as they are, because NFKC would turn them
into plain digits and lose the list marker; so is full-width Chinese punctuation (，：；（）).

``join_broken_lines`` undoes the line wrapping of a PDF page: a line that does not end a
sentence is joined with the next one unless that one starts a new list item or heading,
or the line is much shorter than the page's typical line (a short line ends a paragraph
or is a heading). Lines that are only a page number are dropped.
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width and invisible formatting characters removed outright.
# U+FFFE is what pdfium puts where it removed a line-end hyphen ("docu\ufffement").
_ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\ufffe\uffff"
_ZERO_WIDTH_RE = re.compile(f"[{_ZERO_WIDTH}]")
# Kept as they are by NFKC: enclosed numerals (list markers NFKC would flatten into bare
# digits) and full-width Chinese punctuation (，：；！？（）… belong in Chinese text; NFKC
# would make them ASCII). Full-width digits, letters, ％ and ． are still converted.
_KEEP_RE = re.compile(
    "[\u2460-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf"
    "\uff01\uff02\uff07\uff08\uff09\uff0c\uff1a\uff1b\uff1f\uff3b\uff3d\uff5b\uff5d\uff5e]"
)
# Control characters other than newline/tab are dropped; form feed / VT become newlines.
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_NEWLINES_RE = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SPACES_RE = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NL_RE = re.compile(r" *\n *")


def _nfkc(s: str) -> str:
    """NFKC-normalise ``s`` but leave list numbers (①, ⑴ …) and Chinese punctuation untouched."""
    if not _KEEP_RE.search(s):
        return unicodedata.normalize("NFKC", s)
    out: list[str] = []
    pos = 0
    for m in _KEEP_RE.finditer(s):
        out.append(unicodedata.normalize("NFKC", s[pos : m.start()]))
        out.append(m.group())
        pos = m.end()
    out.append(unicodedata.normalize("NFKC", s[pos:]))
    return "".join(out)


def normalize_text(s: str) -> str:
    """Return ``s`` NFKC-normalised, without zero-width chars, spaces collapsed, stripped.

    Newlines are kept (as ``\\n``) so callers can still split the text into lines; spaces
    around them are removed.
    """
    if not s:
        return ""
    s = _NEWLINES_RE.sub("\n", s)
    s = _ZERO_WIDTH_RE.sub("", s)
    s = _nfkc(s)
    s = _ZERO_WIDTH_RE.sub("", s)
    s = _CONTROL_RE.sub("", s)
    s = _SPACES_RE.sub(" ", s)
    s = _SPACE_AROUND_NL_RE.sub("\n", s)
    return s.strip()


# East Asian Wide/Full-width ranges (CJK, kana, Hangul, full-width forms).
_WIDE_RE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6"
    "\U00020000-\U0003fffd]"
)


def is_wide(ch: str) -> bool:
    """True for characters that take two columns (CJK ideographs, kana, full-width forms)."""
    return bool(_WIDE_RE.match(ch))


def display_width(s: str) -> int:
    """Width of ``s`` in columns: wide (CJK) characters count 2, others 1."""
    return len(s) + len(_WIDE_RE.findall(s))


def join_pair(left: str, right: str) -> str:
    """Join two pieces of one paragraph: no space next to CJK, one space between Latin words."""
    if not left:
        return right
    if not right:
        return left
    a, b = left[-1], right[0]
    if is_wide(a) or is_wide(b):
        return left + right
    if a == "-" and len(left) > 1 and left[-2].isalpha():
        return left + right  # hyphenated word split over two lines
    return left + " " + right


# --- join_broken_lines --------------------------------------------------------------

# Sentence-final punctuation (NFKC has already turned most full-width forms into ASCII).
_FINAL = set("。！？；：…!?;:.．｡")
# Closing quotes/brackets that may follow the final punctuation.
_CLOSERS = set("”’\"'）)】]》」』〉>}")

_CN_NUM = "一二三四五六七八九十百零〇两"
_MARKER_RE = re.compile(
    "|".join(
        [
            rf"[{_CN_NUM}]+\s*[、.．]",  # 一、 二.
            rf"[（(]\s*[{_CN_NUM}]+\s*[)）]",  # （一）
            r"[（(]\s*\d{1,3}\s*[)）]",  # (1) （1）
            r"\d{1,3}\s*[、)）]",  # 1、 1)
            r"\d{1,3}\s*[.．](?!\d)",  # 1.   (but not 3.5)
            r"\d{1,3}(?:\.\d{1,3})+\s",  # 1.2 标题
            rf"第\s*[{_CN_NUM}\d]+\s*[章节条篇部款编卷]",  # 第三章 第5条
            "[\u2460-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]",  # ① ⑴ ❶
            r"[A-Za-z]\s*[、)）]",  # a) A、
            r"[A-Z]\.\s",  # A. Title
            "[•·\u2022\u2023\u2043\u25cf\u25cb\u25a0\u25a1\u25c6\u25c7\u25aa\u25b6\u25ba\u2605\u2606\u203b\u2714\u2713\u27a2\u00b7\\-*]",  # bullets
        ]
    )
)

_DECORATED_PAGE_NUMBER_RE = re.compile(
    "|".join(
        [
            r"[-—–~·]+\s*\d{1,4}\s*[-—–~·]+",  # - 3 -   —3—
            r"(?:共\s*\d{1,4}\s*页\s*[,，]?\s*)?第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?",
            r"(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?",  # Page 3 of 10
        ]
    ),
    re.IGNORECASE,
)
# Bare "3" or "3/10": only dropped near the top or bottom of the block (a lone number in
# the middle of a page is more likely a table value).
_BARE_PAGE_NUMBER_RE = re.compile(r"\d{1,4}(?:\s*/\s*\d{1,4})?")
_EDGE_LINES = 2

# A line narrower than this share of the typical line width ends its paragraph.
_SHORT_RATIO = 0.7
# …and a line narrower than this many columns is never treated as wrapped.
_MIN_FULL_WIDTH = 20


def is_page_number(line: str, *, at_edge: bool = True) -> bool:
    """True if ``line`` is only a page number ("- 3 -", "第3页 共10页", "3/10", "3")."""
    s = line.strip()
    if not s:
        return False
    if _DECORATED_PAGE_NUMBER_RE.fullmatch(s):
        return True
    return at_edge and bool(_BARE_PAGE_NUMBER_RE.fullmatch(s))


def starts_with_marker(line: str) -> bool:
    """True if ``line`` starts with a list or heading marker (一、 （一） 1. 第X章 ① • …)."""
    return bool(_MARKER_RE.match(line.lstrip()))


def ends_sentence(line: str) -> bool:
    """True if ``line`` ends with sentence-final punctuation (optionally then a closing quote)."""
    s = line.rstrip()
    while s and s[-1] in _CLOSERS:
        s = s[:-1]
    return bool(s) and s[-1] in _FINAL


def typical_width(lines: list[str]) -> float:
    """Typical (75th-percentile) display width of the non-empty ``lines``."""
    widths = sorted(display_width(s) for s in lines if s.strip())
    if not widths:
        return 0.0
    return float(widths[int(0.75 * (len(widths) - 1) + 0.5)])


def join_broken_lines(
    lines: list[str], *, typical: float | None = None, edge_lines: int = _EDGE_LINES
) -> list[str]:
    """Re-join lines wrapped mid-sentence into paragraphs and drop page-number lines.

    ``lines`` are one block (usually one PDF page), already normalised. Empty lines always
    end a paragraph. ``typical`` overrides the typical line width computed from ``lines``;
    a bare number ("3", "3/10") counts as a page number only among the first and last
    ``edge_lines`` non-empty lines.
    """
    cleaned = [s.strip() for s in lines]
    nonempty = [i for i, s in enumerate(cleaned) if s]
    edge = set(nonempty[:edge_lines] + nonempty[-edge_lines:]) if edge_lines > 0 else set()
    kept: list[str] = []
    for i, s in enumerate(cleaned):
        if s and is_page_number(s, at_edge=i in edge):
            continue
        kept.append(s)
    if typical is None:
        typical = typical_width(kept)
    full = max(_SHORT_RATIO * typical, _MIN_FULL_WIDTH)

    paragraphs: list[str] = []
    current = ""
    current_last = ""  # last physical line of the current paragraph
    for s in kept:
        if not s:
            if current:
                paragraphs.append(current)
            current = current_last = ""
            continue
        if current and _continues(current_last, s, full):
            current = join_pair(current, s)
        else:
            if current:
                paragraphs.append(current)
            current = s
        current_last = s
    if current:
        paragraphs.append(current)
    return paragraphs


def _continues(prev_line: str, line: str, full: float) -> bool:
    """Whether ``line`` continues the paragraph whose last physical line is ``prev_line``."""
    if ends_sentence(prev_line) or starts_with_marker(line):
        return False
    return display_width(prev_line) >= full
