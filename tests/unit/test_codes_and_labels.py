"""Stored codes, displayed labels: the order status shows the guide's words, and no stored code
is display text any more (revision 0018_codes migrated it)."""

from epay_app.domain.events import PSP_SOURCES, EventSource
from epay_app.domain.orders import OrderStatus, StockStatus
from epay_app.labels import order_status_label


def test_order_status_labels_are_the_guides_words():
    assert [order_status_label(s.value) for s in OrderStatus] == ["Commandée", "Annulée"]
    assert order_status_label("something else") == "something else"


def test_psp_sources_keep_their_codes():
    assert {s.value for s in PSP_SOURCES} == {
        "psp:notify",
        "psp:return",
        "psp:webhook",
        "psp:reconciliation",
        "psp:office",
    }


def test_codes_are_not_display_text():
    codes = {m.value for enum in (OrderStatus, StockStatus, EventSource) for m in enum}
    assert codes.isdisjoint(
        {"Commandée", "Annulée", "en stock", "réservé", "vendu", "utilisateur", "système", "démo", "e-réservation"}
    )
