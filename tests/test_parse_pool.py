"""Uploads are read in worker processes: same result as in the bot's thread; a worker that
dies on a file refuses that file only."""

from __future__ import annotations

import os

import pytest

from kaohe.parsing import CRASHED, ParsePool
from parsers import CorruptDocument, ParseLimits, parse_document
from tests.conftest import EXAMPLE_REPORT

POISON = b"%PDF-1.4 kill the worker"


def parse_or_die(data: bytes, file_name: str, limits: ParseLimits):
    """A parser that takes its process down on one file, as a crash inside a PDF library would."""
    if data == POISON:
        os._exit(1)
    return parse_document(data, file_name, limits)


def test_a_worker_reads_a_file_as_the_bot_would():
    pool = ParsePool(2)
    try:
        data = EXAMPLE_REPORT.read_bytes()
        here = parse_document(data, EXAMPLE_REPORT.name, ParseLimits())
        there = pool.parse("sfj", data, EXAMPLE_REPORT.name, ParseLimits())
        assert [p.text for p in there.paragraphs] == [p.text for p in here.paragraphs]
        assert there.file_type == here.file_type and there.chars == here.chars
    finally:
        pool.close()


def test_a_worker_dying_on_a_file_refuses_that_file_and_the_next_one_is_read():
    pool = ParsePool(1, target=parse_or_die)
    try:
        with pytest.raises(CorruptDocument) as refused:
            pool.parse("sfj", POISON, "坏文件.pdf", ParseLimits())
        assert refused.value.reason == CRASHED
        parsed = pool.parse("sfj", EXAMPLE_REPORT.read_bytes(), EXAMPLE_REPORT.name, ParseLimits())
        assert parsed.paragraphs
    finally:
        pool.close()


def test_limits_are_enforced_inside_the_worker():
    pool = ParsePool(1)
    try:
        from parsers import TooLargeDocument

        with pytest.raises(TooLargeDocument, match="10 段"):
            pool.parse("sfj", EXAMPLE_REPORT.read_bytes(), EXAMPLE_REPORT.name, ParseLimits(max_paragraphs=10))
    finally:
        pool.close()


def test_a_unit_scored_in_a_worker_gets_the_score_it_gets_here(config, scorer):
    from dataclasses import replace

    from kaohe.services import Services

    totals = []
    for workers in (0, 1):
        cfg = replace(config, parse_workers=workers, storage_dir=config.storage_dir / f"w{workers}")
        svc = Services(cfg, scorer=scorer)
        try:
            outcome = svc.ingest("sfj", 1, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
            totals.append((outcome.score.total, [(i.indicator.id, i.coverage, i.total, len(i.evidence))
                                                 for i in outcome.score.indicators]))
        finally:
            svc.close()
    assert totals[0] == totals[1] and totals[0][0] > 0


def test_the_bot_process_builds_no_scorer_of_its_own_while_workers_score(config):
    """Uploads, a duplicate and a withdrawal are all scored in the parser processes: the bot
    process never loads the scoring model and dictionary (about 65 MB)."""
    from kaohe.parsing import LazyScorer
    from kaohe.services import Services

    svc = Services(config)
    try:
        assert isinstance(svc.scorer, LazyScorer)
        first = svc.ingest("sfj", 1, EXAMPLE_REPORT.name, EXAMPLE_REPORT.read_bytes())
        svc.ingest("sfj", 1, "副本.docx", EXAMPLE_REPORT.read_bytes())  # the same bytes again
        withdrawn = svc.withdraw("sfj", first.receipt.submission_id, 1)
        assert first.score.total > 0 and withdrawn.result.total == 0
        assert svc.scorer._scorer is None
    finally:
        svc.close()


def test_without_the_ocr_package_a_scan_is_refused_saying_so(monkeypatch):
    import io

    from PIL import Image

    from parsers import ImageOnlyDocument, ocr
    from parsers.ocr import OcrRules

    monkeypatch.setattr(ocr, "available", lambda: False)
    image = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(image, format="PNG")
    pool = ParsePool(0, ocr=OcrRules())
    with pytest.raises(ImageOnlyDocument) as refused:
        pool.parse("sfj", image.getvalue(), "照片.png", ParseLimits())
    assert "没有安装文字识别组件" in refused.value.reason


def test_a_scan_beyond_the_ocr_page_limit_is_refused_naming_it():
    import io

    from PIL import Image

    from parsers import TooLargeDocument
    from parsers.ocr import OcrRules

    pages = [Image.new("RGB", (300, 400), "white") for _ in range(3)]
    scan = io.BytesIO()
    pages[0].save(scan, format="PDF", save_all=True, append_images=pages[1:])
    pool = ParsePool(0, ocr=OcrRules(max_pages=2))
    with pytest.raises(TooLargeDocument, match=r"3 页需要文字识别.*2 页的识别上限"):
        pool.parse("sfj", scan.getvalue(), "扫描件.pdf", ParseLimits())


def _which_scorer() -> tuple[int, bool]:
    """In a worker: its pid, and whether its scorer is the one the fork server built."""
    import time

    from kaohe import parsing, worker_preload

    time.sleep(0.2)  # long enough for the tasks to spread over both workers
    shared = worker_preload.preloaded
    return os.getpid(), shared is not None and parsing._worker_scorer is shared[1]


PRELOAD_SCRIPT = """
import sys
from dataclasses import replace
from pathlib import Path
from kaohe.config import load_config
from kaohe.parsing import ParsePool
from tests.test_parse_pool import _which_scorer

if __name__ == "__main__":
    rules = load_config(Path("config.toml")).scoring
    for label, pool_rules in (("same", rules), ("other", replace(rules, model_path=""))):
        pool = ParsePool(2, rules=pool_rules)
        pool.warm()
        futures = [pool._ensure_pool().submit(_which_scorer) for _ in range(6)]
        seen = {f.result() for f in futures}
        print(label, len({pid for pid, _ in seen}), sorted({shared for _, shared in seen}))
        pool.close()
"""


def test_workers_share_the_scorer_the_fork_server_built_before_forking(tmp_path):
    """The scorer (model and dictionary, ~80 MB) is built once in the fork server, so the
    workers share its pages instead of each building its own; a pool with other rules
    still gets its own scorers. In a fresh interpreter: the fork server is started once per
    process, and this test's must start with these rules."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    script = tmp_path / "preload.py"
    script.write_text(PRELOAD_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("KAOHE_WORKER_RULES", None)
    done = subprocess.run([sys.executable, str(script)], cwd=root, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["same 2 [True]", "other 2 [False]"]
