"""Issue 15 — live pages with many open sessions, on the scale-out shape.

    python bench/live_bench.py --pg-url postgresql+psycopg://epay:epay@127.0.0.1:5432/epay_test_x [--quick]

What it starts, like scripts/run_scaleout.sh: a fresh PostgreSQL database (created on the server
of --pg-url, migrated, demo data seeded, dropped afterwards), a private redis-server on a free
port (so INFO commandstats counts this app alone), and the app's backend in production mode
(`reflex run --env prod --backend-only`, granian, GRANIAN_WORKERS=3; the simulated tabs need no
front-end build). Each mode runs on its own app start: `feed` (this branch: one change feed per
worker) and `poll` (EPAY_LIVE_POLL=true: the former per-page poll each second, the baseline).

For each N (10, 100, 300; --quick: 10 and 100): N simulated tabs (bench/reflex_client.py: Reflex's
websocket protocol) on the e-Paiements list, newest first (each callback's payment moves to the top), logged in as the demo users in turn — five of entity
45 (the payments the callbacks change) and five of other entities (never affected). Then:
- idle for --seconds, once the mails of the previous phase's callbacks are sent: database transactions/s of the bench database (pg_stat_database xact_commit
  + xact_rollback: pg_stat_statements is not loaded on the shared server), Redis commands/s (INFO
  commandstats of the private server), CPU (% of one core) and RSS per backend worker;
- callbacks at --rate per second for --seconds (signed Worldline Direct webhooks to the real route,
  each authorising a pending deposit of the demo seller at point of sale 61): for each callback and
  each tab whose list shows that payment, the time from the callback's 200 to the tab's next list
  update (0 when the update came first); and how many tabs that show none of them were refreshed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers
from bench.support import ENTITY_45, OTHERS, login_tokens, pending_payments

# Newest first: each authorisation moves its payment to the top of the lists that show it, so every
# affected tab's visible page changes (a refresh that changes nothing shown sends nothing).
LIST_PATH = "/e-paiements?tri=desc"


# ---------------------------------------------------------------- set-up


def _affected(user_id: int, payment) -> bool:
    """Whether the user's list shows that payment before or after it is authorised (services.access.scope,
    domain.tracking: the rules the list itself is queried with)."""
    from epay_app.pages import live
    from epay_app.services.dashboards import change_feed

    scope = live.viewer_scope(user_id)
    change = change_feed.Change(
        payment.id, payment.seller_id, payment.pos_id, payment.entity_id, None, "envoye", "autorise", 0.0
    )
    return scope is not None and scope.contains(change)


def _start_app(env: dict, workdir: Path, mode: str) -> tuple[subprocess.Popen, str]:
    from tests.support import processes

    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **env,
        "EPAY_LIVE_POLL": "true" if mode == "poll" else "false",
        "EPAY_PUBLIC_URL": base,
        "REFLEX_API_URL": base,
    }
    return servers.start_prod_backend(port, env, workdir / f"app-{mode}.log"), base


# ---------------------------------------------------------------- measures


def _workers(pid: int) -> list[int]:
    """The granian worker processes under the reflex command (the busiest-looking python ones)."""
    found = []
    for p in servers.descendants(pid):
        try:
            cmdline = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "python" in cmdline or "granian" in cmdline or "reflex" in cmdline:
            found.append(p)
    return found


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _db_xacts(admin_url: str, name: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            return int(
                conn.execute(
                    text("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :n"), {"n": name}
                ).scalar()
            )
    finally:
        engine.dispose()


def _redis_calls(port: int) -> int:
    import redis

    stats = redis.Redis(port=port).info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")


def _mails_waiting(admin_url: str, name: str) -> int:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(make_url(admin_url).set(database=name))
    try:
        with engine.connect() as conn:
            waiting = text("SELECT count(*) FROM outbox_mail WHERE status IN ('pending', 'sending')")
            return int(conn.execute(waiting).scalar() or 0)
    finally:
        engine.dispose()


async def _drain_outbox(admin_url: str, name: str, limit: float = 600.0) -> float:
    """Seconds until the mails of the previous phase's callbacks are sent. Sending them (each with
    its PDF receipt) is work caused by those callbacks, not the idle cost of open tabs."""
    started = time.monotonic()
    while time.monotonic() - started < limit and await asyncio.to_thread(_mails_waiting, admin_url, name):
        await asyncio.sleep(2.0)
    return round(time.monotonic() - started, 1)


async def _idle(app_pid: int, admin_url: str, db_name: str, redis_port: int, seconds: float) -> dict:
    workers = _workers(app_pid)
    ticks = {p: servers.cpu_ticks(p) for p in workers}
    xacts, calls = await asyncio.to_thread(_db_xacts, admin_url, db_name), _redis_calls(redis_port)
    started = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    xacts_after, calls_after = await asyncio.to_thread(_db_xacts, admin_url, db_name), _redis_calls(redis_port)
    hz = os.sysconf("SC_CLK_TCK")
    per_worker = [
        {
            "pid": p,
            "cpu_pct": round((servers.cpu_ticks(p) - ticks[p]) / hz / elapsed * 100, 1),
            "rss_mb": round(_rss_mb(p), 1),
        }
        for p in workers
        if _rss_mb(p) > 50  # the workers, not the small launcher processes
    ]
    return {
        # minus the two statistics reads of this bench (each one transaction)
        "db_xacts_per_s": round(max(0, xacts_after - xacts - 1) / elapsed, 1),
        "redis_cmds_per_s": round(max(0, calls_after - calls) / elapsed, 1),
        "workers": per_worker,
    }


def _cpu_by_command() -> dict[str, int]:
    """CPU ticks of every process of the machine, summed by command name (postgres, redis-server,
    granian's workers, the jobs process, this bench…)."""
    totals: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            if name.startswith("python"):
                args = (entry / "cmdline").read_bytes().split(b"\0")
                roles = {b"epay_app.services.payment.payment_jobs": "jobs", b"bench/live_bench.py": "bench"}
                name = next((role for a in args for key, role in roles.items() if a.endswith(key)), "")
                name = name or ("web workers" if any(a.endswith(b"/reflex") for a in args) else "python")
        except OSError:
            continue
        totals[name] = totals.get(name, 0) + servers.cpu_ticks(int(entry.name))
    return totals


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def _callbacks(base: str, tabs, affected, payments, rate: float, seconds: float) -> dict:
    import httpx

    from tests.support.direct_messages import WEBHOOK, webhook_body, webhook_headers

    count = min(len(payments), int(rate * seconds))
    done: list[tuple[object, float, float, int]] = []  # payment, sent, 200 time, status
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(i: int, payment) -> None:
            body = webhook_body(payment, payment_id=f"{8_000_000_000 + payment.id}_0")
            sent = time.monotonic()
            try:
                status = (await client.post(base + WEBHOOK, content=body, headers=webhook_headers(body))).status_code
            except httpx.HTTPError:
                status = -1  # timed out: the server is saturated
            done.append((payment, sent, time.monotonic(), status))

        tasks = []
        for i, payment in enumerate(payments[:count]):
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(i, payment)))
        await asyncio.gather(*tasks)
    await asyncio.sleep(10.0)  # let the last updates arrive (a backlog under load)
    latencies, missed = [], 0
    for payment, sent, answered, _status in done:
        for tab in tabs:
            if not affected[(tab.label, payment.id)]:
                continue
            arrivals = tab.list_updates_since(sent)
            if not arrivals:
                missed += 1
                continue
            latencies.append(max(0.0, arrivals[0] - answered))
    unaffected = [t for t in tabs if not any(affected[(t.label, p.id)] for p, *_ in done)]
    refreshed = sum(1 for t in unaffected if t.list_updates_since(started))
    return {
        "callbacks": len(done),
        "statuses": {str(s): sum(1 for *_, x in done if x == s) for s in {d[3] for d in done}},
        "rate_per_s": round(len(done) / max(0.001, max(d[2] for d in done) - started), 1) if done else 0,
        "updates_measured": len(latencies),
        "updates_missed": missed,
        "p50_ms": round(_pct(latencies, 50) * 1000, 1),
        "p95_ms": round(_pct(latencies, 95) * 1000, 1),
        "max_ms": round(max(latencies, default=0) * 1000, 1),
        "unaffected_tabs": len(unaffected),
        "unaffected_refreshed": refreshed,
    }


