"""Lean: the bot as a separate process on a small server — start-up times and its memory over
a start, the regulation index, and 200 uploads.

The real bot (``python -m bot``, its parser processes, the job queue) runs against the local
Bot API fake on 127.0.0.1, in a process of its own, so its resident memory is its own. The
benchmark samples that process's RSS (and the PSS of it with its children) every 100 ms and prints:

- start-up: process start → the first ``/start`` reply, → the first regulation answer (a
  restart: the data folder already holds the index); with ``--fresh`` also a first start on
  an empty data folder;
- the bot process's RSS when the first answer is given, 10 s later, after 100 and after 200
  uploads (each by a liaison of its own unit, a distinct 3-page .docx made from the team's
  labelled paragraphs), the growth over the last 100, and the peak; then a storm: 50 of those
  liaisons send a ~10-page report at once (peak RSS, reply times); the RSS curve in 10 s steps.

Targets (issue "Lean and honestly fast"): first /start ≤ 2 s, first answer after a restart
≤ 5 s, fresh install's first answer ≤ 10 s; RSS ≤ 300 MB steady after the index is ready and
after 200 uploads, no growth over the last 100; peak during a 50-user storm ≤ 500 MB.

    python -m bench.lean [--uploads 200] [--fresh]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.ingest import make_docx, report_blocks
from bench.procs import descendants, pss_mb, rss_mb
from bench.units import sheet_bytes
from bot.local import LocalBotApi

ROOT = Path(__file__).resolve().parent.parent
ADMIN = 10001
LIAISON_BASE = 60_000_000
TIMEOUT = 120
STORM = 50  # liaisons sending at once after the 200 uploads


class Sampler(threading.Thread):
    """RSS of the bot process, and the PSS of it with its children, every 100 ms."""

    def __init__(self, pid: int, started: float):
        super().__init__(daemon=True)
        self.pid, self.started = pid, started
        self.samples: list[tuple[float, float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            own = rss_mb(self.pid)
            total = pss_mb(self.pid) + sum(pss_mb(c) for c in descendants(self.pid))
            self.samples.append((time.monotonic() - self.started, own, total))
            time.sleep(0.1)

    def now(self) -> float:
        return rss_mb(self.pid)


def upload_blocks(count: int) -> tuple[list[tuple[str, str]], int]:
    """The team's labelled paragraphs for ``count`` uploads of about 3 pages, and how many
    blocks each upload takes."""
    blocks = report_blocks(3 * count)
    return blocks, max(1, len(blocks) // count)


def blocks_per_upload(blocks: list[tuple[str, str]], per: int, count: int):
    """Each upload's blocks: ``per`` of them, every upload different while they last."""
    for i in range(count):
        yield blocks[i * per:(i + 1) * per] or blocks[:per]


def test_units(count: int) -> bytes:
    """``count`` units 测试000局 … of one category, as a units sheet."""
    return sheet_bytes([[f"测试{i:03d}局", "市直部门"] for i in range(count)], header=("单位名称", "类别"))


def write_config(folder: Path, units: int) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('dir = "data"', f'dir = "{folder / "data"}"')
    text = text.replace('folder = "regulations"', f'folder = "{ROOT / "regulations"}"')
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    # The units: a list imported the way an office does it (python -m bot.manage units import).
    (folder / "units.xlsx").write_bytes(test_units(units))
    subprocess.run([sys.executable, "-m", "bot.manage", "--config", str(path), "units", "import",
                    str(folder / "units.xlsx"), "--yes"], cwd=ROOT, check=True, capture_output=True)
    return path


def codes(config: Path) -> list[str]:
    import sqlite3

    db = sqlite3.connect(Path(config).parent / "data" / "kaohe.db")
    try:
        return [row[0] for row in db.execute(
            "select i.code from invites i join units u on u.id = i.unit_id "
            "where i.source = 'import' order by u.id")]
    finally:
        db.close()


def answered(api: LocalBotApi, chat: int, since: int, text_has: str, timeout: float = TIMEOUT) -> float:
    api.wait_for(lambda a: a["chat_id"] == chat and text_has in (a.get("text") or ""), timeout=timeout, since=since)
    return time.monotonic()


def start_bot(api: LocalBotApi, config: Path) -> tuple[subprocess.Popen, float]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.api_url, "LOG_LEVEL": "WARNING"}
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return process, started


