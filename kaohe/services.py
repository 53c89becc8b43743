"""The services the bot (and the command line, the benchmarks) call: one object holding the
config, the database, the scorer and the regulations, with the use cases of ``uploads``,
``review``, ``social`` and ``appeals`` (each its own module)."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from kaohe.appeals import Appeals
from kaohe.config import AppConfig
from kaohe.cycle import Cycle
from kaohe.errors import CODE_NOT_USABLE, STAFF_CANNOT_BIND, TOO_MANY_CODES, Refused
from kaohe.exports import ExportFiles, export_all, export_unit, remove_stale_scratch, scratch_dir
from kaohe.ledger import Ledger
from kaohe.parsing import LazyScorer, ParsePool
from kaohe.qa import Regulations
from kaohe.results import Results, ScoreView, load_view
from kaohe.review import Review
from kaohe.social import Social
from kaohe.units import Units, new_code
from kaohe.uploads import Uploads
from scoring.engine import Scorer
from scoring.progress import next_deadline
from scoring.retrieval import QueryTokenizer
from storage.intake import Intake
from storage.people import UNKNOWN
from storage.store import Store

T = TypeVar("T")
# Wrong invite codes a person may send within the window before they are asked to wait.
BIND_ATTEMPTS = 5
BIND_WINDOW = 600  # seconds
# Issued invite codes: letters and digits nobody confuses (no 0/O, 1/I/L).
# Threads that run use cases for the bot: blocking work (database, parsing, scoring, encoding)
# never runs on the event loop, and at most this many run at once.
WORKERS = 6


@dataclass(frozen=True)
class Binding:
    """A liaison bound to a unit by its invite code."""

    unit: dict
    previous: dict | None  # the unit the person was a liaison of before, if another
    was_unknown: bool  # the person had no role before (their command menu changes)
    deadline: datetime | None  # the unit's next deadline


class Services(Uploads, Review, Social, Appeals, Units):
    """Long-lived services shared by the handlers: config, database, scorer."""

    def __init__(self, config: AppConfig, store: Store | None = None,
                 scorer: Scorer | None = None, tokenizer: QueryTokenizer | None = None):
        self.config = config
        self.store = store or Store(config.storage_dir)
        # Units are scored in the parser processes (kaohe.parsing): the bot's own scorer (its
        # own jieba dictionary and the mapping model, ~65 MB) is built only if one is needed.
        self.scorer = scorer or LazyScorer(config.scoring)
        self.results = Results(self.store, config.scoring)
        self.store.sync_units(
            {"id": u.id, "name": u.name, "category": u.category, "invite_code": u.invite_code,
             "aliases": u.aliases}
            for u in config.units
        )
        self.intake = Intake(config.storage_dir)
        self.cycle = Cycle(config, self.store)
        self.ledger = Ledger(self.store)
        self.qa = Regulations(config, self.store, tokenizer)  # loads on first use or start()
        self._executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="kaohe")
        # Uploads and exports wait long (on a parser process, on the writers): their own
        # threads, so questions and screens never queue behind them.
        self._heavy = ThreadPoolExecutor(max(2, config.parse_workers + 1), thread_name_prefix="kaohe-heavy")
        self.parsing = ParsePool(config.parse_workers, rules=self.scorer.rules, ocr=config.ocr)
        remove_stale_scratch(config)  # what an export killed mid-way left
        self._unit_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._bind_failures: dict[int, list[datetime]] = {}  # wrong invite codes per user, recent
        self._locks_guard = threading.Lock()

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a use case off the event loop and await its result: the one place where the
        bot crosses into threads (as datasette's ``Database.execute_fn``)."""
        return await self._in(self._executor, fn, *args, **kwargs)

    async def run_heavy(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``run`` for an upload or an export: their own threads, so a row of them never
        delays a question or a screen."""
        return await self._in(self._heavy, fn, *args, **kwargs)

    @staticmethod
    async def _in(executor: ThreadPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(executor, call)

    def close(self) -> None:
        """Release the worker threads and processes and the database."""
        self._heavy.shutdown(wait=True)
        self._executor.shutdown(wait=True)
        self.parsing.close()
        self.intake.close()
        self.store.close()

    def role_of(self, user_id: int) -> str:
        """``admin``, ``official``, ``liaison`` or ``unknown``."""
        if user_id in self.config.admins:
            return "admin"
        if user_id in self.config.officials:
            return "official"
        return "liaison" if self.store.person(user_id) else "unknown"

    def bind(self, user_id: int, full_name: str, username: str | None, code: str,
             at: datetime, notice: Callable[[dict, str], str] | None = None) -> Binding | None:
        """Bind ``user_id`` as a liaison of the unit whose invite code is ``code`` (None: no
        such code); says which unit it was bound to before, if another. The unit's other
        liaisons are told through the ledger (``notice(unit, who)``)."""
        role = self.role_of(user_id)
        if role in ("admin", "official"):  # one role per person: staff never act for a unit
            raise Refused(STAFF_CANNOT_BIND)
        with self._locks_guard:
            recent = [t for t in self._bind_failures.get(user_id, []) if (at - t).total_seconds() < BIND_WINDOW]
            self._bind_failures[user_id] = recent
        if len(recent) >= BIND_ATTEMPTS:
            raise Refused(TOO_MANY_CODES.format(minutes=BIND_WINDOW // 60, contact=self.config.contact))
        who = full_name + (f"（@{username}）" if username else "")
        done = self.store.bind_with_invite(
            user_id, full_name, username, code, at, self.config.invites.config_codes,
            (lambda unit: notice(unit, who)) if notice else None)
        if done.refusal is not None:
            with self._locks_guard:
                self._bind_failures.setdefault(user_id, []).append(at)
            if done.refusal == UNKNOWN:
                return None
            raise Refused(CODE_NOT_USABLE[done.refusal].format(contact=self.config.contact))
        previous = self.store.unit(done.previous_unit_id) if done.previous_unit_id else None
        if previous is not None and previous["id"] == done.unit["id"]:
            previous = None
        return Binding(done.unit, previous, role == "unknown", self.deadline_for_unit(done.unit))

    def issue_invite(self, unit_id: str, actor: int, at: datetime, max_uses: int | None = None,
                     days: int | None = None, rotate: bool = True) -> dict:
        """A new invite code for the unit (by default replacing its working codes), limited to
        ``max_uses`` people and ``days`` days (defaults from ``[invites]``; 0 = no limit)."""
        rules = self.config.invites
        uses = rules.max_uses if max_uses is None else max_uses
        valid = rules.valid_days if days is None else days
        code = new_code(self.store.invite_codes())
        return self.store.issue_invite(unit_id, code, actor, at,
                                       at + timedelta(days=valid) if valid else None, uses or None, rotate)

    def revoke_invite(self, code: str, actor: int, at: datetime) -> dict | None:
        """Revoke one invite code (None: no such code)."""
        return self.store.revoke_invite(code, actor, at)

    def invites(self, unit_id: str) -> list[dict]:
        """The unit's invite codes, newest first."""
        return self.store.invites(unit_id)

    def liaisons(self, unit_id: str) -> list[dict]:
        """The people bound to the unit."""
        return self.store.liaisons(unit_id)

    def remove_liaison(self, telegram_id: int, actor: int, at: datetime,
                       notices: Callable[[dict, dict], tuple[str, str]]) -> dict | None:
        """The office removes a liaison; they and the unit's other liaisons are told."""
        return self.store.remove_liaison(telegram_id, actor, at, notices)

    # ---- what the chat reads (queries) ------------------------------------------------------

    def settle(self) -> None:
        """Once started (regulations indexed): what exists now lives as long as the process,
        so the garbage collector stops scanning it. Its full passes over hundreds of thousands
        of long-lived objects were most of /overview's slow tail (p95 192 → 117 ms at 5,000
        units in bench.overview)."""
        import gc

        gc.collect()
        gc.freeze()

    def unit(self, unit_id: str) -> dict | None:
        return self.store.unit(unit_id)

    def score_view(self, unit_id: str) -> ScoreView | None:
        """The unit's score screen data (None when nothing has been scored yet)."""
        view = load_view(self.store, self.config.scoring, unit_id)
        return replace(view, previous=self.cycle.previous_result(unit_id)) if view else None

    def score_row(self, unit_id: str) -> dict | None:
        """The unit's stored total and grade (None before its first score)."""
        return self.store.unit_score(unit_id)

    def files_count(self, unit_id: str) -> int:
        """How many files of the unit count now."""
        return self.store.submission_count(unit_id)

    def submission(self, submission_id: int) -> dict | None:
        return self.store.submission(submission_id)

    def liaison_count(self, unit_id: str) -> int:
        return len(self.store.liaisons(unit_id))

    def scratch(self):
        """A temporary folder under the storage folder (removed when done; one a crash left
        behind is removed at the next start)."""
        return scratch_dir(self.config)

    def export_all(self, folder: Path, at: datetime, progress: Callable[[str], None] | None = None) -> ExportFiles:
        """The office's consolidated export (workbook, report, charts) into ``folder``."""
        return export_all(self.config, self.store, folder, at, progress)

    def export_unit(self, unit_id: str, folder: Path, at: datetime) -> Path:
        """One unit's 情况报告 into ``folder``."""
        return export_unit(self.config, self.store, unit_id, folder, at)

    def arrived(self, update_id: int, private_writer: int | None) -> tuple[bool, bool]:
        """An update's handling begins: (is it new, did ``private_writer`` become reachable
        again — they wrote to the bot after blocking it)."""
        first = self.intake.first_seen(update_id)
        back = first and private_writer is not None and self.cycle.mark_reachable(private_writer)
        return first, bool(back)

    def receive_update(self, update_id: int, payload: str) -> None:
        """Journal an arriving Telegram update (its JSON) until its handling begins. Fast and
        never waits for the main database: called on the event loop."""
        self.intake.receive(update_id, payload)

    def hold_update(self, update_id: int, payload: str) -> None:
        """An update whose work waits (an album's photo): kept as unhandled until
        ``release_updates``, so a stop meanwhile handles it again at the next start."""
        self.intake.hold(update_id, payload)

    def release_updates(self, update_ids: list[int]) -> None:
        self.intake.release(update_ids)

    def unhandled_updates(self) -> list[tuple[int, str]]:
        """Updates received before a stop whose handling never began: (id, JSON)."""
        return self.intake.unhandled()

    def unit_of(self, user_id: int) -> dict | None:
        """The unit ``user_id`` is a liaison of (None for anyone else)."""
        person = self.store.person(user_id)
        return self.store.unit(person["unit_id"]) if person else None

    def deadline_for_unit(self, unit: dict) -> datetime | None:
        """The due time (UTC) of the unit's next deadline not yet met, else its last one."""
        upcoming = next_deadline(self.cycle.progress(unit["id"]))
        return upcoming.deadline.due if upcoming else None

    def unit_lock(self, unit_id: str) -> threading.Lock:
        """The lock that serialises every change to one unit's materials and result."""
        with self._locks_guard:
            return self._unit_locks[unit_id]
