"""The gateway registry: each protocol's own typed entry point gives that protocol's gateway."""

import pytest

from epay_app.config import Settings
from epay_app.domain.errors import DomainError
from epay_app.psp.direct.gateway import DirectGateway
from epay_app.psp.interface import PspProtocol, get_direct_gateway, get_gateway, get_sips_gateway
from epay_app.psp.sips import SipsGateway


def test_sips_and_direct_entry_points_give_their_protocols_gateway():
    settings = Settings(direct_api_url="http://127.0.0.1:9/some/path")
    sips, direct = get_sips_gateway(settings), get_direct_gateway(settings)
    assert isinstance(sips, SipsGateway) and sips.protocol == PspProtocol.SIPS2.value
    assert isinstance(direct, DirectGateway) and direct.protocol == PspProtocol.DIRECT.value
    assert direct.endpoint == "http://127.0.0.1:9"  # the registry passed the settings on


def test_the_configured_protocol_is_the_default_and_an_unknown_one_is_refused_in_french():
    assert isinstance(get_gateway(settings=Settings(psp_protocol="direct")), DirectGateway)
    assert isinstance(get_gateway(settings=Settings(psp_protocol="sips2")), SipsGateway)
    with pytest.raises(DomainError, match="Protocole de paiement inconnu"):
        get_gateway("paypal", Settings())
