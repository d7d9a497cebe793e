"""Hypothesis strategies for callbacks that must be refused without touching anything.

Each strategy draws a `Case`: a full HTTP request (method, path, headers, raw body) and the
answers it may get. Every case is built so that no honest reading of Sips 2.0 could accept it:
`sealed_by` is an independent oracle (not the app's code) used to discard the rare draw that
turns out validly sealed by the payment's merchant.

What is *not* here, on purpose: a validly sealed message with an amount, currency, orderId or
merchant mismatch. The rules make that a processed message (the payment goes to Erreur); the
replay suite covers it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import string
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urlencode

from hypothesis import assume
from hypothesis import strategies as st

from epay_app.psp import sips_codec as codec
from epay_app.psp.web import MAX_BODY
from tests.support.other_merchant import OTHER_KEY, OTHER_MERCHANT
from tests.support.sips_messages import DEMO_KEY, DEMO_MERCHANT, NOTIFY, RETURN, response_data, seal_form

FORM = "application/x-www-form-urlencoded"
KNOWN_MERCHANTS = {DEMO_MERCHANT: DEMO_KEY, OTHER_MERCHANT: OTHER_KEY}


@dataclass
class Case:
    label: str
    body: bytes | list[bytes] = b""  # a list is sent chunked, without Content-Length
    method: str = "POST"
    path: str = NOTIFY
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": FORM})
    expected: frozenset[int] = frozenset({400})

    @property
    def logged(self) -> bool:
        """405 comes from Starlette's router before our handler runs (the server's access log
        has it); everything else must leave a line in epay_app.api.sips's log."""
        return self.expected != frozenset({405})

    def __repr__(self) -> str:  # hypothesis prints failing cases: keep huge bodies readable
        size = len(self.body) if isinstance(self.body, bytes) else sum(map(len, self.body))
        head = (self.body if isinstance(self.body, bytes) else b"".join(self.body))[:300]
        return (
            f"Case({self.label!r}, {self.method} {self.path}, {self.headers}, {size} bytes: {head!r}, "
            f"expected {sorted(self.expected)})"
        )


def sealed_by(form: dict[str, str], key: str) -> bool:
    """Would a correct Sips verifier accept this form's seal with `key`? (Independent of the app.)"""
    raw = form.get("Data", "")
    seal = (form.get("Seal") or "").strip().lower()
    with_hmac = hmac.new(key.encode(), raw.encode(), hashlib.sha256).hexdigest()
    legacy = hashlib.sha256((raw + key).encode()).hexdigest()
    if "SealAlgorithm" not in form:
        return seal in (with_hmac, legacy)
    return {codec.HMAC_SHA256: seal == with_hmac, "": seal == legacy}.get(form["SealAlgorithm"], False)


def form_body(form: dict[str, str]) -> bytes:
    return urlencode(form).encode()


paths = st.sampled_from([NOTIFY, RETURN])
codes = st.sampled_from(["00", "05", "17", "97", "99", "60", "34", "02", "12"])
short_text = st.text(max_size=40)
hex_text = st.text(alphabet="0123456789abcdefABCDEF", max_size=80)
no_pipe = st.text(max_size=20).filter(lambda s: "|" not in s)


@st.composite
def messages(draw, targets, **overrides):
    """(payment, Data) for one of the test's payments, fields as the PSP sends them."""
    payment = draw(st.sampled_from(targets))
    when = draw(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)))
    args = dict(
        psp_reference=payment.psp_reference,
        order_id=payment.reference,
        amount_cents=payment.amount_cents,
        response_code=draw(codes),
        transaction_datetime=when.isoformat(timespec="seconds") + "+00:00",
    )
    args.update(overrides)
    return payment, response_data(**args)


def _case(draw, label, form=None, *, body=None, **kwargs) -> Case:
    return Case(label, form_body(form) if body is None else body, path=draw(paths), **kwargs)


# --- 1. bad seals -------------------------------------------------------------------------


