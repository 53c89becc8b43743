"""Uploads are parsed, and their units scored, in worker processes, not in the bot's own.

A heavy file (hundreds of pages, a huge .docx) then never holds the bot process's
interpreter lock, its memory peak ends with the worker, and the workers run at a lower CPU
priority than the bot, so questions and small uploads stay quick while it is read. At most
one file of a unit is parsed at a time, so one unit sending many files cannot take every
worker from the others. A worker that dies on a file (a crash inside a PDF library) costs
that file only: the pool is rebuilt and the file refused as unreadable.

Scans and photos (no text layer) are then read by OCR in a process of its own per document,
one document at a time: the recogniser takes about 1 GB, returned when the document is
done; a scan waits for the one before it, nothing else does.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from parsers import (
    CorruptDocument,
    ImageOnlyDocument,
    ParsedDocument,
    ParseLimits,
    TooLargeDocument,
    parse_document,
)
from parsers.ocr import NOTHING_READ_REASON, TOO_SLOW_REASON, OcrResult, OcrRules, ocr_document
from scoring.engine import Scorer, SourceParagraph, UnitScore
from scoring.rules import ScoringRules

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
PROGRESS_SECONDS = 0.5  # how often the OCR process's page is looked at
NICENESS = 10  # workers yield the CPU to the bot process (questions, replies)
TASKS_PER_WORKER = 200  # a worker is replaced after this many tasks (memory back to the system)
GRACE_SECONDS = 30  # past max_seconds a parse that has not stopped itself is given up on
CRASHED = ("这个文件在读取时导致解析程序异常退出，可能已损坏或含有无法处理的内容。"
           "请在 Word/WPS 中打开后重新“另存为” .docx 或导出为 PDF，再重新上传。")
HUNG = ("读取这个文件超过了 {seconds:g} 秒的时间上限（[limits] max_seconds），已停止。"
        "请删去不必要的内容（如大量图片、嵌入对象）或拆分成几个文件后重新上传。")


_worker_rules: ScoringRules | None = None
_worker_scorer: Scorer | None = None


def _start_worker(rules: ScoringRules | None) -> None:
    global _worker_rules, _worker_scorer
    _worker_rules = rules
    try:
        os.nice(NICENESS)
    except OSError:  # not permitted here: same priority is still correct, only less polite
        pass
    if rules is not None:  # ready now, not built in the middle of someone's upload
        from kaohe import worker_preload

        shared = worker_preload.preloaded
        _worker_scorer = shared[1] if shared and shared[0] == rules else Scorer(rules)


def _ready() -> int:
    return os.getpid()


def _score_in_worker(paragraphs: list[SourceParagraph], category: str) -> UnitScore:
    """In a worker: the unit's score (with the scorer the worker built when it started)."""
    global _worker_scorer
    if _worker_scorer is None:
        _worker_scorer = Scorer(_worker_rules)
    return _worker_scorer.score(paragraphs, category)


def _merge(base: ParsedDocument | None, read: OcrResult, image: bool) -> ParsedDocument:
    """The text layer's paragraphs with the recognised pages' in page order, and a note
    saying which pages were recognised and how sure the recognition is. Pages where
    recognition found no text keep the parser's "no text layer" warning; a document with no
    text at all is refused."""
    pages = tuple(p.page for p in read.pages if p.paragraphs)
    if not pages:
        if base is None:
            raise ImageOnlyDocument(NOTHING_READ_REASON)
        return base
    own = [p for p in (base.paragraphs if base else ()) if p.page not in pages]
    paragraphs = sorted(own + read.paragraphs(), key=lambda p: (p.page or 0, p.index))
    confidence = read.confidence
    unread = [p.page for p in read.pages if not p.paragraphs]
    sure = f"，识别置信度 {confidence:.1%}" if confidence is not None else ""
    where = "图片" if image else (f"第{_span(pages)}页（扫描页）" if base else "扫描件")
    note = f"{where}的文字由文字识别（OCR）读出{sure}，请核对引用的原文。"
    warnings = tuple(w for w in (base.warnings if base else ()) if "没有文字层" not in w) + (note,)
    if unread:
        warnings += (f"第{_span(tuple(unread))}页没有文字层，文字识别也没有读出文字，其中的内容未能读取。",)
    sealed = tuple(sorted(set(base.sealed_pages if base else ()) | set(read.sealed_pages)))
    return ParsedDocument(
        file_type="image" if image else "pdf", paragraphs=tuple(paragraphs),
        pages=base.pages if base else (None if image else len(read.pages)), warnings=warnings,
        ocr_pages=pages, ocr_confidence=confidence, sealed_pages=sealed)


