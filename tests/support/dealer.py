"""A dealer written straight into a database: the Sips and Direct points of sale the integration
tests and the callback bench pay at."""

from __future__ import annotations

from dataclasses import dataclass

from epay_app.models import Customer, DealerGroup, Entity, PointOfSale, PspConfig, User
from epay_app.services.admin.secrets import encrypt_secret
from epay_app.services.demo.demo_data import DEMO_DIRECT
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


def add_direct_point_of_sale(session, entity_id: int, number: int, name: str, **config) -> PointOfSale:
    """A point of sale of the entity on Worldline Direct with the sandbox's demo merchant; `config`
    adds fields to its PspConfig (a Sips merchant kept for older payments). Flushed, not committed."""
    pos = PointOfSale(entity_id=entity_id, number=number, name=name)
    session.add(pos)
    session.flush()
    session.add(
        PspConfig(
            pos_id=pos.id,
            protocol="direct",
            merchant_id=DEMO_DIRECT["pspid"],
            api_key_id=DEMO_DIRECT["api_key_id"],
            key_ciphertext=encrypt_secret(DEMO_DIRECT["api_secret"]),
            webhook_key_id=DEMO_DIRECT["webhook_key_id"],
            webhook_secret_ciphertext=encrypt_secret(DEMO_DIRECT["webhook_secret"]),
            **config,
        )
    )
    session.flush()
    return pos