@st.composite
def bad_seals(draw, targets):
    _, data = draw(messages(targets))
    form = seal_form(data, encode=draw(st.booleans()))
    good = form["Seal"]
    kind = draw(
        st.sampled_from(
            [
                "hex",
                "text",
                "empty",
                "missing",
                "flip",
                "truncate",
                "wrong_key",
                "legacy_declared_hmac",
                "hmac_declared_legacy",
                "unknown_algorithm",
                "other_data",
                "padded",
            ]
        )
    )
    if kind == "hex":
        form["Seal"] = draw(hex_text)
    elif kind == "text":
        form["Seal"] = draw(short_text)
    elif kind == "empty":
        form["Seal"] = ""
    elif kind == "missing":
        del form["Seal"]
    elif kind == "flip":
        i = draw(st.integers(0, len(good) - 1))
        form["Seal"] = (
            good[:i] + draw(st.sampled_from("0123456789abcdef").filter(lambda c: c != good[i])) + good[i + 1 :]
        )
    elif kind == "truncate":
        form["Seal"] = good[: draw(st.integers(0, len(good) - 1))]
    elif kind == "wrong_key":
        form["Seal"] = codec.paypage_seal(form["Data"], draw(st.text(min_size=1, max_size=30)))
    elif kind == "legacy_declared_hmac":
        form["Seal"] = codec.paypage_seal(form["Data"], DEMO_KEY, "")
        form["SealAlgorithm"] = codec.HMAC_SHA256
    elif kind == "hmac_declared_legacy":
        form["SealAlgorithm"] = ""
    elif kind == "unknown_algorithm":
        form["SealAlgorithm"] = draw(st.text(max_size=20))
    elif kind == "other_data":
        _, other = draw(messages(targets))
        form["Seal"] = codec.paypage_seal(other, DEMO_KEY)
    elif kind == "padded":
        form["Seal"] = good + draw(st.text(alphabet="0123456789abcdef", min_size=1, max_size=8))
    assume(not sealed_by(form, DEMO_KEY))
    return _case(draw, f"bad_seal/{kind}", form)


# --- 2. Data tampered with after sealing ----------------------------------------------------

TAMPERED_FIELDS = [
    "amount",
    "currencyCode",
    "transactionReference",
    "orderId",
    "responseCode",
    "merchantId",
    "keyVersion",
    "authorisationId",
    "maskedPan",
]


@st.composite
def tampered(draw, targets):
    payment, data = draw(messages(targets))
    encode = draw(st.booleans())
    form = seal_form(data, encode=encode)
    kind = draw(st.sampled_from(["field", "char", "drop", "add", "posted_char", "case"]))
    parts = data.split("|")
    if kind == "field":
        name = draw(st.sampled_from(TAMPERED_FIELDS))
        value = draw(
            st.one_of(
                no_pipe,
                st.integers(-(10**9), 10**12).map(str),
                st.sampled_from(
                    [str(payment.amount_cents - 1), "840", "978", OTHER_MERCHANT, "2", "0", payment.psp_reference + "X"]
                ),
            )
        )
        parts = [p for p in parts if not p.startswith(name + "=")] + [f"{name}={value}"]
        new = "|".join(parts)
    elif kind == "char":
        i = draw(st.integers(0, len(data) - 1))
        new = data[:i] + draw(st.characters(blacklist_characters="|", blacklist_categories=("Cs",))) + data[i + 1 :]
    elif kind == "drop":
        del parts[draw(st.integers(0, len(parts) - 1))]
        new = "|".join(parts)
    elif kind == "add":
        new = (
            data
            + "|"
            + draw(
                st.sampled_from(
                    ["amount=1", "responseCode=00", f"merchantId={OTHER_MERCHANT}", "keyVersion=2", "extra=x"]
                )
            )
        )
    elif kind == "case":
        new = data.replace("responseCode", "RESPONSECODE") if draw(st.booleans()) else data.upper()
    else:
        new = data
    if kind == "posted_char":
        posted = form["Data"]
        i = draw(st.integers(0, len(posted) - 1))
        # Lone surrogates cannot travel in an HTTP form: they are not text a PSP could send.
        form["Data"] = posted[:i] + draw(st.characters(blacklist_categories=("Cs",))) + posted[i + 1 :]
    else:
        assume(new != data)
        form["Data"] = codec.b64_encode(new) if encode else new
    assume(not sealed_by(form, DEMO_KEY))
    return _case(draw, f"tampered/{kind}", form)


# --- 3. merchants we do not know, or the wrong merchant's key --------------------------------


@st.composite
def other_merchants(draw, targets):
    kind = draw(st.sampled_from(["unknown", "demo_with_other_key", "other_with_demo_key", "no_merchant"]))
    if kind == "unknown":
        merchant = draw(st.text(alphabet=string.digits + string.ascii_letters, min_size=1, max_size=20))
        assume(merchant not in KNOWN_MERCHANTS)
        key = draw(st.sampled_from([DEMO_KEY, OTHER_KEY, f"{merchant}_KEY1"]))
    elif kind == "demo_with_other_key":
        merchant, key = DEMO_MERCHANT, OTHER_KEY
    elif kind == "other_with_demo_key":
        merchant, key = OTHER_MERCHANT, DEMO_KEY
    else:
        merchant, key = "", DEMO_KEY
    _, data = draw(messages(targets, merchant_id=merchant))
    form = seal_form(data, key, encode=draw(st.booleans()), legacy=draw(st.booleans()))
    return _case(draw, f"merchant/{kind}", form)


# --- 4. key versions we do not have -----------------------------------------------------------


