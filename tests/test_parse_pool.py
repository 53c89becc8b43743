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
