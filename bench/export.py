"""Benchmark: /export for a province — workbook, report and charts for 5,000 units — and the
workbook writers side by side on the same rows.

Run with ``.venv/bin/python -m bench.export [--units 5000] [--small 500] [--evidence 60]
[--candidates DIR] [--no-writers]``.

**The export.** Fills a temporary database the way ``bench.overview`` does (liaisons, ~60% of
units with a submission and a score, the reminder ledger), gives each scored unit
``--evidence`` evidence rows (a real report has 50–150), then runs ``export_all`` as the bot
does: one snapshot, the files written in an export process of their own. Prints the seconds
of each stage (the workbook's share of the whole), the export process's peak RSS (the
kernel's high-water mark: nothing traced, so it costs nothing) and the file sizes; the same
for ``--small`` units, so the ratio shows the memory is bounded.

**The writers.** On one snapshot of the ``--units`` database, each candidate writes the
workbook's eight sheets from the same rows, in a fresh process of its own: seconds, the
process's peak RSS and how much writing added to it, the file's size. A pass that only makes
the rows gives their cost, so "writer" is the rest. Each candidate also writes a small
workbook with every feature the office's has, read back with openpyxl for what Excel and WPS
would show: panes frozen under the header, the filter on the header row, column widths,
number and date formats, the header's style, an empty sheet's header, and a sheet longer than
the row limit (patched to 2 here) continued in 「名称（续2）」.

Candidates: the shipped writer (``kaohe.writers.xlsx``) and openpyxl's write-only mode (the
writer before it; openpyxl stays installed for reading survey spreadsheets); when importable,
XlsxWriter (``constant_memory``), pyexcelerate, rustpy-xlsxwriter, excelize and fastxlsx.
Those are not the project's dependencies: install them apart and pass the folder, e.g.
``.venv/bin/python -m pip install --target /tmp/xlsx-candidates xlsxwriter==3.3.1
pyexcelerate==0.13.0 rustpy-xlsxwriter==0.8.0 excelize==0.1.0 fastxlsx==0.2.0`` (then remove
the numpy that fastxlsx pulls into that folder) and ``--candidates /tmp/xlsx-candidates``.

Targets (5,000 units, 2 cores): whole export ≤ 20 s, workbook ≤ 8 s, export process peak RSS
≤ 150 MB, this benchmark under 3 minutes.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import resource
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone
from itertools import chain, islice
from pathlib import Path

from kaohe.exports import export_all, workbook_sheets
from kaohe.writers import workbook as wb
from kaohe.writers.xlsx import clean_text

# The export and candidate processes import this module again (as multiprocessing's main):
# what only building the databases needs (the bot's handlers, the services) is imported there.
NOW = datetime(2026, 12, 18, 2, 0, tzinfo=timezone.utc)  # bench.overview's

TARGET_SECONDS, TARGET_WORKBOOK, TARGET_MB, TARGET_BENCH = 20, 8, 150, 180


def widen_evidence(svc, per_unit: int) -> int:
    """Give every scored unit ``per_unit`` evidence rows, as a real report's score has
    (the example report has 156); populate() writes one."""
    with svc.store.transaction() as db:
        db.execute(f"""insert into evidence (unit_id, indicator_id, kind, paragraph_id, snippet, detail, rank)
                       select e.unit_id, e.indicator_id, case when n.k % 3 = 0 then 'effect' else 'base' end,
                              e.paragraph_id, e.snippet || '（第' || n.k || '条）', e.detail, n.k + 1
                       from evidence e, (with recursive c(k) as (select 1 union all select k + 1 from c
                                         where k < {per_unit - 1}) select k from c) n""")
        return db.execute("select count(*) from evidence").fetchone()[0]


def measure(units: int, evidence: int, tmp: Path, keep_snapshot: Path | None = None) -> dict:
    """Build a database of ``units`` units and export it as the bot does."""
    from bench.overview import ROOT, build_config, populate
    from kaohe.config import load_config
    from kaohe.services import Services

    config = build_config(load_config(ROOT / "config.toml"), units, tmp / f"data{units}")
    config = replace(config, regulations_dir=None)
    svc = Services(config)
    try:
        made = populate(svc)
        made["evidence"] = widen_evidence(svc, evidence)
        gc.collect()
        files = export_all(config, svc.store, tmp / f"out{units}", NOW)
        if keep_snapshot is not None:
            svc.store.snapshot_to(keep_snapshot)
    finally:
        svc.close()
    return {"config": config, "units": made["units"], "submitted": made["submitted"],
            "evidence": made["evidence"], "seconds": files.seconds, "peak_mb": files.peak_rss / 2**20,
            "start_mb": files.start_rss / 2**20,
            "xlsx_kb": files.workbook.stat().st_size / 1024, "docx_kb": files.report.stat().st_size / 1024,
            "rows": sum(files.rows.values())}


# ---- the candidate writers -----------------------------------------------------------------
# Each takes (path, title, sheets) as kaohe.writers.workbook.write_workbook does and writes
# what it can of the same features. They run in the candidate's own process.


def _parts(sheet: wb.Sheet):
    """(name, rows) for each part of a sheet: a new 「（续n）」 part every wb.MAX_DATA_ROWS rows
    (each part's rows must be read before the next part is asked for)."""
    rows, part = iter(sheet.rows), 1
    while True:
        chunk = islice(rows, wb.MAX_DATA_ROWS)
        first = next(chunk, None)
        if first is None and part > 1:
            return
        yield (sheet.name if part == 1 else f"{sheet.name}（续{part}）",
               chain([first], chunk) if first is not None else iter(()))
        part += 1


def shipped(path, title, sheets):
    return wb.write_workbook(path, title, sheets)


def rows_only(path, title, sheets):
    """Makes the rows and touches every value, writes nothing: what the rows cost."""
    counts = {}
    for sheet in sheets:
        n = 0
        for row in sheet.rows:
            for _ in row:
                pass
            n += 1
        counts[sheet.name] = n
    return counts


def openpyxl_write_only(path, title, sheets):
    """The writer before this one (kaohe/writers/workbook.py until issue 19)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book, counts = Workbook(write_only=True), {}
    for sheet in sheets:
        formats, n = [wb.FORMATS.get(c.kind) for c in sheet.columns], 0
        for name, rows in _parts(sheet):
            ws = book.create_sheet(name)
            for i, column in enumerate(sheet.columns, start=1):
                ws.column_dimensions[get_column_letter(i)].width = column.width
            ws.freeze_panes = "A3"
            head = WriteOnlyCell(ws, value=f"{title} · {name}")
            head.font = Font(bold=True, size=13)
            ws.append([head])
            header = []
            for column in sheet.columns:
                cell = WriteOnlyCell(ws, value=column.header)
                cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="3B6EA8")
                header.append(cell)
            ws.append(header)
            in_part = 0
            for row in rows:
                cells = []
                for value, fmt in zip(row, formats, strict=True):
                    if fmt and value is not None:
                        cell = WriteOnlyCell(ws, value=value)
                        cell.number_format = fmt
                        cells.append(cell)
                    else:
                        cells.append(clean_text(value) if isinstance(value, str) else value)
                ws.append(cells)
                in_part += 1
            ws.auto_filter.ref = f"A2:{get_column_letter(len(sheet.columns))}{in_part + 2}"
            n += in_part
        counts[sheet.name] = n
    book.save(path)
    return counts


def xlsxwriter_constant_memory(path, title, sheets):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    title_format = book.add_format({"bold": True, "font_size": 13})
    header_format = book.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#3B6EA8", "pattern": 1})
    formats = {kind: book.add_format({"num_format": code}) for kind, code in wb.FORMATS.items()}
    counts = {}
    for sheet in sheets:
        columns = list(sheet.columns)
        styles, n = [formats.get(c.kind) for c in columns], 0
        for name, rows in _parts(sheet):
            ws = book.add_worksheet(name)
            for i, column in enumerate(columns):
                ws.set_column(i, i, column.width)
            ws.freeze_panes(2, 0)
            ws.write_string(0, 0, f"{title} · {name}", title_format)
            for i, column in enumerate(columns):
                ws.write_string(1, i, column.header, header_format)
            r = 2
            for row in rows:
                for i, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, str):
                        ws.write_string(r, i, clean_text(value), styles[i])
                    elif isinstance(value, datetime):
                        ws.write_datetime(r, i, value, styles[i])
                    else:
                        ws.write_number(r, i, value, styles[i])
                r += 1
            ws.autofilter(1, 0, r - 1, len(columns) - 1)
            n += r - 2
        counts[sheet.name] = n
    book.close()
    return counts


def pyexcelerate_(path, title, sheets):
    """Builds every sheet in memory; its filter always starts on row 1 (here: the title)."""
    from pyexcelerate import Color, Fill, Font, Format, Style, Workbook
    from pyexcelerate.Panes import Panes

    book, counts = Workbook(), {}
    for sheet in sheets:
        columns, n = list(sheet.columns), 0
        for name, rows in _parts(sheet):
            data = [[f"{title} · {name}"], [c.header for c in columns]]
            data.extend([clean_text(v) if isinstance(v, str) else v for v in row] for row in rows)
            ws = book.new_sheet(name, data=data)
            for i, column in enumerate(columns, start=1):
                style = Style(size=column.width)
                if column.kind in wb.FORMATS:
                    style.format = Format(wb.FORMATS[column.kind])
                ws.set_col_style(i, style)
            ws.set_row_style(1, Style(font=Font(bold=True, size=13)))
            ws.set_row_style(2, Style(font=Font(bold=True, color=Color(255, 255, 255)),
                                      fill=Fill(background=Color(0x3B, 0x6E, 0xA8))))
            ws.panes = Panes(0, 2)
            ws.auto_filter = True
            n += len(data) - 2
        counts[sheet.name] = n
    book.save(str(path))
    return counts


def rustpy_xlsxwriter(path, title, sheets):
    """One call takes every sheet, rows as dicts keyed by header: the number of 续 parts
    would have to be known before writing, and a sheet without rows has no columns."""
    import rustpy_xlsxwriter as rx

    entries, counts = [], {}
    options = {k: {} for k in ("freeze_panes", "column_widths", "column_formats", "header_format",
                               "header_row", "merge_ranges", "autofilter")}
    header = rx.Format().set_bold().set_font_color("#FFFFFF").set_background_color("#3B6EA8")
    head = rx.Format().set_bold().set_font_size(13)
    formats = {kind: rx.Format().set_num_format(code) for kind, code in wb.FORMATS.items()}

    def records(headers, rows, name):
        for row in rows:
            counts[name] += 1
            yield {h: clean_text(v) if isinstance(v, str) else v for h, v in zip(headers, row, strict=True)}

    for sheet in sheets:
        columns, name = list(sheet.columns), sheet.name
        counts[name] = 0
        entries.append((name, records([c.header for c in columns], sheet.rows, name)))
        options["freeze_panes"][name] = {"row": 2, "col": 0}
        options["column_widths"][name] = [c.width for c in columns]
        options["column_formats"][name] = {c.header: formats[c.kind] for c in columns if c.kind in formats}
        options["header_format"][name] = header
        options["header_row"][name] = 1
        options["merge_ranges"][name] = [(0, 0, 0, len(columns) - 1, f"{title} · {name}", head)]
        options["autofilter"][name] = True
    rx.write_worksheets(entries, str(path), datetime_format="yyyy-mm-dd hh:mm", **options)
    return counts


def excelize_(path, title, sheets):
    """Stream writer: no per-cell styles (no number formats), no filter while streaming."""
    import excelize

    book, counts, first = excelize.new_file(), {}, True
    for sheet in sheets:
        columns, n = list(sheet.columns), 0
        for name, rows in _parts(sheet):
            if first:
                book.set_sheet_name("Sheet1", name)
                first = False
            else:
                book.new_sheet(name)
            sw = book.new_stream_writer(name)
            for i, column in enumerate(columns, start=1):
                sw.set_col_width(i, i, column.width)
            sw.set_panes(excelize.Panes(freeze=True, y_split=2, top_left_cell="A3", active_pane="bottomLeft"))
            sw.set_row("A1", [f"{title} · {name}"])
            sw.set_row("A2", [c.header for c in columns])
            r = 3
            for row in rows:
                sw.set_row(f"A{r}", [clean_text(v) if isinstance(v, str) else v for v in row])
                r += 1
            sw.flush()
            n += r - 3
        counts[sheet.name] = n
    book.save_as(str(path))
    book.close()
    return counts


def fastxlsx_(path, title, sheets):
    """Values only: no styles, widths, panes or filter."""
    import fastxlsx

    book, counts = fastxlsx.WriteOnlyWorkbook(), {}
    for sheet in sheets:
        columns, n = list(sheet.columns), 0
        for name, rows in _parts(sheet):
            ws = book.create_sheet(name)
            ws.write_cell((0, 0), f"{title} · {name}")
            ws.write_row((1, 0), [c.header for c in columns])
            r = 2
            for row in rows:
                ws.write_row((r, 0), [clean_text(v) if isinstance(v, str) else v for v in row],
                             dtype=fastxlsx.DType.Any)
                r += 1
            n += r - 2
        counts[sheet.name] = n
    book.save(str(path))
    return counts


# (label, function, module it needs)
CANDIDATES = [
    ("rows only (no file)", rows_only, None),
    ("kaohe.writers.xlsx (shipped)", shipped, None),
    ("openpyxl 3.1.5 write-only (before)", openpyxl_write_only, "openpyxl"),
    ("XlsxWriter constant_memory", xlsxwriter_constant_memory, "xlsxwriter"),
    ("pyexcelerate", pyexcelerate_, "pyexcelerate"),
    ("rustpy-xlsxwriter", rustpy_xlsxwriter, "rustpy_xlsxwriter"),
    ("excelize", excelize_, "excelize"),
    ("fastxlsx", fastxlsx_, "fastxlsx"),
]
FEATURES = ("frozen", "filter", "widths", "numbers", "dates", "header", "empty", "续")


def _features(fn, folder: Path) -> dict[str, bool]:
    """What Excel/WPS would show of small workbooks written by ``fn`` (read back by openpyxl)."""
    import openpyxl

    columns = [wb.Column("单位", 20), wb.Column("总分", 9, wb.NUMBER), wb.Column("排名", 7, wb.INTEGER),
               wb.Column("时间", 17, wb.TIME)]
    rows = [("甲", 88.25, 1, datetime(2026, 12, 1, 9, 30)), ("乙", 70.5, 2, datetime(2026, 12, 2, 18, 0))]
    found = dict.fromkeys(FEATURES, False)
    try:
        fn(folder / "features.xlsx", "功能", [wb.Sheet("汇总", columns, iter(rows)), wb.Sheet("空表", columns, iter(()))])
        book = openpyxl.load_workbook(folder / "features.xlsx")
        ws = book["汇总"]
        total, when, header = ws["B3"], ws["D3"], ws["A2"]
        empty = book["空表"] if "空表" in book.sheetnames else None
        found.update({
            "frozen": ws.freeze_panes == "A3",
            "filter": ws.auto_filter.ref == "A2:D4",
            "widths": round(ws.column_dimensions["A"].width or 0) in (20, 21),
            "numbers": total.value == 88.25 and total.number_format == "0.0#" and ws["C3"].number_format == "0",
            "dates": isinstance(when.value, datetime) and when.number_format.replace("\\", "") == "yyyy-mm-dd hh:mm",
            "header": bool(header.font.b) and (header.fill.fgColor.rgb or "").endswith("3B6EA8"),
            "empty": empty is not None and [c.value for c in empty[2]] == [c.header for c in columns]})
    except Exception:  # noqa: S110  (a writer that fails here shows none of these)
        pass
    wb.MAX_DATA_ROWS = 2
    try:
        fn(folder / "split.xlsx", "功能", [wb.Sheet("证据", columns[:1], iter([("a",), ("b",), ("c",), ("d",), ("e",)]))])
        found["续"] = openpyxl.load_workbook(folder / "split.xlsx").sheetnames == ["证据", "证据（续2）", "证据（续3）"]
    except Exception:  # noqa: S110
        pass
    finally:
        wb.MAX_DATA_ROWS = wb.MAX_ROWS - 2
    return found


def _run_candidate(index: int, config, snapshot: Path, folder: Path, extra: str | None) -> dict:
    """In a fresh process: one candidate on the snapshot's rows, then its features."""
    warnings.simplefilter("ignore")  # rustpy-xlsxwriter warns for each width of a sheet without rows
    if extra:
        sys.path.append(extra)
    label, fn, _ = CANDIDATES[index]
    path = folder / f"candidate{index}.xlsx"
    widths: dict[str, int] = {}

    def noting(sheets):
        for sheet in sheets:
            widths[sheet.name] = len(sheet.columns)
            yield sheet

    with workbook_sheets(config, snapshot, NOW) as (title, sheets):
        gc.collect()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        counts = fn(path, title, noting(sheets))
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = path.stat().st_size if path.exists() else 0
    path.unlink(missing_ok=True)
    features = _features(fn, folder) if fn is not rows_only else {}
    return {"label": label, "seconds": seconds, "peak_mb": peak / 1024, "added_mb": (peak - before) / 1024,
            "kb": size / 1024, "rows": sum(counts.values()), "features": features,
            "cells": sum(n * widths[name] for name, n in counts.items())}


def _importable(module: str | None, extra: str | None) -> bool:
    if module is None:
        return True
    import importlib.util

    if extra and extra not in sys.path:
        sys.path.append(extra)
    return importlib.util.find_spec(module) is not None


def compare_writers(config, snapshot: Path, folder: Path, extra: str | None) -> list[dict]:
    results = []
    context = multiprocessing.get_context("forkserver")
    for index, (label, _, module) in enumerate(CANDIDATES):
        if not _importable(module, extra):
            results.append({"label": label, "missing": module})
            continue
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            try:
                results.append(pool.submit(_run_candidate, index, config, snapshot, folder, extra).result())
            except Exception as exc:  # a candidate that fails is a result too
                results.append({"label": label, "error": f"{type(exc).__name__}: {exc}"[:120]})
    return results


def print_writers(results: list[dict], units: int) -> float | None:
    """The comparison table; returns the shipped writer's own seconds (less the rows')."""
    base = next((r["seconds"] for r in results if r["label"].startswith("rows only")), 0.0)
    print(f"\nWriters on the same rows ({units} units; each in its own process; "
          f"writer s = total s − {base:.2f} s making the rows; +MB = what writing added to the peak RSS):")
    print(f"{'candidate':<36}{'total s':>8}{'writer s':>9}{'µs/cell':>8}{'peak MB':>8}{'+MB':>6}{'KB':>7}  "
          + " ".join(FEATURES))
    writers = {}
    for r in results:
        if "missing" in r:
            print(f"{r['label']:<36}  not installed (--candidates DIR with {r['missing']} in it)")
            continue
        if "error" in r:
            print(f"{r['label']:<36}  failed: {r['error']}")
            continue
        writer = r["seconds"] - base if r["features"] else r["seconds"]
        writers[r["label"].split()[0]] = writer
        marks = " ".join(("✓" if r["features"].get(f) else "✗").center(len(f)) for f in FEATURES)
        per_cell = writer / r["cells"] * 1e6 if r["cells"] else 0
        print(f"{r['label']:<36}{r['seconds']:8.2f}{writer:9.2f}{per_cell:8.2f}{r['peak_mb']:8.0f}"
              f"{r['added_mb']:6.0f}{r['kb']:7.0f}  {marks if r['features'] else '(' + str(r['cells']) + ' cells)'}")
    ours, before, xw = writers.get("kaohe.writers.xlsx"), writers.get("openpyxl"), writers.get("XlsxWriter")
    ratios = [(f"{a} / {b}", x / y) for a, b, x, y in (("openpyxl", "XlsxWriter", before, xw),
                                                      ("openpyxl", "shipped", before, ours),
                                                      ("XlsxWriter", "shipped", xw, ours)) if x and y]
    if ratios:
        print("writer time ratios: " + ", ".join(f"{name} {value:.1f}x" for name, value in ratios))
    return ours


def main() -> None:
    began = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--evidence", type=int, default=60, help="evidence rows per scored unit")
    parser.add_argument("--candidates", help="a folder with other writers installed (pip install --target)")
    parser.add_argument("--no-writers", action="store_true", help="only the whole export")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        snapshot = tmp / "snapshot.db"
        results = [measure(args.small, args.evidence, tmp), measure(args.units, args.evidence, tmp, snapshot)]
        for r in results:
            s = r["seconds"]
            print(f"{r['units']:>5} units ({r['submitted']} with materials, {r['evidence']} evidence rows): "
                  f"export {s['total']:6.2f} s (snapshot {s['snapshot']:.2f}, charts {s['charts']:.2f}, "
                  f"report {s['report']:.2f}, workbook {s['workbook']:.2f}; the rest starting the export "
                  f"process), export process peak RSS {r['peak_mb']:.0f} MB ({r['start_mb']:.0f} MB when it started), "
                  f"{r['rows']} workbook rows, "
                  f"xlsx {r['xlsx_kb']:.0f} KB, docx {r['docx_kb']:.0f} KB")
        small, big = results
        s = big["seconds"]
        print(f"{big['units'] / small['units']:.0f}x the units: {s['total'] / small['seconds']['total']:.1f}x the "
              f"time, {big['peak_mb'] / small['peak_mb']:.2f}x the peak RSS")
        print(f"the workbook is {s['workbook'] / s['total']:.0%} of the {big['units']}-unit export's time "
              f"({s['workbook']:.2f} of {s['total']:.2f} s)", end="")
        writer = None
        if not args.no_writers:
            print()
            writer = print_writers(compare_writers(big["config"], snapshot, tmp, args.candidates), big["units"])
            if writer is not None:
                print(f"the shipped writer itself (the workbook less making its rows): {writer:.2f} s, "
                      f"{writer / s['total']:.0%} of the whole export's {s['total']:.2f} s")
        else:
            print()
    elapsed = time.perf_counter() - began
    verdict = [("whole export", s["total"], TARGET_SECONDS, "s"), ("workbook", s["workbook"], TARGET_WORKBOOK, "s"),
               ("export process peak RSS", big["peak_mb"], TARGET_MB, "MB"),
               ("this benchmark", elapsed, TARGET_BENCH, "s")]
    print(f"targets for {big['units']} units: " + "; ".join(
        f"{name} {value:.1f} {unit} ≤ {target} {unit} — {'met' if value <= target else 'NOT met'}"
        for name, value, target, unit in verdict))


if __name__ == "__main__":
    main()
