"""Benchmark: time to ingest (parse + map + score + store) the example docx and a 40-page PDF.

Run with ``.venv/bin/python -m bench.ingest`` (after ``scripts/test`` has set up .venv).
Prints median and worst wall time per stage over ``--runs`` runs, each into a fresh
database, and, as a baseline in the same process, pdfplumber's text extraction of the
same PDF (the slower route the parser avoids).
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import docx

from bot.config import load_config
from bot.ingest import Services
from parsers import parse_document
from scoring.engine import Scorer, SourceParagraph

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "sfj_self_check_2026.docx"


def make_pdf(pages: int = 40) -> bytes:
    """A Chinese report of ``pages`` pages (text from the example report, rewrapped)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    sentences = [p.text for p in docx.Document(str(EXAMPLE)).paragraphs if len(p.text) > 20]
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    per_line = 38
    for page in range(1, pages + 1):
        pdf.setFont("STSong-Light", 11)
        y = 800
        k = page
        while y > 90:
            text = f"（{page}.{k}）" + sentences[k % len(sentences)]
            k += 7
            for start in range(0, len(text), per_line):
                pdf.drawString(60, y, text[start:start + per_line])
                y -= 17
            y -= 8
        pdf.drawString(290, 50, f"- {page} -")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def timed(fn, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def report(label: str, times: list[float], extra: str = "") -> None:
    ms = [t * 1000 for t in times]
    print(f"{label:<44} median {statistics.median(ms):8.1f} ms   max {max(ms):8.1f} ms {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    config = load_config(ROOT / "config.toml")
    t0 = time.perf_counter()
    scorer = Scorer(config.scoring)
    print(f"scorer start-up (jieba + keywords): {(time.perf_counter() - t0) * 1000:.0f} ms (once per process)")
    pdf = make_pdf(args.pages)
    files = {"example docx": (EXAMPLE.name, EXAMPLE.read_bytes()),
             f"{args.pages}-page pdf": ("report.pdf", pdf)}
    for label, (name, data) in files.items():
        bench_file(label, name, data, config, scorer, args.runs)


def bench_file(label: str, name: str, data: bytes, config, scorer: Scorer, runs: int) -> None:
    """Time each stage of ingesting one file and print the figures."""
    parsed = parse_document(data, name)
    print(f"\n== {label}: {len(data) / 1024:.0f} KB, {parsed.pages or '-'} pages, "
          f"{len(parsed.paragraphs)} paragraphs, {parsed.chars} chars")
    parse_times, _ = timed(lambda: parse_document(data, name), runs)
    report("parse", parse_times)
    source = [SourceParagraph(("new", i), p.text, name, p.location(), p.kind)
              for i, p in enumerate(parsed.paragraphs)]

    def cold_score():
        scorer.tokens.cache_clear()
        return scorer.score(source, "市直部门")

    times, _ = timed(cold_score, runs)
    report("map + score (first time)", times)
    times, _ = timed(lambda: scorer.score(source, "市直部门"), runs)
    report("map + score again (rescore, words cached)", times)

    def ingest_once(measure_memory: bool = False) -> tuple[float, int, object]:
        with tempfile.TemporaryDirectory() as tmp:
            services = Services(replace(config, storage_dir=Path(tmp)), scorer=scorer)
            scorer.tokens.cache_clear()  # a first upload: nothing segmented yet
            if measure_memory:
                tracemalloc.start()
            start = time.perf_counter()
            outcome = services.ingest("sfj", 1, name, data)
            elapsed = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1] if measure_memory else 0
            tracemalloc.stop()
            services.close()
            return elapsed, peak, outcome

    runs_done = [ingest_once() for _ in range(runs)]
    _, peak, outcome = ingest_once(measure_memory=True)  # tracemalloc slows; separate run
    report("ingest total (parse+map+score+store)", [r[0] for r in runs_done],
           f"  peak Python heap {peak / 1048576:.1f} MB, total {outcome.score.total:g} "
           f"{outcome.score.grade}")
    if parsed.file_type == "pdf":
        import pdfplumber

        def plumber() -> int:
            with pdfplumber.open(io.BytesIO(data)) as doc:
                return sum(len(page.extract_text() or "") for page in doc.pages)

        base, _ = timed(plumber, max(1, runs // 2))
        ratio = statistics.median(base) / statistics.median(parse_times)
        report("baseline: pdfplumber extract_text", base,
               f"  ({statistics.median(base) * 1000 / parsed.pages:.1f} ms/page; "
               f"our parse is {ratio:.1f}x faster)")

if __name__ == "__main__":
    main()
