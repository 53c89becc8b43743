"""What ``python -m bench.fuzz`` found, each kept fixed: a damaged file gets a Chinese reason
(or is read), never an internal error. The cases are rebuilt from the team's own example."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from bench import fuzz
from parsers import CorruptDocument, DocumentRejected, parse_document
from tests.conftest import EXAMPLE_REPORT

REPORT = EXAMPLE_REPORT.read_bytes()


def _members() -> list[str]:
    return zipfile.ZipFile(io.BytesIO(REPORT)).namelist()


@pytest.mark.parametrize("member", [0, 4, 6])  # [Content_Types].xml, word/document.xml, word/styles.xml
def test_a_zip_version_no_reader_knows_is_refused_as_damaged(member):
    """Was: NotImplementedError('zip file version 9.9') from zipfile, in type detection."""
    with pytest.raises(CorruptDocument):
        parse_document(fuzz.zip_field(REPORT, "version", 99, member), "自查报告.docx")


def test_a_broken_deflate_stream_in_the_content_types_is_refused_or_read():
    """Was: zlib.error ('invalid distance too far back') while detecting the file type."""
    names = _members()
    assert names[0] == "[Content_Types].xml"
    broken = fuzz.zip_member(REPORT, 0, 0.5, 0)  # re-zipped with a changed byte …
    start = broken.find(b"PK\x03\x04")
    body = start + 30 + len(names[0])
    data = broken[:body + 5] + bytes([broken[body + 5] ^ 0xFF]) + broken[body + 6:]  # … then its deflate bits
    with pytest.raises(zlib.error):
        zipfile.ZipFile(io.BytesIO(data)).read(names[0])  # the case really is a broken stream
    try:
        parse_document(data, "自查报告.docx")
    except DocumentRejected as refused:
        assert "损坏" in refused.reason or "无法" in refused.reason


def test_a_styles_part_of_the_wrong_type_is_ignored_and_the_text_read():
    """Was: AttributeError "'Part' object has no attribute 'styles'"."""
    source = zipfile.ZipFile(io.BytesIO(REPORT))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "[Content_Types].xml":
                body = body.replace(b"wordprocessingml.styles+xml", b"wordprocessingml.nothing+xml")
            target.writestr(info.filename, body)
    parsed = parse_document(out.getvalue(), "自查报告.docx")
    assert len(parsed.paragraphs) == len(parse_document(REPORT, "r.docx").paragraphs)


def test_a_short_fuzz_run_over_our_own_files_finds_nothing():
    finds = fuzz.Finds()
    seeds = fuzz.own_seeds()
    import random

    rng = random.Random(7)
    kinds = list(fuzz.MUTATORS)
    for _ in range(300):
        name = rng.choice(sorted(seeds))
        mutation = rng.choice(kinds)
        args = {"flip": (rng.random(), rng.randrange(8)), "overwrite": (rng.random(), rng.randrange(len(fuzz.BOUNDARY))),
                "insert": (rng.random(), rng.randrange(1, 64)), "delete": (rng.random(), rng.randrange(1, 4096)),
                "truncate": (rng.random(),), "duplicate": (rng.random(), rng.randrange(1, 4096)),
                "zip_member": (rng.randrange(20), rng.random(), rng.randrange(len(fuzz.BOUNDARY))),
                "zip_drop": (rng.randrange(20),), "zip_bomb_member": (rng.randrange(1, 4),),
                "zip_field": (rng.choice(["version", "flags", "method"]), rng.choice([1, 99, 0xFFFF]), rng.randrange(20)),
                "pdf_number": (rng.randrange(5000), rng.choice([0, 7, 2**31])),
                "pdf_drop": (rng.randrange(6), rng.randrange(50))}[mutation]
        mutations = [(mutation, *args)]
        fuzz.run_case(name, fuzz.apply(seeds[name], mutations), finds, mutations)
    assert finds.cases == 300 and finds.refused > 0 and finds.accepted > 0
    assert not finds.kinds, finds.examples


def test_the_fuzzer_reports_an_error_that_is_not_a_clean_refusal(monkeypatch):
    def careless(name, data):
        raise KeyError("word/styles.xml")

    monkeypatch.setattr(fuzz, "read", careless)
    finds = fuzz.Finds()
    fuzz.run_case("example.docx", REPORT, finds, [])
    (kind,) = finds.kinds
    assert kind.startswith("KeyError at") and "(careless)" in kind and finds.refused == 0


def test_a_pdf_whose_page_dictionary_breaks_on_close_is_still_read():
    """Was: PdfminerException('Invalid dictionary construct') raised by pdfplumber's close,
    after every page had been read."""
    from parsers.pdf_parser import _LazyPlumber

    class Broken:
        def close(self):
            raise ValueError("Invalid dictionary construct")

    plumber = _LazyPlumber(b"%PDF-1.4")
    plumber._pdf = Broken()
    plumber.close()  # logged, not raised
    assert plumber._pdf is None
    mutations = [("zip_member", 6, 0.129, 4), ("overwrite", 0.129, 1), ("delete", 1.0, 3753)]
    seeds = fuzz.own_seeds()
    finds = fuzz.Finds()
    fuzz.run_case("example.pdf", fuzz.apply(seeds["example.pdf"], mutations), finds, mutations)
    assert not finds.kinds


def test_a_page_with_an_absurd_media_box_is_read_without_rendering_gigabytes():
    """Was: MemoryError from pypdfium2's render, looking for a seal on a page whose media box
    starts at x = 2^31 (found as "Crop exceeds page dimensions" on another file)."""
    import pypdfium2 as pdfium

    from parsers.pdf_parser import MAX_RENDER_PIXELS, render_page

    seed = fuzz.own_seeds()["tables.pdf"]
    broken = seed.replace(b"/MediaBox [ 0 0 595.2756", b"/MediaBox [ 2147483648 0 595.2756")
    assert broken != seed
    parsed = parse_document(broken, "自查报告.pdf")
    assert [p.text for p in parsed.paragraphs] == [p.text for p in parse_document(seed, "r.pdf").paragraphs]
    huge = seed.replace(b"/MediaBox [ 0 0 595.2756 841.8898 ]", b"/MediaBox [ 0 0 14400 14400 ]")
    document = pdfium.PdfDocument(huge)
    try:
        page = document[0]
        image = render_page(page, 200)  # 40,000 px square at 200 dpi: drawn smaller
        assert image.width * image.height <= MAX_RENDER_PIXELS
        page.close()
    finally:
        document.close()
