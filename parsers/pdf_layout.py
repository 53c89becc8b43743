"""A PDF page's layout from pdfium: characters in the order they stand on the page, and
ruled tables, from the page's path objects and character boxes.

pdfium gives a page's text in the order of its content stream, which is the reading order
in most files but not all: LibreOffice, for one, writes quotation marks set in a Latin font
after the Chinese run they belong in (“三会一课” comes out as 三会一课“”). ``out_of_order``
sees this cheaply, from the rectangles pdfium makes of consecutive characters (one going back
to the left on the same line); such a page's characters are then put in lines by their
position and each line in order from the left (``page_chars``, ``lines_of``), as pdfplumber
does for every page.

A table is found where straight horizontal and vertical rules (stroked lines, rectangle
edges, thin filled bars, as Word, WPS and report generators draw cell borders) cross each
other. Between two neighbouring horizontal rules runs a row; the vertical rules that span
the row divide it into cells; a cell whose lower rule is missing in its column reaches down
into the next row (a vertically merged cell) and is read once, in its first row.

Each character goes, by the centre of its box, to the cell that holds it or to the text
outside the tables, and each is read in lines as above. This replaces pdfplumber's ``find_tables``,
which lays out the whole page with pdfminer first (about 100 ms a page against a few here).
"""

from __future__ import annotations

import ctypes
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

import pypdfium2.raw as pdfium_c

SNAP = 3.0  # rules this close (points) are one rule; pdfplumber's snap and join tolerance
MIN_EDGE = 3.0  # shorter strokes (a bar's ends, a tick) are not rules
MAX_SEGMENTS = 20_000  # a page drawn with more (a chart, a map) is not read for tables
MAX_FORM_DEPTH = 8
_MOVETO, _LINETO = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_LINETO  # curves are no rules


@dataclass
class Rule:
    """A straight rule: ``at`` is its y (horizontal) or x (vertical); it runs ``lo``..``hi``."""

    at: float
    lo: float
    hi: float

    def covers(self, lo: float, hi: float) -> bool:
        """Whether the rule runs (within SNAP) over all of ``lo``..``hi``."""
        return self.lo - SNAP <= lo and hi <= self.hi + SNAP


# A page shown turned (/Rotate) is read as shown: user space is turned the same way first.
# Row-vector matrices (a, b, c, d, e, f) for 0, 90, 180 and 270 degrees clockwise.
_TURNS = ((1.0, 0.0, 0.0, 1.0, 0.0, 0.0), (0.0, -1.0, 1.0, 0.0, 0.0, 0.0),
          (-1.0, 0.0, 0.0, -1.0, 0.0, 0.0), (0.0, 1.0, -1.0, 0.0, 0.0, 0.0))


def turn(page: Any) -> tuple:
    """The matrix that turns the pdfium page's (raw handle) user space the way it is shown."""
    quarter = pdfium_c.FPDFPage_GetRotation(page)
    return _TURNS[quarter if 0 <= quarter < 4 else 0]


