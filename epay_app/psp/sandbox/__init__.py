"""A local PSP speaking Worldline Sips 2.0 on the wire: the app cannot tell it from the real one.

Run: ``python -m epay_app.psp.sandbox --port 8900`` (loopback by default). Paths as the real
platform: ``POST /paymentInit`` (hosted page), ``POST /rs-services/v2/cashManagement/refund``,
``…/cancel`` and ``POST /rs-services/v2/diagnostic/getTransactionData``.

Merchants: ``--merchants file.json`` (``[{"merchantId", "secretKey", "keyVersion", "name"}]``) and/or
``EPAY_SANDBOX_MERCHANTS="id:key:version[:name],…"``; Worldline's simulation merchant
002001000000002 / 002001000000002_KEY1 / 1 is always there.

Test cards (any holder, any future expiry, any 3–4 digit CVC; the listed numbers skip the Luhn check):
  4100000000000000, 4111111111111111 → 00 accepted · 4100000000000005 → 05 refused ·
  4100000000000099 → 99 server problem · any other Luhn-valid number → 05 refused.
"Annulation" → 17. Bad seal, unknown merchant or keyVersion → error page, code 34, no payment.
A transactionReference already used by a finished payment → error page, code 94.

Transactions live in the sandbox's own SQLite file (``--db`` or ``EPAY_SANDBOX_DB``). An
accepted payment is remitted ``--remit-after`` seconds after authorisation (default one day):
before that a refund answers 24/TO_CAPTURE and cancel must be used.

Test-only admin endpoints (JSON, loopback):
  POST /_sandbox/faults  {"transactionReference"?: ref, "duplicate": n, "delay": s,
                          "return_first": bool, "drop": bool, "office_lost_response": bool}
       duplicate: n extra automatic responses · delay: seconds before the automatic response ·
       return_first: send the browser back before the automatic response · drop: no automatic
       response · office_lost_response: apply refund/cancel, then answer 503.
       Without transactionReference the faults apply to every payment. ``EPAY_SANDBOX_FAULTS``
       (same JSON) sets them at start-up.
  DELETE /_sandbox/faults  · POST /_sandbox/remit {"transactionReference"?: ref} (remitted now)
  GET /_sandbox/transactions/{transactionReference} · GET /_sandbox/health
"""
