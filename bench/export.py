"""Benchmark: /export for a province — workbook, report and charts for 5,000 units.

Run with ``.venv/bin/python -m bench.export [--units 5000] [--small 500] [--evidence 60]``.
Fills a temporary database the way ``bench.overview`` does (liaisons, ~60% of units with a
submission and a score, the reminder ledger), gives each scored unit ``--evidence`` evidence
rows (a real report has 50–150), then times ``export_all`` (snapshot, workbook, report,
charts) and measures its peak Python heap with tracemalloc in a second run. The same is done
for ``--small`` units in the same process: bounded memory means the peak barely grows with
ten times the units. The target is under 30 s for 5,000 units.
"""

from __future__ import annotations

import argparse
import gc
import resource
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

from bench.overview import NOW, ROOT, build_config, populate
from kaohe.config import load_config
from kaohe.exports import export_all
from kaohe.services import Services


def widen_evidence(svc: Services, per_unit: int) -> int:
    """Give every scored unit ``per_unit`` evidence rows, as a real report's score has
    (the example report has 156); populate() writes one."""
    with svc.store.transaction() as db:
        db.execute(f"""insert into evidence (unit_id, indicator_id, kind, paragraph_id, snippet, detail, rank)
                       select e.unit_id, e.indicator_id, case when n.k % 3 = 0 then 'effect' else 'base' end,
                              e.paragraph_id, e.snippet || '（第' || n.k || '条）', e.detail, n.k + 1
                       from evidence e, (with recursive c(k) as (select 1 union all select k + 1 from c
                                         where k < {per_unit - 1}) select k from c) n""")
        return db.execute("select count(*) from evidence").fetchone()[0]


def measure(units: int, evidence: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        config = build_config(load_config(ROOT / "config.toml"), units, Path(tmp) / "data")
        config = replace(config, regulations_dir=None)
        svc = Services(config)
        made = populate(svc)
        made["evidence"] = widen_evidence(svc, evidence)
        gc.collect()
        start = time.perf_counter()
        files = export_all(config, svc.store, Path(tmp) / "out1", NOW)
        seconds = time.perf_counter() - start
        sizes = {p.suffix: p.stat().st_size for p in [files.workbook, files.report]}
        tracemalloc.start()
        export_all(config, svc.store, Path(tmp) / "out2", NOW)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        svc.close()
    return {"units": made["units"], "submitted": made["submitted"], "seconds": seconds,
            "evidence": made["evidence"],
            "peak_mb": peak / 2**20, "xlsx_kb": sizes[".xlsx"] / 1024, "docx_kb": sizes[".docx"] / 1024,
            "rows": sum(files.rows.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--evidence", type=int, default=60, help="evidence rows per scored unit")
    args = parser.parse_args()
    results = [measure(args.small, args.evidence), measure(args.units, args.evidence)]
    for r in results:
        print(f"{r['units']:>5} units ({r['submitted']} with materials, {r['evidence']} evidence rows): "
              f"export {r['seconds']:6.2f} s, "
              f"peak Python heap {r['peak_mb']:6.1f} MB, {r['rows']} workbook rows, "
              f"xlsx {r['xlsx_kb']:.0f} KB, docx {r['docx_kb']:.0f} KB")
    small, big = results
    print(f"{big['units'] / small['units']:.0f}x the units: {big['seconds'] / small['seconds']:.1f}x the time, "
          f"{big['peak_mb'] / small['peak_mb']:.2f}x the peak heap")
    print(f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          f"(includes building the test databases)")
    print("target: 5,000 units in under 30 s —", "met" if big["seconds"] < 30 else "NOT met")


if __name__ == "__main__":
    main()
