"""P5 — backend memory with 20 open browser sessions, and per-session state size.

Runs the prod app twice from a temporary copy, on a fresh seeded SQLite database:
  1. in-memory state (the embedded default): backend RSS before/after 20 logged-in sessions
     that visit the home page, the e-Paiements list, the opportunities and an offer;
  2. with Redis as the state store (one worker): the size of each session's stored state.
Targets: RSS ≤ 300 MB, state ≤ 50 KB per session. Prints a table and JSON.

    python bench/memory_bench.py [--sessions 20] [--redis-url redis://127.0.0.1:6391]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from tests.support import database
from tests.support.live import copy_of_the_app, running_app

USERS = [
    "vendeur@openflex.demo",
    "chef@openflex.demo",
    "directeur@openflex.demo",
    "secretaire@openflex.demo",
    "admin@openflex.demo",
]
PAGES = ["/", "/e-paiements", "/opportunites", "/offres/26837"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def backend_rss_mb(port: int) -> tuple[float, float]:
    """RSS of the reflex process tree for that port: (whole tree, the largest process).

    The tree is the `reflex run` supervisor plus the granian server and its worker; the largest
    process is the one that holds the app and the sessions' state."""
    children, rss, roots = defaultdict(list), {}, []
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            status = (pid_dir / "status").read_text()
            cmdline = (pid_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid, ppid = int(pid_dir.name), int(fields["PPid"].strip())
        children[ppid].append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
        if "reflex" in cmdline and f"--frontend-port {port}" in cmdline:
            roots.append(pid)
    sizes, stack = [], [min(roots)] if roots else []
    while stack:
        pid = stack.pop()
        sizes.append(rss.get(pid, 0))
        stack.extend(children.get(pid, []))
    return sum(sizes), max(sizes, default=0.0)


def open_sessions(base_url: str, count: int):
    """Log `count` browser sessions in and leave them open on the app's pages."""
    play = sync_playwright().start()
    browser = play.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    pages = []
    for i in range(count):
        page = browser.new_context().new_page()
        page.goto(f"{base_url}/login")
        page.fill("#email", USERS[i % len(USERS)])
        page.fill("#password", "epaiement")
        page.click("#login-submit")
        page.wait_for_url(f"{base_url}/")
        for path in PAGES:
            page.goto(base_url + path)
            page.wait_for_load_state("networkidle")
        pages.append(page)
    return play, browser, pages


def redis_state_sizes(redis_url: str) -> list[int]:
    import redis

    client = redis.Redis.from_url(redis_url)
    per_token: dict[str, int] = defaultdict(int)
    for key in client.scan_iter(count=1000):
        name = key.decode(errors="replace")
        if "_reflex" not in name:
            continue
        token = name.split("_reflex", 1)[0]
        per_token[token] += client.memory_usage(key) or 0
    return sorted(per_token.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--redis-url", default=os.environ.get("EPAY_TEST_REDIS_URL", "redis://127.0.0.1:6391"))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="epay-bench-mem-"))
    app_dir = copy_of_the_app(workdir / "app")
    results = {}

    db_url = f"sqlite:///{workdir / 'mem.db'}"
    database.migrate(db_url)
    (workdir / "a").mkdir()
    with running_app(db_url, workdir / "a", app_dir) as app:
        port = int(app.base_url.rsplit(":", 1)[1])
        idle = backend_rss_mb(port)
        play, browser, _pages = open_sessions(app.base_url, args.sessions)
        busy = backend_rss_mb(port)
        browser.close()
        play.stop()
    results["rss_idle_mb"], results["rss_with_sessions_mb"] = round(idle[0], 1), round(busy[0], 1)
    results["worker_rss_idle_mb"], results["worker_rss_with_sessions_mb"] = round(idle[1], 1), round(busy[1], 1)

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    db_url = f"sqlite:///{workdir / 'redis.db'}"
    database.migrate(db_url)
    (workdir / "b").mkdir()
    with running_app(db_url, workdir / "b", app_dir, REFLEX_REDIS_URL=args.redis_url, GRANIAN_WORKERS="1") as app:
        play, browser, _pages = open_sessions(app.base_url, args.sessions)
        sizes = redis_state_sizes(args.redis_url)
        browser.close()
        play.stop()
    results["sessions"] = args.sessions
    results["state_kb_mean"] = round(sum(sizes) / len(sizes) / 1024, 1) if sizes else None
    results["state_kb_max"] = round(max(sizes) / 1024, 1) if sizes else None
    results["targets"] = {"rss_mb": 300, "state_kb": 50}

    print(f"{'measure':<40}{'value':>12}{'target':>10}")
    print(f"{'backend tree RSS, idle (MB)':<40}{results['rss_idle_mb']:>12}{'':>10}")
    print(f"{f'backend tree RSS, {args.sessions} sessions (MB)':<40}{results['rss_with_sessions_mb']:>12}{'≤ 300':>10}")
    print(f"{'app process RSS, idle (MB)':<40}{results['worker_rss_idle_mb']:>12}{'':>10}")
    print(
        f"{f'app process RSS, {args.sessions} sessions (MB)':<40}{results['worker_rss_with_sessions_mb']:>12}{'≤ 300':>10}"
    )
    print(f"{'state per session, mean (KB)':<40}{results['state_kb_mean']!s:>12}{'≤ 50':>10}")
    print(f"{'state per session, max (KB)':<40}{results['state_kb_max']!s:>12}{'≤ 50':>10}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
