"""Browser measure (issue 6): click a status filter → the list re-rendered, p50/p95/p99.

    python bench/filter_click_bench.py --base-url http://127.0.0.1:3000 [--email directeur@openflex.demo]
    python bench/filter_click_bench.py --scaleout --background-sessions 100 --callback-rate 20

Against a running app (`scripts/run.sh`, demo data), or with --scaleout one started here like
scripts/run_scaleout.sh (a fresh PostgreSQL database on EPAY_TEST_PG_URL's server, a private
redis-server, 3 workers, prod build). Inside the page, the time runs from the click on "Les
e-Paiements payés" to the first change of the result list's DOM (a MutationObserver), so it
covers the websocket event, the server query and React's render; the first Socket.IO event
message the page receives after the click is timed too (the server's answer, before the render).

Under load (issue 15): --background-sessions N other tabs (bench/reflex_client.py, Reflex's
websocket protocol, logged in as the demo users) keep the list open, and --callback-rate R signed
Direct webhooks per second authorise pending deposits meanwhile (needs --db-url, or --scaleout).
The clicks are measured first without that load (the baseline), then with it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.tracking_bench import percentiles

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

# Each Socket.IO event message the page receives, with its time: the click's answer is told apart
# from the render that follows (the browser shares the server's cores here).
RECORD_EVENTS = """
(() => {
  const Native = window.WebSocket;
  window.__eventTimes = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (m) => {
        if (typeof m.data === 'string' && m.data.startsWith('42')) window.__eventTimes.push(performance.now());
      });
    }
  };
})();
"""

CLICK_TO_RENDER = """
(key) => new Promise((resolve) => {
  const results = document.querySelector('#results');
  const start = performance.now();
  const answered = () => { const t = window.__eventTimes.find((t) => t >= start); return t === undefined ? -1 : t - start; };
  const observer = new MutationObserver(() => {
    observer.disconnect();
    resolve([performance.now() - start, answered()]);
  });
  observer.observe(results, {childList: true, subtree: true, characterData: true, attributes: true});
  document.querySelector('#filter-' + key).click();
  setTimeout(() => { observer.disconnect(); resolve([-1, -1]); }, 5000);
})
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url")
    parser.add_argument("--scaleout", action="store_true", help="start the scale-out shape here")
    parser.add_argument("--db-url", default=os.environ.get("REFLEX_DB_URL"), help="the app's database (load)")
    parser.add_argument("--background-sessions", type=int, default=0)
    parser.add_argument("--callback-rate", type=float, default=0.0)
    parser.add_argument(
        "--background-path",
        default="/e-paiements?tri=desc",
        help="the other tabs' page: newest first, each callback changes what they show (the heaviest load);"
        " /e-paiements (oldest first) shows none of the callbacks' payments, and a refresh that changes"
        " nothing shown sends nothing",
    )
    parser.add_argument("--email", default="directeur@openflex.demo")
    parser.add_argument("--password", default="epaiement")
    parser.add_argument("--filter", default="payes", help="the filter key to toggle")
    parser.add_argument("--clicks", type=int, default=60)
    parser.add_argument(
        "--pause-ms",
        type=int,
        default=50,
        help="between two clicks (the browser runs on the server's cores here: at 50 ms it renders ~7 clicks/s)",
    )
    args = parser.parse_args()
    if args.scaleout:
        with _scaleout() as app:
            args.base_url, args.db_url = app.base_url, app.db_url
            return _measure(args)
    if not args.base_url:
        parser.error("--base-url or --scaleout")
    return _measure(args)


def _measure(args) -> int:
    results = {"load_average_start": _loadavg(), "pause_ms": args.pause_ms, "background_path": args.background_path}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
        page = _open_list(browser, args)
        results["baseline"] = _clicks(page, args)
        _report("no other session", results["baseline"])
        if args.background_sessions or args.callback_rate:
            with Background(args) as load:
                results["under_load"] = _clicks(page, args)
                results["load"] = load.summary()
            _report(
                f"{args.background_sessions} sessions open, {args.callback_rate:g} callbacks/s", results["under_load"]
            )
            print(f"load: {results['load']}")
        browser.close()
    results["load_average_end"] = _loadavg()
    print(json.dumps({"case": "filter click → render", **results}))
    return 0


def _open_list(browser, args):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.add_init_script(RECORD_EVENTS)
    page.goto(f"{args.base_url}/login")
    page.fill("#email", args.email)
    page.fill("#password", args.password)
    page.click("#login-submit")
    page.wait_for_url(f"{args.base_url}/")
    page.goto(f"{args.base_url}/e-paiements")
    page.wait_for_selector("#results")
    page.click("#filters-button")
    page.wait_for_selector(f"#filter-{args.filter}")
    return page


def _clicks(page, args) -> dict:
    samples, answers, missed = [], [], 0
    for _ in range(args.clicks):
        rendered, answered = page.evaluate(CLICK_TO_RENDER, args.filter)
        if rendered < 0:
            missed += 1
        else:
            samples.append(rendered / 1000)
            if answered >= 0:
                answers.append(answered / 1000)
        page.wait_for_timeout(args.pause_ms)
    return {
        "ms": percentiles(samples) if samples else {},
        "answer_ms": percentiles(answers) if answers else {},
        "clicks": len(samples),
        "missed": missed,
    }


