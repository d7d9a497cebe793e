"""P2 — signed PSP messages ingested per second, end to end, next to a bare Starlette app: Sips
automatic responses and Worldline Direct webhooks, in the same table.

    python bench/callback_bench.py [--n 3000] [--concurrency 16] [--workers 1] [--pg-url URL] [--json FILE]
    python bench/callback_bench.py --server prod --workers 3 --pg-url URL

--server prod (issue 15): the app as in production — `reflex run --env prod` (granian,
GRANIAN_WORKERS=--workers, a private redis-server when more than one), run with --backend-only
since posting callbacks needs no front-end build (the same granian backend serves them) — next
to bench/hello_app.py served by granian itself with as many workers (`granian --interface asgi`).

Each measured request is a distinct payment's message POSTed over HTTP to the app's real route
(uvicorn subprocess serving api.routes.API_ROUTES). Sips: a sealed "00" automatic response — read
the form → find the merchant's key → verify the seal → lock the payment → transition → event →
outbox mail, committed. Direct: a signed payment.captured webhook — read the raw body → the
configurations of its key id → the SDK's WebhooksHelper verifies and reads it → the same path.
The baseline is bench/hello_app.py (reads the body, answers OK) served by the same uvicorn command
on the same machine, driven by the same client (httpx.AsyncClient, `--concurrency` in flight).

The database is a fresh one migrated with alembic: SQLite in a temp dir by default, or a new
database created on the PostgreSQL server of --pg-url (dropped afterwards). Afterwards every
payment must be authorised with one event and one mail, or the run is reported as failed.
Targets (reported, not enforced): ≥ 1 000 notifications/s on 2 cores, p99 ≤ 25 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers

TARGET_RATE, TARGET_P99_MS = 1000.0, 25.0


def _seed(db_url: str, count: int) -> tuple[list, list]:
    """Demo point of sale 61 on Sips (Worldline's simulation merchant) and 62 on Direct (the
    sandbox's demo merchant), `count` payments waiting at each."""
    from sqlmodel import Session

    from epay_app.db import get_engine
    from epay_app.models import Opportunity, Vehicle
    from tests.support.dealer import add_direct_point_of_sale, add_sips_point_of_sale
    from tests.support.payments import pending_deposits

    with Session(get_engine(db_url), expire_on_commit=False) as session:
        demo = add_sips_point_of_sale(session)
        vehicle = Vehicle(pos_id=demo.pos.id, make="CUPRA", model="Born", price_cents=3_565_356)
        direct_pos = add_direct_point_of_sale(session, demo.entity.id, 62, "Bench PdV Direct")
        opportunity = Opportunity(number=1, customer_id=demo.customer.id, seller_id=demo.seller.id, pos_id=demo.pos.id)
        session.add_all([vehicle, opportunity])
        session.flush()
        batches = tuple(
            pending_deposits(opportunity, vehicle.id, demo.entity, point, 30_000_000, count)
            for point in (demo.pos, direct_pos)
        )
        for batch in batches:
            session.add_all(batch)
        session.commit()
        return batches


def _verify(db_url: str, count: int) -> dict:
    from sqlalchemy import text

    from epay_app.db import get_engine

    with get_engine(db_url, write=False).connect() as conn:

        def one(sql):
            return conn.execute(text(sql)).scalar()

        return {
            "authorised": one("SELECT count(*) FROM epayment WHERE status = 'autorise'"),
            "events": one("SELECT count(*) FROM epayment_event"),
            "mails": one("SELECT count(*) FROM outbox_mail WHERE kind = 'payment_confirmation'"),
            "expected": count,
        }


def _serve(app: str, port: int, workers: int, env: dict, log: Path) -> subprocess.Popen:
    from tests.support import processes

    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--log-level",
        "warning",
        "--no-access-log",
        "--workers",
        str(workers),
    ]
    return processes.start(cmd, env, log)


