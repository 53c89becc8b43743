"""The export's charts as PNG bytes (matplotlib, Agg): score distribution, indicator coverage
by unit category, submission progress over time.

Chinese labels need a CJK font. ``scripts/setup.sh`` installs one (Debian's
fonts-wqy-microhei) when the machine has none; ``cjk_font`` finds it by file, so a font
installed after matplotlib built its cache is still used, and ``MissingCJKFont`` is raised
rather than drawing empty boxes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from kaohe.writers import MissingCJKFont  # noqa: E402

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))
# File names of common free CJK fonts, most wanted first.
FONT_FILES = ("wqy-microhei.ttc", "wqy-zenhei.ttc", "NotoSansCJK-Regular.ttc", "NotoSansSC-Regular.otf",
              "NotoSansCJKsc-Regular.otf", "SourceHanSansSC-Regular.otf", "DroidSansFallbackFull.ttf",
              "msyh.ttc", "simhei.ttf", "simsun.ttc")
DPI = 150


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family name of an installed CJK font (registered with matplotlib)."""
    for directory in FONT_DIRS:
        root = Path(directory)
        if not root.is_dir():
            continue
        for name in FONT_FILES:
            for path in root.rglob(name):
                font_manager.fontManager.addfont(str(path))
                return font_manager.FontProperties(fname=str(path)).get_name()
    raise MissingCJKFont(
        "没有找到中文字体，图表中的汉字会显示为方框。请运行 ./scripts/run 或 ./scripts/test"
        "（会安装 fonts-wqy-microhei），或手动安装任一中文字体（如 apt-get install fonts-wqy-microhei）。")


def _figure(width: float = 8, height: float = 4.5):
    plt.rcParams["font.family"] = [cjk_font()]
    plt.rcParams["axes.unicode_minus"] = False
    return plt.subplots(figsize=(width, height), dpi=DPI)


def _png(fig, description: str = "") -> bytes:
    """The figure as PNG bytes, its title (and ``description``: what a reader cannot take
    from the picture's pixels, e.g. the dates of the lines drawn) in the file's text fields."""
    out = io.BytesIO()
    fig.tight_layout()
    title = next((ax.get_title() for ax in fig.axes if ax.get_title()), "")
    fig.savefig(out, format="png", metadata={"Title": title or None, "Description": description or None,
                                             "Software": "考核助手"})
    plt.close(fig)
    return out.getvalue()


BAR_COLOR, GRADE_COLOR, LABEL_COLOR = "#3b6ea8", "#c0392b", "#1f2d3d"
HEADROOM = 1.35  # the y axis reaches this far above the tallest bar: its count, then the grade names


def score_distribution_figure(totals: Sequence[float], full_marks: float,
                              grade_lines: Sequence[tuple[str, float]], title: str):
    """The histogram of ``score_distribution`` as a matplotlib figure (not yet closed)."""
    fig, ax = _figure()
    percents = [min(100.0, max(0.0, t / full_marks * 100)) for t in totals] if full_marks else []
    bins = list(range(0, 105, 5))
    counts, _, bars = ax.hist(percents, bins=bins, color=BAR_COLOR, edgecolor="white")
    tallest = max((int(c) for c in counts), default=0)
    # Room above the tallest bar for its count and, above that, the grade names: no label
    # is drawn over a bar.
    top = max(1, tallest) * HEADROOM + 0.6
    ax.set_ylim(0, top)
    for count, bar in zip(counts, bars, strict=True):
        if count:
            ax.annotate(f"{int(count)}", (bar.get_x() + bar.get_width() / 2, count), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=10,
                        color=LABEL_COLOR)
    for name, lower in grade_lines:
        ax.axvline(lower, color=GRADE_COLOR, linestyle="--", linewidth=1)
        ax.text(lower + 0.5, top * 0.98, f"{name} ≥{lower:g}", color=GRADE_COLOR, fontsize=9, va="top",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})
    ax.set_xlim(0, 100)
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("得分（占满分的百分比）")
    ax.set_ylabel("单位数")
    ax.set_title(title)
    if not percents:
        ax.text(50, top / 2, "暂无得分", ha="center", va="center", fontsize=14)
    return fig


def score_distribution(totals: Sequence[float], full_marks: float, grade_lines: Sequence[tuple[str, float]],
                       title: str) -> bytes:
    """Histogram of unit totals (as % of full marks) with the grade thresholds marked and each
    bar's count above it."""
    return _png(score_distribution_figure(totals, full_marks, grade_lines, title))


def coverage_by_category(categories: Sequence[str], indicators: Sequence[str],
                         shares: Sequence[Sequence[float | None]], title: str) -> bytes:
    """Heat map: share of each category's units whose materials cover each indicator."""
    fig, ax = _figure(9, 1.6 + 0.55 * max(1, len(categories)))
    data = [[(v if v is not None else float("nan")) for v in row] for row in shares] or [[float("nan")]]
    image = ax.imshow(data, vmin=0, vmax=1, cmap="YlGn", aspect="auto")
    ax.set_yticks(range(len(categories)), labels=categories)
    ax.set_xticks(range(len(indicators)), labels=indicators, rotation=30, ha="right", fontsize=8)
    for i, row in enumerate(shares):
        for j, value in enumerate(row):
            ax.text(j, i, "—" if value is None else f"{value:.0%}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, format=matplotlib.ticker.PercentFormatter(1.0), fraction=0.03)
    ax.set_title(title)
    return _png(fig)


def submission_progress(days: Sequence[str], counts: Sequence[int], expected: int,
                        deadlines: Sequence[tuple[str, str]], title: str, start: str | None = None,
                        today: str | None = None) -> bytes:
    """Units that had submitted, day by day, against the number expected and the deadlines
    (name, local date) as they stand, listed in the file's Description too."""
    from datetime import date, timedelta

    from matplotlib.dates import DateFormatter

    fig, ax = _figure()
    xs = [date.fromisoformat(d) for d in days]
    marks = [date.fromisoformat(day) for _, day in deadlines]
    if xs:
        until = max(xs + ([date.fromisoformat(today)] if today else []))
        ax.step(xs + [until], list(counts) + [counts[-1]], where="post", color="#3b6ea8",
                linewidth=2, label="已提交单位数")
        ax.plot(xs, counts, "o", color="#3b6ea8", markersize=3)
    ax.axhline(expected, color="#7f8c8d", linestyle=":", label=f"应提交 {expected} 个")
    top = max(expected, max(counts, default=0)) * 1.08 + 1
    for n, ((name, _), day) in enumerate(zip(deadlines, marks, strict=True)):
        ax.axvline(day, color="#c0392b", linestyle="--", linewidth=1)
        # Beside its line (left of it), not on it.
        ax.text(day, top * (0.05 + 0.45 * (n % 2)), f"{name} ", rotation=90, color="#c0392b",
                fontsize=8, va="bottom", ha="right")
    known = xs + marks + ([date.fromisoformat(start)] if start else [])
    if known:
        ax.set_xlim(min(known) - timedelta(days=1), max(known) + timedelta(days=2))
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d"))
    ax.set_ylim(0, top)
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_ylabel("单位数")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    drawn = "；".join(f"{name.strip()} {day}" for name, day in deadlines)
    return _png(fig, f"截止时间：{drawn}" if drawn else "")
