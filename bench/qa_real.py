"""Regulation answers on real documents nobody here wrote question forms for.

Run with ``.venv/bin/python -m bench.qa_real [--split dev|test|all] [--errors] [--no-examples]``.

Loads the shipped example regulations (config's [qa] folder, with their question forms
and out-of-scope examples) and the twelve real regulations of ``../shared/real_regulations/``
(or ``$REAL_REGULATIONS``; third-party texts read from there, never copied) into a temporary
database, asks the questions of ``bench/qa_real.toml`` the way the bot does, and prints
top-1 / top-3 accuracy by kind, the precision and recall of "no answer", and the time per
question. Without the folder it says so and exits with status 2.

The questions are split by document (see the file's header); ``--errors`` lists the misses
of the dev split and is refused for the test split, whose errors are never printed while
tuning. Sentence vectors of the documents are kept between runs in ``bench-out/qa_vectors``
(derived data, not committed), so only the first run spends minutes encoding.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tomllib
from dataclasses import replace
from pathlib import Path

from kaohe.config import load_config
from kaohe.qa import Regulations
from scoring.embedding import MODEL_ID
from storage.store import Store

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "bench" / "qa_real.toml"
DEFAULT_DIR = ROOT.parent / "shared" / "real_regulations"
CACHE = ROOT / "bench-out" / "qa_vectors"


def real_dir() -> Path:
    return Path(os.environ.get("REAL_REGULATIONS") or DEFAULT_DIR)


def real_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.glob("*.md") if p.stem != "README")
    for k in DOC_KEYS:  # each key must name exactly one file
        if sum(k in p.stem for p in files) != 1:
            raise SystemExit(f"{folder}: no single file for the document key {k!r}")
    return files


# The question file names each document by a short key: the one file whose name holds it.
DOC_KEYS = ("xinxi_gongkai", "xinfang", "chufa", "fuyi", "xuke", "yingshang", "juece", "guizhang",
            "ducha", "sanxiang", "xinmeiti", "liangshi")


def doc_key(file_name: str) -> str:
    """The question file's key for a loaded file (the shipped examples keep their stem)."""
    stem = Path(file_name or "").stem
    found = [k for k in DOC_KEYS if k in stem]
    return found[0] if len(found) == 1 else stem


def key(clause: dict) -> tuple[str, str]:
    """(document key, label) of a clause, as the question file names them."""
    return doc_key(clause.get("file_name") or ""), clause.get("article") or ""


def gold_keys(item: dict, field: str) -> list[tuple[str, str]]:
    out = []
    for g in item.get(field, []):
        doc, _, label = g.rpartition("#")
        out.append((doc or item["doc"], label))
    return out


class Judge:
    """Whether a clause is an acceptable answer: the labelled clause itself, or, where the
    index has no clause with exactly that label (the splitter kept it whole or cut it
    finer), the clause that contains it or lies inside it."""

    def __init__(self, labels: set[tuple[str, str]]):
        self.labels = labels

    def ok(self, got: tuple[str, str] | None, wanted: list[tuple[str, str]]) -> bool:
        if got is None:
            return False
        for doc, label in wanted:
            if got == (doc, label):
                return True
            if got[0] == doc and (doc, label) not in self.labels and got[1] and (
                    label.startswith(got[1]) or got[1].startswith(label)):
                return True
        return False


def build(with_examples: bool, folder: Path, tmp: str, min_similarity: float | None = None
          ) -> tuple[Regulations, Store]:
    base = load_config(ROOT / "config.toml")
    if min_similarity is not None:
        base = replace(base, qa=replace(base.qa, min_similarity=min_similarity))
    qa_folder = base.regulations_dir if with_examples else None
    config = replace(base, storage_dir=Path(tmp))
    if qa_folder is None:
        config = replace(config, regulations_dir=None)
    store = Store(tmp)
    CACHE.mkdir(parents=True, exist_ok=True)
    cache = Store(str(CACHE))
    store.put_text_vectors(MODEL_ID, cache.text_vectors(MODEL_ID))
    qa = Regulations(config, store)
    qa.start()
    for path in real_files(folder):
        qa.load(path.read_bytes(), path.name, "bench", "bench")
    cache.put_text_vectors(MODEL_ID, store.text_vectors(MODEL_ID))
    cache.close()
    return qa, store


