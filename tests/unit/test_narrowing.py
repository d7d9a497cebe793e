"""Pilotage's narrowing of the list, read from a URL (domain.tracking.Narrowing)."""

from datetime import date

import pytest

from epay_app.domain.tracking import Narrowing, TrackingRefused


@pytest.mark.parametrize("params", [{}, {"du": "", "au": "", "pdv": "", "vendeur": ""}, {"statut": "payes", "q": "x"}])
def test_a_url_without_pilotage_parameters_narrows_nothing(params):
    assert Narrowing.from_params(params) is None
    assert Narrowing.parse(params) == Narrowing()  # Pilotage's own read keeps a value to check


def test_any_pilotage_parameter_narrows_the_list():
    assert Narrowing.from_params({"du": "2026-11-01"}) == Narrowing(day_from=date(2026, 11, 1))
    assert Narrowing.from_params({"vendeur": "7", "q": "x"}) == Narrowing(seller_id=7)
    narrowing = Narrowing(date(2026, 11, 1), date(2026, 11, 30), pos_id=3)
    assert Narrowing.from_params(narrowing.params()) == narrowing


def test_a_malformed_parameter_is_refused_as_parse_refuses_it():
    with pytest.raises(TrackingRefused, match=r"^Période invalide"):
        Narrowing.from_params({"du": "2026-02-30"})
    with pytest.raises(TrackingRefused, match=r"^Vendeur invalide\.$"):
        Narrowing.from_params({"vendeur": "0"})
