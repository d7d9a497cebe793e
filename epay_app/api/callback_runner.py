"""What every PSP callback route does once it has read its request: run the use case on the
callbacks' own database threads, retry once after a concurrent duplicate, and map the outcome to
an HTTP status. Never a 500: a crash would only make the PSP retry, and 503 says so."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..config import get_settings
from ..domain.errors import DomainError
from ..psp.interface import MalformedResponse, PspCallError, SealError
from ..services.admin.secrets import MasterKeyError
from ..services.payment.callbacks import CallbackResult, ForeignMerchant
from ..services.payment.payments import PaymentNotFound


@lru_cache(maxsize=2)
def _callback_threads(sqlite: bool) -> ThreadPoolExecutor:
    """The callbacks' database work runs on a few threads of its own, not on Starlette's shared
    pool of 40: threads beyond what the database can use only fight over the GIL and the write
    lock. SQLite takes one writer at a time; on PostgreSQL a few threads overlap the round trips
    (bench/callback_bench.py at concurrency 16: 1 thread on SQLite, 4 on PostgreSQL did best)."""
    return ThreadPoolExecutor(1 if sqlite else 4, thread_name_prefix="psp-callback")


def callback_pool() -> ThreadPoolExecutor:
    return _callback_threads(get_settings().db_url.startswith("sqlite"))


def _retrying(apply: Callable[[], CallbackResult]) -> CallbackResult:
    try:
        return apply()
    except IntegrityError:  # a concurrent delivery recorded the same fact first: the retry sees it
        return apply()


async def run_callback(
    source: str, apply: Callable[[], CallbackResult], *, log: logging.Logger, not_found_status: int = 400
) -> tuple[int, CallbackResult | None]:
    """(HTTP status, result). 400 bad seal or malformed, `not_found_status` unknown payment,
    403 sealed by another merchant than the payment's, 503 could not be processed now. Logged
    on the route's own `log`."""
    try:
        result = await asyncio.get_running_loop().run_in_executor(callback_pool(), _retrying, apply)
    except (SealError, MalformedResponse) as exc:
        log.warning("%s rejected: %s", source, exc)
        return 400, None
    except PaymentNotFound as exc:
        log.warning("%s: %s", source, exc)
        return not_found_status, None
    except ForeignMerchant as exc:  # the security log has the details
        log.warning("%s refused: %s", source, exc)
        return 403, None
    except PspCallError as exc:
        log.warning("%s: the platform did not answer: %s", source, exc)
        return 503, None
    except (MasterKeyError, SQLAlchemyError) as exc:
        log.error("%s could not be processed: %r", source, exc)
        return 503, None
    except DomainError as exc:
        log.warning("%s rejected: %s", source, exc)
        return 400, None
    except Exception:  # never a 500
        log.exception("%s failed", source)
        return 503, None
    log.info("%s %s: %s (%s)", source, result.reference, result.outcome.value, result.response_code)
    return 200, result
