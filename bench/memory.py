"""Memory profile of the bot's long-lived process: what takes its memory, stage by stage.

In one process, as the bot does it: the imports, the services with their parser processes
started, the regulation index (built on an empty data folder, or ``--warm``: loaded from one
built before), the first answer, ``settle()``, then uploads through ``Services.ingest`` (each
by a unit of its own, a distinct 3-page .docx). After each stage it prints the process's RSS.
With ``--heap`` tracemalloc follows every allocation: each stage also prints the Python heap,
and the end the heap's top consumers by package; RSS then includes tracemalloc's own
bookkeeping (100 MB and more), so take RSS from a run without it. Memory-mapped files, such
as the word-vector table, are in RSS but not in the heap.

    python -m bench.memory [--uploads 200] [--warm] [--heap]

``bench.lean`` measures the same bot from outside, as its own process; this one says where
the megabytes go.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import tracemalloc
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss() -> float:
    from bench.procs import rss_mb

    return rss_mb(os.getpid())


class Stages:
    def __init__(self) -> None:
        self.last_rss, self.last_heap = 0.0, 0.0

    def mark(self, label: str) -> None:
        now, heap = rss(), tracemalloc.get_traced_memory()[0] / 1048576
        line = f"{label:<46} RSS {now:6.0f} MB ({now - self.last_rss:+5.0f})"
        if tracemalloc.is_tracing():
            line += f"   Python heap {heap:6.1f} MB ({heap - self.last_heap:+6.1f})"
        print(line, flush=True)
        self.last_rss, self.last_heap = now, heap


def owner(filename: str) -> str:
    """The package a traced allocation belongs to: site-packages' top-level name, or ours."""
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    if str(path).startswith(str(ROOT)):
        return "ours: " + "/".join(path.relative_to(ROOT).parts[:1])
    return "python: " + path.name


def bench_config(folder: Path):
    from kaohe.config import load_config

    config = load_config(ROOT / "config.toml")
    return replace(config, storage_dir=folder / "data", regulations_dir=ROOT / "regulations")


def build_index(folder: Path) -> None:
    from kaohe.services import Services

    svc = Services(bench_config(folder))
    try:
        svc.qa.start()
    finally:
        svc.close()


def write_uploads(folder: Path, count: int) -> None:
    """``count`` distinct 3-page .docx made from the team's labelled paragraphs (as bench.lean)."""
    from bench.ingest import make_docx
    from bench.lean import blocks_per_upload, upload_blocks

    folder.mkdir(parents=True)
    blocks, per = upload_blocks(count)
    for i, part in enumerate(blocks_per_upload(blocks, per, count), 1):
        (folder / f"{i}.docx").write_bytes(make_docx(blocks=part))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--warm", action="store_true", help="build the index first, then profile a restart")
    parser.add_argument("--heap", action="store_true", help="trace the Python heap (tracemalloc)")
    parser.add_argument("--write-uploads", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--build-index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_uploads:
        write_uploads(args.write_uploads, args.uploads)
        return
    if args.build_index:
        build_index(args.build_index)
        return
    stages = Stages()
    stages.mark("interpreter")
    if args.heap:
        tracemalloc.start()
    import bot.app  # noqa: F401  (everything the bot process imports)
    from bench.lean import test_units
    from kaohe.services import Services

    stages.mark("imports (bot.app and what it pulls in)")
    with tempfile.TemporaryDirectory() as tmp:
        files = Path(tmp) / "uploads"
        # Made in another process, so that making them leaves nothing in this one's memory.
        subprocess.run([sys.executable, "-m", "bench.memory", "--write-uploads", str(files),
                        "--uploads", str(args.uploads)], check=True, cwd=ROOT)
        if args.warm:  # a restart: the index was built by an earlier run of the bot
            subprocess.run([sys.executable, "-m", "bench.memory", "--build-index", tmp], check=True, cwd=ROOT)
        svc = Services(bench_config(Path(tmp)))
        try:
            at = datetime.now(timezone.utc)
            ids = svc.import_units(svc.preview_units(test_units(args.uploads), "单位.xlsx"), "bench", at)
            units = sorted(ids)
            svc.parsing.warm()
            stages.mark("services, units imported, parser processes up")
            svc.qa.start()
            stages.mark("regulation index " + ("loaded" if args.warm else "built"))
            answer = svc.qa.answer("自查报告什么时候交")
            stages.mark(f"first answer ({answer.kind})")
            svc.settle()
            stages.mark("settle (gc.collect + gc.freeze)")
            for i in range(1, args.uploads + 1):
                data = (files / f"{i}.docx").read_bytes()  # as the bot gets it from Telegram
                svc.ingest(units[i - 1], 1000 + i, f"自查报告{i}.docx", data)
                if i in (args.uploads // 2, args.uploads):
                    stages.mark(f"after {i} uploads")
            snapshot = tracemalloc.take_snapshot() if args.heap else None
        finally:
            svc.close()
    if snapshot is None:
        return
    by_owner: Counter[str] = Counter()
    for stat in snapshot.statistics("filename"):
        by_owner[owner(stat.traceback[0].filename)] += stat.size
    print("\nPython heap by package at the end (top 12):")
    for name, size in by_owner.most_common(12):
        print(f"  {name:<40} {size / 1048576:7.1f} MB")


if __name__ == "__main__":
    main()
