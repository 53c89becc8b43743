"""How well paragraphs are mapped to indicators: micro P/R/F1 and a per-indicator table.

Runs the scorer over the labelled documents in ``bench/mapping_dev.toml`` (used while
tuning), ``bench/mapping_heldout.toml`` (written separately; its errors were looked at once)
and ``bench/mapping_test.toml`` (written last, never used for a change). Each
document is scored as one unit's material, headings included, and a paragraph counts as
mapped to an indicator when it is among that indicator's evidence.

    python -m bench.mapping_eval [--set dev|heldout|test|all] [--errors] [--config PATH]
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from kaohe.config import load_config
from scoring.engine import Scorer, SourceParagraph

HERE = Path(__file__).resolve().parent
SETS = {"dev": HERE / "mapping_dev.toml", "heldout": HERE / "mapping_heldout.toml",
        "test": HERE / "mapping_test.toml", "phenomena": HERE / "mapping_phenomena.toml"}
# Sets labelled for the add-ons too (争优创新 as "bonus", 违规失职 as "deduction"), and the
# split of a set whose documents carry one (only its test documents are measured here).
WITH_ADDONS = {"phenomena"}
SPLIT = {"phenomena": "test"}


@dataclass(frozen=True)
class Labelled:
    ref: str
    text: str
    style: str
    labels: frozenset[str]


def load_documents(path: Path, split: str | None = None) -> list[tuple[dict, list[SourceParagraph], list[Labelled]]]:
    """Each document (of ``split`` when given) as the scorer's paragraphs plus the labelled ones."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for doc in data["documents"]:
        if split is not None and doc.get("split") != split:
            continue
        paragraphs, labelled = [], []
        for i, block in enumerate(doc["blocks"], start=1):
            ref = f"{doc['id']}:{i}"
            if "heading" in block:
                paragraphs.append(SourceParagraph(ref, block["heading"], doc["id"], f"第{i}段",
                                                  "heading"))
            else:
                paragraphs.append(SourceParagraph(ref, block["text"], doc["id"], f"第{i}段"))
                labelled.append(Labelled(ref, block["text"], block.get("style", ""),
                                         frozenset(block["labels"])))
        out.append((doc, paragraphs, labelled))
    return out


def predict(scorer: Scorer, doc: dict, paragraphs: list[SourceParagraph], addons: bool = False
            ) -> dict[str, set[str]]:
    """Paragraph ref → the indicators it is evidence for (and the add-ons read in it)."""
    return predict_ranked(scorer, paragraphs, doc["category"], addons=addons)[0]


def predict_ranked(scorer: Scorer, paragraphs: list[SourceParagraph], category: str, *,
                   addons: bool = True) -> tuple[dict[object, set[str]], dict[object, str]]:
    """Paragraph ref → the labels the scorer gives it (indicator ids, and ``bonus`` /
    ``deduction`` for the add-on items read in it), and ref → its strongest indicator."""
    score = scorer.score(paragraphs, category)
    mapped: dict[object, set[str]] = {p.ref: set() for p in paragraphs}
    best: dict[object, tuple[float, str]] = {}
    for item in score.indicators:
        for ev in item.evidence:
            mapped[ev.paragraph.ref].add(item.indicator.id)
            key = (ev.weight, item.indicator.id)
            if ev.paragraph.ref not in best or key > best[ev.paragraph.ref]:
                best[ev.paragraph.ref] = key
    if addons:
        for label, items in (("bonus", score.bonus_items), ("deduction", score.deduction_items)):
            for add_on in items:
                mapped[add_on.paragraph.ref].add(label)
    return mapped, {ref: ind for ref, (_, ind) in best.items()}


@dataclass
class Tally:
    tp: Counter
    fp: Counter
    fn: Counter
    none_right: int = 0
    none_total: int = 0
    paragraphs: int = 0

    def prf(self, key: str | None = None) -> tuple[float, float, float]:
        tp = sum(self.tp.values()) if key is None else self.tp[key]
        fp = sum(self.fp.values()) if key is None else self.fp[key]
        fn = sum(self.fn.values()) if key is None else self.fn[key]
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(scorer: Scorer, path: Path, errors: list[str] | None = None, *, addons: bool = False,
             split: str | None = None) -> Tally:
    """Score every document of one set and count hits, false alarms and misses."""
    tally = Tally(Counter(), Counter(), Counter())
    for doc, paragraphs, labelled in load_documents(path, split):
        mapped = predict(scorer, doc, paragraphs, addons)
        for item in labelled:
            got = mapped.get(item.ref, set())
            tally.paragraphs += 1
            for ind in got & item.labels:
                tally.tp[ind] += 1
            for ind in got - item.labels:
                tally.fp[ind] += 1
            for ind in item.labels - got:
                tally.fn[ind] += 1
            if not item.labels:
                tally.none_total += 1
                tally.none_right += not got
            if errors is not None and got != item.labels:
                errors.append(f"{item.ref} [{item.style}] want {sorted(item.labels)} got {sorted(got)}"
                              f"\n    {item.text[:110]}")
    return tally


def report(name: str, tally: Tally, names: dict[str, str]) -> str:
    p, r, f = tally.prf()
    lines = [f"== {name}: {tally.paragraphs} paragraphs, {tally.none_total} labelled none ==",
             f"micro  P {p:.3f}  R {r:.3f}  F1 {f:.3f}",
             f"none-paragraphs left unmapped: {tally.none_right}/{tally.none_total}",
             f"{'indicator':<24}{'P':>7}{'R':>7}{'F1':>7}{'n':>5}"]
    names = {k: v for k, v in names.items() if tally.tp[k] + tally.fn[k] + tally.fp[k]}  # labels in play
    for ind, label in names.items():
        ip, ir, jf = tally.prf(ind)
        n = tally.tp[ind] + tally.fn[ind]
        lines.append(f"{label:<20}{ip:>7.3f}{ir:>7.3f}{jf:>7.3f}{n:>5}")
    worst = min(tally.prf(ind)[2] for ind in names)
    lines.append(f"lowest per-indicator F1: {worst:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=(*SETS, "all"), default="all")
    parser.add_argument("--errors", action="store_true", help="list every wrong paragraph")
    parser.add_argument("--config", default=str(HERE.parent / "config.toml"))
    args = parser.parse_args(argv)
    config = load_config(args.config)
    scorer = Scorer(config.scoring)
    names = {ind.id: ind.name for ind in config.scoring.all_indicators()}
    names |= {"bonus": config.scoring.bonus.name, "deduction": config.scoring.deduction.name}
    chosen = [k for k in SETS if SETS[k].exists()] if args.set == "all" else [args.set]
    combined = Tally(Counter(), Counter(), Counter())
    for key in chosen:
        errors: list[str] | None = [] if args.errors else None
        tally = evaluate(scorer, SETS[key], errors, addons=key in WITH_ADDONS, split=SPLIT.get(key))
        print(report(key, tally, names))
        if errors:
            print("\n".join(errors))
        print()
        combined.tp += tally.tp
        combined.fp += tally.fp
        combined.fn += tally.fn
        combined.none_right += tally.none_right
        combined.none_total += tally.none_total
        combined.paragraphs += tally.paragraphs
    if len(chosen) > 1:
        print(report("all", combined, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