def _box(m: tuple, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
    (x0, y0), (x1, y1) = _apply(m, left, bottom), _apply(m, right, top)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


Char = tuple[float, float, float, float, str]  # left, bottom, right, top (PDF space), the character


@dataclass
class Cell:
    x0: float
    top: float
    x1: float
    bottom: float  # PDF space: y grows upwards, so top > bottom
    chars: list[Char] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in lines_of(self.chars))

    def holds(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.bottom <= y <= self.top


@dataclass
class Table:
    rows: list[list[Cell]]  # top to bottom; cells left to right
    x0: float = field(init=False)
    x1: float = field(init=False)
    top: float = field(init=False)
    bottom: float = field(init=False)
    # Horizontal bands between the rules, top down: the lowest y of each, and the cells that
    # cross it (a merged cell in each band it spans) with their left edges, left to right.
    _band_floors: list[float] = field(init=False)
    _bands: list[tuple[list[float], list[Cell]]] = field(init=False)

    def __post_init__(self) -> None:
        cells = [cell for row in self.rows for cell in row]
        self.x0, self.x1 = min(c.x0 for c in cells), max(c.x1 for c in cells)
        self.top, self.bottom = max(c.top for c in cells), min(c.bottom for c in cells)
        floors = sorted({c.bottom for c in cells})
        self._band_floors, self._bands = floors, []
        for k, floor in enumerate(floors):
            ceiling = floors[k + 1] if k + 1 < len(floors) else self.top
            crossing = sorted((c for c in cells if c.bottom <= floor and c.top >= ceiling), key=lambda c: c.x0)
            self._bands.append(([c.x0 for c in crossing], crossing))

    def cell_at(self, x: float, y: float) -> Cell | None:
        """The cell holding (x, y), if any."""
        if not (self.x0 <= x <= self.x1 and self.bottom <= y <= self.top):
            return None
        band = bisect_right(self._band_floors, y) - 1
        if band < 0:
            return None
        lefts, cells = self._bands[band]
        i = bisect_right(lefts, x) - 1
        return cells[i] if i >= 0 and cells[i].holds(x, y) else None


def find_tables(page: Any) -> list[Table]:
    """Ruled tables on the pdfium page (raw handle), top to bottom; [] if none (or the page
    is drawn with too many strokes to be a page of text and tables)."""
    horizontal: list[Rule] = []
    vertical: list[Rule] = []
    budget = [MAX_SEGMENTS]
    if not _collect(page, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, turn(page),
                    horizontal, vertical, budget, 0):
        return []
    horizontal, vertical = _merge(horizontal), _merge(vertical)
    tables = [t for t in (_table(h, v) for h, v in _groups(horizontal, vertical)) if t is not None]
    return sorted(tables, key=lambda t: -t.top)


def _collect(parent: Any, count: Any, get: Any, matrix: tuple, horizontal: list[Rule],
             vertical: list[Rule], budget: list[int], depth: int) -> bool:
    """Add the straight axis-parallel strokes of ``parent``'s path objects (descending into
    form XObjects); False once more than MAX_SEGMENTS segments were seen."""
    own = pdfium_c.FS_MATRIX()
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    x, y = ctypes.c_float(), ctypes.c_float()
    for j in range(max(count(parent), 0)):
        obj = get(parent, j)
        if not obj:
            continue
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < MAX_FORM_DEPTH:
            if not pdfium_c.FPDFPageObj_GetMatrix(obj, own):
                continue
            inner = _compose((own.a, own.b, own.c, own.d, own.e, own.f), matrix)
            if not _collect(obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject,
                            inner, horizontal, vertical, budget, depth + 1):
                return False
            continue
        if kind != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        if not pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke) or (not fill.value and not stroke.value):
            continue  # a clipping or invisible path
        if not pdfium_c.FPDFPageObj_GetMatrix(obj, own):
            continue
        m = _compose((own.a, own.b, own.c, own.d, own.e, own.f), matrix)
        n = pdfium_c.FPDFPath_CountSegments(obj)
        budget[0] -= max(n, 0)
        if budget[0] < 0:
            return False
        start = here = None
        for k in range(max(n, 0)):
            segment = pdfium_c.FPDFPath_GetPathSegment(obj, k)
            if not segment or not pdfium_c.FPDFPathSegment_GetPoint(segment, x, y):
                continue
            point = _apply(m, x.value, y.value)
            kind = pdfium_c.FPDFPathSegment_GetType(segment)
            if kind == _MOVETO:
                start = here = point
                continue
            if kind == _LINETO and here is not None:
                _add(here, point, horizontal, vertical)
            here = point
            if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
                _add(here, start, horizontal, vertical)
                here = start
    return True


