"""Pure rules of the PSP settings: search folding, the masked key, the protocol and Direct's formats."""

import pytest

from epay_app.psp.interface import PspProtocol
from epay_app.services.admin import psp_config
from epay_app.services.admin.psp_config import fold, key_hint, parse_protocol
from epay_app.services.admin.secrets import mask


def test_search_ignores_case_and_accents():
    assert fold("  Point de Vente 2 (Vincent S.) ") == "point de vente 2 (vincent s.)"
    assert fold("PÔINT DE VÈNTE") == fold("point de vente")
    assert fold("Mâcon Évry Œuvre") == "macon evry œuvre"


def test_only_the_last_four_characters_of_a_long_enough_key_are_shown():
    assert mask(key_hint("002001000000002_KEY1")) == "••••••••KEY1"
    assert key_hint("short-key") == ""  # four characters of a nine-character key say too much


def test_a_new_configuration_speaks_worldline_direct_unless_sips_is_chosen():
    assert psp_config.DEFAULT_PROTOCOL is PspProtocol.DIRECT
    assert parse_protocol("direct") is PspProtocol.DIRECT
    assert parse_protocol(" sips2 ") is PspProtocol.SIPS2
    assert parse_protocol(PspProtocol.SIPS2) is PspProtocol.SIPS2
    assert [parse_protocol(x) for x in ("", None, "Worldline Direct", "sips1")] == [None] * 4


@pytest.mark.parametrize(
    "pspid,ok",
    [
        ("Bee2LinkTest1", True),
        ("a", True),
        ("my_shop-01", True),
        ("A" * 30, True),
        ("", False),
        ("A" * 31, False),
        ("bee 2", False),
        ("Crédit", False),
        ("shop.fr", False),
    ],
)
def test_pspid_is_letters_digits_underscore_and_dash_up_to_30(pspid, ok):
    assert bool(psp_config.PSPID_RE.fullmatch(pspid)) is ok


@pytest.mark.parametrize(
    "key_id,ok",
    [
        ("47E9DB5E5E5F1A13C2D3", True),
        ("k/e+y=~!", True),
        ("K" * 100, True),
        ("", False),
        ("K" * 101, False),
        ("with space", False),
        ("tab\there", False),
        ("clé", False),
    ],
)
def test_key_ids_are_printable_ascii_without_spaces(key_id, ok):
    assert bool(psp_config.KEY_ID_RE.fullmatch(key_id)) is ok


def test_validated_credentials_never_show_their_secrets():
    creds = psp_config._Credentials(
        PspProtocol.DIRECT, "PSPID", "api-secret-value", 1, "kid", "hid", "hook-secret-value"
    )
    assert "api-secret-value" not in repr(creds) and "hook-secret-value" not in repr(creds)
