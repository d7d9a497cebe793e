"""P2's server-side cost without HTTP: sealed "00" notifications applied in-process.

    python bench/callback_profile.py [--n 3000] [--pg-url URL] [--profile cprofile|none] [--top 30]

Seeds the same data as bench/callback_bench.py on a fresh migrated database, then calls the
route's unit of work (api.sips._apply: session_scope + apply_psp_response) once per payment,
sequentially. Prints the mean CPU and wall time per notification, the SQL statements each one
runs, and, with --profile cprofile, the Python function calls per notification (deterministic:
the figure to compare versions on a busy machine) and the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--pg-url", help="PostgreSQL server URL (a superuser); a fresh database is created")
    parser.add_argument("--profile", choices=("cprofile", "none"), default="none")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)

    from sqlalchemy import event

    from bench.callback_bench import _seed, _verify
    from tests.support import database
    from tests.support.sips_messages import signed_response

    tmp = Path(tempfile.mkdtemp(prefix="epay-profile-"))
    os.environ["EPAY_MASTER_KEY_FILE"] = str(tmp / "master.key")
    os.environ.setdefault("EPAY_DEMO", "true")  # a local master key, as bench/callback_bench.py
    os.environ.setdefault("EPAY_MAIL_SINK_DIR", str(tmp / "mails"))
    if args.pg_url:
        os.environ[database.PG_URL_ENV] = args.pg_url
    db_url = database.create_database("postgresql" if args.pg_url else "sqlite", tmp)
    try:
        database.migrate(db_url)
        os.environ["REFLEX_DB_URL"] = db_url
        from epay_app.api.sips import _apply
        from epay_app.db import get_engine, reset_engines

        payments, _direct = _seed(db_url, args.warmup + args.n)  # the Sips point of sale's
        forms = [signed_response(p, "00") for p in payments]

        statements: Counter[str] = Counter()

        def count(_conn, _cursor, statement, *_):
            statements[statement.split()[0].upper() + " " + _table(statement)] += 1

        for form in forms[: args.warmup]:
            _apply(form, "psp:notify")
        event.listen(get_engine(None, True), "before_cursor_execute", count)
        profiler = cProfile.Profile() if args.profile == "cprofile" else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for form in forms[args.warmup :]:
            _apply(form, "psp:notify")
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        event.remove(get_engine(None, True), "before_cursor_execute", count)

        check = _verify(db_url, args.warmup + args.n)
        print(
            f"{'postgresql' if args.pg_url else 'sqlite'}: {args.n} notifications, "
            f"{wall / args.n * 1000:.3f} ms wall, {cpu / args.n * 1000:.3f} ms CPU each "
            f"({args.n / wall:.0f}/s sequential){' under cProfile' if profiler else ''}"
        )
        print(f"SQL per notification: {sum(statements.values()) / args.n:.1f}")
        for statement, times in statements.most_common():
            print(f"  {times / args.n:4.1f}  {statement}")
        print(f"consistency: {check}")
        if profiler:
            stats = pstats.Stats(profiler)
            # Deterministic, unlike the timings on a shared machine: compare versions with it.
            print(f"Python function calls per notification: {stats.total_calls / args.n:.0f}")
            stats.sort_stats("cumulative").print_stats(args.top)
        return 0
    finally:
        from epay_app.db import get_engine, reset_engines

        reset_engines()
        database.drop_database(db_url)
        shutil.rmtree(tmp, ignore_errors=True)


def _table(statement: str) -> str:
    words = statement.replace("\n", " ").split()
    for keyword in ("FROM", "INTO", "UPDATE"):
        if keyword in words:
            return words[words.index(keyword) + 1]
    return ""


if __name__ == "__main__":
    sys.exit(main())