def _compose(inner: tuple, outer: tuple) -> tuple:
    """The matrix applying ``inner`` and then ``outer`` (PDF's row-vector convention)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: tuple, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def _add(p: tuple[float, float], q: tuple[float, float], horizontal: list[Rule], vertical: list[Rule]) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) <= 0.5 and abs(x1 - x0) >= MIN_EDGE:
        horizontal.append(Rule((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
    elif abs(x0 - x1) <= 0.5 and abs(y1 - y0) >= MIN_EDGE:
        vertical.append(Rule((x0 + x1) / 2, min(y0, y1), max(y0, y1)))


def _merge(rules: list[Rule]) -> list[Rule]:
    """Snap rules within SNAP of each other onto one line and join the pieces that touch
    (a row's border drawn cell by cell, a bar's two long edges)."""
    rules = sorted(rules, key=lambda r: r.at)
    lines: list[list[Rule]] = []
    for rule in rules:
        if lines and rule.at - lines[-1][0].at <= SNAP:
            lines[-1].append(rule)
        else:
            lines.append([rule])
    out: list[Rule] = []
    for line in lines:
        at = sum(r.at for r in line) / len(line)
        line.sort(key=lambda r: r.lo)
        current = Rule(at, line[0].lo, line[0].hi)
        for rule in line[1:]:
            if rule.lo <= current.hi + SNAP:
                current.hi = max(current.hi, rule.hi)
            else:
                out.append(current)
                current = Rule(at, rule.lo, rule.hi)
        out.append(current)
    return out


def _crosses(h: Rule, v: Rule) -> bool:
    return h.lo - SNAP <= v.at <= h.hi + SNAP and v.lo - SNAP <= h.at <= v.hi + SNAP


def _groups(horizontal: list[Rule], vertical: list[Rule]) -> list[tuple[list[Rule], list[Rule]]]:
    """Rules connected through crossings, one group per table."""
    parent = list(range(len(horizontal) + len(vertical)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(vertical)), key=lambda j: vertical[j].at)
    xs = [vertical[j].at for j in order]
    for i, h in enumerate(horizontal):  # only the vertical rules within the horizontal's reach
        for j in order[bisect_left(xs, h.lo - SNAP):bisect_right(xs, h.hi + SNAP)]:
            if _crosses(h, vertical[j]):
                parent[root(i)] = root(len(horizontal) + j)
    groups: dict[int, tuple[list[Rule], list[Rule]]] = {}
    for i, h in enumerate(horizontal):
        groups.setdefault(root(i), ([], []))[0].append(h)
    for j, v in enumerate(vertical):
        groups.setdefault(root(len(horizontal) + j), ([], []))[1].append(v)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


def _table(horizontal: list[Rule], vertical: list[Rule]) -> Table | None:
    """The cells a group of crossing rules encloses; None for fewer than two cells (a frame
    around a paragraph is not a table)."""
    ys = sorted({round(h.at, 1) for h in horizontal}, reverse=True)
    rows: list[list[Cell]] = []
    taken: list[Cell] = []  # merged cells reaching down into later rows
    for k in range(len(ys) - 1):
        top, bottom = ys[k], ys[k + 1]
        xs = sorted({v.at for v in vertical if v.covers(bottom, top)})
        row: list[Cell] = []
        for x0, x1 in zip(xs, xs[1:], strict=False):
            if x1 - x0 < MIN_EDGE:
                continue
            middle = (x0 + x1) / 2
            if any(c.x0 <= middle <= c.x1 and c.bottom < (top + bottom) / 2 < c.top for c in taken):
                continue
            if not _ruled(horizontal, top, x0, x1):
                continue  # no rule above: not a cell of this table
            low = k + 1
            while low < len(ys) - 1 and not _ruled(horizontal, ys[low], x0, x1):
                low += 1
            cell = Cell(x0, top, x1, ys[low])
            row.append(cell)
            if low > k + 1:
                taken.append(cell)
        if row:
            rows.append(row)
    if sum(len(row) for row in rows) < 2:
        return None
    return Table(rows)


def _ruled(horizontal: list[Rule], y: float, x0: float, x1: float) -> bool:
    """Whether a horizontal rule at ``y`` runs along ``x0``..``x1``."""
    return any(abs(h.at - y) <= SNAP and h.covers(x0, x1) for h in horizontal)


def out_of_order(textpage: Any, turned: tuple) -> bool:
    """Whether pdfium's character order goes back to the left within a line somewhere on the
    page as shown (``turned``: ``turn(page)``); its rectangles of consecutive characters
    tell, without reading every character."""
    previous = None
    for i in range(textpage.count_rects()):
        left, bottom, right, top = _box(turned, *textpage.get_rect(i))
        if previous is not None:
            p_left, p_bottom, p_right, p_top = previous
            overlap = min(top, p_top) - max(bottom, p_bottom)
            if overlap > 0.5 * min(top - bottom, p_top - p_bottom) and left < p_right - 1:
                return True
        previous = (left, bottom, right, top)
    return False


def page_chars(textpage: Any, turned: tuple, text: str | None = None) -> list[Char]:
    """The page's characters with their loose boxes (the font's advance and height, so a
    narrow "1" is as wide as it sets) as the page is shown (``turned``: ``turn(page)``),
    without the spaces and line breaks pdfium adds of its own (``lines_of`` puts spaces and
    breaks where the positions say). ``text``: the page's whole text range, if already read."""
    raw = textpage.raw
    box = pdfium_c.FS_RECTF()
    generated, loose = pdfium_c.FPDFText_IsGenerated, pdfium_c.FPDFText_GetLooseCharBox
    count = pdfium_c.FPDFText_CountChars(raw)
    if text is None:
        text = textpage.get_text_range(0, count)  # one call for all the characters' codes …
    if len(text) != count:  # … unless one lies outside the BMP (two code units): one by one
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, i)) for i in range(count))
    upright = turned == _TURNS[0]
    chars: list[Char] = []
    for i, char in enumerate(text):
        if char in "\r\n" or (char == " " and generated(raw, i) == 1) or not loose(raw, i, box):
            continue  # pdfium adds only spaces and line breaks of its own
        if upright:
            chars.append((box.left, box.bottom, box.right, box.top, char))
        else:
            chars.append((*_box(turned, box.left, box.bottom, box.right, box.top), char))
    return chars


