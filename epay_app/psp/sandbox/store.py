"""The sandbox's own SQLite file: one row per (merchant, transactionReference)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# One transaction row as the pages and the Office read it (request and response decoded).
Txn = dict[str, Any]

SCHEMA = """
CREATE TABLE IF NOT EXISTS txn (
    id TEXT PRIMARY KEY,                 -- hosted-page session id
    merchant_id TEXT NOT NULL,
    transaction_reference TEXT NOT NULL,
    order_id TEXT NOT NULL DEFAULT '',
    amount INTEGER NOT NULL,
    currency_code TEXT NOT NULL,
    request_json TEXT NOT NULL,          -- the request Data fields
    seal_algorithm TEXT NOT NULL,
    encode TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'PENDING',   -- PENDING | DONE
    response_code TEXT NOT NULL DEFAULT '',
    response_json TEXT NOT NULL DEFAULT '{}',
    current_amount INTEGER NOT NULL DEFAULT 0,   -- authorised, minus cancellations
    refunded_amount INTEGER NOT NULL DEFAULT 0,
    remit_at REAL,                           -- epoch seconds; remitted once passed
    created_at REAL NOT NULL,
    finished_at REAL,
    UNIQUE (merchant_id, transaction_reference)
);
"""


def sips_status(row: dict[str, Any], now: float | None = None) -> str:
    """The transactionStatus getTransactionData reports."""
    if row["state"] == "PENDING":
        return "TO_AUTHORIZE"
    code = row["response_code"]
    if code != "00":
        return "ABORTED" if code in ("17", "97") else "REFUSED"
    if row["current_amount"] == 0:
        return "CANCELLED"
    if row["refunded_amount"] >= row["current_amount"]:
        return "CREDITED"
    return "CAPTURED" if is_remitted(row, now) else "TO_CAPTURE"


def is_remitted(row: dict[str, Any], now: float | None = None) -> bool:
    return row["remit_at"] is not None and row["remit_at"] <= (now or time.time())


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.row_factory = sqlite3.Row
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    @staticmethod
    def _row(row: sqlite3.Row | None) -> Txn | None:
        if row is None:
            return None
        data = dict(row)
        data["request"] = json.loads(data.pop("request_json"))
        data["response"] = json.loads(data.pop("response_json"))
        return data

    def get(self, sid: str) -> Txn | None:
        with self.transaction() as db:
            return self._row(db.execute("SELECT * FROM txn WHERE id = ?", (sid,)).fetchone())

    def find(self, merchant_id: str, reference: str, db: sqlite3.Connection | None = None) -> Txn | None:
        query = "SELECT * FROM txn WHERE merchant_id = ? AND transaction_reference = ?"
        if db is not None:
            return self._row(db.execute(query, (merchant_id, reference)).fetchone())
        with self.transaction() as own:
            return self._row(own.execute(query, (merchant_id, reference)).fetchone())

    def find_any(self, reference: str) -> Txn | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM txn WHERE transaction_reference = ?", (reference,)).fetchone()
            return self._row(row)

    def open_session(self, request: dict[str, str], seal_algorithm: str, encode: str) -> tuple[str, Txn]:
        """('new' | 'pending' | 'finished', row). A pending row is refreshed with the new request."""
        merchant_id, reference = request["merchantId"], request["transactionReference"]
        with self.transaction() as db:
            existing = self.find(merchant_id, reference, db)
            if existing and existing["state"] != "PENDING":
                return "finished", existing
            values = (
                request.get("orderId", ""),
                int(request["amount"]),
                request["currencyCode"],
                json.dumps(request),
                seal_algorithm,
                encode,
            )
            if existing:
                db.execute(
                    "UPDATE txn SET order_id=?, amount=?, currency_code=?, request_json=?, "
                    "seal_algorithm=?, encode=? WHERE id=?",
                    (*values, existing["id"]),
                )
                sid, kind = existing["id"], "pending"
            else:
                sid, kind = secrets.token_urlsafe(16), "new"
                db.execute(
                    "INSERT INTO txn (order_id, amount, currency_code, request_json, seal_algorithm, "
                    "encode, id, merchant_id, transaction_reference, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, sid, merchant_id, reference, time.time()),
                )
            row = self._row(db.execute("SELECT * FROM txn WHERE id = ?", (sid,)).fetchone())
            assert row is not None  # written just above, in this transaction
            return kind, row

    def finish(self, sid: str, response_code: str, response: dict[str, str], remit_after: float) -> bool:
        """Record the outcome once: False when the session was already finished (double submit)."""
        now = time.time()
        authorised = response_code == "00"
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE txn SET state='DONE', response_code=?, response_json=?, finished_at=?, "
                "current_amount = CASE WHEN ? THEN amount ELSE 0 END, remit_at=? "
                "WHERE id=? AND state='PENDING'",
                (response_code, json.dumps(response), now, authorised, now + remit_after if authorised else None, sid),
            )
            return cursor.rowcount == 1

    def remit(self, reference: str | None = None) -> int:
        with self.transaction() as db:
            query = "UPDATE txn SET remit_at=? WHERE state='DONE' AND response_code='00'"
            params: tuple[float | str, ...] = (time.time(),)
            if reference:
                query += " AND transaction_reference=?"
                params += (reference,)
            return db.execute(query, params).rowcount

    def update_amounts(self, db: sqlite3.Connection, sid: str, current: int, refunded: int) -> None:
        db.execute("UPDATE txn SET current_amount=?, refunded_amount=? WHERE id=?", (current, refunded, sid))