def _tell(note: str, told: str | None, progress: Progress | None) -> str | None:
    """Pass the OCR process's "n/total" to ``progress`` when it changed."""
    try:
        with open(note, encoding="utf-8") as f:
            now = f.read().strip()
    except OSError:
        return told
    if progress is not None and now and now != told:
        page, _, pages = now.partition("/")
        try:
            progress(int(page), int(pages))
        except Exception:  # the chat's progress message is a courtesy: never the upload's end
            log.warning("progress callback failed", exc_info=True)
    return now


def _span(pages: tuple[int, ...]) -> str:
    if len(pages) > 1 and list(pages) == list(range(pages[0], pages[-1] + 1)):
        return f"{pages[0]}–{pages[-1]}"
    return "、".join(map(str, pages[:10])) + ("等" if len(pages) > 10 else "")


_RULES_FILE: str | None = None


def _name_rules_for_the_fork_server(rules: ScoringRules) -> None:
    """Write ``rules`` where ``kaohe.worker_preload`` finds them when the fork server starts
    (once per process: a server already running keeps what it preloaded, and workers whose
    rules differ build their own scorer)."""
    global _RULES_FILE
    if _RULES_FILE is not None:
        return
    import atexit
    import pickle

    from kaohe.worker_preload import RULES_ENV

    handle, path = tempfile.mkstemp(prefix="kaohe-rules-", suffix=".pickle")
    with os.fdopen(handle, "wb") as f:
        pickle.dump(rules, f)
    _RULES_FILE = os.environ[RULES_ENV] = path
    atexit.register(_remove, path)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class LazyScorer:
    """A ``Scorer`` built on its first use: ``rules`` is there at once (what ``ParsePool.score``
    compares), the model and dictionary only when scoring falls back to this process."""

    def __init__(self, rules: ScoringRules):
        self.rules = rules
        self._scorer: Scorer | None = None
        self._guard = threading.Lock()

    def score(self, paragraphs: list[SourceParagraph], category: str) -> UnitScore:
        with self._guard:
            if self._scorer is None:
                self._scorer = Scorer(self.rules)
        return self._scorer.score(paragraphs, category)