def _is_one(text: str) -> bool:
    try:
        return int(text) == 1
    except ValueError:
        return False


@st.composite
def wrong_key_versions(draw, targets):
    version = draw(st.one_of(st.integers(-5, 10**6).map(str), no_pipe).filter(lambda v: v and not _is_one(v)))
    _, data = draw(messages(targets, key_version=version))
    form = seal_form(data, DEMO_KEY, encode=draw(st.booleans()), legacy=draw(st.booleans()))
    return _case(draw, "key_version", form)


# --- 5. validly sealed but unusable: unknown reference, missing or unreadable fields ---------


def _not_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return True
    return False


@st.composite
def unusable_sealed(draw, targets):
    kind = draw(st.sampled_from(["unknown_reference", "missing_field", "amount_not_integer", "empty_data_field"]))
    overrides: dict = {}
    if kind == "unknown_reference":
        overrides["psp_reference"] = "ZZ" + draw(st.text(alphabet=string.ascii_letters + string.digits, max_size=30))
    elif kind == "missing_field":
        overrides["omit"] = draw(
            st.lists(
                st.sampled_from(["merchantId", "responseCode", "transactionReference", "amount"]),
                min_size=1,
                unique=True,
            )
        )
    elif kind == "amount_not_integer":
        overrides["amount_cents"] = draw(no_pipe.filter(lambda a: a != "" and _not_int(a)))
    else:
        overrides["response_code"] = ""  # encode_data drops empty values: responseCode missing
    _, data = draw(messages(targets, **overrides))
    form = seal_form(data, DEMO_KEY, encode=draw(st.booleans()))
    return _case(draw, f"unusable/{kind}", form)


# --- 6. truncated Data --------------------------------------------------------------------------


@st.composite
def truncated(draw, targets):
    _, data = draw(messages(targets))
    form = seal_form(data, encode=draw(st.booleans()))
    form["Data"] = form["Data"][: draw(st.integers(0, len(form["Data"]) - 1))]
    assume(not sealed_by(form, DEMO_KEY))
    return _case(draw, "truncated", form)


# --- 7. oversized Data and bodies -----------------------------------------------------------------


@st.composite
def oversized(draw, targets):
    _, data = draw(messages(targets))
    kind = draw(st.sampled_from(["over_limit", "over_limit_chunked", "large_unsealed", "many_fields"]))
    if kind.startswith("over_limit"):
        padded = data + "|returnContext=" + "x" * draw(st.integers(MAX_BODY, 3 * MAX_BODY))
        body = form_body(seal_form(padded))  # even validly sealed: too big to read
        if kind == "over_limit_chunked":
            size = draw(st.integers(1024, 32 * 1024))
            body = [body[i : i + size] for i in range(0, len(body), size)]
        return _case(draw, f"oversized/{kind}", body=body, expected=frozenset({413}))
    if kind == "large_unsealed":
        padded = data + "|returnContext=" + "y" * draw(st.integers(1, MAX_BODY - len(data) - 400))
        form = seal_form(padded)
        form["Seal"] = draw(hex_text)
        assume(not sealed_by(form, DEMO_KEY))
        return _case(draw, f"oversized/{kind}", form)
    form = seal_form(data)  # a genuine message drowned in more fields than the reader accepts
    extra = {f"f{i}": "v" for i in range(draw(st.integers(50, 400)))}
    return _case(draw, f"oversized/{kind}", {**extra, **form})


# --- 8. bad encodings and non-UTF-8 bytes ----------------------------------------------------------


@st.composite
def bad_encodings(draw, targets):
    payment, data = draw(messages(targets))
    kind = draw(
        st.sampled_from(
            [
                "random_bytes",
                "raw_latin1",
                "percent_latin1",
                "utf16",
                "not_base64",
                "base64_not_utf8",
                "base64_not_data",
            ]
        )
    )
    if kind == "random_bytes":
        body = draw(st.binary(max_size=3000))
        assume(b"Data=" not in body)
        return _case(draw, "encoding/random_bytes", body=body)
    if kind in ("raw_latin1", "percent_latin1"):
        accented = data.replace(f"orderId={payment.reference}", f"orderId={payment.reference}é")
        form = seal_form(accented)
        if kind == "raw_latin1":  # é as the single byte 0xE9: not UTF-8
            body = ("&".join(f"{k}={v}" for k, v in form.items())).encode("latin-1")
        else:  # %E9: decodes to U+FFFD, which the seal does not cover
            body = "&".join(f"{k}={quote(v, encoding='latin-1')}" for k, v in form.items()).encode()
        return _case(draw, f"encoding/{kind}", body=body)
    if kind == "utf16":
        return _case(draw, "encoding/utf16", body=form_body(seal_form(data)).decode().encode("utf-16"))
    if kind == "not_base64":
        posted = draw(st.text(min_size=1, max_size=200))
    elif kind == "base64_not_utf8":
        raw = draw(st.binary(min_size=1, max_size=200))
        try:
            raw.decode("utf-8")
            raw = b"\xff" + raw
        except UnicodeDecodeError:
            pass
        import base64

        posted = base64.b64encode(raw).decode()
    else:  # valid base64, valid UTF-8, but not Data
        posted = codec.b64_encode(draw(st.text(max_size=200)))
    form = {
        "Data": posted,
        "Encode": draw(st.sampled_from(["base64", "BASE64", "Base64"])),
        "Seal": codec.paypage_seal(posted, DEMO_KEY),
        "InterfaceVersion": codec.PAYPAGE_INTERFACE,
    }
    return _case(draw, f"encoding/{kind}", form)


