"""The trained mapping model: the office's config still rules, and the model is rebuilt
deterministically from committed files; the real-text set rebuilds from its manifest."""

from __future__ import annotations

import json
from dataclasses import replace

from bench import realtext
from bench.train_mapping import main as train_main
from scoring.engine import Scorer, SourceParagraph
from scoring.mapping_model import MappingModel
from scoring.rules import Indicator

CITY = "市直部门"
SAFETY = "全年开展安全生产隐患排查整治行动6次，排查整改隐患312处，组织应急演练14场，未发生较大以上安全事故。"
RIVERS = "全面落实河长制，全年巡河2.3万人次，整治河道问题点位186个，主要河流断面水质达标率100%。"


def _with_indicator(rules, indicator):
    first = rules.groups[0]
    return replace(rules, groups=(replace(first, children=first.children + (indicator,)),) + rules.groups[1:])


def _mapped(scorer, text):
    score = scorer.score([SourceParagraph(1, text, "自查报告.docx", "第1段")], CITY)
    return {item.indicator.id for item in score.indicators if item.evidence}


def test_the_shipped_model_is_small_and_knows_every_configured_label(scorer, shipped_config):
    model = scorer.model
    assert isinstance(model, MappingModel)
    assert {ind.id for ind in shipped_config.scoring.all_indicators()} <= set(model.labels)
    assert {"bonus", "deduction"} <= set(model.labels)
    assert model.text_weights.shape == (len(model.vocabulary), len(model.labels))


def test_a_new_indicator_with_no_training_data_is_found_by_its_name_keywords_and_description(shipped_config):
    rules = shipped_config.scoring
    base = rules.groups[0]
    safety = Indicator(id="aqsc", name="安全生产", group_id=base.id, group_name=base.name, points=10,
                       base_share=0.6, keywords=("安全生产", "隐患排查", "应急演练", "安全检查"),
                       description="安全生产责任落实、隐患排查整治、应急演练和事故防范")
    scorer = Scorer(_with_indicator(rules, safety))
    assert not scorer.model.knows("aqsc")
    assert "aqsc" in _mapped(scorer, SAFETY)
    assert "aqsc" not in _mapped(scorer, "局党组理论学习中心组全年集体学习14次，专题研讨6次，党组书记讲党课2次。")


def test_the_offices_keywords_change_what_is_found(scorer, shipped_config):
    assert "lxdc" not in _mapped(scorer, RIVERS)
    rules = shipped_config.scoring
    groups = tuple(replace(g, children=tuple(
        replace(i, strong_keywords=i.strong_keywords + ("河长制", "巡河")) if i.id == "lxdc" else i
        for i in g.children)) for g in rules.groups)
    assert "lxdc" in _mapped(Scorer(replace(rules, groups=groups)), RIVERS)


def test_the_model_builds_deterministically_from_committed_files(tmp_path, capsys):
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    no_real = str(tmp_path / "no-real-texts")
    assert train_main(["--realtext", no_real, "--out", str(first)]) == 0
    assert "training on the team's own paragraphs only" in capsys.readouterr().out
    assert train_main(["--realtext", no_real, "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert MappingModel.load(first).digest == MappingModel.load(second).digest


def test_the_real_text_set_rebuilds_from_fingerprints_and_refuses_changed_text(tmp_path, capsys):
    work, rebuilt = tmp_path / "work", tmp_path / "rebuilt"
    excerpt = ("某县司法局2025年度工作总结\n一、主要工作\n全年办理法律援助案件862件，同比增长6.1%，"
               "为受援群众挽回损失1300余万元。\n局党组理论学习中心组全年集体学习12次，开展专题研讨4次。")
    sid = realtext.add_source(work, "县司法局 工作总结", "https://example.gov.cn/a.html", "", "工作总结",
                              json.dumps(excerpt, ensure_ascii=False))
    realtext.set_labels(work, sid, ["1=qtfdzz", "2=sxzz"])
    manifest = tmp_path / "manifest.toml"
    assert realtext.write_manifest(work, manifest) == (1, 2)
    text = manifest.read_text(encoding="utf-8")
    assert "法律援助案件862件" not in text and 'fp = "全年办理法律援助案件"' in text

    rebuilt.mkdir()
    (rebuilt / f"{sid}.txt").write_text(excerpt, encoding="utf-8")
    sources, problems = realtext.rebuild(rebuilt, manifest)
    assert problems == []
    assert [sorted(p.labels) for p in sources[0].paragraphs] == [["qtfdzz"], ["sxzz"]]

    (rebuilt / f"{sid}.txt").write_text(excerpt.replace("862件", "900件"), encoding="utf-8")
    sources, problems = realtext.rebuild(rebuilt, manifest)
    assert problems == [f"{sid}: 1 of 2 paragraphs differ from the labelled text"]
    assert [sorted(p.labels) for p in sources[0].paragraphs] == [["sxzz"]]


def test_check_and_eval_say_clearly_when_the_real_texts_are_not_there(tmp_path, capsys):
    missing = str(tmp_path / "nowhere")
    assert realtext.main(["check", "--dir", missing]) == 1
    assert "The real texts are not there" in capsys.readouterr().out
    assert realtext.main(["eval", "--dir", missing]) == 1
    assert "no real-text figures" in capsys.readouterr().out
    assert realtext.main(["eval", "--dir", str(tmp_path), "--split", "test", "--errors"]) == 2
    assert "never printed" in capsys.readouterr().out


def test_the_second_labelling_matches_the_manifest_and_gives_the_agreement():
    text = realtext.agreement()
    first_line = text.splitlines()[0]
    assert first_line.startswith("two labellers on ") and "micro-F1" in first_line
    assert len(text.splitlines()) == 1 + len(realtext.LABELS)
