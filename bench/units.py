"""Benchmark: a province's list of units — import 5,000 units from a spreadsheet, re-import it
changed, and name units as officials type them.

Run with ``.venv/bin/python -m bench.units [--units 5000]``. Builds an .xlsx of ``--units``
units (names like 某某县第N局 from the team's own word lists, two aliases each, three
categories), then in a fresh temporary data folder times: reading and previewing the sheet,
writing the import (units, aliases, one invite code each), the invite workbook and the QR ZIP;
a second import of the same list with 5% renamed aliases, 2% moved category and 1% left out;
and ``find_unit`` for 2,000 typed names (full name, alias, fragment, typo). Target (issue "Running
a real cycle"): importing 5,000 units under 30 s, preview before writing.
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import openpyxl

from kaohe.config import load_config
from kaohe.services import Services
from kaohe.writers.invites import write_invites

ROOT = Path(__file__).resolve().parent.parent
PLACES = "东西南北中新安平和兴华昌宁泰丰永康盛嘉德明清"
OFFICES = ["发展和改革局", "教育局", "公安局", "民政局", "司法局", "财政局", "人力资源和社会保障局",
           "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局",
           "商务局", "文化和旅游局", "卫生健康委员会", "应急管理局", "审计局", "市场监督管理局", "统计局"]
SHORT = {"发展和改革局": "发改局", "人力资源和社会保障局": "人社局", "住房和城乡建设局": "住建局",
         "卫生健康委员会": "卫健委", "市场监督管理局": "市场监管局", "文化和旅游局": "文旅局",
         "自然资源局": "自然资源局", "生态环境局": "生态环境局", "农业农村局": "农业农村局"}
CATEGORIES = ["市直部门", "县区", "开发区"]


def unit_rows(count: int, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    rows, places = [], set()
    while len(rows) < count:
        place = "".join(rng.sample(PLACES, 2)) + rng.choice(["县", "区", "市"])
        if place in places:
            continue
        places.add(place)
        for office in OFFICES:
            if len(rows) == count:
                break
            alias = f"{place}{SHORT.get(office, office[:2])}"  # 安兴县住建局, 安兴县教育
            rows.append([f"{place}{office}", alias, rng.choice(CATEGORIES)])
    return rows


def sheet_bytes(rows: list[list[str]], header: tuple[str, ...] = ("单位名称", "简称/别名", "类别")) -> bytes:
    """A units list as an office sends it (.xlsx)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("单位名单")
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    args = parser.parse_args(argv)
    rows = unit_rows(args.units)
    data = sheet_bytes(rows)
    at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        config = replace(load_config(ROOT / "config.toml"), storage_dir=Path(tmp) / "data",
                         regulations_dir=None, bot_username="kaohe_city_bot")
        svc = Services(config)
        try:
            started = time.perf_counter()
            plan = svc.preview_units(data, "单位名单.xlsx")
            preview = time.perf_counter() - started
            assert plan.ok, plan.problems[:5]
            started = time.perf_counter()
            codes = svc.import_units(plan, "bench", at)
            write = time.perf_counter() - started
            started = time.perf_counter()
            listing = svc.invite_list()
            workbook, qr = write_invites(listing, config.bot_username, Path(tmp), at, config.tz, config.cycle_name)
            invites = time.perf_counter() - started
            total = preview + write
            print(f"{args.units} units, sheet {len(data) / 1024:.0f} KB: preview {preview:.2f} s "
                  f"(new {len(plan.new)}), import {write:.2f} s ({len(codes)} codes) → {total:.2f} s "
                  f"(target < 30 s: {'met' if total < 30 else 'NOT met'})")
            print(f"invite workbook + {len(listing)} QR codes: {invites:.2f} s "
                  f"({workbook.stat().st_size / 1024:.0f} KB + {qr.stat().st_size / 1024:.0f} KB)")

            rng = random.Random(3)
            changed = [list(r) for r in rows]
            for row in rng.sample(changed, len(changed) // 20):
                row[1] = row[1] + "办"
            for row in rng.sample(changed, len(changed) // 50):
                row[2] = next(c for c in CATEGORIES if c != row[2])
            kept = [r for r in changed if rng.random() > 0.01]
            started = time.perf_counter()
            again = svc.preview_units(sheet_bytes(kept), "单位名单2.xlsx")
            second_preview = time.perf_counter() - started
            started = time.perf_counter()
            svc.import_units(again, "bench", at)
            second = time.perf_counter() - started
            print(f"re-import: {len(again.changed)} changed, {len(again.removed)} removed, "
                  f"{len(again.unchanged)} unchanged; preview {second_preview:.2f} s, import {second:.2f} s")

            typed = []
            for row in rng.sample(kept, min(500, len(kept))):
                typed += [row[0], row[1].split("、")[0], row[0][2:-1], row[0][:2] + "X" + row[0][3:]]
            times = []
            found = 0
            for text in typed:
                started = time.perf_counter()
                match = svc.find_unit(text)
                times.append(time.perf_counter() - started)
                found += match.unit is not None
            times.sort()
            print(f"find_unit over {len(svc.store.naming_units())} units, {len(typed)} names typed: "
                  f"median {statistics.median(times) * 1000:.1f} ms, p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms; "
                  f"{found} found exactly one unit")
        finally:
            svc.close()
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