def _report(label: str, result: dict) -> None:
    stats = result["ms"]
    print(
        f"filter click → list re-rendered ({label}): p50 {stats.get('p50', 0):.1f} ms,"
        f" p95 {stats.get('p95', 0):.1f} ms, p99 {stats.get('p99', 0):.1f} ms"
        f" ({result['clicks']} clicks, {result['missed']} without change) · load {_loadavg()}"
    )
    answer = result["answer_ms"]
    print(
        f"  of which the server's answer (click → first event message in the page): p50 {answer.get('p50', 0):.1f} ms,"
        f" p95 {answer.get('p95', 0):.1f} ms, p99 {answer.get('p99', 0):.1f} ms ({answer.get('n', 0)} answers)"
    )


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Background:
    """Other tabs and callbacks, on an event loop in a thread, while the browser clicks."""

    def __init__(self, args):
        self.args = args
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.stop = asyncio.Event()
        self.tabs, self.callbacks, self.statuses = [], 0, {}

    def __enter__(self):
        from bench.support import ENTITY_45, OTHERS, login_tokens, pending_payments

        if not self.args.db_url:
            raise SystemExit("--db-url (the app's database) is needed for background sessions and callbacks")
        os.environ["REFLEX_DB_URL"] = self.args.db_url
        self.tokens = login_tokens(self.args.db_url)
        self.emails = [e for pair in zip(ENTITY_45, OTHERS, strict=False) for e in pair]
        self.payments = pending_payments(self.args.db_url, int(self.args.callback_rate * 600) + 1)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._open_tabs(), self.loop).result(600)
        self.posting = asyncio.run_coroutine_threadsafe(self._post(), self.loop)
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.stop.set)
        self.posting.result(60)
        asyncio.run_coroutine_threadsafe(self._close_tabs(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _open_tabs(self) -> None:
        from bench.reflex_client import Tab, state_names

        names = state_names()
        for i in range(self.args.background_sessions):
            email = self.emails[i % len(self.emails)]
            self.tabs.append(
                Tab(self.args.base_url, self.tokens[email][0], self.args.background_path, names, label=email)
            )
        for start in range(0, len(self.tabs), 20):
            batch = self.tabs[start : start + 20]
            await asyncio.gather(*(t.open() for t in batch))
            await asyncio.wait_for(asyncio.gather(*(t.loaded.wait() for t in batch)), 120)
        await asyncio.sleep(2.0)

    async def _post(self) -> None:
        import httpx

        from tests.support.direct_messages import WEBHOOK, webhook_body, webhook_headers

        if not self.args.callback_rate:
            await self.stop.wait()
            return
        started, pending = time.monotonic(), []
        async with httpx.AsyncClient(timeout=30) as client:

            async def one(payment):
                body = webhook_body(payment, payment_id=f"{9_000_000_000 + payment.id}_0")
                status = (
                    await client.post(self.args.base_url + WEBHOOK, content=body, headers=webhook_headers(body))
                ).status_code
                self.statuses[status] = self.statuses.get(status, 0) + 1

            for i, payment in enumerate(self.payments):
                if self.stop.is_set():
                    break
                await asyncio.sleep(max(0.0, started + i / self.args.callback_rate - time.monotonic()))
                pending.append(asyncio.create_task(one(payment)))
                self.callbacks += 1
            await asyncio.gather(*pending)
        self.elapsed = time.monotonic() - started

    async def _close_tabs(self) -> None:
        await asyncio.gather(*(t.close() for t in self.tabs))

    def summary(self) -> dict:
        return {
            "sessions": len(self.tabs),
            "callbacks": self.callbacks,
            "statuses": self.statuses,
            "updates_received": sum(len(t.updates) for t in self.tabs),
        }


@contextlib.contextmanager
def _scaleout():
    """PostgreSQL + a private redis-server + 3 workers, prod build (tests.support.live)."""
    import tempfile

    from bench.servers import start_redis
    from tests.support import database, processes
    from tests.support.live import copy_of_the_app, running_app

    if not os.environ.get(database.PG_URL_ENV):
        raise SystemExit(f"--scaleout needs {database.PG_URL_ENV} (a PostgreSQL server URL)")
    workdir = Path(tempfile.mkdtemp(prefix="epay-click-bench-"))
    db_url = database.create_database("postgresql", workdir)
    redis_proc = None
    try:
        database.migrate(db_url)
        redis_proc, redis_port = start_redis(workdir)
        os.environ["EPAY_MASTER_KEY_FILE"] = str(workdir / "master.key")
        os.environ["EPAY_DEMO"] = "true"
        seed_env = {**os.environ, "REFLEX_DB_URL": db_url}
        seed = processes.start_python_module("epay_app.seed", ["--activity"], seed_env, workdir / "seed-activity.log")
        assert seed.wait(timeout=300) == 0, (workdir / "seed-activity.log").read_text()[-2000:]
        app_dir = copy_of_the_app(workdir / "app")
        with running_app(
            db_url,
            workdir,
            app_dir,
            REFLEX_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            GRANIAN_WORKERS="3",
            EPAY_JOBS_IN_WEB="false",  # jobs and mails in a process of their own, as scripts/run_scaleout.sh
        ) as app:
            yield app
    finally:
        processes.stop(redis_proc)
        from epay_app.db import reset_engines

        reset_engines()
        database.drop_database(db_url)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
