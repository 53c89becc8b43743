"""Hard to game, measured on attacks built from genuine reports (``bench/adversarial.py``).

Targets: no attack outscores the genuine report it was built from by more than
``MARGIN`` points of 100, and keywords alone earn at most ``KEYWORD_LIST_CEILING``.
"""

from __future__ import annotations

import pytest

from bench.adversarial import KEYWORD_LIST_CEILING, MARGIN, attacks, genuine_documents, main, table


@pytest.fixture(scope="module")
def rows(scorer):
    return table(scorer)


def test_every_attack_is_built_from_every_genuine_report(rows, scorer):
    docs = genuine_documents()
    names = {name for name, _ in attacks(scorer.rules, docs[0][2])}
    assert len(docs) >= 10 and len(names) >= 9
    assert len(rows) == len(docs) * len(names)
    genuine = {doc: score for doc, _, score, _ in rows}
    assert sum(score > 60 for score in genuine.values()) >= 5  # full reports among them, not empty ones


@pytest.mark.parametrize("attack", ["keyword_list", "keyword_lines", "keyword_filler"])
def test_keywords_alone_earn_almost_nothing(rows, attack):
    totals = [total for _, name, _, total in rows if name == attack]
    assert max(totals) <= KEYWORD_LIST_CEILING


@pytest.mark.parametrize("attack", ["keywords_in_brackets", "keywords_as_sentence", "padding",
                                    "one_line_claims", "report_plus_claims", "report_twice"])
def test_no_attack_outscores_its_genuine_report_by_more_than_the_margin(rows, attack):
    gains = {doc: total - genuine for doc, name, genuine, total in rows if name == attack}
    assert max(gains.values()) <= MARGIN, max(gains.items(), key=lambda kv: kv[1])


def test_one_line_claims_score_far_below_the_report_they_were_boiled_down_from(rows):
    pairs = [(genuine, total) for _, name, genuine, total in rows if name == "one_line_claims"]
    assert sum(total for _, total in pairs) < 0.5 * sum(genuine for genuine, _ in pairs)


def test_the_command_prints_each_attack_beside_its_genuine_report(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "genuine" in out and "padding" in out and "NOT met" not in out