SPACE_GAP = 0.2  # a gap wider than this share of the line's height is a space


def _middle(char: Char) -> float:
    return -(char[1] + char[3])


def lines_of(chars: list[Char]) -> list[tuple[float, str]]:
    """``chars`` as lines (top, text), top to bottom, each read from the left. A character
    joins a line when their heights overlap by half the smaller one (a quotation mark sits
    high, a comma low, on the same line). Characters much taller than most (a watermark
    across the page, a big title) are put in lines of their own first: one of them would
    otherwise join the lines it spans into one."""
    if len(chars) > 2:
        heights = sorted(c[3] - c[1] for c in chars)
        tall = TALL * heights[len(heights) // 2]
        big = [c for c in chars if c[3] - c[1] > tall]
        if big:
            rest = [c for c in chars if c[3] - c[1] <= tall]
            return sorted(_lines(rest) + _lines(big), key=lambda line: -line[0])
    return _lines(chars)


TALL = 1.8  # times the page's median character height


def _lines(chars: list[Char]) -> list[tuple[float, str]]:
    """``lines_of`` for characters of comparable height. Written for speed: it sees every
    character of a page read by position."""
    lines: list[tuple[float, float, list[Char]]] = []
    members: list[Char] = []
    low = high = 0.0
    for char in sorted(chars, key=_middle):
        bottom, top = char[1], char[3]
        if members:
            overlap = (top if top < high else high) - (bottom if bottom > low else low)
            smaller = top - bottom if top - bottom < high - low else high - low
            if overlap >= 0.5 * (smaller if smaller > 0.1 else 0.1):
                if bottom < low:
                    low = bottom
                if top > high:
                    high = top
                members.append(char)
                continue
            lines.append((low, high, members))
        members, low, high = [char], bottom, top
    if members:
        lines.append((low, high, members))
    out = []
    for low, high, members in lines:
        members.sort()
        gap = SPACE_GAP * (high - low)
        text: list[str] = []
        right = members[0][0]
        for left, _, char_right, _, char in members:
            if left - right > gap and text and text[-1] != " " and char != " ":
                text.append(" ")
            text.append(char)
            if char_right > right:
                right = char_right
        out.append((high, "".join(text)))
    return out


def split_by_tables(chars: list[Char], tables: list[Table]) -> list[Char]:
    """Put each character into the cell that holds its centre; return those outside."""
    outside = []
    for char in chars:
        cell = _cell_at(tables, (char[0] + char[2]) / 2, (char[1] + char[3]) / 2)
        if cell is None:
            outside.append(char)
        else:
            cell.chars.append(char)
    return outside


def _cell_at(tables: list[Table], x: float, y: float) -> Cell | None:
    for table in tables:
        cell = table.cell_at(x, y)
        if cell is not None:
            return cell
    return None
