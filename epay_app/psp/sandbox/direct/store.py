"""Direct's tables in the sandbox's SQLite file: hosted checkouts, payments, operations, idempotence keys."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS direct_checkout (
    id TEXT PRIMARY KEY,                     -- hostedCheckoutId, 10 digits
    merchant_id TEXT NOT NULL,               -- PSPID
    token TEXT NOT NULL UNIQUE,              -- the hosted page's 32 hex characters
    returnmac TEXT NOT NULL,
    merchant_reference TEXT NOT NULL DEFAULT '',
    request_json TEXT NOT NULL,
    base_url TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'IN_PROGRESS',  -- IN_PROGRESS | CHALLENGE | PAYMENT_CREATED | CANCELLED_BY_CONSUMER
    card_json TEXT,                          -- the card waiting for its 3-D Secure challenge
    payment_id TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS direct_payment (
    id TEXT PRIMARY KEY,                     -- the hostedCheckoutId; the API adds _0, _1… per operation
    merchant_id TEXT NOT NULL,
    checkout_id TEXT NOT NULL,
    merchant_reference TEXT NOT NULL DEFAULT '',
    data_json TEXT NOT NULL,
    next_op INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS direct_operation (
    id TEXT PRIMARY KEY,                     -- <payment>_<op>
    payment_id TEXT NOT NULL,
    kind TEXT NOT NULL,                      -- capture | refund
    amount INTEGER NOT NULL,
    status TEXT NOT NULL,                    -- CAPTURE_REQUESTED → CAPTURED, REFUND_REQUESTED → REFUNDED
    settle_at REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS direct_idempotence (
    merchant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'IN_FLIGHT',    -- IN_FLIGHT | DONE
    status INTEGER,
    body BLOB,
    requested_ms INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, key)
);
"""

IDEMPOTENCE_TTL = 24 * 3600  # "kept for at least 24 h" [D:idempotent-requests]


def _digits() -> str:
    return str(secrets.randbelow(9 * 10**9) + 10**9)


