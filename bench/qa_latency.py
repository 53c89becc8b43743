"""Benchmark: answer latency with a large regulation set (2,000+ clauses).

Run with ``.venv/bin/python -m bench.qa_latency`` (after ``scripts/test`` has set up .venv).
Generates ``--docs`` regulation documents of ``--articles`` articles each by recombining
the sentences of the shipped example regulations under other titles and numbers, loads
them the way the bot does (split, index, store), and times ``answer`` for every question
of bench/qa_eval.toml, ``--rounds`` times: median, p95 and worst per question.
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

from bot.config import load_config
from bot.qa import Regulations
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base = load_config(ROOT / "config.toml")
    questions = [q["q"] for q in tomllib.loads((ROOT / "bench" / "qa_eval.toml").read_text("utf-8"))
                 ["questions"]]
    questions += [q["q"] for q in tomllib.loads((ROOT / "bench" / "qa_eval.toml").read_text("utf-8"))
                  ["unanswerable"]]
    rng = random.Random(7)
    pool = sentences(base.regulations_dir)
    with tempfile.TemporaryDirectory() as tmp:
        config = replace(base, storage_dir=Path(tmp))
        store = Store(tmp)
        qa = Regulations(config, store)
        qa.start()
        t0 = time.perf_counter()
        for i in range(1, args.docs + 1):
            text = make_document(i, args.articles, pool, rng)
            qa.load(text.encode("utf-8"), f"generated_{i:03d}.md", "bench", "bench")
        load_seconds = time.perf_counter() - t0
        clauses = len(qa.index)
        timings = []
        for _ in range(args.rounds):
            for q in questions:
                start = time.perf_counter()
                qa.answer(q)
                timings.append((time.perf_counter() - start) * 1000)
        t0 = time.perf_counter()
        rebuilt = Regulations(config, store, qa.tokenizer)
        rebuilt.start()
        restart = time.perf_counter() - t0
        store.close()
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"clauses indexed: {clauses} ({args.docs} generated documents × {args.articles} articles "
          f"+ the shipped examples); loading the generated ones took {load_seconds:.1f} s")
    print(f"{len(timings)} answers ({len(questions)} questions × {args.rounds} rounds): "
          f"median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, worst {timings[-1]:.2f} ms")
    print(f"restart: index rebuilt from the stored terms in {restart * 1000:.0f} ms")


if __name__ == "__main__":
    main()
