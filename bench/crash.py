"""Crash: the bot process killed (SIGKILL) at random moments of uploads, of a message run and
of exports, then started again; after each restart nothing is half-done.

The local Bot API fake runs here, in the benchmark's process, and keeps every chat across
restarts; the bot runs as its own process (``python -m bench.crash child``: the real
application, polling, parser processes) on one storage folder for the whole run. Each round
starts the bot, causes one thing, kills the bot after a random delay, starts it again and
waits until it is quiet, then checks:

- ``upload``: a liaison sends a ~10-page report. The file is recorded at most once, and the
  liaison was told either that it was recorded (the receipt, or "已接收并记录") or that it
  was not and to send it again ("没有记录 … 重新发送");
- ``announce``: the office confirms an announcement to every liaison (the outbox sends it at
  the configured rate). Afterwards every liaison has it exactly once;
- ``export``: the office asks for ``/export``. It got the files or was told to ask again;
  no export scratch folder is left.

And every round: ``integrity_check`` ok, ``foreign_key_check`` empty, no paragraph without
its submission, no submission without its stored file, no stored file without a
submission, no journal entry left (uploads, updates received but unhandled).

    python -m bench.crash [--rounds 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN = 10001
LIAISONS = [90_000_000 + i for i in range(24)]
KINDS = ("upload", "upload", "announce", "export")  # uploads are the common case


def child(storage: str, api_url: str, token: str) -> int:
    """The bot as production runs it, on ``storage`` against ``api_url``."""
    from bot.__main__ import setup_logging
    from bot.app import build_application
    from kaohe.config import load_config

    setup_logging("WARNING", token)
    config = replace(load_config(ROOT / "config.toml", {"TELEGRAM_API_URL": api_url}),
                     storage_dir=Path(storage), regulations_dir=None, parse_workers=1,
                     max_messages_per_second=20)
    app = build_application(config, token)
    started = app.post_init

    async def post_init(application) -> None:  # the bot's own start, then say "ready"
        await started(application)
        (Path(storage) / f"ready-{os.getpid()}").touch()

    app.post_init = post_init
    app.run_polling(allowed_updates=["message", "callback_query"])
    return 0


class Bot:
    def __init__(self, storage: Path, api) -> None:
        self.storage, self.api, self.process = storage, api, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.crash", "child", str(self.storage), self.api.api_url, self.api.token],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(self.storage / "child.log", "a"),
            start_new_session=True)
        ready = self.storage / f"ready-{self.process.pid}"
        deadline = time.monotonic() + 60
        while not ready.exists():  # post_init done: journals answered, about to poll
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the bot did not start; see child.log")
            time.sleep(0.05)
        ready.unlink()
        time.sleep(0.3)  # its first poll

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)  # the bot and its parser processes
        self.process.wait()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # parser processes left behind
        except ProcessLookupError:
            pass


def texts(api, chat: int, since: int = 0) -> list[str]:
    return [a["text"] or "" for a in api.sent[since:]
            if a["chat_id"] == chat and a["method"] in ("sendMessage", "editMessageText")]


def final_texts(api, chat: int, since: int) -> list[str]:
    """What the user sees now of the bot's messages sent or edited since ``since`` (each
    message's last text)."""
    last: dict[int, str] = {}
    for a in api.sent[since:]:
        if a["chat_id"] == chat and a["method"] in ("sendMessage", "editMessageText") and a.get("message_id"):
            last[a["message_id"]] = a["text"] or ""
    return list(last.values())


def owed(storage: Path) -> int:
    """What the bot still owes: unsent ledger messages, unanswered uploads, unhandled updates."""
    db = sqlite3.connect(storage / "kaohe.db", timeout=10)
    intake = sqlite3.connect(storage / "intake.db", timeout=10)
    try:
        return sum(db.execute(sql).fetchone()[0] for sql in (
            "select count(*) from notifications where status = 'pending'",
            "select count(*) from pending_uploads")) + intake.execute("select count(*) from inbox").fetchone()[0]
    finally:
        db.close()
        intake.close()


def quiet(api, storage: Path, seconds: float = 1.5, timeout: float = 90) -> None:
    """Wait until the bot owes nothing and has sent nothing for ``seconds``."""
    deadline = time.monotonic() + timeout
    count, since = len(api.sent), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if len(api.sent) != count:
            count, since = len(api.sent), time.monotonic()
        elif time.monotonic() - since >= seconds and not owed(storage):
            return


