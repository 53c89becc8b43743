"""Evaluation of regulation answers on the team's question set (bench/qa_eval.toml).

Run with ``.venv/bin/python -m bench.qa_eval`` (after ``scripts/test`` has set up .venv).
Loads the shipped example regulations (config's [qa] folder, with their question forms
and out-of-scope examples) into a temporary database, asks every question the way the bot
does (no FAQ answers, no live-data shortcut), and prints top-1 and top-3 accuracy (overall
and for direct / paraphrased questions) and the precision and recall of "no answer".

Two sets: ``bench/qa_eval.toml`` (the development set, used while tuning) and
``bench/qa_heldout.toml`` (written separately and not used for tuning). Neither was seen
by whoever wrote the question forms and out-of-scope examples. ``--verbose`` lists every
miss.
"""

from __future__ import annotations

import argparse
import tempfile
import tomllib
from dataclasses import replace
from pathlib import Path

from kaohe.config import load_config
from kaohe.qa import Regulations
from storage.store import Store

ROOT = Path(__file__).resolve().parents[1]
SETS = {"dev": ROOT / "bench" / "qa_eval.toml", "held-out": ROOT / "bench" / "qa_heldout.toml"}


def clause_key(clause: dict) -> str:
    """``kaohe_banfa#第十二条``: the file's stem and the article, as the eval set names them."""
    return f"{Path(clause['file_name'] or '').stem}#{clause.get('article') or ''}"


def evaluate(qa: Regulations, questions: list[dict], unanswerable: list[dict]) -> dict:
    """Ask everything; return the counts and the misses."""
    result = {"top1": 0, "top3": 0, "n": len(questions), "by_style": {}, "misses": [],
              "none_said": 0, "none_right": 0, "unanswerable": len(unanswerable), "none_caught": 0}
    for item in questions:
        ans = qa.answer(item["q"])
        ranked = [qa.clause(h.doc_id) for h in ans.hits[:3]]
        keys = [clause_key(c) for c in ranked]
        said = clause_key(ans.clause) if ans.kind == "clause" else None
        top1 = said in item["expect"]
        top3 = ans.kind == "clause" and any(k in item["expect"] for k in keys)
        style = result["by_style"].setdefault(item.get("style", "direct"), [0, 0, 0])
        style[0] += 1
        style[1] += top1
        style[2] += top3
        result["top1"] += top1
        result["top3"] += top3
        if ans.kind == "none":
            result["none_said"] += 1
        if not top1:
            cov = ans.hits[0].coverage if ans.hits else 0.0
            result["misses"].append((item["q"], item["expect"], said or "（无答案）", keys, round(cov, 2)))
    for item in unanswerable:
        ans = qa.answer(item["q"])
        if ans.kind == "none":
            result["none_said"] += 1
            result["none_right"] += 1
            result["none_caught"] += 1
        else:
            cov = ans.hits[0].coverage if ans.hits else 0.0
            result["misses"].append((item["q"], ["（应无答案）"], clause_key(ans.clause), [], round(cov, 2)))
    return result


def report(name: str, r: dict, verbose: bool) -> None:
    """Print one set's figures."""
    n = r["n"]
    print(f"\n== {name}: {n} questions with an answer, {r['unanswerable']} the regulations do not answer")
    print(f"top-1 accuracy: {r['top1']}/{n} = {r['top1'] / n:.1%}")
    print(f"top-3 accuracy: {r['top3']}/{n} = {r['top3'] / n:.1%}")
    for style, (total, t1, t3) in sorted(r["by_style"].items()):
        print(f"  {style:<10} {total:>3} questions: top-1 {t1 / total:.1%}, top-3 {t3 / total:.1%}")
    precision = r["none_right"] / r["none_said"] if r["none_said"] else 0.0
    recall = r["none_caught"] / r["unanswerable"] if r["unanswerable"] else 0.0
    print(f"no-answer precision: {r['none_right']}/{r['none_said']} = {precision:.1%}")
    print(f"no-answer recall:    {r['none_caught']}/{r['unanswerable']} = {recall:.1%}")
    if verbose:
        for q, expect, said, keys, cov in r["misses"]:
            print(f"MISS {q} | expected {expect} | answered {said} | top3 {keys} | coverage {cov}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    parser.add_argument("--set", choices=[*SETS, "all"], default="all", help="which question set")
    parser.add_argument("--no-vectors", action="store_true", help="words only ([qa] vectors = false)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = load_config(ROOT / "config.toml")
        config = replace(base, storage_dir=Path(tmp), qa=replace(base.qa, vectors=not args.no_vectors))
        store = Store(tmp)
        qa = Regulations(config, store)
        loaded = qa.start()
        print(f"regulations: {', '.join(f'{x.title} ({x.clauses} clauses, {x.examples} question forms)' for x in loaded)}")
        print(f"out-of-scope examples: {sum(1 for e in qa.examples() if e['kind'] == 'none')}; "
              f"sentence vectors: {'on' if qa.encoder else 'off'}")
        for name, path in SETS.items():
            if args.set in (name, "all"):
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                report(name, evaluate(qa, data["questions"], data["unanswerable"]), args.verbose)
        store.close()


if __name__ == "__main__":
    main()
