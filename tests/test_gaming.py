"""Hard to game: keyword lists, repeated and near-copied paragraphs, the same text as .docx and .pdf.

What the rules promise (and these tests hold them to):
- a document that only lists keywords (any layout) earns no base points at all;
- a paragraph repeated any number of times, exactly or with a figure changed, earns what
  it earns once: at most 1/evidence_needed of the base part (half, with the shipped
  config) of each of the at most ``max_indicators_per_paragraph`` indicators it serves;
- duplicate paragraphs across files count once;
- the same text uploaded as .docx and as .pdf gets the same score.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import SimpleDocTemplate

from parsers import parse_document
from scoring.engine import SourceParagraph

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sfj_self_check_2026.docx"
CITY = "市直部门"
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

REAL = ("全年承担市委市政府立项督查事项12项，建立督查事项台账，实行清单化管理，"
        "已办结销号11项，办结率91.7%，较上年提高4.2个百分点。")


def paras(texts, file_name="自查报告.docx"):
    return [SourceParagraph(i, t, file_name, f"第{i}段") for i, t in enumerate(texts, 1)]


def keyword_list_documents(rules):
    """The same keywords laid out the ways a gamer would."""
    inds = rules.all_indicators()
    comma = ["、".join(ind.all_keywords) for ind in inds]
    per_line = [w for ind in inds for w in ind.all_keywords]
    numbered = ["；".join(f"{n}是{w}" for n, w in zip("一二三四五六七八九十", ind.all_keywords, strict=False))
                for ind in inds]
    filler = [f"我局认真开展{'、'.join(ind.all_keywords[:6])}等工作。" for ind in inds]
    headed = [t for ind in inds for t in (f"{'一'}、{ind.name}", "，".join(ind.all_keywords))]
    return {"comma": comma, "per_line": per_line, "numbered": numbered, "filler": filler,
            "headed": headed}


def test_keyword_lists_earn_no_base_points(scorer, shipped_config):
    for layout, texts in keyword_list_documents(shipped_config.scoring).items():
        score = scorer.score(paras(texts), CITY)
        assert score.base_total == 0, layout
        assert score.effect_total == 0, layout


def test_a_repeated_paragraph_earns_what_it_earns_once(scorer, shipped_config):
    once = scorer.score(paras([REAL]), CITY)
    exact = scorer.score(paras([REAL] * 50), CITY)
    # Near copies: a figure or a word changed to make each copy look new.
    near = [REAL.replace("12项", f"{n}项").replace("91.7%", f"{90 + n % 9}.5%") for n in range(40)]
    near += [REAL.replace("清单化管理", f"清单化管理{'和动态调度' if n % 2 else '和月度通报'}")
             for n in range(10)]
    copied = scorer.score(paras(near), CITY)
    for score in (exact, copied):
        assert score.base_total == once.base_total
        assert score.total == once.total
    assert exact.duplicates_ignored == 49 and copied.duplicates_ignored >= 49
    rules = shipped_config.scoring
    served = [s for s in once.indicators if s.evidence]
    assert 1 <= len(served) <= rules.max_indicators_per_paragraph
    for item in served:
        assert item.base <= item.indicator.base_points / rules.evidence_needed_for(item.indicator)
    full_base = sum(ind.base_points for ind in rules.all_indicators())
    assert once.base_total <= 0.15 * full_base


def test_duplicates_across_files_count_once(scorer):
    one = scorer.score(paras([REAL, "局党组理论学习中心组全年集体学习14次，专题研讨6次。"]), CITY)
    both = paras([REAL], "a.docx") + paras([REAL, "局党组理论学习中心组全年集体学习14次，专题研讨6次。"], "b.pdf")
    assert scorer.score(both, CITY).total == one.total


def _pdf_of(paragraphs) -> bytes:
    style = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=16, wordWrap="CJK")
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build([RLParagraph(p.text, style) for p in paragraphs])
    return out.getvalue()


def _score(scorer, document, name):
    return scorer.score([SourceParagraph(i, p.text, name, p.location(), p.kind)
                         for i, p in enumerate(document.paragraphs)], CITY)


def test_same_text_as_docx_and_pdf_scores_the_same(scorer):
    docx = parse_document(EXAMPLE.read_bytes(), "自查报告.docx")
    pdf = parse_document(_pdf_of(docx.paragraphs), "自查报告.pdf")
    assert pdf.file_type == "pdf" and pdf.pages > 1  # paragraphs broken across pages too
    a, b = _score(scorer, docx, "自查报告.docx"), _score(scorer, pdf, "自查报告.pdf")
    assert [(s.indicator.id, s.base, s.effect) for s in a.indicators] == \
        [(s.indicator.id, s.base, s.effect) for s in b.indicators]
    assert (a.total, a.grade, a.bonus, a.deduction) == (b.total, b.grade, b.bonus, b.deduction)
    assert a.total > 60  # a real report, not two empty scores
