"""Demo data from the guide's world (its entities, points of sale, people, vehicles and
payments). Seeded only into an empty database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, func, select

from ...domain.events import EventSource
from ...domain.orders import OrderStatus
from ...domain.references import PaymentKind, TransactionReference
from ...domain.roles import GroupType
from ...domain.statuses import PaymentStatus
from ...models import (
    Customer,
    DealerGroup,
    Entity,
    EPayment,
    EPaymentEvent,
    Offer,
    Opportunity,
    PointOfSale,
    PspConfig,
    SalesOrder,
    User,
    Vehicle,
)
from ...psp.sandbox.direct import merchants as sandbox_direct
from ..access.auth import hash_password
from ..admin.secrets import encrypt_secret
from . import demo_legal

DEMO_PASSWORD = "epaiement"
# Worldline's public Sips simulation merchant (also known by the local sandbox).
DEMO_MERCHANT_ID = "002001000000002"
DEMO_MERCHANT_KEY = "002001000000002_KEY1"
# The sandbox's Worldline Direct demo merchant, configured at "Point de vente 1 (Vincent S.)".
DEMO_DIRECT = dict(
    pspid=sandbox_direct.DEMO_PSPID,
    api_key_id=sandbox_direct.DEMO_API_KEY_ID,
    api_secret=sandbox_direct.DEMO_API_SECRET,
    webhook_key_id=sandbox_direct.DEMO_WEBHOOK_KEY_ID,
    webhook_secret=sandbox_direct.DEMO_WEBHOOK_SECRET,
)

# (email, first name, last name, group type) — one demo user per group type, at Vincent S.
DEMO_USERS = [
    ("admin@openflex.demo", "Administrateur", "ADMINISTRATEUR", GroupType.ADMINISTRATEUR),
    ("directeur@openflex.demo", "Vincent", "SIMON", GroupType.DIRECTEUR),
    ("chef@openflex.demo", "Claire", "DUBOIS", GroupType.CHEF_DES_VENTES),
    ("vendeur@openflex.demo", "Thomas", "MARTIN", GroupType.VENDEUR),
    ("secretaire@openflex.demo", "Julie", "BERNARD", GroupType.SECRETAIRE),
]


def paris(y, m, d, hh, mm) -> datetime:
    """A Paris wall-clock time of the guide's examples, stored in UTC (CET = UTC+1, CEST = UTC+2)."""
    offset = 2 if 4 <= m <= 10 else 1
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - timedelta(hours=offset)


def is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(DealerGroup)).one() == 0


