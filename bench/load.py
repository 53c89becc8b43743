"""Load: liaisons uploading at once while others ask questions, through the real bot.

The bot runs as it does in production (python-telegram-bot polling, the job queue, the
parser processes, the regulations index) against the local Bot API fake on 127.0.0.1. At
the start signal ``--uploaders`` liaisons of as many units each send a real-sized report
(about ``--pages`` pages: .docx and PDF alternately, every unit's text different, made from
the team's own labelled documents), while ``--askers`` officials each ask ``--questions``
questions about the regulations one after another (the next 1.5 s after the answer arrived:
the bot, like Telegram, sends at most one message a second into one chat).

Printed: errors (internal-error replies, timeouts, "database is locked" in the log),
latency of the upload's final reply and of each answer (median, p95, max), and the peak
resident memory of the bot process and of the bot with its parser processes.

    python -m bench.load [--uploaders 50] [--askers 20] [--questions 5] [--pages 10] [--heavy-pages 300]

With ``--heavy-pages N`` one more unit sends an N-page PDF half a second before the storm:
the others' figures then show what a file at the page limit costs them.

Targets (issue "Hard inputs, hard days"): 0 errors, 0 "database is locked", p95 question
≤ 1 s and p95 upload reply ≤ 6 s on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from bench.ingest import make_docx, make_pdf, make_scan, report_blocks
from bench.procs import descendants, rss_mb
from kaohe.config import UnitConfig, load_config

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ("材料交晚了怎么办？", "效果分怎么算", "考核结果分几个等次", "一票否决有哪些情形",
             "对考核结果有异议可以申请复核吗", "争优创新加分最多加多少", "自查报告要盖章吗",
             "年度考核什么时候开始", "基础分和效果分各占多少", "被通报批评会扣分吗")
UPLOADER_BASE, ASKER_BASE, HEAVY_USER = 70_000_000, 80_000_000, 69_999_999
THINK_SECONDS = 1.5
PDF_CHARS_PER_PAGE = 1030  # what bench.ingest.make_pdf lays out on a page


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


class Memory:
    """Samples the resident memory of this process and of its children every 50 ms."""

    def __init__(self) -> None:
        self.peak_self = self.peak_total = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            mine = rss_mb(os.getpid())
            self.peak_self = max(self.peak_self, mine)
            self.peak_total = max(self.peak_total, mine + sum(rss_mb(c) for c in descendants(os.getpid())))

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class LockedCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.locked = 0
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        if "database is locked" in text:
            self.locked += 1
        if record.levelno >= logging.ERROR:
            self.errors.append(text[:200])


def thread_cpu() -> dict[str, float]:
    """CPU seconds used so far by this process's threads, grouped by what they do."""
    ticks = os.sysconf("SC_CLK_TCK")
    groups: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = thread.name.rstrip("_0123456789") or thread.name
        if thread is threading.main_thread():
            name = "event loop (handlers, HTTP to the Bot API)"
        elif "kaohe-heavy" in name:
            name = "upload/export threads"
        elif name.startswith("kaohe"):
            name = "use-case threads (questions, screens)"
        else:
            name = "local Bot API fake and others"
        groups[name] = groups.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return groups


