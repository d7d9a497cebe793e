"""F-63 in the browser: "Exporter (CSV)" downloads exactly the filtered list; the weekly chart
shows on the home page of a sales manager and not of a seller."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.domain.references import PaymentKind, TransactionReference
from epay_app.domain.tracking import SortOrder
from epay_app.models import (
    Customer,
    Entity,
    EPayment,
    Offer,
    Opportunity,
    PointOfSale,
    SalesOrder,
    User,
    Vehicle,
)
from epay_app.services.dashboards import export, tracking

from .conftest import login

pytestmark = pytest.mark.e2e


def _expected_lines(db_url: str, email: str, filter_keys: list[str]) -> list[str]:
    with session_scope(db_url, write=False, stream=True) as s:
        user = s.exec(select(User).where(User.email == email)).one()
        viewer = tracking.viewer_for(s, user)
        stmt = export.export_statement(s, viewer, filter_keys=filter_keys, order=SortOrder.OLDEST_FIRST)
        return "".join(export.csv_chunks(s, stmt)).lstrip("\ufeff").split("\r\n")[:-1]


@pytest.fixture(scope="module")
def chef_payments(live_app):
    """Three deposits at the sales manager's point of sale: paid two days ago, to refund, pending."""
    with session_scope(live_app.db_url) as s:
        chef = s.exec(select(User).where(User.email == "chef@openflex.demo")).one()
        pos, entity = s.get(PointOfSale, chef.pos_id), s.get(Entity, chef.entity_id)
        customer = s.exec(select(Customer)).first()
        vehicle = s.exec(select(Vehicle).where(Vehicle.pos_id == pos.id)).first() or s.exec(select(Vehicle)).first()
        at = utcnow() - timedelta(days=2)
        for i, (status, cents) in enumerate([("autorise", 50_000), ("a_rembourser", 120_000), ("envoye", 30_000)]):
            number = 880_001 + i
            opp = Opportunity(number=number, customer_id=customer.id, seller_id=chef.id, pos_id=pos.id)
            s.add(opp)
            s.flush()
            offer = Offer(number=number, opportunity_id=opp.id, vehicle_id=vehicle.id)
            s.add(offer)
            s.flush()
            order = SalesOrder(number=number, offer_id=offer.id, pos_id=pos.id)
            s.add(order)
            s.flush()
            ref = TransactionReference(entity.number, pos.number, PaymentKind.DEPOSIT, number, 1)
            s.add(
                EPayment(
                    reference=str(ref),
                    psp_reference=ref.psp_reference,
                    kind=PaymentKind.DEPOSIT.value,
                    amount_cents=cents,
                    status=status,
                    order_id=order.id,
                    opportunity_id=opp.id,
                    customer_id=customer.id,
                    vehicle_id=vehicle.id,
                    seller_id=chef.id,
                    pos_id=pos.id,
                    entity_id=entity.id,
                    created_at=at,
                    status_changed_at=at,
                    sent_at=at,
                    authorised_at=None if status == "envoye" else at,
                )
            )


def test_export_downloads_the_filtered_list(live_app, chef_payments, page, shot, tmp_path):
    login(page, live_app, "chef@openflex.demo")
    expect(page.locator("#collected-chart")).to_be_visible(timeout=15_000)
    expect(page.locator("#collected-chart .recharts-bar")).to_have_count(1)
    expect(page.locator("#collected-total")).to_contain_text("1 700,00")
    shot("home-chart")
    page.goto(f"{live_app.base_url}/e-paiements?statut=payes,a_rembourser")
    expect(page.locator("#filters-button")).to_have_text("2 Filtres", timeout=15_000)
    with page.expect_download(timeout=20_000) as info:
        page.locator("#export-csv").click()
    download = info.value
    assert download.suggested_filename.startswith("e-paiements-") and download.suggested_filename.endswith(".csv")
    path = tmp_path / "export.csv"
    download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    lines = raw.decode("utf-8").lstrip("\ufeff").split("\r\n")[:-1]
    assert lines[0] == (
        "Type;N° transaction;Commande/Opportunité;Statut;Client;Vendeur;Entité;Point de vente;Montant TTC;Date"
    )
    assert len(lines) == 3
    assert {line.split(";")[3] for line in lines[1:]} == {"Autorisé", "À rembourser"}
    assert {line.split(";")[8] for line in lines[1:]} == {"500,00", "1200,00"}
    assert lines == _expected_lines(live_app.db_url, "chef@openflex.demo", ["a_rembourser", "payes"])
    shot("list-exported")


def test_seller_home_has_no_chart(live_app, page):
    login(page, live_app, "vendeur@openflex.demo")
    expect(page.locator("#tiles")).to_be_visible(timeout=15_000)
    page.wait_for_timeout(1000)
    expect(page.locator("#collected-chart")).to_have_count(0)