async def _run_n(n, base, app_pid, tokens, names, admin_url, db_name, redis_port, payments, args) -> dict:
    from bench.reflex_client import Tab

    emails = [e for pair in zip(ENTITY_45, OTHERS, strict=False) for e in pair]
    tabs = []
    for i in range(n):
        email = emails[i % len(emails)]
        tabs.append(Tab(base, tokens[email][0], LIST_PATH, names, label=f"{email}#{i}"))
    for start in range(0, n, 20):  # a few at a time, as tabs open
        batch = tabs[start : start + 20]
        await asyncio.gather(*(t.open() for t in batch))
        await asyncio.wait_for(asyncio.gather(*(t.loaded.wait() for t in batch)), 120)
    await asyncio.sleep(3.0 + 0.1 * n)  # the watchers start after the page loaded (a backlog under load)
    drained = await _drain_outbox(admin_url, db_name)
    idle = await _idle(app_pid, admin_url, db_name, redis_port, args.seconds)
    idle["outbox_drain_s"] = drained
    if not tabs:  # the cluster's own background (periodic jobs, Reflex), without any tab
        return {"n": 0, "idle": idle, "callbacks": {}}
    users = {t.label: tokens[t.label.split("#")[0]][1] for t in tabs}
    # One scope check per user (all the bench payments share seller, point of sale and entity).
    per_user = {u: await asyncio.to_thread(_affected, u, payments[0]) for u in set(users.values())}
    affected = {(t.label, p.id): per_user[users[t.label]] for t in tabs for p in payments}
    workers = _workers(app_pid)
    ticks = {p: servers.cpu_ticks(p) for p in workers}
    machine = _cpu_by_command()
    bench_cpu, started = time.process_time(), time.monotonic()
    callbacks = await _callbacks(base, tabs, affected, payments, args.rate, args.seconds)
    # Where the CPU went during the callback window (and its 10 s tail): the 2 cores are shared
    # by the web workers, the bench's simulated tabs, PostgreSQL, Redis and the jobs process.
    elapsed, hz = time.monotonic() - started, os.sysconf("SC_CLK_TCK")
    callbacks["workers_cpu_pct"] = [
        round((servers.cpu_ticks(p) - ticks[p]) / hz / elapsed * 100, 1) for p in workers if _rss_mb(p) > 50
    ]
    callbacks["bench_cpu_pct"] = round((time.process_time() - bench_cpu) / elapsed * 100, 1)
    after = _cpu_by_command()
    callbacks["machine_cpu_pct"] = {
        name: round((after.get(name, 0) - machine.get(name, 0)) / hz / elapsed * 100, 1)
        for name in sorted(after)
        if after.get(name, 0) - machine.get(name, 0) > 0.01 * hz * elapsed
    }
    await asyncio.gather(*(t.close() for t in tabs))
    await asyncio.sleep(6.0)  # closed tabs' watchers end (the sweep runs every 5 s)
    return {"n": n, "idle": idle, "callbacks": callbacks}


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", default=os.environ.get("EPAY_TEST_PG_URL"), help="PostgreSQL server URL")
    parser.add_argument("--quick", action="store_true", help="N = 10 and 100, 20 s each")
    parser.add_argument("--n", type=int, nargs="*", default=None)
    parser.add_argument("--seconds", type=float, default=None, help="idle window and callback window")
    parser.add_argument("--rate", type=float, default=20.0, help="callbacks per second")
    parser.add_argument("--modes", nargs="*", default=["feed", "poll"], choices=["feed", "poll"])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--jobs",
        choices=["process", "web"],
        default="process",
        help="periodic jobs and mails in a process of their own, at nice 19, as scripts/run_scaleout.sh"
        " runs them (default), or led by one of the web workers (EPAY_JOBS_IN_WEB=true)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not args.pg_url:
        parser.error("--pg-url (or EPAY_TEST_PG_URL) is required: the scale-out shape runs on PostgreSQL")
    ns = args.n or ([10, 100] if args.quick else [10, 100, 300])
    args.seconds = args.seconds or (20.0 if args.quick else 60.0)

    from sqlalchemy.engine import make_url

    from bench.reflex_client import state_names
    from tests.support import database, processes

    workdir = Path(tempfile.mkdtemp(prefix="epay-live-bench-"))
    os.environ[database.PG_URL_ENV] = args.pg_url
    os.environ["EPAY_MASTER_KEY_FILE"] = str(workdir / "master.key")
    os.environ["EPAY_DEMO"] = "true"
    db_url = database.create_database("postgresql", workdir)
    os.environ["REFLEX_DB_URL"] = db_url
    from epay_app.config import get_settings

    get_settings.cache_clear()
    admin_url = make_url(args.pg_url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    redis_proc = sink_proc = jobs_proc = None
    report = {
        "load_average_start": _loadavg(),
        "ns": ns,
        "seconds": args.seconds,
        "rate": args.rate,
        "jobs": args.jobs,
        "modes": {},
    }
    started = time.monotonic()
    try:
        database.migrate(db_url)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "REFLEX_DB_URL": db_url}
        seed = processes.start_python_module("epay_app.seed", ["--activity"], env, workdir / "seed.log")
        assert seed.wait(timeout=300) == 0, (workdir / "seed.log").read_text()[-2000:]
        tokens = login_tokens(db_url)
        per_phase = int(args.rate * args.seconds) + 10
        payments = pending_payments(db_url, per_phase * (len(ns) + 1) * len(args.modes))
        redis_proc, redis_port = servers.start_redis(workdir)
        smtp_port = processes.free_port()
        sink_proc = processes.start_python_module(
            "epay_app.emails.sink",
            ["--port", str(smtp_port), "--dir", str(workdir / "mails")],
            env,
            workdir / "sink.log",
        )
        processes.wait_tcp(smtp_port, sink_proc)
        names = state_names()
        env.update(
            REFLEX_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            GRANIAN_WORKERS=str(args.workers),
            EPAY_SMTP_PORT=str(smtp_port),  # the demo mail sink takes the confirmations
            REFLEX_TELEMETRY_ENABLED="false",
            REFLEX_CHECK_LATEST_VERSION="false",
            EPAY_JOBS_IN_WEB="true" if args.jobs == "web" else "false",
        )
        if args.jobs == "process":
            jobs_cmd = ["nice", "-n", "19", sys.executable, "-m", "epay_app.services.payment.payment_jobs"]
            jobs_proc = processes.start(jobs_cmd, env, workdir / "jobs.log")
        batch = 0
        for mode in args.modes:
            app, base = _start_app(env, workdir, mode)
            try:
                results = []
                for n in [0, *ns]:
                    chunk = payments[batch * per_phase : (batch + 1) * per_phase]
                    batch += 1
                    result = asyncio.run(
                        _run_n(
                            n,
                            base,
                            app.pid,
                            tokens,
                            names,
                            admin_url,
                            make_url(db_url).database,
                            redis_port,
                            chunk,
                            args,
                        )
                    )
                    result["load_average"] = _loadavg()
                    results.append(result)
                    _print_row(mode, result)
                report["modes"][mode] = results
            finally:
                processes.stop(app)
    finally:
        processes.stop(jobs_proc)
        processes.stop(redis_proc)
        processes.stop(sink_proc)
        from epay_app.db import reset_engines

        reset_engines()
        database.drop_database(db_url)
        shutil.rmtree(workdir, ignore_errors=True)
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    report["load_average_end"] = _loadavg()
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


