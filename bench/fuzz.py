"""Fuzz the upload parsers with mutated real and own files, bounded in time.

Seeds: the team's example report (.docx), a PDF and a .txt made from it, a regulation
(.md), and every file of ``../shared/corpus/`` when that folder is there (read in place,
never copied). Hypothesis draws a seed and a list of mutations:

- bytes: flip, overwrite with a boundary value, insert or delete a run, truncate, duplicate
  a slice;
- .docx (a zip): mutate the bytes of one member before re-zipping, drop a member, append a
  member whose declared size is huge, set a zip field (version, method, flags) to a value
  no reader knows;
- PDF: change a number in the object syntax (lengths, counts, references), remove an
  ``endobj`` / ``xref`` / ``trailer``.

Every case goes through ``parsers.parse_document`` with small limits (and, for a .md or
.docx seed, the regulation loader; for the office's survey table seeds, ``parse_survey``).
A case passes when it returns a result or raises ``parsers.DocumentRejected`` /
``BadSurvey`` (a Chinese reason for the user); anything else is a find, grouped by exception type and the innermost frame of the
project's code. Finds are printed with the seed and the mutation list that reproduces them;
``tests/test_fuzz_finds.py`` keeps each find fixed as a test.

    python -m bench.fuzz [--seconds 120] [--seed 1]
"""

from __future__ import annotations

import argparse
import io
import logging
import random
import re
import struct
import sys
import time
import traceback
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import DocumentRejected, ParseLimits, parse_document
from parsers.regulation import parse_regulation
from parsers.survey import BadSurvey, parse_survey

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
LIMITS = ParseLimits(max_pages=30, max_paragraphs=3000, max_chars=200_000, max_part_mb=8, max_seconds=10)
BOUNDARY = (b"\x00", b"\xff", b"\x7f", b"\x80", b"0", b"9", b"-1", b"99999999999", b"(", b")", b"<", b">", b"/")


def own_seeds() -> dict[str, bytes]:
    """The team's own files: the example report and what it makes (no third-party text)."""
    from bench.ingest import make_pdf

    report = (ROOT / "examples" / "sfj_self_check_2026.docx").read_bytes()
    text = "\n".join(p.text for p in parse_document(report, "r.docx").paragraphs)
    return {"example.docx": report, "example.pdf": make_pdf(2),
            "tables.pdf": make_pdf(2, tables=True, table_every=12), "example.txt": text.encode("utf-8"),
            "kaohe_banfa.md": (ROOT / "regulations" / "kaohe_banfa.md").read_bytes(),
            "survey.xlsx": _survey_xlsx(), "survey.csv": "单位,得分\n市司法局,92.5\n东城区,88\n".encode("gbk")}


def _survey_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["2026年度社会评价结果"])
    sheet.append(["单位", "得分"])
    for row in (["市司法局", 92.5], ["东城区", 88], ["合计", 180.5]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def corpus_seeds() -> dict[str, bytes]:
    if not CORPUS.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(CORPUS.iterdir())
            if p.is_file() and p.suffix.lower() in (".docx", ".pdf", ".doc", ".txt")}


# ---- mutations: (name, args) tuples, applied in order; a list of them reproduces a case ---------


def apply(data: bytes, mutations: list[tuple]) -> bytes:
    for name, *args in mutations:
        data = MUTATORS[name](data, *args)
    return data


def _at(data: bytes, where: float) -> int:
    return min(len(data), max(0, int(where * len(data))))


def flip(data, where, bit):
    i = _at(data, where)
    if i >= len(data):
        return data
    return data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1:]


def overwrite(data, where, value):
    i = _at(data, where)
    return data[:i] + BOUNDARY[value] + data[i + len(BOUNDARY[value]):]


def insert(data, where, size):
    i = _at(data, where)
    return data[:i] + bytes(random.Random(size).randrange(256) for _ in range(size)) + data[i:]


def delete(data, where, size):
    i = _at(data, where)
    return data[:i] + data[i + size:]


def truncate(data, where):
    return data[:_at(data, where)]


def duplicate(data, where, size):
    i = _at(data, where)
    return data[:i] + data[i:i + size] * 2 + data[i + size:]


def _rezip(data: bytes, edit) -> bytes:
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        members = [(info, source.read(info)) for info in source.infolist()]
    except Exception:  # not a readable zip (already mutated): leave it to the byte mutators
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info, body in edit(members):
            target.writestr(info.filename, body)
    return out.getvalue()


def zip_member(data, index, where, value):
    def edit(members):
        if not members:
            return members
        k = index % len(members)
        info, body = members[k]
        return members[:k] + [(info, overwrite(body, where, value))] + members[k + 1:]
    return _rezip(data, edit)


def zip_drop(data, index):
    return _rezip(data, lambda members: [m for i, m in enumerate(members) if i != index % max(1, len(members))])


def zip_bomb_member(data, megabytes):
    return _rezip(data, lambda members: members + [(zipfile.ZipInfo("word/media/big.bin"), b"\0" * (megabytes << 20))])


