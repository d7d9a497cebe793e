"""Unreadable Data is a MalformedResponse (answered 400), never another exception (answered 503)."""

import pytest

from epay_app.psp import sips_codec as codec
from epay_app.psp.interface import MalformedResponse


@pytest.mark.parametrize("posted", ["\u0080", "é=", "bWVyY2hhbnRJZD0x\u00e9", "\uffff" * 4])
def test_non_ascii_base64_data_is_malformed(posted):
    with pytest.raises(MalformedResponse):
        codec.posted_data({"Data": posted, "Encode": "base64"})


def test_base64_of_non_utf8_bytes_is_malformed():
    with pytest.raises(MalformedResponse):
        codec.b64_decode("/w==")  # b"\xff"


@pytest.mark.parametrize("char", ["\x00", "\n", "\x1f", "\x7f"])
def test_a_control_character_in_data_is_malformed(char):
    """Found by the callback fuzz test on PostgreSQL: a NUL in a tampered merchantId reached the
    merchant's lookup, which PostgreSQL refuses (NUL in text), and the route answered 503."""
    with pytest.raises(MalformedResponse):
        codec.parse_data(f"merchantId={char}002001000000002|keyVersion=1|amount=50000")