def first_replies(api: LocalBotApi, started: float) -> tuple[float, float]:
    since = len(api.sent)
    api.send_text(ADMIN, "/start")
    first = answered(api, ADMIN, since, "考核") - started
    since = len(api.sent)
    api.send_text(ADMIN, "逾期提交会扣分吗")
    answer = answered(api, ADMIN, since, "依据") - started
    return first, answer


def stop_bot(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--fresh", action="store_true", help="also time a first start on an empty data folder")
    args = parser.parse_args(argv)
    blocks, per = upload_blocks(args.uploads)
    files = [make_docx(blocks=part) for part in blocks_per_upload(blocks, per, args.uploads)]
    storm_files = [make_docx(blocks=[(kind, f"{text}（补充{i}）") for kind, text in blocks[:per * 3]])
                   for i in range(STORM)]  # ~10 pages each, every one different
    with tempfile.TemporaryDirectory() as tmp, LocalBotApi() as api:
        config = write_config(Path(tmp), args.uploads)
        invite = codes(config)
        if args.fresh:
            process, started = start_bot(api, config)
            try:
                _, answer = first_replies(api, started)
                print(f"fresh install (empty index): first regulation answer {answer:.1f} s after process start "
                      f"(target ≤ 10 s)")
            finally:
                stop_bot(process)
        else:  # the index must exist for a restart: one start builds it
            process, started = start_bot(api, config)
            first_replies(api, started)
            stop_bot(process)

        process, started = start_bot(api, config)
        sampler = Sampler(process.pid, started)
        sampler.start()
        try:
            first, answer = first_replies(api, started)
            at_answer = sampler.now()
            time.sleep(10)
            settled = sampler.now()
            marks = {}
            for i, data in enumerate(files, 1):
                user = LIAISON_BASE + i
                since = len(api.sent)
                api.send_text(user, f"/bind {invite[i - 1]}")
                answered(api, user, since, "绑定成功")
                since = len(api.sent)
                api.send_document(user, data, f"自查报告{i}.docx")
                answered(api, user, since, "本单位共提交")
                if i in (args.uploads // 2, args.uploads):
                    time.sleep(2)
                    marks[i] = sampler.now()
            # The storm: the first STORM liaisons each send a ~10-page report at once.
            storm_from = len(sampler.samples)
            storm = min(STORM, args.uploads)
            since = len(api.sent)
            sent_at = {}
            for i in range(1, storm + 1):
                sent_at[LIAISON_BASE + i] = time.time()  # the fake stamps its actions with time.time()
                api.send_document(LIAISON_BASE + i, storm_files[i - 1], f"补充材料{i}.docx")
            waits = []
            for user, at in sent_at.items():
                reply = api.wait_for(lambda a, u=user: a["chat_id"] == u and "本单位共提交" in (a.get("text") or ""),
                                     timeout=TIMEOUT, since=since)
                waits.append(reply["time"] - at)
            storm_peak = max(s[1] for s in sampler.samples[storm_from:])
        finally:
            sampler.stop.set()
            stop_bot(process)
    peak = max(s[1] for s in sampler.samples)
    peak_total = max(s[2] for s in sampler.samples)
    half, full = marks[args.uploads // 2], marks[args.uploads]
    print(f"restart: first /start reply {first:.2f} s after process start (target ≤ 2 s); "
          f"first regulation answer {answer:.2f} s (target ≤ 5 s)")
    print(f"bot process RSS: {at_answer:.0f} MB at the first answer, {settled:.0f} MB 10 s later; "
          f"{half:.0f} MB after {args.uploads // 2} uploads, {full:.0f} MB after {args.uploads} "
          f"(growth over the last {args.uploads - args.uploads // 2}: {full - half:+.0f} MB); "
          f"peak {peak:.0f} MB (target ≤ 300 MB steady); with its parser processes peak {peak_total:.0f} MB "
          f"(PSS: pages the processes share counted once)")
    waits.sort()
    print(f"storm: {storm} liaisons send a ~10-page report at once: bot process peak {storm_peak:.0f} MB "
          f"(target ≤ 500 MB); reply median {waits[len(waits) // 2]:.1f} s, slowest {waits[-1]:.1f} s")
    print("memory curve (s: bot RSS MB / with children PSS MB): " + ", ".join(
        f"{t:.0f}: {own:.0f}/{total:.0f}" for t, own, total in sampler.samples[::100]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
