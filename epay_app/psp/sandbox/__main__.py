"""python -m epay_app.psp.sandbox --port 8900 [--host 127.0.0.1] [--db FILE] [--merchants FILE]"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

import uvicorn

from ...config import ROOT
from .app import create_app
from .direct import DirectSandbox
from .direct.webhooks import DirectFaults
from .merchants import load_merchants
from .notifier import Faults, Notifier, parse_schedule_minutes


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text else None


def _float_or_none(text: str | None) -> float | None:
    return float(text) if text else None


def _sips_notifier(args: argparse.Namespace) -> Notifier:
    if args.notify_schedule_minutes:
        return Notifier(schedule=parse_schedule_minutes(args.notify_schedule_minutes))
    return Notifier(args.notify_attempts, args.notify_backoff)


def main(argv: list[str] | None = None) -> None:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m epay_app.psp.sandbox", description="Local PSP speaking Worldline Sips 2.0"
    )
    parser.add_argument("--host", default=env("EPAY_SANDBOX_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("EPAY_SANDBOX_PORT", "8900")))
    parser.add_argument("--db", default=env("EPAY_SANDBOX_DB", str(ROOT / "psp_sandbox.db")))
    parser.add_argument(
        "--merchants",
        default=env("EPAY_SANDBOX_MERCHANTS_FILE"),
        help="JSON file: [{merchantId, secretKey, keyVersion, name}]",
    )
    parser.add_argument(
        "--remit-after",
        type=float,
        default=float(env("EPAY_SANDBOX_REMIT_AFTER", "86400")),
        help="seconds between authorisation and remittance",
    )
    # Sips automatic responses: retried on a schedule in minutes (notifier.DEFAULT_SCHEDULE_MINUTES)
    # unless told otherwise; --notify-attempts/--notify-backoff give the fast exponential one (tests).
    parser.add_argument(
        "--notify-schedule-minutes",
        default=env("EPAY_SANDBOX_NOTIFY_SCHEDULE_MINUTES"),
        help="Sips: delays between automatic-response attempts, in minutes (e.g. 1,2,5,10,15)",
    )
    parser.add_argument("--notify-attempts", type=int, default=_int_or_none(env("EPAY_SANDBOX_NOTIFY_ATTEMPTS")))
    parser.add_argument("--notify-backoff", type=float, default=_float_or_none(env("EPAY_SANDBOX_NOTIFY_BACKOFF")))
    parser.add_argument(
        "--direct-settle-after",
        type=float,
        default=float(env("EPAY_SANDBOX_DIRECT_SETTLE_AFTER", "2")),
        help="Direct: seconds before CAPTURE_REQUESTED/REFUND_REQUESTED settle (0 = at once)",
    )
    parser.add_argument(
        "--direct-clock-skew",
        type=float,
        default=float(env("EPAY_SANDBOX_DIRECT_CLOCK_SKEW", "900")),
        help="Direct: seconds of Date header skew accepted",
    )
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s [%(name)s] %(message)s")
    faults = Faults.from_json(json.loads(env("EPAY_SANDBOX_FAULTS") or "{}"))
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    app = create_app(
        args.db,
        load_merchants(args.merchants),
        remit_after=args.remit_after,
        notifier=_sips_notifier(args),
        faults=faults,
        direct=DirectSandbox.create(
            args.db,
            args.merchants,
            settle_after=args.direct_settle_after,
            notify_attempts=args.notify_attempts or 4,
            notify_backoff=0.25 if args.notify_backoff is None else args.notify_backoff,
            clock_skew=args.direct_clock_skew,
            faults=DirectFaults.from_json(json.loads(env("EPAY_SANDBOX_DIRECT_FAULTS") or "{}")),
        ),
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", lifespan="off")


if __name__ == "__main__":
    main()