def check_storage(storage: Path) -> list[str]:
    problems = []
    db = sqlite3.connect(storage / "kaohe.db")
    if db.execute("pragma integrity_check").fetchone()[0] != "ok":
        problems.append("integrity_check failed")
    if db.execute("pragma foreign_key_check").fetchall():
        problems.append("foreign_key_check found rows")
    orphans = db.execute("select count(*) from paragraphs p left join submissions s on s.id = p.submission_id "
                         "where s.id is null").fetchone()[0]
    if orphans:
        problems.append(f"{orphans} paragraphs without a submission")
    hashes = {r[0] for r in db.execute("select sha256 from submissions")}
    on_disk = {p.name for p in (storage / "files").rglob("*") if p.is_file()}
    if hashes - on_disk:
        problems.append(f"{len(hashes - on_disk)} submissions without their file")
    if on_disk - hashes:
        problems.append(f"{len(on_disk - hashes)} stored files without a submission")
    unsent = db.execute("select count(*) from notifications where status = 'pending'").fetchone()[0]
    if unsent:
        problems.append(f"{unsent} ledger messages never sent")
    left = db.execute("select count(*) from pending_uploads").fetchone()[0]
    if left:
        problems.append(f"{left} uploads left unanswered in the journal")
    intake = sqlite3.connect(storage / "intake.db")
    left = intake.execute("select count(*) from inbox").fetchone()[0]
    intake.close()
    if left:
        problems.append(f"{left} updates received and never handled")
    scratch = storage / "tmp"
    if scratch.is_dir() and any(scratch.iterdir()):
        problems.append("export scratch left: " + ", ".join(p.name for p in scratch.iterdir()))
    db.close()
    return problems


def run(rounds: int, seed: int) -> dict:
    from bench.load import documents
    from bot.local import LocalBotApi
    from kaohe.config import load_config
    from kaohe.services import Services

    rng = random.Random(seed)
    reports = documents(rounds, 10)
    outcomes: Counter = Counter()
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, LocalBotApi() as api:
        storage = Path(tmp)
        config = replace(load_config(ROOT / "config.toml"), storage_dir=storage, regulations_dir=None, parse_workers=0)
        svc = Services(config)
        units = [u.id for u in config.units]
        for i, user in enumerate(LIAISONS):
            svc.store.bind_liaison(user, f"联络员{i}", None, units[i % len(units)])
        svc.close()
        bot = Bot(storage, api)
        for n in range(rounds):
            kind = rng.choice(KINDS)
            delay = rng.uniform(0, {"upload": 1.5, "announce": 2.0, "export": 1.2}[kind])
            bot.start()
            since = len(api.sent)
            if kind == "upload":
                user = LIAISONS[n % len(LIAISONS)]
                name, data = reports[n]
                api.send_document(user, data, name)
            elif kind == "announce":
                marker = f"第{n}轮通知：请按时提交自查材料。"
                api.send_text(ADMIN, f"/announce 全部 {marker}")
                preview = api.wait_for(lambda a: a["chat_id"] == ADMIN and "确认发送" in str(a.get("reply_markup")),
                                       since=since, timeout=30)
                button = preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
                api.press_button(ADMIN, preview["message_id"], button)
            else:
                api.send_text(ADMIN, "/export")
            time.sleep(delay)
            bot.kill()
            bot.start()
            quiet(api, storage)
            bot.stop()
            round_problems = check_storage(storage)
            if kind == "upload":
                db = sqlite3.connect(storage / "kaohe.db")
                stored = db.execute("select count(*) from submissions where file_name = ?", [name]).fetchone()[0]
                db.close()
                seen = final_texts(api, user, since)
                receipt = any("初步得分" in t or "已接收并记录" in t for t in seen)
                resend = any("没有记录" in t and "重新发送" in t for t in seen)
                if stored > 1:
                    round_problems.append(f"{name} recorded {stored} times")
                elif stored == 1 and receipt:
                    outcomes["upload recorded, told"] += 1
                elif stored == 0 and resend:
                    outcomes["upload not recorded, told to resend"] += 1
                else:
                    round_problems.append(f"{name}: stored {stored}, user saw {seen!r}")
            elif kind == "announce":
                counts = [sum(marker in t for t in texts(api, u, since)) for u in LIAISONS]
                if counts == [1] * len(LIAISONS):
                    outcomes["announcement: each liaison once"] += 1
                elif any(c > 1 for c in counts):
                    round_problems.append(f"announcement repeated: {counts}")
                elif all(c == 0 for c in counts) and not any("确认" in t for t in texts(api, ADMIN, since)[1:]):
                    outcomes["announcement: killed before 确认 was handled"] += 1
                else:
                    round_problems.append(f"announcement missing for some: {counts}")
            else:
                files = [a for a in api.sent[since:] if a["chat_id"] == ADMIN and a["method"] == "sendDocument"]
                told = any("导出没有完成" in t for t in final_texts(api, ADMIN, since))
                if told:
                    outcomes["export interrupted, told to ask again"] += 1
                elif files:
                    outcomes["export delivered"] += 1
                else:
                    round_problems.append("export: neither files nor a message")
            problems += [f"round {n} ({kind}, kill at {delay:.2f} s): {p}" for p in round_problems]
            print(f"round {n + 1:2d} {kind:8s} killed at {delay:4.2f} s: {'ok' if not round_problems else round_problems}",
                  flush=True)
    return {"outcomes": outcomes, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        return child(*argv[1:4])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.monotonic()
    result = run(args.rounds, args.seed)
    print(f"\n{args.rounds} kills in {time.monotonic() - started:.0f} s")
    for outcome, count in sorted(result["outcomes"].items()):
        print(f"  {count:3d}  {outcome}")
    print(f"problems: {len(result['problems'])}")
    for problem in result["problems"]:
        print("  -", problem)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
