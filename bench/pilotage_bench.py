"""Pilotage (F-66) query times: the dashboard's statements for a directeur (one entity) over a
period, on the synthetic table of bench/tracking_bench.py.

    python bench/pilotage_bench.py [--rows 200000] [--days 90] [--repeat 20]

Prints p50/p95 (ms) of each statement group and of the whole dashboard.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import tracking_bench
from sqlalchemy import create_engine, text
from sqlmodel import Session

from epay_app.domain.roles import GroupType
from epay_app.domain.tracking import Narrowing
from epay_app.services.access.scope import Viewer
from epay_app.services.dashboards import pilotage
from tests.support import database


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp(prefix='pilotage-bench-')}/bench.db"
    database.migrate(url)
    engine = create_engine(url)
    started = time.perf_counter()
    tracking_bench.seed(engine, args.rows, random.Random(6))
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        in_entity = conn.execute(text("SELECT count(*) FROM epayment WHERE entity_id = 1")).scalar_one()
    print(f"seeded {args.rows} payments in {time.perf_counter() - started:.0f} s; entity 1: {in_entity}")
    viewer = Viewer(user_id=1, group=GroupType.DIRECTEUR, entity_id=1, pos_id=1)
    end = date(2025, 6, 1)
    narrowing = Narrowing(end - timedelta(days=args.days - 1), end)
    steps = {
        "totals (figures + median)": pilotage.totals,
        "by point of sale": pilotage.by_point_of_sale,
        "by seller": pilotage.by_seller,
        "weekly trend": pilotage.weekly,
    }
    whole: list[float] = []
    samples: dict[str, list[float]] = {name: [] for name in steps}
    with Session(engine) as session:
        for _ in range(args.repeat):
            t_all = time.perf_counter()
            for name, step in steps.items():
                t0 = time.perf_counter()
                step(session, viewer, narrowing)
                samples[name].append(time.perf_counter() - t0)
            whole.append(time.perf_counter() - t_all)
        requested = pilotage.totals(session, viewer, narrowing).requested
    print(f"period {args.days} days: {requested} payments requested in the entity")
    for name, values in [*samples.items(), ("whole dashboard", whole)]:
        p = tracking_bench.percentiles(values)
        print(f"{name:<28} p50 {p['p50']:7.1f} ms   p95 {p['p95']:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