def _prod_env(env: dict, tmp: Path, workers: int) -> list[subprocess.Popen]:
    """What `reflex run --env prod` needs here: demo mode (the sandbox's public keys), and Redis
    for several workers (a private redis-server). Returns the processes to stop."""
    env.update(EPAY_DEMO="true", GRANIAN_WORKERS=str(workers), EPAY_SMTP_PORT="9")
    env.update(EPAY_PAYMENT_JOBS_INTERVAL_SECONDS="0")  # no PSP here: the measure is the callbacks
    if workers <= 1:
        return []
    proc, port = servers.start_redis(tmp)
    env["REFLEX_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    return [proc]


def _serve_prod(app: str, port: int, workers: int, env: dict, log: Path) -> subprocess.Popen:
    from tests.support import processes

    if app.startswith("bench.hello_app"):
        granian = str(Path(sys.executable).parent / "granian")
        cmd = [granian, "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--workers", str(workers), "--factory", app]
        return processes.start(cmd, env, log)
    return servers.start_prod_backend(port, {**env, "EPAY_PUBLIC_URL": f"http://127.0.0.1:{port}"}, log)


FORM = {"content-type": "application/x-www-form-urlencoded"}


async def _load(url: str, requests: list[tuple[bytes, dict]], concurrency: int) -> dict:
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker():
            while True:
                try:
                    body, headers = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                start = time.perf_counter()
                try:
                    status = (await client.post(url, content=body, headers=headers)).status_code
                except httpx.HTTPError:
                    status = -1
                latencies.append(time.perf_counter() - start)
                statuses[status] = statuses.get(status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "requests": len(requests),
        "seconds": round(elapsed, 3),
        "per_second": round(len(requests) / elapsed, 1),
        "p50_ms": round(pct(50), 2),
        "p90_ms": round(pct(90), 2),
        "p99_ms": round(pct(99), 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "statuses": statuses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="measured notifications (distinct payments)")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (both servers)")
    parser.add_argument("--server", choices=["uvicorn", "prod"], default="uvicorn")
    parser.add_argument("--pg-url", help="PostgreSQL server URL (a superuser); a fresh database is created")
    parser.add_argument("--json", type=Path, help="also write the JSON result to this file")
    args = parser.parse_args(argv)

    from tests.support import database, processes
    from tests.support.direct_messages import WEBHOOK, webhook_body, webhook_headers
    from tests.support.sips_messages import NOTIFY, signed_response

    tmp = Path(tempfile.mkdtemp(prefix="epay-bench-"))
    os.environ["EPAY_MASTER_KEY_FILE"] = str(tmp / "master.key")
    os.environ.setdefault("EPAY_DEMO", "true")  # the demo merchants' public keys (production refuses them)
    os.environ.setdefault("EPAY_MAIL_SINK_DIR", str(tmp / "mails"))
    if args.pg_url:
        os.environ[database.PG_URL_ENV] = args.pg_url
    db_url = database.create_database("postgresql" if args.pg_url else "sqlite", tmp)
    procs: list[subprocess.Popen] = []
    try:
        database.migrate(db_url)
        os.environ["REFLEX_DB_URL"] = db_url
        sips_payments, direct_payments = _seed(db_url, args.warmup + args.n)
        sips = [(urlencode(signed_response(p, "00")).encode(), FORM) for p in sips_payments]
        direct = []
        for i, p in enumerate(direct_payments):
            body = webhook_body(p, payment_id=f"{7_000_000_000 + i}_0")
            direct.append((body, webhook_headers(body)))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if args.server == "prod":
            procs.extend(_prod_env(env, tmp, args.workers))

        results = {}
        for name, app, path, load in (
            ("starlette_hello", "bench.hello_app:create_app", "/hello", [sips[0]] * (args.warmup + args.n)),
            ("sips_notify", "tests.support.api_app:create_app", NOTIFY, sips),
            ("direct_webhook", "tests.support.api_app:create_app", WEBHOOK, direct),
        ):
            port = processes.free_port()
            serve = _serve if args.server == "uvicorn" else _serve_prod
            proc = serve(app, port, args.workers, env, tmp / f"{name}.log")
            procs.append(proc)
            base = f"http://127.0.0.1:{port}"
            processes.wait_http(base + path, proc, timeout=60, log_path=tmp / f"{name}.log")  # GET → 405
            asyncio.run(_load(base + path, load[: args.warmup], args.concurrency))
            cpu = servers.tree_cpu_seconds(proc.pid)
            results[name] = asyncio.run(_load(base + path, load[args.warmup :], args.concurrency))
            # The server's own CPU per request: steadier than req/s when the client and other
            # processes share the cores (the database server's CPU is not included).
            results[name]["server_cpu_ms"] = round((servers.tree_cpu_seconds(proc.pid) - cpu) / args.n * 1000, 3)
            processes.stop(proc)

        check = _verify(db_url, 2 * (args.warmup + args.n))
        ok = (
            check["authorised"] == check["events"] == check["mails"] == check["expected"]
            and results["sips_notify"]["statuses"] == {200: args.n}
            and results["direct_webhook"]["statuses"] == {200: args.n}
        )
        notify, hello, webhook = results["sips_notify"], results["starlette_hello"], results["direct_webhook"]
        report = {
            "benchmark": "P2 callback throughput",
            "database": "postgresql" if args.pg_url else "sqlite",
            "concurrency": args.concurrency,
            "workers": args.workers,
            "server": "granian (reflex run --env prod)" if args.server == "prod" else "uvicorn",
            "load_average": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "client": "httpx.AsyncClient",
            "results": results,
            "ratio_notify_to_hello": round(notify["per_second"] / hello["per_second"], 3),
            "ratio_webhook_to_hello": round(webhook["per_second"] / hello["per_second"], 3),
            "targets": {
                "per_second": TARGET_RATE,
                "p99_ms": TARGET_P99_MS,
                "per_second_met": notify["per_second"] >= TARGET_RATE,
                "p99_met": notify["p99_ms"] <= TARGET_P99_MS,
            },
            "consistency": {**check, "ok": ok},
        }
        _print_table(report)
        print(json.dumps(report, indent=2))
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
        return 0 if ok else 1
    finally:
        for proc in procs:
            processes.stop(proc)
        from epay_app.db import reset_engines

        reset_engines()
        database.drop_database(db_url)
        shutil.rmtree(tmp, ignore_errors=True)


def _print_table(report: dict) -> None:
    rows = [("server", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "server CPU ms/req")]
    for name, r in report["results"].items():
        rows.append(
            (
                name,
                str(r["requests"]),
                f"{r['per_second']:.0f}",
                f"{r['p50_ms']:.2f}",
                f"{r['p90_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                f"{r['max_ms']:.2f}",
                f"{r['server_cpu_ms']:.2f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(
        f"P2 callback throughput — {report['database']}, concurrency {report['concurrency']}, "
        f"{report['workers']} {report['server']} worker(s), {report['cpus']} CPUs, load {report['load_average']}"
    )
    for i, row in enumerate(rows):
        print(
            "  ".join(
                cell.ljust(w) if j == 0 else cell.rjust(w) for j, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))
    t = report["targets"]
    print(
        f"ratio notify/hello: {report['ratio_notify_to_hello']:.3f} · "
        f"webhook/hello: {report['ratio_webhook_to_hello']:.3f} · target ≥ {t['per_second']:.0f}/s: "
        f"{'met' if t['per_second_met'] else 'NOT met'} · p99 ≤ {t['p99_ms']:.0f} ms: "
        f"{'met' if t['p99_met'] else 'NOT met'} · consistency: "
        f"{'ok' if report['consistency']['ok'] else 'FAILED'} {report['consistency']}"
    )


if __name__ == "__main__":
    sys.exit(main())