def evaluate(qa: Regulations, items: list[dict]) -> dict:
    labels = {key(c) for c in qa._clauses.values()}
    judge = Judge(labels)
    r = {"kinds": {}, "none_said": 0, "none_right": 0, "unanswerable": 0, "none_caught": 0,
         "misses": [], "ms": []}
    for item in items:
        t0 = time.perf_counter()
        ans = qa.answer(item["q"])
        r["ms"].append((time.perf_counter() - t0) * 1000)
        said = key(ans.clause) if ans.kind == "clause" else None
        ranked = [key(qa.clause(h.doc_id)) for h in ans.hits[:3]]
        if ans.kind == "none":
            r["none_said"] += 1
        if item["kind"] == "none":
            r["unanswerable"] += 1
            if ans.kind == "none":
                r["none_right"] += 1
                r["none_caught"] += 1
            else:
                r["misses"].append((item, said, ranked))
            continue
        wanted = gold_keys(item, "gold") + gold_keys(item, "also")
        top1 = judge.ok(said, wanted)
        top3 = ans.kind == "clause" and any(judge.ok(k, wanted) for k in ranked)
        # what the user sees first: the answer, or the nearest clause a "no clear answer" offers
        shown = said or (key(ans.related[0]) if ans.related else None)
        k = r["kinds"].setdefault(item["kind"], [0, 0, 0, 0, 0])
        k[0] += 1
        k[1] += top1
        k[2] += top3
        k[3] += judge.ok(shown, wanted)
        if item["kind"] == "scope":  # both documents quoted?
            quoted = {key(c)[0] for c in (ans.clause, ans.other) if c is not None}
            k[4] += len({d for d, _ in gold_keys(item, "gold")} & quoted) >= 2
        if not top1:
            r["misses"].append((item, said, ranked))
    return r


def report(name: str, r: dict, errors: bool) -> None:
    n = sum(v[0] for v in r["kinds"].values())
    t1 = sum(v[1] for v in r["kinds"].values())
    t3 = sum(v[2] for v in r["kinds"].values())
    print(f"\n== {name}: {n} questions with an answer, {r['unanswerable']} that no document answers")
    print(f"top-1 accuracy: {t1}/{n} = {t1 / n:.1%}   (target >= 80%)")
    print(f"top-3 accuracy: {t3}/{n} = {t3 / n:.1%}   (target >= 92%)")
    for kind, (total, a, b, _, both) in sorted(r["kinds"].items()):
        extra = f", both documents quoted {both}/{total}" if kind == "scope" else ""
        print(f"  {kind:<6} {total:>3} questions: top-1 {a / total:.1%}, top-3 {b / total:.1%}{extra}")
    shown = sum(v[3] for v in r["kinds"].values())
    print(f"first clause shown right (an answer, or the nearest one offered with \"no clear answer\"): "
          f"{shown}/{n} = {shown / n:.1%}")
    p = r["none_right"] / r["none_said"] if r["none_said"] else 0.0
    rec = r["none_caught"] / r["unanswerable"] if r["unanswerable"] else 0.0
    print(f"no-answer precision: {r['none_right']}/{r['none_said']} = {p:.1%}   (target >= 90%)")
    print(f"no-answer recall:    {r['none_caught']}/{r['unanswerable']} = {rec:.1%}   (target >= 75%)")
    ms = sorted(r["ms"])
    print(f"time per question: median {statistics.median(ms):.1f} ms, "
          f"p95 {ms[int(0.95 * (len(ms) - 1))]:.1f} ms")
    if errors:
        for item, said, ranked in r["misses"]:
            want = item.get("gold") or ["（无答案）"]
            print(f"MISS [{item['kind']}] {item['q']} | want {item['doc']} {want} | said {said} | top3 {ranked}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--errors", action="store_true", help="list the misses (dev only)")
    parser.add_argument("--no-examples", action="store_true", help="without the shipped examples")
    parser.add_argument("--min-similarity", type=float, help="override [qa] min_similarity (calibration)")
    args = parser.parse_args()
    if args.errors and args.split != "dev":
        print("--errors is for the dev split only: the test split's errors are never printed.")
        return 2
    folder = real_dir()
    files = real_files(folder) if folder.is_dir() else []
    if not files:
        print(f"The real regulations are not there ({folder}); set REAL_REGULATIONS to their folder.")
        return 2
    items = tomllib.loads(QUESTIONS.read_text(encoding="utf-8"))["q"]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        qa, store = build(not args.no_examples, folder, tmp, args.min_similarity)
        docs = qa.documents()
        print(f"loaded {len(docs)} documents, {len(qa._clauses)} clauses in {time.perf_counter() - t0:.1f} s "
              f"({'with' if not args.no_examples else 'without'} the shipped examples)")
        for split in ("dev", "test"):
            if args.split in (split, "all"):
                chosen = [i for i in items if i["split"] == split]
                report(split, evaluate(qa, chosen), args.errors and split == "dev")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
