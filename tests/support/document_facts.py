"""Facts of the guide's order (Patrick PONS, KIA CEED, order 26837) for the document tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from epay_app.documents.facts import (
    DealerFacts,
    DepositFacts,
    OrderFormFacts,
    PartyFacts,
    PaymentDocumentFacts,
    PriceFacts,
    VehicleFacts,
)

VALIDATED_AT = datetime(2024, 12, 16, 15, 32, tzinfo=UTC)  # 16/12/2024 à 16h32 in Paris
PAY_URL = "https://epay.example.fr/pay/42.1735000000.AbCdEf-gHiJkLmNoPqRsTuVwXyZ0123456789_abcdEF"

DEALER = DealerFacts(
    entity_name="bee2link PP Vincent S.",
    pos_name="Point de vente 1 (Vincent S.)",
    pos_address="16 Rue Guepet 71100 Chalon-sur-Saône",
    pos_phone="+33 3 85 00 00 00",
    pos_email="pdv1@bee2link.fr",
    legal_address="24 Avenue de la Demi-Lune 95700 Roissy-en-France",
    siret="81234567800021",
    rcs="RCS Pontoise 812 345 678",
    vat_number="FR40812345678",
    share_capital_cents=10_000_000,
)
CUSTOMER = PartyFacts(
    civility="M.", first_name="Patrick", last_name="Pons", email="patrick.pons@example.fr", phone="06 12 34 56 78"
)
SELLER = PartyFacts(first_name="Adrien", last_name="PATISSON", email="adrien.patisson@bee2link.fr")
VEHICLE = VehicleFacts(
    make="KIA",
    model="CEED",
    version="1.4 T-GDI 140 ch ISG DCT7 Edition #1",
    condition="Occasion",
    plate="DF-231-LM",
    vin="U5YH2519AKL012345",
    fuel="Essence",
    fiscal_power=7,
    power_hp=140,
    colour="Bleu",
    mileage_km=23_500,
    first_registration=date(2021, 3, 2),
)
DEPOSIT_SENT = DepositFacts(
    amount_cents=50_000,
    method="Carte bancaire",
    online=True,
    reference="00045_000061_20000026837_1",
    status="envoye",
    pay_url=PAY_URL,
)
ORDER = OrderFormFacts(
    offer_number=26837,
    opportunity_number=2013,
    dealer=DEALER,
    seller=SELLER,
    customer=CUSTOMER,
    vehicle=VEHICLE,
    prices=PriceFacts(vehicle_price_cents=2_500_000, customer_advantage_cents=10_000),
    created_at=VALIDATED_AT,
    order_number=26837,
    order_status="placed",
    validated_at=VALIDATED_AT,
    validated_by="Administrateur ADMINISTRATEUR",
    balance_method="Virement",
    deposit=DEPOSIT_SENT,
    delivery_date=date(2024, 12, 24),
    extreme_delivery_date=date(2027, 5, 11),
    sales_conditions="Article 1 — Objet\n\nLe présent bon de commande vaut contrat de vente.",
)
PAID = PaymentDocumentFacts(
    reference="00045_000061_20000026837_1",
    kind="deposit",
    amount_cents=2_500_000,
    status="autorise",
    dealer=DEALER,
    customer=CUSTOMER,
    seller=SELLER,
    vehicle=VEHICLE,
    opportunity_number=2013,
    order_number=26837,
    authorised_at=VALIDATED_AT,
    authorisation_id="A12345",
    masked_pan="4970 10XX XXXX 0001",
)
REFUNDED = replace(PAID, status="rembourse", refunded_at=datetime(2024, 12, 20, 9, 5, tzinfo=UTC))
