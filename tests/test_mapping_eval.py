"""The paragraph → indicator mapping on the team's labelled documents stays above its targets,
and ``python -m bench.mapping_eval`` prints the figures and the per-indicator table."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.mapping_eval import SETS, Tally, evaluate, main


@pytest.fixture(scope="module")
def tallies(scorer):
    return {name: evaluate(scorer, path) for name, path in SETS.items()}


def test_the_labelled_set_is_big_and_varied_enough(tallies):
    total = sum(t.paragraphs for t in tallies.values())
    none = sum(t.none_total for t in tallies.values())
    assert total >= 200
    assert 0.12 <= none / total <= 0.2


def test_micro_f1_and_every_indicator_meet_the_targets(tallies, shipped_config):
    combined = Tally(Counter(), Counter(), Counter())
    for tally in tallies.values():
        combined.tp += tally.tp
        combined.fp += tally.fp
        combined.fn += tally.fn
    assert combined.prf()[2] >= 0.85
    for ind in shipped_config.scoring.all_indicators():
        assert combined.prf(ind.id)[2] >= 0.7, ind.name
    for name, tally in tallies.items():  # each set on its own, the held-out ones included
        assert tally.prf()[2] >= 0.85, name


def test_the_command_prints_precision_recall_f1_and_the_table(capsys):
    assert main(["--set", "test"]) == 0
    out = capsys.readouterr().out
    assert "micro  P" in out and "F1" in out
    assert "其他法定职责" in out and "lowest per-indicator F1" in out