# --- 9. missing form fields ------------------------------------------------------------------------


@st.composite
def missing_fields(draw, targets):
    _, data = draw(messages(targets))
    form = {**seal_form(data), "SealAlgorithm": codec.HMAC_SHA256}
    kind = draw(st.sampled_from(["subset", "renamed", "empty_values", "empty_body", "junk_form"]))
    if kind == "subset":
        keep = draw(st.sets(st.sampled_from(sorted(form))))
        assume(not {"Data", "Seal"} <= keep)
        form = {k: v for k, v in form.items() if k in keep}
    elif kind == "renamed":
        name = draw(st.sampled_from(["Data", "Seal"]))
        form[draw(st.sampled_from([name.lower(), name.upper(), f" {name}", f"{name} ", f"{name}[]"]))] = form.pop(name)
    elif kind == "empty_values":
        for name in draw(st.sets(st.sampled_from(["Data", "Seal"]), min_size=1)):
            form[name] = ""
    elif kind == "empty_body":
        return _case(draw, "missing/empty_body", body=b"")
    else:
        form = draw(st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=10))
        assume("Data" not in form)
    return _case(draw, f"missing/{kind}", form)


# --- 10. bodies that are not a form ----------------------------------------------------------------


@st.composite
def wrong_content_types(draw, targets):
    """A genuine sealed message, but not posted as a form: refused as an unsupported media type."""
    _, data = draw(messages(targets))
    form = seal_form(data)
    kind = draw(
        st.sampled_from(["json", "multipart", "text_plain", "xml", "octet_stream", "no_type", "form_lookalike"])
    )
    if kind == "json":
        body, ctype = json.dumps(form).encode(), "application/json"
    elif kind == "multipart":
        body = (
            b"".join(
                f'--b0undary\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                for k, v in form.items()
            )
            + b"--b0undary--\r\n"
        )
        ctype = "multipart/form-data; boundary=b0undary"
    elif kind == "xml":
        body = ("<response>" + "".join(f"<{k}>{v}</{k}>" for k, v in form.items()) + "</response>").encode()
        ctype = "application/xml"
    else:
        body = form_body(form)
        ctype = {
            "text_plain": "text/plain",
            "octet_stream": "application/octet-stream",
            "no_type": None,
            "form_lookalike": draw(
                st.sampled_from(
                    [
                        "application/x-www-form-urlencodedx",
                        "application/www-form-urlencoded",
                        "text/x-www-form-urlencoded",
                    ]
                )
            ),
        }[kind]
    if ctype is not None and draw(st.booleans()):
        ctype += draw(st.sampled_from(["; charset=UTF-8", "; charset=ISO-8859-1", ";"]))
        ctype = draw(st.sampled_from([ctype, ctype.upper()]))
    headers = {} if ctype is None else {"content-type": ctype}
    return _case(draw, f"content_type/{kind}", body=body, headers=headers, expected=frozenset({415}))


# --- 11. methods other than POST ----------------------------------------------------------------------


@st.composite
def wrong_methods(draw, targets):
    _, data = draw(messages(targets))
    method = draw(st.sampled_from(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]))
    body = form_body(seal_form(data)) if method in ("PUT", "PATCH", "DELETE") and draw(st.booleans()) else b""
    case = _case(draw, f"method/{method}", body=body, method=method, expected=frozenset({405}))
    if method == "GET" and draw(st.booleans()):  # the message in the query string instead
        case.path += "?" + urlencode(seal_form(data))
    return case


CATEGORIES = {
    "bad_seal": bad_seals,
    "tampered": tampered,
    "other_merchant": other_merchants,
    "key_version": wrong_key_versions,
    "unusable_sealed": unusable_sealed,
    "truncated": truncated,
    "oversized": oversized,
    "bad_encoding": bad_encodings,
    "missing_fields": missing_fields,
    "content_type": wrong_content_types,
    "method": wrong_methods,
}


def any_bad_callback(targets):
    return st.one_of(*(strategy(targets) for strategy in CATEGORIES.values()))
