"""Browser measure (issue 6): click a status filter → the list re-rendered, p50/p95/p99.

    python bench/filter_click_bench.py --base-url http://127.0.0.1:3000 [--email directeur@openflex.demo]

Against a running app (`scripts/run.sh`, demo data). Inside the page, the time runs from the
click on "Les e-Paiements payés" to the first change of the result list's DOM (a
MutationObserver), so it covers the websocket event, the server query and React's render.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.tracking_bench import percentiles  # noqa: E402

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

CLICK_TO_RENDER = """
(key) => new Promise((resolve) => {
  const results = document.querySelector('#results');
  const start = performance.now();
  const observer = new MutationObserver(() => { observer.disconnect(); resolve(performance.now() - start); });
  observer.observe(results, {childList: true, subtree: true, characterData: true, attributes: true});
  document.querySelector('#filter-' + key).click();
  setTimeout(() => { observer.disconnect(); resolve(-1); }, 5000);
})
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--email", default="directeur@openflex.demo")
    parser.add_argument("--password", default="epaiement")
    parser.add_argument("--filter", default="payes", help="the filter key to toggle")
    parser.add_argument("--clicks", type=int, default=60)
    args = parser.parse_args()
    samples, missed = [], 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{args.base_url}/login")
        page.fill("#email", args.email)
        page.fill("#password", args.password)
        page.click("#login-submit")
        page.wait_for_url(f"{args.base_url}/")
        page.goto(f"{args.base_url}/e-paiements")
        page.wait_for_selector("#results")
        page.click("#filters-button")
        page.wait_for_selector(f"#filter-{args.filter}")
        for _ in range(args.clicks):
            elapsed = page.evaluate(CLICK_TO_RENDER, args.filter)
            if elapsed < 0:
                missed += 1
            else:
                samples.append(elapsed / 1000)
            page.wait_for_timeout(50)
        browser.close()
    stats = percentiles(samples) if samples else {}
    print(
        f"filter click → list re-rendered: p50 {stats.get('p50', 0):.1f} ms, p95 {stats.get('p95', 0):.1f} ms,"
        f" p99 {stats.get('p99', 0):.1f} ms ({len(samples)} clicks, {missed} without change)"
    )
    print(json.dumps({"case": "filter click → render", "ms": stats, "missed": missed}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
