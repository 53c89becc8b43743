"""Mapping figures on the real-text set: micro and per-label P/R/F1, none-accuracy, top-1.

Reads the texts rebuilt into a folder (see ``bench/realtext.py``) and scores each source as
one unit's material, headings included. A paragraph's predicted labels are the indicators
it is evidence for plus ``bonus`` / ``deduction`` when an add-on item is read in it.

    python -m bench.realtext eval [--dir DIR] [--split train|dev|test|all] [--errors]

``--errors`` lists the wrong paragraphs; it refuses the test split, whose errors are never
printed (the split the figures are reported on, never used for tuning).
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.mapping_eval import predict_ranked
from bench.realtext import ADDON_LABELS, LABELS, MANIFEST, RealSource, rebuild
from kaohe.config import load_config
from scoring.engine import Scorer, SourceParagraph

ROOT = Path(__file__).resolve().parent.parent
CATEGORY = "市直部门"


@dataclass
class Figures:
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    paragraphs: int = 0
    none_total: int = 0
    none_right: int = 0
    top1_total: int = 0
    top1_right: int = 0

    def prf(self, labels: tuple[str, ...] | None = None) -> tuple[float, float, float]:
        keys = labels if labels is not None else tuple(set(self.tp) | set(self.fp) | set(self.fn))
        tp = sum(self.tp[k] for k in keys)
        fp = sum(self.fp[k] for k in keys)
        fn = sum(self.fn[k] for k in keys)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def source_paragraphs(source: RealSource) -> tuple[list[SourceParagraph], dict[object, frozenset[str]]]:
    """The source's blocks as one unit's material, and ref → gold labels for the labelled ones."""
    paragraphs, gold = [], {}
    by_text = {p.text: p for p in source.paragraphs}
    n = 0
    for i, block in enumerate(source.blocks, start=1):
        ref = f"{source.id}:{i}"
        kind = "heading" if block.kind == "heading" else "text"
        paragraphs.append(SourceParagraph(ref, block.text, f"{source.id}.txt", f"第{i}段", kind))
        if kind == "text":
            n += 1
            labelled = by_text.get(block.text)
            if labelled is not None and labelled.index == n:
                gold[ref] = labelled.labels
    return paragraphs, gold


def evaluate(scorer: Scorer, sources: list[RealSource], errors: list[str] | None = None) -> Figures:
    figures = Figures()
    for source in sources:
        paragraphs, gold = source_paragraphs(source)
        mapped, best = predict_ranked(scorer, paragraphs, CATEGORY)
        text = {p.ref: p.text for p in paragraphs}
        for ref, want in gold.items():
            got = mapped.get(ref, set())
            figures.paragraphs += 1
            for label in got & want:
                figures.tp[label] += 1
            for label in got - want:
                figures.fp[label] += 1
            for label in want - got:
                figures.fn[label] += 1
            if not want:
                figures.none_total += 1
                figures.none_right += not got
            indicators = want - set(ADDON_LABELS)
            if indicators:
                figures.top1_total += 1
                figures.top1_right += best.get(ref) in indicators
            if errors is not None and got != want:
                errors.append(f"{ref} want {sorted(want)} got {sorted(got)}\n    {text[ref][:120]}")
    return figures


def report(name: str, figures: Figures, names: dict[str, str]) -> str:
    p, r, f = figures.prf(LABELS)
    ip, ir, i_f = figures.prf(tuple(k for k in LABELS if k not in ADDON_LABELS))
    none = figures.none_right / figures.none_total if figures.none_total else 0.0
    top1 = figures.top1_right / figures.top1_total if figures.top1_total else 0.0
    lines = [f"== real text, {name}: {figures.paragraphs} paragraphs, {figures.none_total} labelled none ==",
             f"micro (9 indicators + 2 add-ons)  P {p:.3f}  R {r:.3f}  F1 {f:.3f}",
             f"micro (9 indicators)              P {ip:.3f}  R {ir:.3f}  F1 {i_f:.3f}",
             f"none-accuracy {none:.3f} ({figures.none_right}/{figures.none_total})   "
             f"top-1 {top1:.3f} ({figures.top1_right}/{figures.top1_total})",
             f"{'label':<22}{'P':>7}{'R':>7}{'F1':>7}{'n':>5}"]
    for label in LABELS:
        lp, lr, lf = figures.prf((label,))
        n = figures.tp[label] + figures.fn[label]
        lines.append(f"{names.get(label, label):<18}{lp:>7.3f}{lr:>7.3f}{lf:>7.3f}{n:>5}")
    lowest = min(figures.prf((label,))[2] for label in LABELS)
    lines.append(f"lowest per-label F1: {lowest:.3f}")
    return "\n".join(lines)


def run(folder: Path, split: str, show_errors: bool, config_path: Path | None = None) -> int:
    if not folder.is_dir():
        print(f"The real texts are not there: {folder} does not exist, so there are no real-text "
              f"figures. Rebuild the folder from {MANIFEST.name} (python -m bench.realtext check "
              "explains how) or pass --dir.")
        return 1
    if show_errors and split in ("test", "all"):
        print("--errors is refused on the test split: its errors are never printed while tuning.")
        return 2
    sources, problems = rebuild(folder)
    if problems:
        print(f"{len(problems)} sources are missing or changed (python -m bench.realtext check lists them)")
    config = load_config(config_path or ROOT / "config.toml")
    scorer = Scorer(config.scoring)
    names = {ind.id: ind.name for ind in config.scoring.all_indicators()}
    names |= {"bonus": config.scoring.bonus.name, "deduction": config.scoring.deduction.name}
    splits = ("train", "dev", "test") if split == "all" else (split,)
    for name in splits:
        chosen = [s for s in sources if s.split == name]
        if not chosen:
            print(f"== real text, {name}: no sources ==")
            continue
        errors: list[str] | None = [] if show_errors else None
        print(report(name, evaluate(scorer, chosen, errors), names))
        if errors:
            print("\n".join(errors))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."), "dev", False))
