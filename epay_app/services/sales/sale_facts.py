"""The facts of a sale that the order page, the offer page and the printed documents share: who
the customer is, the vehicle sold and the offer's prices (words are the presenters')."""

from __future__ import annotations

from ...documents.facts import PriceFacts, VehicleFacts
from ...models import Customer, Offer, Vehicle


def customer_label(customer: Customer) -> str:
    """ "M. Patrick PONS"."""
    return " ".join(p for p in (customer.civility, customer.first_name, customer.last_name) if p)


def vehicle_card(vehicle: Vehicle) -> VehicleFacts:
    """The vehicle of the guide's "Véhicule acheté" card, with its price and doors."""
    return VehicleFacts(
        make=vehicle.make,
        model=vehicle.model,
        version=vehicle.version,
        condition=vehicle.condition,
        plate=vehicle.plate,
        vin=vehicle.vin,
        fuel=vehicle.fuel,
        fiscal_power=vehicle.fiscal_power,
        power_hp=vehicle.power_hp,
        colour=vehicle.colour,
        mileage_km=vehicle.mileage_km,
        first_registration=vehicle.first_registration,
        doors=vehicle.doors,
        price_cents=vehicle.price_cents,
    )


def offer_prices(offer: Offer) -> PriceFacts:
    return PriceFacts(offer.vehicle_price_cents, offer.customer_advantage_cents, offer.accessories_cents)
