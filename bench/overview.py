"""Benchmark: the server side of /overview and its buttons for a province (5,000 units).

Run with ``.venv/bin/python -m bench.overview``. Builds a temporary database through the
store's own methods (units from config, ~1.5 liaisons per unit bound, ~60% of units with a
recorded submission and score, some of them late, some liaisons unreachable, the reminder
ledger planned), then times, over ``--runs`` runs, what a press of /overview or of a list
button costs on the server: ``cycle.overview(now)`` plus rendering the summary and keyboard,
a list page, a unit card and a /unit search, after ``Services.settle()`` (what the bot does
once started: long-lived objects out of the garbage collector's way). Prints median and p95
in ms; the target is
under 200 ms for /overview with 5,000 units. Telegram's own round trip is not included.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.handlers.status import OverviewCache, markup
from kaohe.config import UnitConfig, load_config
from kaohe.services import Services
from kaohe.texts import status as st
from scoring.engine import COVERED, MISSING, THIN
from storage.store import NewParagraph, NewSubmission, ScoreRecord

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ("市直部门", "县区", "开发区")
# 2026-12-18 10:00 Shanghai: the 市直部门 deadline has passed, 县区/开发区 still have two days.
NOW = datetime(2026, 12, 18, 2, 0, tzinfo=timezone.utc)


def build_config(base, units: int, storage_dir: Path):
    """The shipped config with ``units`` units spread over the three categories."""
    made = tuple(
        UnitConfig(id=f"u{i:05d}", name=f"第{i}号{CATEGORIES[i % 3][:2]}单位{'局委办'[i % 3]}",
                   category=CATEGORIES[i % 3], invite_code=f"INV{i:05d}")
        for i in range(1, units + 1))
    return replace(base, units=made, storage_dir=storage_dir)


def score_record(rules, category: str, rng: random.Random) -> ScoreRecord:
    """A small but real-shaped score: every indicator of the category with a coverage."""
    rows = []
    total = 0.0
    for ind in rules.indicators_for(category):
        coverage = rng.choices((COVERED, THIN, MISSING), (70, 20, 10))[0]
        share = {COVERED: 1.0, THIN: 0.4, MISSING: 0.0}[coverage]
        base, effect = round(ind.base_points * share, 1), round(ind.effect_points * share * 0.9, 1)
        total += base + effect
        rows.append({"indicator_id": ind.id, "indicator_name": ind.name, "coverage": coverage,
                     "base": base, "effect": effect, "evidence_count": int(share * 3),
                     "gaps": "" if coverage == COVERED else "材料中未见相关工作的具体做法"})
    full = sum(ind.points for ind in rules.indicators_for(category))
    percent = round(total / full * 100, 1)
    unit = {"total": round(total, 1), "full_marks": full, "percent": percent,
            "grade": rules.grade_for(percent), "base_total": 0.0, "effect_total": 0.0,
            "bonus": 0.0, "deduction": 0.0, "vetoed": 0, "paragraphs_considered": 1}
    evidence = [{"indicator_id": rows[0]["indicator_id"], "kind": "base", "paragraph_ref": ("new", 1),
                 "snippet": "全年承担立项督查事项12项", "rank": 1, "detail": "立项督查"}]
    return ScoreRecord(unit=unit, indicators=rows, evidence=evidence)


def populate(svc: Services, seed: int = 7) -> dict[str, int]:
    """Liaisons, submissions, unreachable people and the reminder ledger, as real use makes them."""
    rng = random.Random(seed)
    store, cycle = svc.store, svc.cycle
    units = store.active_units()
    next_id = 500_000
    liaisons = unreachable = submitted = late = 0
    bound_at = NOW - timedelta(days=40)
    for unit in units:
        for _ in range(rng.choice((1, 1, 2, 2, 0, 2, 1, 2))):  # ~1.4 per unit, some units none
            next_id += 1
            store.bind_liaison(next_id, f"联络员{next_id % 10000}", f"user{next_id}", unit["id"], bound_at)
            liaisons += 1
            if rng.random() < 0.03:
                store.mark_unreachable(next_id, "Forbidden: bot was blocked by the user")
                unreachable += 1
        if rng.random() >= 0.6:
            continue
        received = NOW - timedelta(hours=rng.uniform(1, 500))
        rule = cycle.upload_deadline(unit, received)
        sub = NewSubmission(
            unit_id=unit["id"], telegram_id=next_id, file_name=f"{unit['name']}自查报告.docx",
            file_type="docx", data=f"{unit['id']} 自查材料".encode(), pages=None,
            received_at=received, deadline_at=rule.due if rule else None,
            paragraphs=[NewParagraph(1, "paragraph", None, 1, "第1段", "全年承担立项督查事项12项，已办结11项。")],
            deadline_name=rule.name if rule else None)
        store.record_submission(sub, score_record(svc.config.scoring, unit["category"], rng))
        submitted += 1
        late += sub.late
    planned = len(cycle.plan(NOW))
    return {"units": len(units), "liaisons": liaisons, "unreachable": unreachable,
            "submitted": submitted, "late": late, "ledger rows": planned}


def timed(fn, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def report(label: str, ms: list[float]) -> None:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{label:<52} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one /overview")
    args = parser.parse_args()
    base = load_config(ROOT / "config.toml")
    with tempfile.TemporaryDirectory() as tmp:
        config = build_config(base, args.units, Path(tmp) / "data")
        t0 = time.perf_counter()
        svc = Services(config)
        facts = populate(svc)
        print(f"setup {time.perf_counter() - t0:.1f} s: " + ", ".join(f"{k} {v}" for k, v in facts.items()))
        tz, name = config.tz, config.cycle_name

        svc.settle()  # as the bot does once it has started (kaohe.services.Services.settle)
        cache = OverviewCache()
        later = NOW + timedelta(minutes=1)

        def overview_only():
            return svc.cycle.overview(NOW)

        def overview_press():  # the data changed since the last look: computed afresh
            cache.clear()
            screen = st.overview_screen(cache.get(svc, NOW), name, tz)
            markup(screen)
            return screen

        def list_press():  # a list button after a change: computed afresh, one page rendered
            cache.clear()
            screen = st.list_screen(cache.get(svc, NOW), st.NOT_SUBMITTED, 3, tz)
            markup(screen)
            return screen

        def list_press_unchanged():  # paging on while nothing changed: the overview is reused
            screen = st.list_screen(cache.get(svc, later), st.NOT_SUBMITTED, 4, tz)
            markup(screen)
            return screen

        ov = svc.cycle.overview(NOW)
        some_unit = ov.ranking[len(ov.ranking) // 2]["id"]

        def card_press():
            card = svc.cycle.unit_card(some_unit)
            return st.unit_card_screen(card, tz, NOW, config.scoring, "ov:rk:3")

        def search():
            return st.search_screen(list(svc.find_unit("县区单位").units), "县区单位", 2)

        def render_only():
            screen = st.overview_screen(ov, name, tz)
            markup(screen)
            return screen

        results = {}
        for label, fn in (("cycle.overview(now)", overview_only),
                          ("  summary text + keyboard only", render_only),
                          ("/overview: overview + summary + keyboard", overview_press),
                          ("list button after a change: page 3 of 未提交名单", list_press),
                          ("list button, data unchanged (overview reused)", list_press_unchanged),
                          ("unit button: unit_card + card text", card_press),
                          ("/unit 县区单位 (many matches), page 2", search)):
            times, screen = timed(fn, args.runs)
            report(label, times)
            results[label] = (times, screen)
        for label, (_, screen) in results.items():
            if isinstance(screen, st.Screen):
                size = max(len(screen.text), 0)
                data = max((len(d.encode()) for row in screen.buttons for _, d in row), default=0)
                assert size <= 4096 and data <= 64, (label, size, data)
        summary = results["/overview: overview + summary + keyboard"][1]
        print(f"summary: {len(summary.text)} chars (limit 4096); "
              f"list page: {len(results['list button after a change: page 3 of 未提交名单'][1].text)} chars")
        times = sorted(results["/overview: overview + summary + keyboard"][0])
        median, p95 = statistics.median(times), times[round(0.95 * (len(times) - 1))]
        print(f"/overview for {facts['units']} units (target < 200 ms): median {median:.0f} ms "
              f"({'met' if median < 200 else 'NOT met'}), p95 {p95:.0f} ms "
              f"({'met' if p95 < 200 else 'NOT met'}); nearly all of it is cycle.overview")
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            overview_press()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        svc.close()


if __name__ == "__main__":
    main()
