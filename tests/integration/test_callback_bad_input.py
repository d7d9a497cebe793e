"""R2 — bad input: hypothesis-generated callbacks that must be refused change nothing.

Categories (tests/support/bad_callbacks.py): bad seals, Data tampered with after sealing, other or
unknown merchants, wrong keyVersion, sealed but unusable (unknown reference, missing or unreadable
fields), truncated Data, oversized Data and bodies, bad encodings and non-UTF-8 bytes, missing form
fields, non-form bodies, methods other than POST.

Answers: 400 for anything we read and refuse; 413 for a body over 64 KiB (declared or streamed);
415 for a body that is not application/x-www-form-urlencoded; 405 for a method other than POST
(Starlette's router answers it before our handler, so only the server's access log has it).
Never 500 and never 503 here. Every refusal but the 405 leaves a WARNING line in
epay_app.api.sips's log. The whole state (payments, events, outbox) is the same afterwards.

The bulk runs in-process (Starlette's TestClient on the same routes: ≥ 10 000 cases per run, split
between the backends), a sample of every category over real HTTP against the uvicorn-served routes.
"""

from __future__ import annotations

import logging
import os

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.support import database, state
from tests.support.api_app import import_api_modules
from tests.support.bad_callbacks import CATEGORIES, Case, any_bad_callback
from tests.support.other_merchant import ensure_other_point_of_sale
from tests.support.sips_messages import NOTIFY, signed_response

pytestmark = pytest.mark.usefixtures("api_server")

# In-process cases for the whole run (EPAY_FUZZ_CASES), shared among categories and backends:
# 10 000 on SQLite alone, 5 000 on each when PostgreSQL runs too. Each test checks it ran its share.
TOTAL_CASES = int(os.environ.get("EPAY_FUZZ_CASES", "10000"))
PER_CATEGORY = -(-TOTAL_CASES // (len(CATEGORIES) * len(database.backends())))
HTTP_SAMPLE = int(os.environ.get("EPAY_FUZZ_HTTP_CASES", "400"))

FUZZ = settings(
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@pytest.fixture(scope="module")
def asgi_client(api_server):
    import_api_modules()
    from epay_app.api.routes import API_ROUTES

    with TestClient(Starlette(routes=list(API_ROUTES)), raise_server_exceptions=True) as client:
        yield client


@pytest.fixture
def targets(make_payment, migrated_db_url, demo_point_of_sale, asgi_client):
    """Two payments waiting for the PSP and one already authorised: what bad callbacks aim at."""
    ensure_other_point_of_sale(migrated_db_url, demo_point_of_sale["entity_id"])
    waiting = [make_payment(50_000), make_payment(12_345)]
    paid = make_payment(30_000)
    assert asgi_client.post(NOTIFY, data=signed_response(paid, "00")).status_code == 200
    return [*waiting, paid]


def _send(client, case: Case):
    body = case.body if isinstance(case.body, bytes) else iter(case.body)
    return client.request(case.method, case.path, content=body, headers=case.headers)


def _check(case: Case, status: int, text: str, records: list[logging.LogRecord]) -> None:
    assert status in case.expected, f"{case!r} answered {status}: {text[:300]}"
    assert "Traceback" not in text
    if case.logged:
        source = "psp:notify" if case.path == NOTIFY else "psp:return"
        ours = [
            r
            for r in records
            if r.name == "epay_app.api.sips" and r.levelno >= logging.WARNING and r.getMessage().startswith(source)
        ]
        assert ours, f"{case!r} was refused without a log line"


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_bad_callbacks_change_nothing(category, asgi_client, targets, migrated_db_url, caplog):
    caplog.set_level(logging.WARNING, logger="epay_app.api.sips")
    before = state.snapshot(migrated_db_url)
    seen: dict[str, int] = {}

    @settings(FUZZ, max_examples=PER_CATEGORY)
    @given(case=CATEGORIES[category](targets))
    def refused(case: Case):
        caplog.clear()
        response = _send(asgi_client, case)
        _check(case, response.status_code, response.text, caplog.records)
        seen[case.label] = seen.get(case.label, 0) + 1

    refused()
    assert state.snapshot(migrated_db_url) == before
    assert sum(seen.values()) >= PER_CATEGORY, seen
    print(f"{category}: {sum(seen.values())} cases", dict(sorted(seen.items())))


def test_bad_callbacks_over_real_http_change_nothing(api_server, targets, migrated_db_url, caplog):
    """The same generators against the uvicorn-served routes: the HTTP server's own parsing
    (Content-Length, chunked bodies, methods) is in the path too."""
    caplog.set_level(logging.WARNING, logger="epay_app.api.sips")
    before = state.snapshot(migrated_db_url)
    count = 0
    with httpx.Client(base_url=api_server, timeout=30) as client:

        @settings(FUZZ, max_examples=HTTP_SAMPLE)
        @given(case=any_bad_callback(targets))
        def refused(case: Case):
            nonlocal count
            caplog.clear()
            response = _send(client, case)
            _check(case, response.status_code, response.text, caplog.records)
            count += 1

        refused()
    assert state.snapshot(migrated_db_url) == before
    assert count >= HTTP_SAMPLE


def test_a_genuine_message_still_goes_through_after_the_storm(asgi_client, targets, migrated_db_url):
    """Guards the suite itself: the routes accept what they should, so every refusal above is
    the input's fault, not a route that refuses everything."""
    waiting = targets[0]
    assert asgi_client.post(NOTIFY, data=signed_response(waiting, "00")).status_code == 200
    assert state.outcome(migrated_db_url, waiting.id).status == "autorise"


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None])
def test_a_sealed_message_not_posted_as_a_form_is_refused(asgi_client, targets, migrated_db_url, content_type):
    """Before: any body was parsed as a form whatever its type, so a text/plain post was applied."""
    from urllib.parse import urlencode

    waiting = targets[0]
    headers = {"content-type": content_type} if content_type else {}
    body = urlencode(signed_response(waiting, "00")).encode()
    response = asgi_client.post(NOTIFY, content=body, headers=headers)
    assert response.status_code == 415
    assert state.outcome(migrated_db_url, waiting.id).status == "envoye"