def seed(session: Session, activity: bool = False) -> bool:
    """Fill an empty database. Returns False (and does nothing) when data exists.

    `activity` adds recent e-payments at the demo users' point of sale (Vincent S.), so a
    newcomer sees live tiles and cards; the test suites seed without it."""
    if not is_empty(session):
        return False
    password_hash = hash_password(DEMO_PASSWORD)

    def add(obj):
        session.add(obj)
        session.flush()
        return obj

    group = add(
        DealerGroup(
            name="Groupe bee2link", reservation_enabled=True, reservation_hours=48, reservation_amount_cents=20_000
        )
    )

    def entity(number, name, option=True):
        address, phone, email, siret, rcs, vat, capital = demo_legal.LEGAL.get(number, ("",) * 6 + (None,))
        return add(
            Entity(
                group_id=group.id,
                number=number,
                name=name,
                epay_option=option,
                legal_address=address,
                legal_phone=phone,
                legal_email=email,
                siret=siret,
                rcs=rcs,
                vat_number=vat,
                share_capital_cents=capital,
                sales_conditions=demo_legal.CONDITIONS if siret else "",
            )
        )

    vincent = entity(45, "bee2link PP Vincent S.")
    audrey = entity(51, "bee2link PP Audrey V.")
    eric = entity(30, "bee2link PP Eric M.")
    adrien = entity(25, "bee2link PP Adrien P.")
    holding = entity(160, "Holding Test 1")
    no_option = entity(99, "bee2link PP Sans Option", option=False)

    def pos(ent, number, name, address="", phone="", email=""):
        return add(PointOfSale(entity_id=ent.id, number=number, name=name, address=address, phone=phone, email=email))

    pos_vincent = pos(
        vincent,
        61,
        "Point de vente 1 (Vincent S.)",
        "16 Rue Guepet 71100 Chalons-sur-Saône",
        "+33 3 85 00 00 61",
        "PDV1@GMAIL.COM",
    )
    pos(
        vincent,
        62,
        "Point de vente 2 (Vincent S.)",
        "2 Avenue Boucicaut 71100 Chalon-sur-Saône",
        "+33 3 85 00 00 62",
        "PDV2@GMAIL.COM",
    )
    pos_audrey = pos(
        audrey,
        71,
        "Point de vente 1 (Audrey V.)",
        "5 Rue de la République 69001 Lyon",
        "+33 4 72 00 00 71",
        "pdv1.audrey@bee2link.fr",
    )
    pos_sport = pos(
        eric, 31, "Sport Auto", "12 Route de Paris 21000 Dijon", "+33 3 80 00 00 31", "sport.auto@bee2link.fr"
    )
    pos_adrien = pos(
        adrien,
        23,
        "Point de vente 1 (Adrien P.)",
        "24 Avenue De La Demi-lune 95700 Roissy-en-France",
        "+33 1 48 00 00 23",
        "adrien.patisson@bee2link.fr",
    )
    pos_holding = pos(
        holding,
        291,
        "Holding Test 1",
        "24 Avenue De La Demi-lune 95700 Roissy-en-France",
        "+33 1 48 00 02 91",
        "adrien.patisson@bee2link.fr",
    )
    pos_no_option = pos(no_option, 991, "Point de vente Sans Option", "1 Place de la Gare 71000 Mâcon")

    users = {}
    for email, first, last, gtype in DEMO_USERS:
        users[gtype] = add(
            User(
                first_name=first,
                last_name=last,
                email=email,
                password_hash=password_hash,
                group_type=gtype.value,
                entity_id=vincent.id,
                pos_id=pos_vincent.id,
                phone="+33 6 00 00 00 61",
            )
        )
    audrey_v = add(
        User(
            first_name="Audrey",
            last_name="VILLIEN",
            email="audrey.villien@openflex.demo",
            password_hash=password_hash,
            group_type=GroupType.VENDEUR.value,
            entity_id=audrey.id,
            pos_id=pos_audrey.id,
        )
    )
    admin_audrey = add(
        User(
            first_name="Administrateur",
            last_name="ADMINISTRATEUR",
            email="admin.audrey@openflex.demo",
            password_hash=password_hash,
            group_type=GroupType.ADMINISTRATEUR.value,
            entity_id=audrey.id,
            pos_id=pos_audrey.id,
        )
    )
    admin_eric = add(
        User(
            first_name="Administrateur",
            last_name="ADMINISTRATEUR",
            email="admin.eric@openflex.demo",
            password_hash=password_hash,
            group_type=GroupType.ADMINISTRATEUR.value,
            entity_id=eric.id,
            pos_id=pos_sport.id,
        )
    )
    adrien_p = add(
        User(
            first_name="Adrien",
            last_name="PATISSONPP",
            email="adrien.patisson@openflex.demo",
            password_hash=password_hash,
            group_type=GroupType.VENDEUR.value,
            entity_id=adrien.id,
            pos_id=pos_adrien.id,
        )
    )
    # An administrator of the entity without the option: the settings say it is not subscribed.
    add(
        User(
            first_name="Admin",
            last_name="SANSOPTION",
            email="admin.sansoption@openflex.demo",
            password_hash=password_hash,
            group_type=GroupType.ADMINISTRATEUR.value,
            entity_id=no_option.id,
            pos_id=pos_no_option.id,
        )
    )
    adrien_h = add(
        User(
            first_name="Adrien",
            last_name="PATISSON",
            email="adrien.holding@openflex.demo",
            password_hash=password_hash,
            group_type=GroupType.VENDEUR.value,
            entity_id=holding.id,
            pos_id=pos_holding.id,
        )
    )

    # Points of sale configured at the PSP: the guide's Vincent S. on Worldline Direct (the
    # sandbox's demo merchant), keeping the Sips simulation merchant its older payments were
    # taken with; the others still on Sips 2.0 (history, refunds).
    add(
        PspConfig(
            pos_id=pos_vincent.id,
            protocol="direct",
            merchant_id=DEMO_DIRECT["pspid"],
            api_key_id=DEMO_DIRECT["api_key_id"],
            key_ciphertext=encrypt_secret(DEMO_DIRECT["api_secret"]),
            key_hint=DEMO_DIRECT["api_secret"][-4:],
            webhook_key_id=DEMO_DIRECT["webhook_key_id"],
            webhook_secret_ciphertext=encrypt_secret(DEMO_DIRECT["webhook_secret"]),
            webhook_secret_hint=DEMO_DIRECT["webhook_secret"][-4:],
            sips_merchant_id=DEMO_MERCHANT_ID,
            sips_key_ciphertext=encrypt_secret(DEMO_MERCHANT_KEY),
            sips_key_version=1,
        )
    )
    for p in (pos_audrey, pos_sport, pos_adrien, pos_holding):
        add(
            PspConfig(
                pos_id=p.id,
                merchant_id=DEMO_MERCHANT_ID,
                key_ciphertext=encrypt_secret(DEMO_MERCHANT_KEY),
                key_hint=DEMO_MERCHANT_KEY[-4:],
                key_version=1,
            )
        )

    def customer(civ, first, last, email, phone=""):
        return add(Customer(civility=civ, first_name=first, last_name=last, email=email, phone=phone))

    pons = customer("M.", "Patrick", "PONS", "patrick.pons@example.com", "+33 6 12 34 56 78")

    def vehicle(p, make, model, version, condition, price, **kw):
        return add(
            Vehicle(pos_id=p.id, make=make, model=model, version=version, condition=condition, price_cents=price, **kw)
        )

    ceed = vehicle(
        pos_vincent,
        "KIA",
        "CEED",
        "1.4 T-GDI 140 ch ISG DCT7 Edition #1",
        "Occasion",
        2_500_000,
        plate="DF231LM",
        vin="U5YH2512AKL012345",
        fuel="Essence",
        fiscal_power=7,
        power_hp=140,
        doors=5,
        colour="Bleu",
        published=True,
    )
    vehicle(
        pos_vincent,
        "PEUGEOT",
        "208",
        "1.2 PureTech 100 Allure",
        "Neuf",
        2_150_000,
        fuel="Essence",
        fiscal_power=5,
        power_hp=100,
        doors=5,
        colour="Blanc",
        vin="VR3UPHNKSPT000208",
        published=True,
    )
    vehicle(
        pos_vincent,
        "RENAULT",
        "CLIO",
        "TCe 90 Evolution",
        "Occasion",
        1_490_000,
        plate="GA123BC",
        vin="VF1RJA00068000123",
        fuel="Essence",
        fiscal_power=5,
        power_hp=90,
        doors=5,
        colour="Gris",
        first_registration=date(2021, 3, 12),
        mileage_km=42_000,
        published=True,
    )

    pons_opp = add(
        Opportunity(number=15301, customer_id=pons.id, seller_id=users[GroupType.VENDEUR].id, pos_id=pos_vincent.id)
    )
    add(
        Offer(
            number=26837,
            opportunity_id=pons_opp.id,
            vehicle_id=ceed.id,
            vehicle_price_cents=2_500_000,
            customer_advantage_cents=10_000,
        )
    )

    # The guide's tracking examples, as payments in their states.
    def example(ent, p, seller, cust, veh, kind, number, amount, status, at, opp_number=None):
        opp = add(
            Opportunity(
                number=opp_number or number + 100_000,
                customer_id=cust.id,
                seller_id=seller.id,
                pos_id=p.id,
                created_at=at,
            )
        )
        order_id = None
        if kind is PaymentKind.DEPOSIT:
            offer = add(
                Offer(
                    number=number + 200_000,
                    opportunity_id=opp.id,
                    vehicle_id=veh.id,
                    vehicle_price_cents=veh.price_cents,
                )
            )
            order = add(
                SalesOrder(
                    number=number,
                    offer_id=offer.id,
                    validated_by_id=seller.id,
                    validated_at=at,
                    delivery_date=(at + timedelta(days=8)).date(),
                    extreme_delivery_date=(at + timedelta(days=300)).date(),
                    pos_id=p.id,
                    balance_method="Virement",
                    deposit_amount_cents=amount,
                    deposit_method="Carte bancaire",
                    deposit_online=True,
                    status=(
                        OrderStatus.CANCELLED if status is PaymentStatus.A_REMBOURSER else OrderStatus.PLACED
                    ).value,
                )
            )
            order_id = order.id
        doc = number if kind is PaymentKind.DEPOSIT else opp.number
        ref = TransactionReference(ent.number, p.number, kind, doc, 1)
        pay = add(
            EPayment(
                reference=str(ref),
                psp_reference=ref.psp_reference,
                kind=kind.value,
                amount_cents=amount,
                status=PaymentStatus.ENVOYE.value,
                order_id=order_id,
                opportunity_id=opp.id,
                customer_id=cust.id,
                vehicle_id=veh.id,
                seller_id=seller.id,
                pos_id=p.id,
                entity_id=ent.id,
                created_at=at,
                status_changed_at=at,
                sent_at=at,
            )
        )
        add(
            EPaymentEvent(payment_id=pay.id, to_status=PaymentStatus.ENVOYE.value, source=EventSource.DEMO.value, at=at)
        )
        path = {
            PaymentStatus.ENVOYE: [],
            PaymentStatus.AUTORISE: [PaymentStatus.AUTORISE],
            PaymentStatus.A_REMBOURSER: [PaymentStatus.AUTORISE, PaymentStatus.A_REMBOURSER],
        }[status]
        previous = PaymentStatus.ENVOYE
        for step in path:
            pay.status = step.value
            pay.status_changed_at = at
            setattr(pay, {"autorise": "authorised_at", "a_rembourser": "refund_requested_at"}[step.value], at)
            if step is PaymentStatus.AUTORISE:  # what the PSP reports, printed on the receipt
                pay.psp_authorisation_id, pay.psp_masked_pan = f"{number % 1_000_000:06d}", "4330 26XX XXXX 4675"
            add(
                EPaymentEvent(
                    payment_id=pay.id,
                    from_status=previous.value,
                    to_status=step.value,
                    source=EventSource.DEMO.value,
                    at=at,
                )
            )
            previous = step
        return pay

    audrey_c = customer("Mme.", "Audrey - Compte Client", "VILLIEN", "audrey.client@example.com")
    verriere = customer("Mme.", "Marie", "VERRIERE", "marie.verriere@example.com")
    jean = customer("M.", "Jean", "MARIE", "jean.marie@example.com")
    vernusse = customer("M.", "Simon", "VERNUSSE", "simon.vernusse@example.com")
    alma = customer("M.", "Pierre", "ALMA", "pierre.alma@example.com")
    cabus = customer("M.", "Romain", "CABUS", "romain.cabus@example.com")

    rs5 = vehicle(
        pos_audrey,
        "AUDI",
        "RS5 SPORTBACK",
        "2.9 TFSI 450 ch Tiptronic 8",
        "Neuf",
        10_450_000,
        vin="WUAZZZF52NA900001",
        fuel="Essence",
        fiscal_power=36,
        power_hp=450,
        colour="Noir",
    )
    a4 = vehicle(
        pos_sport,
        "AUDI",
        "A4 AVANT",
        "35 TDI 163 ch S tronic 7",
        "Neuf",
        4_890_000,
        vin="WAUZZZF42NA900002",
        fuel="Diesel",
        fiscal_power=9,
        power_hp=163,
        colour="Gris",
    )
    used_df520 = vehicle(
        pos_audrey,
        "PEUGEOT",
        "3008",
        "1.5 BlueHDi 130 ch",
        "Occasion",
        2_290_000,
        plate="DF520BG",
        vin="VF3MCYHZRKS900003",
        fuel="Diesel",
        fiscal_power=7,
        power_hp=130,
        published=True,
    )
    q2 = vehicle(
        pos_adrien,
        "AUDI",
        "Q2",
        "35 TFSI 150 ch S tronic 7",
        "Neuf",
        3_590_000,
        vin="WAUZZZGA0NA900004",
        fuel="Essence",
        fiscal_power=8,
        power_hp=150,
    )
    a3 = vehicle(
        pos_adrien,
        "AUDI",
        "A3 CABRIOLET",
        "35 TFSI 150 ch S tronic 7",
        "Neuf",
        4_190_000,
        vin="WAUZZZ8V0NA900005",
        fuel="Essence",
        fiscal_power=8,
        power_hp=150,
    )
    born = vehicle(
        pos_holding,
        "CUPRA",
        "Born",
        "230 ch - Batterie L VZ",
        "Neuf",
        4_790_000,
        vin="VSSZZZK1ZPP900006",
        fuel="Électrique",
        fiscal_power=3,
        power_hp=230,
    )

    example(
        audrey,
        pos_audrey,
        admin_audrey,
        audrey_c,
        rs5,
        PaymentKind.DEPOSIT,
        4355,
        50_000,
        PaymentStatus.ENVOYE,
        paris(2022, 10, 12, 10, 42),
    )
    example(
        eric,
        pos_sport,
        admin_eric,
        verriere,
        a4,
        PaymentKind.DEPOSIT,
        4469,
        50_000,
        PaymentStatus.ENVOYE,
        paris(2022, 11, 9, 15, 18),
    )
    example(
        audrey,
        pos_audrey,
        audrey_v,
        jean,
        used_df520,
        PaymentKind.RESERVATION,
        3221,
        20_000,
        PaymentStatus.A_REMBOURSER,
        paris(2022, 8, 26, 12, 50),
        opp_number=2013,
    )
    example(
        adrien,
        pos_adrien,
        adrien_p,
        vernusse,
        q2,
        PaymentKind.DEPOSIT,
        4512,
        120_000,
        PaymentStatus.A_REMBOURSER,
        paris(2022, 11, 14, 13, 48),
    )
    example(
        adrien,
        pos_adrien,
        adrien_p,
        alma,
        a3,
        PaymentKind.DEPOSIT,
        4186,
        100_000,
        PaymentStatus.AUTORISE,
        paris(2022, 8, 31, 15, 58),
    )
    example(
        holding,
        pos_holding,
        adrien_h,
        cabus,
        born,
        PaymentKind.DEPOSIT,
        92,
        100_000,
        PaymentStatus.AUTORISE,
        paris(2024, 12, 17, 9, 30),
    )

    if activity:
        seller, manager = users[GroupType.VENDEUR], users[GroupType.CHEF_DES_VENTES]
        helene = customer("Mme.", "Hélène", "LEFÈVRE", "helene.lefevre@example.com", "+33 6 22 33 44 55")
        dupont = customer("M.", "Jean", "DUPONT", "jean.dupont@example.com", "+33 6 33 44 55 66")
        clio = session.exec(select(Vehicle).where(Vehicle.plate == "GA123BC")).one()
        p208 = session.exec(select(Vehicle).where(Vehicle.model == "208")).one()
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        for number, seller_, cust, veh, amount, status, days in [
            (26601, seller, helene, clio, 50_000, PaymentStatus.ENVOYE, 1),
            (26602, seller, dupont, p208, 80_000, PaymentStatus.ENVOYE, 3),
            (26603, seller, helene, p208, 50_000, PaymentStatus.A_REMBOURSER, 6),
            (26604, manager, dupont, clio, 100_000, PaymentStatus.AUTORISE, 9),
            (26605, manager, helene, p208, 30_000, PaymentStatus.ENVOYE, 2),
        ]:
            example(
                vincent,
                pos_vincent,
                seller_,
                cust,
                veh,
                PaymentKind.DEPOSIT,
                number,
                amount,
                status,
                now - timedelta(days=days, hours=number % 7),
            )
    return True
