"""CPU cost of one e-Paiements list call (issue 16), on an already seeded database, read only.

    python bench/list_call_profile.py --pg-url postgresql+psycopg://epay:epay@127.0.0.1:5432/epay_bench_1m
    python bench/list_call_profile.py --pg-url URL --calls 500 --profile --top 25

Calls services.dashboards.tracking.list_payments as bench/tracking_bench.py does (its viewers
of the sample payment, their two statuses, no narrowing, through the app's read engine
`db.make_engine(url, write=False)`) for the unsearched first page of each scope, both sorts.
After warm calls (past psycopg's prepare threshold), each case is run `--calls` times, in
blocks of 100, and prints the CPU time per call (time.process_time: this process's cost only,
the figure to compare versions while other work shares the machine) over all the calls and over
the cheapest block, the wall p50 / p95 (disturbed by that other work), and with --profile the
function calls per list call (deterministic) and the top functions of a cProfile run.
Nothing is written to the database.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine
from sqlmodel import Session

from bench.tracking_bench import WARM_CALLS, percentiles, pick_sample, viewers
from epay_app.db import make_engine
from epay_app.domain.tracking import SortOrder
from epay_app.services.dashboards import tracking

SCOPES = ("point de vente", "entité", "vendeur")


def cases(session: Session, sample: dict):
    """(label, call) for each scope's unsearched first page, both sorts."""
    by_label = {label: (viewer, two) for label, viewer, two in viewers(sample)}
    for label in SCOPES:
        viewer, two = by_label[label]
        for order in SortOrder:
            sort = "newest" if order is SortOrder.NEWEST_FIRST else "oldest"

            def call(viewer=viewer, two=two, order=order):
                return tracking.list_payments(session, viewer, filter_keys=two, order=order)

            yield f"{label}, 2 statuses, first page, {sort}", call


def measure(call, calls: int, block: int = 100) -> dict:
    """CPU ms a call over all the calls and over the cheapest block of `block` calls (the least
    disturbed by other work on the machine), and the wall percentiles."""
    for _ in range(WARM_CALLS + 20):
        call()
    samples, block_cpu = [], []
    for _ in range(max(1, calls // block)):
        cpu_start = time.process_time()
        for _ in range(block):
            start = time.perf_counter()
            call()
            samples.append(time.perf_counter() - start)
        block_cpu.append((time.process_time() - cpu_start) * 1000 / block)
    return {"cpu_ms": sum(block_cpu) / len(block_cpu), "cpu_best_ms": min(block_cpu), **percentiles(samples)}


def profile(call, calls: int, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs().sort_stats("tottime")
    print(f"  {stats.total_calls / calls:.0f} function calls per list call")  # type: ignore[attr-defined]
    stats.print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", required=True, help="the seeded database (bench/tracking_bench.py)")
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--only", help="measure only the cases whose label contains this")
    parser.add_argument("--profile", action="store_true", help="also a cProfile of each case's loop")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)

    plain = create_engine(args.pg_url)
    with plain.connect() as conn:
        rows = conn.exec_driver_sql("SELECT max(id) FROM epayment").scalar_one()
    sample = pick_sample(plain, rows)
    plain.dispose()
    engine = make_engine(args.pg_url, write=False)
    print(f"{'case':<50} {'CPU ms/call':>11} {'best 100':>9} {'wall p50':>9} {'p95':>7}")
    with Session(engine) as session:
        for label, call in cases(session, sample):
            if args.only and args.only not in label:
                continue
            m = measure(call, args.calls)
            print(
                f"{label:<50} {m['cpu_ms']:>11.3f} {m['cpu_best_ms']:>9.3f} {m['p50']:>9.2f} {m['p95']:>7.2f}",
                flush=True,
            )
            if args.profile:
                profile(call, args.calls, args.top)
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
