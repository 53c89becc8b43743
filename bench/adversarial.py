"""Hard to game, measured: attacks built from genuine reports, scored beside them.

Every attack is made from one genuine document (the team's example report, the team's test
set ``bench/mapping_test.toml`` and the test documents of ``bench/mapping_phenomena.toml``)
or from the configured keywords, and scored as the same unit's material:

- ``keyword_list`` / ``keyword_lines`` / ``keyword_filler``: the configured keywords of
  every indicator, as comma lists, one per line, or in a filler sentence each;
- ``keywords_in_brackets``: every paragraph of the genuine report with eight keywords of
  other indicators appended in brackets;
- ``keywords_as_sentence``: every paragraph with a sentence of keywords appended;
- ``padding``: every paragraph followed by two paragraphs of generic praise that repeat its
  topic word (paraphrase padding);
- ``one_line_claims``: the report boiled down to one line per figure, "keyword + figure";
- ``report_plus_claims``: the genuine report with those one-line claims added;
- ``report_twice``: the same report uploaded again as a second file.

The target (``MARGIN``): no attack outscores the genuine report it was built from by more
than 5 points of 100, and a keyword list earns at most 5 points. ``tests/test_adversarial.py``
holds the targets; this command prints every attack's score beside its genuine report's:

    python -m bench.adversarial [--config PATH] [--realtext DIR]

With ``--realtext DIR`` (the rebuilt real-text set, see ``bench/realtext.py``) the attacks
are also built from every real source of ``--split`` (test by default) with at least four
paragraphs, and only the summary is printed for them.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

from kaohe.config import load_config
from parsers import parse_document
from scoring.engine import Scorer, SourceParagraph
from scoring.rules import ScoringRules
from scoring.signals import find_signals

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "examples" / "sfj_self_check_2026.docx"
MARGIN = 5.0  # points of 100 an attack may gain over its genuine report
KEYWORD_LIST_CEILING = 5.0  # points a document of keywords alone may earn
PADDING = ("上述工作扎实推进、成效明显，{kw}工作得到上级充分肯定和群众广泛好评，为全年目标实现打下坚实基础。",
           "通过以上举措，{kw}相关工作机制更加健全、工作基础更加牢固、工作水平进一步提升，群众获得感不断增强。")

Document = tuple[str, str, list[SourceParagraph]]  # (name, category, paragraphs)


def genuine_documents() -> list[Document]:
    """The team-written genuine reports the attacks are built from."""
    docs: list[Document] = []
    parsed = parse_document(EXAMPLE.read_bytes(), EXAMPLE.name)
    docs.append(("示例自查报告", "市直部门",
                 [SourceParagraph(i, p.text, EXAMPLE.name, p.location, p.kind)
                  for i, p in enumerate(parsed.paragraphs)]))
    for path, split in ((HERE / "mapping_test.toml", None), (HERE / "mapping_phenomena.toml", "test")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for doc in data["documents"]:
            if split is not None and doc.get("split") != split:
                continue
            paragraphs = []
            for i, block in enumerate(doc["blocks"], start=1):
                kind = "heading" if "heading" in block else "text"
                paragraphs.append(SourceParagraph(i, block.get("heading") or block["text"], f"{doc['id']}.docx",
                                                  f"第{i}段", kind))
            docs.append((f"{doc['id']} {doc.get('unit', '')}", doc.get("category", "市直部门"), paragraphs))
    return docs


def _texts(paragraphs: list[SourceParagraph]) -> list[SourceParagraph]:
    return [p for p in paragraphs if p.kind == "text"]


def _renumber(texts: list[tuple[str, str]], file_name: str) -> list[SourceParagraph]:
    return [SourceParagraph(i, text, file_name, f"第{i}段", kind) for i, (text, kind) in enumerate(texts, 1)]


def _keywords(rules: ScoringRules) -> list[tuple[str, ...]]:
    return [ind.all_keywords for ind in rules.all_indicators()]


def attacks(rules: ScoringRules, paragraphs: list[SourceParagraph]) -> Iterator[tuple[str, list[SourceParagraph]]]:
    """(attack name, the attack's paragraphs) built from one genuine document."""
    groups = _keywords(rules)
    flat = [w for group in groups for w in group]
    yield "keyword_list", _renumber([("、".join(g), "text") for g in groups], "材料.docx")
    yield "keyword_lines", _renumber([(w, "text") for w in flat], "材料.docx")
    yield "keyword_filler", _renumber([(f"我单位认真开展{'、'.join(g[:6])}等工作，取得明显成效。", "text")
                                       for g in groups], "材料.docx")

    def rewrite(make: Callable[[int, SourceParagraph], list[str]]) -> list[SourceParagraph]:
        out = []
        for n, p in enumerate(paragraphs):
            if p.kind != "text":
                out.append((p.text, p.kind))
                continue
            out += [(t, "text") for t in make(n, p)]
        return _renumber(out, "材料.docx")

    def other_keywords(n: int) -> str:
        return "、".join(flat[(n * 8 + k * 13) % len(flat)] for k in range(8))

    yield "keywords_in_brackets", rewrite(lambda n, p: [f"{p.text}（{other_keywords(n)}）"])
    yield "keywords_as_sentence", rewrite(
        lambda n, p: [f"{p.text}本段工作涉及{other_keywords(n)}等方面。"])

    def padded(n: int, p: SourceParagraph) -> list[str]:
        topic = next((w for w in flat if w in p.text), "各项")
        return [p.text] + [line.format(kw=topic) for line in PADDING]

    yield "padding", rewrite(padded)
    claims = one_line_claims(paragraphs, flat)
    yield "one_line_claims", _renumber([(c, "text") for c in claims], "材料.docx")
    yield "report_plus_claims", list(paragraphs) + _renumber([(c, "text") for c in claims], "补充材料.docx")
    yield "report_twice", list(paragraphs) + [SourceParagraph(("b", p.ref), p.text, "材料(1).docx", p.location,
                                                              p.kind) for p in paragraphs]


def one_line_claims(paragraphs: list[SourceParagraph], keywords: list[str]) -> list[str]:
    """The report boiled down to "keyword + figure" lines, one per figure it reports."""
    claims = []
    for p in _texts(paragraphs):
        topic = next((w for w in keywords if w in p.text), None)
        if topic is None:
            continue
        for signal in find_signals(p.text)[:2]:
            claims.append(f"{topic}{signal.text}。")
    return claims


def real_documents(folder: Path, split: str = "test") -> list[Document]:
    """The real sources of ``split`` with at least four paragraphs, as genuine documents."""
    from bench.realtext import rebuild
    from bench.realtext_eval import CATEGORY, source_paragraphs

    sources, _ = rebuild(folder)
    return [(source.id, CATEGORY, source_paragraphs(source)[0]) for source in sources
            if source.split == split and len(source.paragraphs) >= 4]


def table(scorer: Scorer, documents: list[Document] | None = None) -> list[tuple[str, str, float, float]]:
    """(document, attack, genuine total, attack total) for every document and attack."""
    rows = []
    for name, category, paragraphs in documents if documents is not None else genuine_documents():
        genuine = scorer.score(paragraphs, category).total
        for attack, attacked in attacks(scorer.rules, paragraphs):
            rows.append((name, attack, genuine, scorer.score(attacked, category).total))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config.toml"))
    parser.add_argument("--realtext", default="", help="also attack the real sources in DIR")
    parser.add_argument("--split", default="test", choices=("train", "dev", "test"))
    args = parser.parse_args(argv)
    scorer = Scorer(load_config(args.config).scoring)
    rows = table(scorer)
    if args.realtext:
        real = table(scorer, real_documents(Path(args.realtext), args.split))
        summary(real, f"real {args.split}-split sources ({len(real) // 9} reports)")
    print(f"{'document':<22}{'attack':<22}{'genuine':>9}{'attack':>9}{'gain':>8}")
    for name, attack, genuine, total in rows:
        gain = total - genuine
        print(f"{name[:20]:<22}{attack:<22}{genuine:>9.1f}{total:>9.1f}{gain:>+8.1f}")
    summary(rows, "team-written reports")
    return 0


def summary(rows: list[tuple[str, str, float, float]], title: str) -> None:
    """Per attack: the worst case against the targets, and the mean genuine and attack totals."""
    print(f"\n== {title} ==")
    print(f"target: no attack gains more than {MARGIN:g} points; a keyword list earns at most "
          f"{KEYWORD_LIST_CEILING:g}")
    for attack in dict.fromkeys(name for _, name, _, _ in rows):
        mine = [(g, t) for _, name, g, t in rows if name == attack]
        keywords = attack.startswith("keyword_")
        value = max(t if keywords else t - g for g, t in mine)
        limit = KEYWORD_LIST_CEILING if keywords else MARGIN
        what = "highest score" if keywords else "largest gain"
        mean_g = sum(g for g, _ in mine) / len(mine)
        mean_t = sum(t for _, t in mine) / len(mine)
        print(f"{attack:<22}{what} {value:+6.1f}  {'met' if value <= limit else 'NOT met':<8}"
              f"mean genuine {mean_g:5.1f}, mean attack {mean_t:5.1f}")


if __name__ == "__main__":
    sys.exit(main())