def children_cpu() -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in descendants(os.getpid()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except OSError:
            pass
    return total


def long_blocks(pages: int) -> list[tuple[str, str]]:
    """About ``pages`` pages: the team's text (about 50 pages of it) again and again, each
    round's paragraphs numbered so no two are the same text."""
    source, blocks, chars, turn = report_blocks(10_000), [], 0, 0
    while chars < pages * PDF_CHARS_PER_PAGE:
        turn += 1
        for kind, text in source:
            blocks.append((kind, f"（{turn}）{text}"))
            chars += len(text) + 3
            if chars >= pages * PDF_CHARS_PER_PAGE:
                break
    return blocks


def documents(count: int, pages: int) -> list[tuple[str, bytes]]:
    """``count`` reports of about ``pages`` pages, each unit's text a different window."""
    blocks = report_blocks(10_000)
    per = max(1, len(blocks) // max(1, count))
    out = []
    for i in range(count):
        window = (blocks[i * per:] + blocks)[:max(per, 1)]
        size = sum(len(t) for _, t in window)
        while size < pages * 1500:  # long enough: more of the following blocks
            extra = blocks[(i * per + len(window)) % len(blocks)]
            window.append(extra)
            size += len(extra[1])
        window = [("heading", f"第{i + 1}号单位 2026年度目标责任制考核自查报告")] + window
        out.append((f"自查报告{i + 1}.pdf", make_pdf(blocks=window)) if i % 2 else
                   (f"自查报告{i + 1}.docx", make_docx(blocks=window)))
    return out


async def run(uploaders: int, askers: int, questions: int, pages: int, heavy_pages: int = 0,
              scan: bool = False) -> dict:
    from bot.app import build_application, start_polling, stop_polling
    from bot.local import LocalBotApi
    from kaohe.services import Services

    files = documents(uploaders, pages)
    heavy = make_pdf(blocks=long_blocks(heavy_pages)) if heavy_pages else None
    if heavy and scan:  # the same pages scanned: no text layer, read by OCR
        heavy = make_scan(heavy)
    counter = LockedCounter()
    logging.getLogger().addHandler(counter)
    base = load_config(ROOT / "config.toml")
    units = tuple(UnitConfig(f"u{i:03d}", f"第{i + 1}号单位", base.units[i % len(base.units)].category, f"LOAD{i:03d}")
                  for i in range(uploaders))
    with tempfile.TemporaryDirectory() as tmp, LocalBotApi() as api, Memory() as memory:
        config = replace(base, storage_dir=Path(tmp), api_url=api.api_url, units=units,
                         officials=frozenset(ASKER_BASE + i for i in range(askers)),
                         max_messages_per_second=1000)
        svc = Services(config)
        for i, unit in enumerate(units):
            svc.store.bind_liaison(UPLOADER_BASE + i, f"联络员{i}", None, unit.id)
        if heavy:  # one more unit, whose liaison sends a very long PDF just before the storm
            svc.store.sync_units([*({"id": u.id, "name": u.name, "category": u.category, "invite_code": u.invite_code}
                                    for u in units),
                                  {"id": "heavy", "name": "长材料单位", "category": units[0].category,
                                   "invite_code": "HEAVY"}])
            svc.store.bind_liaison(HEAVY_USER, "长材料联络员", None, "heavy")
        app = build_application(config, api.token, services=svc)
        await start_polling(app)
        await asyncio.to_thread(svc.qa.start)  # the index is ready, as on a running bot
        svc.qa.answer("材料交晚了怎么办？")  # and the sentence model loaded
        cpu_before = thread_cpu()
        children_before = children_cpu()
        started = time.monotonic()
        sent_at: dict[int, float] = {}
        if heavy:
            sent_at[HEAVY_USER] = time.time()
            api.send_document(HEAVY_USER, heavy, f"{heavy_pages}页材料.pdf")
            await asyncio.sleep(0.5)  # it is being read when the others arrive
        for i, (name, data) in enumerate(files):
            sent_at[UPLOADER_BASE + i] = time.time()
            api.send_document(UPLOADER_BASE + i, data, name)

        question_times: list[float] = []
        failures: list[str] = []

        async def ask(user: int) -> None:
            for k in range(questions):
                if k:  # a person reads the answer and types the next question: Telegram's
                    # (and the bot's rate limiter's) one message a second per chat is not the
                    # bot's latency
                    await asyncio.sleep(THINK_SECONDS)
                since = len(api.sent)
                asked = time.time()
                api.send_text(user, QUESTIONS[(user + k) % len(QUESTIONS)])
                try:
                    answer = await api.wait_for_async(
                        lambda a: a["chat_id"] == user and a["method"] == "sendMessage", timeout=60, since=since)
                except TimeoutError:
                    failures.append(f"question of {user}: no answer in 60 s")
                    continue
                question_times.append(answer["time"] - asked)
                if "内部错误" in (answer["text"] or ""):
                    failures.append(f"question of {user}: internal error")

        await asyncio.gather(*(ask(ASKER_BASE + i) for i in range(askers)))

        def final(a, user):
            text = a["text"] or ""
            return a["chat_id"] == user and a["method"] in ("sendMessage", "editMessageText") and "⏳" not in text

        upload_times, heavy_time = [], None
        for user, at in sent_at.items():
            try:
                answer = await api.wait_for_async(lambda a, u=user: final(a, u), timeout=300)
            except TimeoutError:
                failures.append(f"upload of {user}: no answer in 300 s")
                continue
            if user == HEAVY_USER:
                heavy_time = answer["time"] - at
                continue
            upload_times.append(answer["time"] - at)
            if "初步得分" not in (answer["text"] or ""):
                failures.append(f"upload of {user}: {(answer['text'] or '')[:80]!r}")
        wall = time.monotonic() - started
        cpu = {name: seconds - cpu_before.get(name, 0.0) for name, seconds in thread_cpu().items()}
        cpu["parser processes"] = children_cpu() - children_before
        await stop_polling(app)
        recorded = svc.store.db.execute("select count(*) from submissions").fetchone()[0]
        integrity = svc.store.db.execute("pragma integrity_check").fetchone()[0]
        svc.close()
    logging.getLogger().removeHandler(counter)
    return {"uploads": upload_times, "questions": question_times, "failures": failures,
            "locked": counter.locked, "logged_errors": counter.errors, "recorded": recorded,
            "integrity": integrity, "wall": wall, "peak_self": memory.peak_self,
            "peak_total": memory.peak_total, "files": files, "cpu": cpu, "heavy": heavy_time,
            "heavy_bytes": len(heavy) if heavy else 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploaders", type=int, default=50)
    parser.add_argument("--askers", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--heavy-pages", type=int, default=0,
                        help="another unit sends a PDF this long just before the storm (e.g. 300)")
    parser.add_argument("--scan", action="store_true",
                        help="that PDF is a scan (no text layer): it is read by OCR")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    r = asyncio.run(run(args.uploaders, args.askers, args.questions, args.pages, args.heavy_pages, args.scan))
    sizes = [len(d) for _, d in r["files"]]
    print(f"{args.uploaders} uploads (.docx/.pdf, ~{args.pages} pages, {min(sizes) // 1024}–{max(sizes) // 1024} KB) "
          f"and {args.askers}×{args.questions} questions at once, {os.cpu_count()} cores; wall {r['wall']:.1f} s")
    if r["heavy"] is not None:
        kind = "scanned PDF (OCR)" if args.scan else "PDF"
        print(f"meanwhile a {args.heavy_pages}-page {kind} ({r['heavy_bytes'] // 1024} KB) of another unit: "
              f"answered after {r['heavy']:.1f} s")
    for label, values, target in (("upload reply", r["uploads"], 6.0), ("question", r["questions"], 1.0)):
        p95 = percentile(values, 0.95)
        print(f"{label:13s}: n={len(values)} median {statistics.median(values):.2f} s, p95 {p95:.2f} s, "
              f"max {max(values):.2f} s (target p95 ≤ {target:g} s: {'met' if p95 <= target else 'NOT met'})")
    print(f"errors: {len(r['failures'])} ({'; '.join(r['failures'][:5])}); \"database is locked\": {r['locked']}; "
          f"errors logged: {len(r['logged_errors'])}")
    print(f"recorded submissions: {r['recorded']} of {args.uploaders}; integrity_check: {r['integrity']}")
    print("CPU seconds during the storm: " + ", ".join(
        f"{name} {seconds:.1f}" for name, seconds in sorted(r["cpu"].items(), key=lambda kv: -kv[1])))
    print(f"peak RSS: bot process {r['peak_self']:.0f} MB; bot + parser processes {r['peak_total']:.0f} MB")
    return 0 if not r["failures"] and not r["locked"] else 1


if __name__ == "__main__":
    sys.exit(main())
