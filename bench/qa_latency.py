"""Benchmark: answer latency with a large regulation set (2,000+ clauses).

Run with ``.venv/bin/python -m bench.qa_latency`` (after ``scripts/test`` has set up .venv).
Generates ``--docs`` regulation documents of ``--articles`` articles each by recombining
the sentences of the shipped example regulations under other titles and numbers, with
``--forms`` question forms per article, loads them the way the bot does (split, index,
encode, store), and times ``answer`` for every question of both evaluation sets,
``--rounds`` times: median, p95 and worst per question, and the sentence-vector share.
Encoding 2,000 new clauses takes about three minutes; ``--data DIR`` keeps the database
so a second run reuses the vectors.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
import tomllib
from dataclasses import replace
from pathlib import Path

from kaohe.config import load_config
from kaohe.qa import Regulations
from storage.store import Store

ROOT = Path(__file__).resolve().parents[1]
NUMERALS = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """1..999 as Chinese numerals (第二十三条)."""
    if n < 10:
        return NUMERALS[n]
    if n < 20:
        return "十" + (NUMERALS[n % 10] if n % 10 else "")
    if n < 100:
        return NUMERALS[n // 10] + "十" + (NUMERALS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if not rest else ("零" + chinese(rest) if rest < 10 else
                                (NUMERALS[1] if rest < 20 else "") + chinese(rest))
    return NUMERALS[n // 100] + "百" + tail


def sentences(folder: Path) -> list[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md")))
    body = re.sub(r"^(#.*|\|.*)$", "", text, flags=re.M)
    body = re.sub(r"第[一二三四五六七八九十百]+条\s*", "", body)
    return [s.strip() + "。" for s in re.split(r"[。\n]", body) if len(s.strip()) > 12]


def make_document(i: int, articles: int, pool: list[str], rng: random.Random) -> str:
    lines = [f"# 第{i}号考核工作规定（生成）", ""]
    per_chapter = 10
    for a in range(1, articles + 1):
        if (a - 1) % per_chapter == 0:
            lines += [f"## 第{chinese((a - 1) // per_chapter + 1)}章 第{i}号规定的事项", ""]
        body = "".join(rng.sample(pool, 3))
        lines += [f"第{chinese(a)}条　{body}", ""]
    return "\n".join(lines)


def make_forms(articles: int, pool: list[str], per_article: int, rng: random.Random) -> str:
    """A questions file for a generated document: forms drawn from the shipped ones (their
    vectors are known, so loading is quick; this sizes the form index, it tests no accuracy)."""
    lines = []
    for a in range(1, articles + 1):
        forms = ", ".join(f'"{f}"' for f in rng.sample(pool, per_article))
        lines += ["[[questions]]", f'article = "第{chinese(a)}条"', f"forms = [{forms}]", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--forms", type=int, default=8, help="question forms per generated article")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-vectors", action="store_true", help="words only ([qa] vectors = false)")
    parser.add_argument("--data", type=Path, default=None,
                        help="keep the database here (a second run reuses its vectors)")
    args = parser.parse_args()
    base = load_config(ROOT / "config.toml")
    questions = []
    for name in ("qa_eval.toml", "qa_heldout.toml"):
        data = tomllib.loads((ROOT / "bench" / name).read_text("utf-8"))
        questions += [q["q"] for q in data["questions"] + data["unanswerable"]]
    rng = random.Random(7)
    pool = sentences(base.regulations_dir)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data or Path(tmp)
        config = replace(base, storage_dir=folder, qa=replace(base.qa, vectors=not args.no_vectors))
        store = Store(folder)
        qa = Regulations(config, store)
        qa.start()
        form_pool = [e["question"] for e in qa.examples()
                     if e["kind"] == "article" and not (e["source_name"] or "").startswith("generated_")]
        t0 = time.perf_counter()
        for i in range(1, args.docs + 1):
            text = make_document(i, args.articles, pool, rng)
            result = qa.load(text.encode("utf-8"), f"generated_{i:03d}.md", "bench", "bench")
            if args.forms:
                forms = make_forms(args.articles, form_pool, args.forms, rng)
                qa.load_examples(forms.encode("utf-8"), f"generated_{i:03d}.questions.toml", "bench",
                                 result.title)
        load_seconds = time.perf_counter() - t0
        clauses = len(qa.matcher)
        forms = len(qa.matcher.form_ids())
        for q in questions[:5]:
            qa.answer(q)  # warm-up: first use of the word vectors for the new vocabulary
        timings = []
        for _ in range(args.rounds):
            for q in questions:
                start = time.perf_counter()
                qa.answer(q)
                timings.append((time.perf_counter() - start) * 1000)
        encode = []
        if qa.encoder is not None:
            for q in questions:
                start = time.perf_counter()
                qa.encoder.encode_one("q", q)
                encode.append((time.perf_counter() - start) * 1000)
        t0 = time.perf_counter()
        rebuilt = Regulations(config, store, qa.tokenizer)
        rebuilt.start()
        restart = time.perf_counter() - t0
        store.close()
    print(f"clauses indexed: {clauses} ({args.docs} generated documents × {args.articles} articles "
          f"+ the shipped examples), question forms: {forms}; loading took {load_seconds:.1f} s")
    print(f"{len(timings)} answers ({len(questions)} questions × {args.rounds} rounds): "
          f"median {statistics.median(timings):.2f} ms, p95 {pct(timings, 95):.2f} ms, "
          f"worst {max(timings):.2f} ms")
    if encode:
        print(f"of which the question's sentence vector alone: median {statistics.median(encode):.2f} ms, "
              f"p95 {pct(encode, 95):.2f} ms")
    print(f"restart: index rebuilt from the stored terms and vectors in {restart * 1000:.0f} ms")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(len(ordered) * p / 100)) - 1)]


if __name__ == "__main__":
    main()