def _print_row(mode: str, r: dict) -> None:
    idle, cb = r["idle"], r["callbacks"]
    workers = ", ".join(f"{w['cpu_pct']}% {w['rss_mb']:.0f} MB" for w in idle["workers"])
    if not cb:
        print(
            f"[{mode}] N=0: idle {idle['db_xacts_per_s']} db xacts/s, {idle['redis_cmds_per_s']} redis cmds/s,"
            f" workers [{workers}] | load {r['load_average']}",
            flush=True,
        )
        return
    print(
        f"[{mode}] N={r['n']}: idle {idle['db_xacts_per_s']} db xacts/s, {idle['redis_cmds_per_s']} redis cmds/s,"
        f" workers [{workers}] | {cb['callbacks']} callbacks ({cb['rate_per_s']}/s, {cb['statuses']}):"
        f" update p50 {cb['p50_ms']} ms p95 {cb['p95_ms']} ms max {cb['max_ms']} ms"
        f" ({cb['updates_measured']} updates, {cb['updates_missed']} missed),"
        f" unaffected refreshed {cb['unaffected_refreshed']}/{cb['unaffected_tabs']};"
        f" CPU while called: workers {cb['workers_cpu_pct']} %, bench {cb['bench_cpu_pct']} %,"
        f" by command {cb['machine_cpu_pct']}"
        f" | load {r['load_average']}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