class DirectStore:
    def __init__(self, path: str | Path):
        self.path = str(path)
        db = self._connect()
        try:
            db.executescript(SCHEMA)
        finally:
            db.close()

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

    # --- hosted checkouts -------------------------------------------------------------------

    @staticmethod
    def _checkout(row: sqlite3.Row | None) -> dict[str, Any] | None:
        if row is None:
            return None
        data = dict(row)
        data["request"] = json.loads(data.pop("request_json"))
        card = data.pop("card_json")
        data["card"] = json.loads(card) if card else None
        return data

    def create_checkout(
        self, merchant_id: str, request: dict[str, Any], returnmac: str, base_url: str, timeout_minutes: float
    ) -> dict[str, Any]:
        now = time.time()
        reference = str(((request.get("order") or {}).get("references") or {}).get("merchantReference") or "")
        with self.transaction() as db:
            while True:
                cid = _digits()
                if not db.execute(
                    "SELECT 1 FROM direct_checkout WHERE id=? UNION ALL SELECT 1 FROM direct_payment WHERE id=?",
                    (cid, cid),
                ).fetchone():
                    break
            db.execute(
                "INSERT INTO direct_checkout (id, merchant_id, token, returnmac, merchant_reference, "
                "request_json, base_url, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cid,
                    merchant_id,
                    secrets.token_hex(16),
                    returnmac,
                    reference,
                    json.dumps(request),
                    base_url,
                    now,
                    now + timeout_minutes * 60,
                ),
            )
            created = self._checkout(db.execute("SELECT * FROM direct_checkout WHERE id=?", (cid,)).fetchone())
            assert created is not None  # inserted just above, in this transaction
            return created

    def checkout(self, cid: str, merchant_id: str | None = None) -> dict[str, Any] | None:
        with self.transaction() as db:
            self._expire(db)
            row = db.execute("SELECT * FROM direct_checkout WHERE id=?", (cid,)).fetchone()
        found = self._checkout(row)
        if found and merchant_id is not None and found["merchant_id"] != merchant_id:
            return None
        return found

    def known_checkout(self, cid: str) -> dict[str, Any]:
        """A checkout this sandbox created: checkouts are never deleted."""
        checkout = self.checkout(cid)
        assert checkout is not None
        return checkout

    def checkout_by_token(self, token: str) -> dict[str, Any] | None:
        with self.transaction() as db:
            self._expire(db)
            return self._checkout(db.execute("SELECT * FROM direct_checkout WHERE token=?", (token,)).fetchone())

    def checkout_by_reference(self, reference: str) -> dict[str, Any] | None:
        with self.transaction() as db:
            self._expire(db)
            row = db.execute(
                "SELECT * FROM direct_checkout WHERE merchant_reference=? ORDER BY created_at DESC", (reference,)
            ).fetchone()
            return self._checkout(row)

    @staticmethod
    def _expire(db: sqlite3.Connection) -> None:
        # sessionTimeout elapsed: CANCELLED_BY_CONSUMER [SDK domain/get_hosted_checkout_response.py docstring]
        db.execute(
            "UPDATE direct_checkout SET state='CANCELLED_BY_CONSUMER', card_json=NULL "
            "WHERE state IN ('IN_PROGRESS', 'CHALLENGE') AND expires_at < ?",
            (time.time(),),
        )

    def start_challenge(self, cid: str, card: dict[str, Any]) -> bool:
        with self.transaction() as db:
            return (
                db.execute(
                    "UPDATE direct_checkout SET state='CHALLENGE', card_json=? WHERE id=? AND state='IN_PROGRESS'",
                    (json.dumps(card), cid),
                ).rowcount
                == 1
            )

    def create_payment(
        self, checkout: Mapping[str, Any], data: dict[str, Any], state: str = "PAYMENT_CREATED"
    ) -> str | None:
        """The checkout's one payment: None when it already has one (a second submit)."""
        # The payment takes the hosted checkout's number: 4315624881 → 4315624881_0 [EO recorded preprod]
        pid: str = checkout["id"]
        with self.transaction() as db:
            done = db.execute(
                "UPDATE direct_checkout SET state=?, payment_id=?, card_json=NULL "
                "WHERE id=? AND state IN ('IN_PROGRESS', 'CHALLENGE')",
                (state, pid, checkout["id"]),
            )
            if done.rowcount != 1:
                return None
            db.execute(
                "INSERT INTO direct_payment (id, merchant_id, checkout_id, merchant_reference, data_json, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    pid,
                    checkout["merchant_id"],
                    checkout["id"],
                    checkout["merchant_reference"],
                    json.dumps(data),
                    time.time(),
                ),
            )
            return pid

    # --- payments ---------------------------------------------------------------------------

    @staticmethod
    def _payment(db: sqlite3.Connection, row: sqlite3.Row | None) -> dict[str, Any] | None:
        if row is None:
            return None
        data = dict(row)
        data["data"] = json.loads(data.pop("data_json"))
        data["operations"] = [
            dict(r)
            for r in db.execute(
                "SELECT * FROM direct_operation WHERE payment_id=? ORDER BY created_at, id", (data["id"],)
            )
        ]
        return data

    def payment(
        self, pid: str, merchant_id: str | None = None, db: sqlite3.Connection | None = None
    ) -> dict[str, Any] | None:
        if db is None:
            with self.transaction() as own:
                return self.payment(pid, merchant_id, own)
        found = self._payment(db, db.execute("SELECT * FROM direct_payment WHERE id=?", (pid,)).fetchone())
        if found and merchant_id is not None and found["merchant_id"] != merchant_id:
            return None
        return found

    def known_payment(self, pid: str, db: sqlite3.Connection | None = None) -> dict[str, Any]:
        """A payment this sandbox created: payments are never deleted."""
        payment = self.payment(pid, db=db)
        assert payment is not None
        return payment

    def payment_by_reference(self, reference: str) -> dict[str, Any] | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM direct_payment WHERE merchant_reference=? ORDER BY created_at DESC", (reference,)
            ).fetchone()
            return self._payment(db, row)

    def save_payment(self, db: sqlite3.Connection, pid: str, data: dict[str, Any], bump_op: bool = False) -> int:
        """Store the payment's data; with bump_op, the number of the new operation id."""
        op: int = db.execute("SELECT next_op FROM direct_payment WHERE id=?", (pid,)).fetchone()[0]
        db.execute(
            "UPDATE direct_payment SET data_json=?, next_op=? WHERE id=?",
            (json.dumps(data), op + 1 if bump_op else op, pid),
        )
        return op

    def add_operation(
        self, db: sqlite3.Connection, op_id: str, pid: str, kind: str, amount: int, status: str, settle_at: float
    ) -> None:
        db.execute(
            "INSERT INTO direct_operation (id, payment_id, kind, amount, status, settle_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (op_id, pid, kind, amount, status, settle_at, time.time()),
        )

    def due_operations(self, db: sqlite3.Connection, before: float, pid: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT * FROM direct_operation WHERE status LIKE '%_REQUESTED' AND settle_at <= ?"
        params: tuple[float | str, ...] = (before,)
        if pid is not None:
            query += " AND payment_id = ?"
            params += (pid,)
        return [dict(r) for r in db.execute(query + " ORDER BY created_at, id", params)]

    def settle_operation(self, db: sqlite3.Connection, op_id: str, status: str) -> None:
        db.execute("UPDATE direct_operation SET status=? WHERE id=?", (status, op_id))

    # --- idempotence ------------------------------------------------------------------------

    def claim_key(self, merchant_id: str, key: str) -> tuple[str, dict[str, Any] | None]:
        """('new', None) | ('in_flight', None) | ('done', row) for X-GCS-Idempotence-Key."""
        now_ms = int(time.time() * 1000)
        with self.transaction() as db:
            db.execute("DELETE FROM direct_idempotence WHERE requested_ms < ?", (now_ms - IDEMPOTENCE_TTL * 1000,))
            row = db.execute(
                "SELECT * FROM direct_idempotence WHERE merchant_id=? AND key=?", (merchant_id, key)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO direct_idempotence (merchant_id, key, requested_ms) VALUES (?, ?, ?)",
                    (merchant_id, key, now_ms),
                )
                return "new", None
            return ("done", dict(row)) if row["state"] == "DONE" else ("in_flight", None)

    def finish_key(self, merchant_id: str, key: str, status: int, body: bytes) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE direct_idempotence SET state='DONE', status=?, body=? WHERE merchant_id=? AND key=?",
                (status, body, merchant_id, key),
            )

    def release_key(self, merchant_id: str, key: str) -> None:
        with self.transaction() as db:
            db.execute(
                "DELETE FROM direct_idempotence WHERE merchant_id=? AND key=? AND state='IN_FLIGHT'", (merchant_id, key)
            )