def zip_field(data, which, value, member=0):
    """Set a field (version needed, method or flags) of one member's local header and
    central directory entry to ``value``."""
    out = bytearray(data)
    offsets = {"version": (4, 6), "flags": (6, 8), "method": (8, 10)}  # (local, central)
    local, central = offsets[which]
    start = directory = -1
    for _ in range(member + 1):
        start = data.find(b"PK\x03\x04", start + 1)
        directory = data.find(b"PK\x01\x02", directory + 1)
    if start >= 0:
        struct.pack_into("<H", out, start + local, value)
    if directory >= 0:
        struct.pack_into("<H", out, directory + central, value)
    return bytes(out)


_NUMBER = re.compile(rb"(?<=[ /\[])\d{1,7}(?=[ \]R>\r\n])")


def pdf_number(data, index, value):
    found = list(_NUMBER.finditer(data))
    if not found:
        return data
    m = found[index % len(found)]
    return data[:m.start()] + str(value).encode() + data[m.end():]


def pdf_drop(data, keyword, index):
    word = (b"endobj", b"xref", b"trailer", b"stream", b"endstream", b"startxref")[keyword]
    spots = [m.start() for m in re.finditer(re.escape(word), data)]
    if not spots:
        return data
    i = spots[index % len(spots)]
    return data[:i] + data[i + len(word):]


MUTATORS = {f.__name__: f for f in (flip, overwrite, insert, delete, truncate, duplicate, zip_member,
                                   zip_drop, zip_bomb_member, zip_field, pdf_number, pdf_drop)}

where = st.floats(0, 1, allow_nan=False)
mutation = st.one_of(
    st.tuples(st.just("flip"), where, st.integers(0, 7)),
    st.tuples(st.just("overwrite"), where, st.integers(0, len(BOUNDARY) - 1)),
    st.tuples(st.just("insert"), where, st.integers(1, 64)),
    st.tuples(st.just("delete"), where, st.integers(1, 4096)),
    st.tuples(st.just("truncate"), where),
    st.tuples(st.just("duplicate"), where, st.integers(1, 4096)),
    st.tuples(st.just("zip_member"), st.integers(0, 30), where, st.integers(0, len(BOUNDARY) - 1)),
    st.tuples(st.just("zip_drop"), st.integers(0, 30)),
    st.tuples(st.just("zip_bomb_member"), st.integers(1, 12)),
    st.tuples(st.just("zip_field"), st.sampled_from(["version", "flags", "method"]),
              st.sampled_from([0, 1, 8, 12, 14, 20, 45, 63, 99, 0xFFFF]), st.integers(0, 20)),
    st.tuples(st.just("pdf_number"), st.integers(0, 10_000), st.sampled_from([0, 1, 2, 7, 65535, 2**31, 10**9])),
    st.tuples(st.just("pdf_drop"), st.integers(0, 5), st.integers(0, 50)),
)


@dataclass
class Finds:
    cases: int = 0
    accepted: int = 0
    refused: int = 0
    kinds: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)  # kind → (seed, mutations, message)


def where_it_failed(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/parsers/" in f.filename] or frames
    last = ours[-1]
    return f"{type(exc).__name__} at {Path(last.filename).name}:{last.lineno} ({last.name})"


def read(name: str, data: bytes) -> None:
    """What the bot does with such a file: a survey table for the office's .xlsx / .csv; an
    upload; for a regulation-like seed (.md, .docx) also the regulation loader."""
    if name.startswith("survey."):
        parse_survey(data, name)
        return
    parse_document(data, name, LIMITS)
    if name.endswith((".md", ".docx")):
        parse_regulation(data, name)


def run_case(name: str, data: bytes, finds: Finds, mutations: list) -> None:
    finds.cases += 1
    try:
        read(name, data)
        finds.accepted += 1
    except (DocumentRejected, BadSurvey):
        finds.refused += 1
    except Exception as exc:  # a find: not a clean refusal
        kind = where_it_failed(exc)
        finds.kinds[kind] += 1
        finds.examples.setdefault(kind, (name, mutations, str(exc)[:120]))


def fuzz(seconds: float, seed: int) -> Finds:
    """Run cases for ``seconds``; the pdfminer and pdfplumber warnings about the broken
    files are silenced (each case is judged by its outcome, not its log)."""
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    logging.getLogger("pdfplumber").setLevel(logging.ERROR)
    seeds = {**own_seeds(), **corpus_seeds()}
    names = sorted(seeds)
    finds = Finds()
    stop = time.monotonic() + seconds

    @settings(max_examples=100, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(names), st.lists(mutation, min_size=1, max_size=4))
    def case(name, mutations):
        if time.monotonic() < stop:
            run_case(name, apply(seeds[name], mutations), finds, mutations)

    random.seed(seed)
    while time.monotonic() < stop:
        case()
    return finds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.monotonic()
    finds = fuzz(args.seconds, args.seed)
    took = time.monotonic() - started
    print(f"seeds: own {len(own_seeds())} + corpus {len(corpus_seeds())}; cases: {finds.cases} in {took:.0f} s "
          f"({finds.accepted} read, {finds.refused} refused with a reason)")
    print(f"finds (not a clean refusal): {sum(finds.kinds.values())} cases, {len(finds.kinds)} distinct")
    for kind, count in finds.kinds.most_common():
        name, mutations, message = finds.examples[kind]
        print(f"- {count}× {kind}: {message!r}\n    seed {name}, mutations {mutations}")
    return 1 if finds.kinds else 0


if __name__ == "__main__":
    sys.exit(main())