class ParsePool:
    """Parses uploads in ``workers`` processes (0: in the calling thread, for tools)."""

    def __init__(self, workers: int, target: Callable[..., ParsedDocument] = parse_document,
                 rules: ScoringRules | None = None, ocr: OcrRules | None = None):
        self.workers = workers
        self.ocr = ocr  # None: scans and photos are refused
        self._ocr_guard = threading.Lock()  # one document recognised at a time
        self.rules = rules  # with rules, units are scored in the workers too (``score``)
        self._target = target  # module-level, so a worker process can import it
        self._pool: ProcessPoolExecutor | None = None
        self._guard = threading.Lock()
        self._unit_slots: dict[str, threading.Lock] = defaultdict(threading.Lock)

    def parse(self, unit_id: str, data: bytes, file_name: str, limits: ParseLimits,
              progress: Progress | None = None) -> ParsedDocument:
        """The parsed file, or a ``parsers.DocumentRejected`` (nothing else escapes).
        ``progress(page, pages)`` is called as text recognition reaches each page."""
        with self._guard:
            slot = self._unit_slots[unit_id]
        with slot:
            try:
                if self.workers <= 0:
                    document = self._target(data, file_name, limits)
                else:
                    document = self._in_worker(data, file_name, limits)
            except ImageOnlyDocument as nothing:
                if self.ocr is None or not self.ocr.enabled or not (nothing.pages or nothing.image):
                    raise
                return _merge(None, self._recognise(data, nothing.pages or None, not nothing.image, progress),
                              nothing.image)
            if document.scanned_pages and self.ocr is not None and self.ocr.enabled:
                return _merge(document, self._recognise(data, document.scanned_pages, True, progress), False)
            return document

    def _recognise(self, data: bytes, pages: tuple[int, ...] | None, is_pdf: bool,
                   progress: Progress | None = None) -> OcrResult:
        """OCR in a process of its own that ends with the document (its memory goes back);
        the page it is on is passed to ``progress`` while it runs."""
        rules = self.ocr
        with self._ocr_guard, tempfile.TemporaryDirectory(prefix="kaohe-ocr-") as folder:
            note = os.path.join(folder, "progress")
            if self.workers <= 0:
                return ocr_document(data, is_pdf, pages, rules.max_pages, rules.max_seconds)
            context = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker,
                                     initargs=(None,)) as pool:
                future = pool.submit(ocr_document, data, is_pdf, pages, rules.max_pages, rules.max_seconds, note)
                deadline = time.monotonic() + rules.max_seconds + GRACE_SECONDS
                try:
                    told = None
                    while True:
                        try:
                            return future.result(timeout=PROGRESS_SECONDS)
                        except FutureTimeout:
                            if time.monotonic() > deadline:
                                raise
                        told = _tell(note, told, progress)
                except FutureTimeout:
                    for process in list(getattr(pool, "_processes", {}).values()):
                        process.kill()
                    raise TooLargeDocument(TOO_SLOW_REASON.format(seconds=rules.max_seconds)) from None
                except BrokenProcessPool:
                    raise CorruptDocument(CRASHED) from None

    def score(self, paragraphs: list[SourceParagraph], category: str, here: Scorer) -> UnitScore:
        """The unit's score over ``paragraphs``, computed in a worker (the scoring is most of
        an upload's CPU); ``here`` scores in the calling thread when there are no workers or
        the pool broke."""
        if self.workers <= 0 or self.rules is None or here.rules is not self.rules:
            # No workers, or the scorer was replaced since they started (other rules): here.
            return here.score(paragraphs, category)
        try:
            return self._ensure_pool().submit(_score_in_worker, paragraphs, category).result()
        except BrokenProcessPool:
            log.error("a worker died while scoring: scored in the bot process instead")
            return here.score(paragraphs, category)

    def warm(self) -> int:
        """Start the workers now (each builds its scorer), so the first uploads after a start
        do not wait for that; returns how many answered."""
        if self.workers <= 0:
            return 0
        pool = self._ensure_pool()
        return len({f.result() for f in [pool.submit(_ready) for _ in range(self.workers * 2)]})

    def _in_worker(self, data: bytes, file_name: str, limits: ParseLimits) -> ParsedDocument:
        for attempt in (1, 2):
            pool = self._ensure_pool()
            try:
                future = pool.submit(self._target, data, file_name, limits)
                return future.result(timeout=limits.max_seconds + GRACE_SECONDS)
            except FutureTimeout:
                log.error("parsing %r did not stop itself: the workers are restarted", file_name)
                self._discard(pool, kill=True)
                raise TooLargeDocument(HUNG.format(seconds=limits.max_seconds)) from None
            except BrokenProcessPool:
                # Another file may have broken the pool under this one: one more try decides.
                self._discard(pool, kill=False)
                if attempt == 2:
                    log.error("a parser worker died on %r", file_name)
                    raise CorruptDocument(CRASHED) from None
        raise AssertionError("unreachable")

    def _ensure_pool(self) -> ProcessPoolExecutor:
        with self._guard:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                if self.rules is not None:
                    _name_rules_for_the_fork_server(self.rules)
                context.set_forkserver_preload(["parsers", "scoring.engine", "kaohe.worker_preload"])
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=context, initializer=_start_worker, initargs=(self.rules,),
                    max_tasks_per_child=TASKS_PER_WORKER)
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor, kill: bool) -> None:
        with self._guard:
            if self._pool is pool:
                self._pool = None
        if kill:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
