"""The sandbox speaking Worldline Direct too: the v2 REST API as the official SDK calls it, a French
hosted checkout page and signed webhooks.

API (v1HMAC on every call, ``X-GCS-Idempotence-Key`` on POSTs, gzip bodies accepted):
  POST /v2/{merchantId}/hostedcheckouts · GET /v2/{merchantId}/hostedcheckouts/{id}
  GET /v2/{merchantId}/payments/{id} · POST …/payments/{id}/capture | /cancel | /refund
Hosted page: GET/POST /hostedcheckout/PaymentMethods/Selection/{token} (+ ``/3ds`` for challenges).

Merchants: the demo PSPID ``openflexdemo`` (see ``merchants.py``) is always there; more with
``EPAY_SANDBOX_DIRECT_MERCHANTS="pspid:apiKeyId:apiSecret:webhookKeyId:webhookSecret[:name],…"`` or the
optional ``pspid``, ``apiKeyId``, ``apiSecret``, ``webhookKeyId``, ``webhookSecret`` fields of
``--merchants`` rows.

Test cards: 4330264936344675 / 5137009801943438 approved · 4874970686672022 / 5130257474533310 approved
after a 3-D Secure challenge · 5168645305790452 / 4321456998744563 declined · 5144144373781246 declined
after the challenge · any other Luhn-valid number approved.

Options: ``--direct-settle-after S`` / ``EPAY_SANDBOX_DIRECT_SETTLE_AFTER`` (default 2 s; 0 = at once):
CAPTURE_REQUESTED → CAPTURED and REFUND_REQUESTED → REFUNDED after S seconds ·
``--direct-clock-skew S`` / ``EPAY_SANDBOX_DIRECT_CLOCK_SKEW`` (default 900 s) · ``EPAY_SANDBOX_DIRECT_FAULTS``
(the faults JSON below, at start-up) · webhook retries share ``--notify-attempts`` / ``--notify-backoff``.

Admin (JSON, tests): POST /_sandbox/direct/settle {"paymentId"?} · GET /_sandbox/direct/checkouts/{id or
merchantReference} · GET /_sandbox/direct/payments/{id or merchantReference} ·
GET /_sandbox/direct/webhooks[?merchantReference=] · POST|DELETE /_sandbox/direct/faults
{"merchantReference"?, "duplicate": n, "delay": s, "drop": bool, "out_of_order": bool, "api_delay": s}.
"""

from .app import DirectSandbox, routes

__all__ = ["DirectSandbox", "routes"]
