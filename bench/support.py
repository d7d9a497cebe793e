"""What the live benches share: the demo users their tabs log in as, and the deposits their
callbacks authorise."""

from __future__ import annotations

ENTITY_45 = [
    "vendeur@openflex.demo",
    "chef@openflex.demo",
    "secretaire@openflex.demo",
    "directeur@openflex.demo",
    "admin@openflex.demo",
]
OTHERS = [
    "audrey.villien@openflex.demo",
    "admin.audrey@openflex.demo",
    "admin.eric@openflex.demo",
    "adrien.patisson@openflex.demo",
    "adrien.holding@openflex.demo",
]


def login_tokens(db_url: str) -> dict[str, tuple[str, int]]:
    """One login per demo user (tabs of one browser share its session): token, user id."""
    from epay_app.db import session_scope
    from epay_app.services.access import auth
    from epay_app.services.demo.demo_data import DEMO_PASSWORD

    tokens = {}
    with session_scope(db_url) as session:
        for email in ENTITY_45 + OTHERS:
            token = auth.login(session, email, DEMO_PASSWORD, "127.0.0.1")
            tokens[email] = (token, auth.user_for_token(session, token).id)
    return tokens


def pending_payments(db_url: str, count: int) -> list:
    """`count` pending deposits of the demo seller at point of sale 61 (Worldline Direct)."""
    from sqlmodel import Session, select

    from epay_app.db import get_engine
    from epay_app.models import Entity, Opportunity, PointOfSale, User, Vehicle
    from tests.support.payments import pending_deposits

    with Session(get_engine(db_url), expire_on_commit=False) as session:
        seller = session.exec(select(User).where(User.email == "vendeur@openflex.demo")).one()
        opportunity = session.exec(select(Opportunity).where(Opportunity.seller_id == seller.id)).first()
        vehicle = session.exec(select(Vehicle).where(Vehicle.pos_id == seller.pos_id)).first()
        pos = session.get(PointOfSale, seller.pos_id)
        entity = session.get(Entity, seller.entity_id)
        payments = pending_deposits(opportunity, vehicle.id, entity, pos, 40_000_000, count)
        session.add_all(payments)
        session.commit()
        return payments
