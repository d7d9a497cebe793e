"""A dealer written straight into a database: the Sips point of sale the integration tests and the
callback bench pay at."""

from __future__ import annotations

from dataclasses import dataclass

from epay_app.models import Customer, DealerGroup, Entity, PointOfSale, PspConfig, User
from epay_app.services.secrets import encrypt_secret
from tests.support.sips_messages import DEMO_KEY, DEMO_MERCHANT


@dataclass(frozen=True)
class DemoPointOfSale:
    group: DealerGroup
    entity: Entity
    pos: PointOfSale
    seller: User
    customer: Customer


def add_sips_point_of_sale(session) -> DemoPointOfSale:
    """Group → entity 45 → point of sale 61 configured with Worldline's Sips demo merchant, a seller
    and a customer; flushed, not committed."""
    group = DealerGroup(name="bee2link")
    session.add(group)
    session.flush()
    entity = Entity(group_id=group.id, number=45, name="bee2link PP Vincent S.", epay_option=True)
    session.add(entity)
    session.flush()
    pos = PointOfSale(entity_id=entity.id, number=61, name="Point de vente 1 (Vincent S.)")
    session.add(pos)
    session.flush()
    seller = User(
        first_name="Adrien",
        last_name="PATISSON",
        email="seller@test.local",
        password_hash="x",
        group_type="vendeur",
        entity_id=entity.id,
        pos_id=pos.id,
    )
    customer = Customer(civility="M.", last_name="PONS", first_name="Patrick", email="client@test.local")
    config = PspConfig(
        pos_id=pos.id,
        merchant_id=DEMO_MERCHANT,
        key_ciphertext=encrypt_secret(DEMO_KEY),
        key_hint=DEMO_KEY[-4:],
        key_version=1,
    )
    session.add_all([seller, customer, config])
    session.flush()
    return DemoPointOfSale(group, entity, pos, seller, customer)
