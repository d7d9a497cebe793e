"""The Reflex app: pages, API routes and background tasks are registered here."""

import reflex as rx

from . import routes
from .api import direct, export, paylink, sips  # noqa: F401  (their routes join API_ROUTES)
from .api.routes import mount_api
from .components.collected_chart import CollectedState
from .pages.epayments import EPaymentsState, epayments_page
from .pages.home import HomeState, home_page
from .pages.login import LoginState, login_page
from .pages.mailbox import MailboxState, mailbox_page
from .pages.not_found import NotFoundState, not_found_page
from .pages.offer import OfferState, offer_page
from .pages.opportunities import OpportunitiesState, opportunities_page
from .pages.order import OrderState, order_page
from .pages.public_stock import PublicStockState, public_stock_page
from .pages.public_vehicle import PublicVehicleState, public_vehicle_page
from .pages.settings.home import SettingsHomeState, settings_home_page
from .pages.settings.opportunities import (
    OpportunitySettingsState,
    opportunity_settings_page,
)
from .pages.vehicles import VehiclesState, vehicles_page
from .services.mail_sender import outbox_lifespan_task
from .services.payment_jobs import run_payment_jobs
from .services.reservations import run_lapse_job
from .services.startup_checks import refuse_unsafe_production
from .state import AppState

# The theme is in rxconfig.py (RadixThemesPlugin); assets/a11y.css raises its contrasts to WCAG AA.
app = rx.App(api_transformer=mount_api, stylesheets=["/a11y.css"])
# First: production mode with demo accounts, public PSP test keys or no master key never serves.
app.register_lifespan_task(refuse_unsafe_production)
app.add_page(login_page, route=routes.LOGIN, title="Connexion — OpenFlex", on_load=LoginState.load_login)
app.add_page(
    home_page,
    route=routes.HOME,
    title="Accueil — OpenFlex",
    on_load=[AppState.load_user, HomeState.load_home, CollectedState.load_collected],
)
app.add_page(
    epayments_page,
    route=routes.EPAYMENTS,
    title="e-Paiements — OpenFlex",
    on_load=[AppState.load_user, EPaymentsState.load_epayments],
)
app.add_page(
    opportunities_page,
    route=routes.OPPORTUNITIES,
    title="Opportunités — OpenFlex",
    on_load=OpportunitiesState.load_opportunities,
)
app.add_page(offer_page, route=routes.OFFER, title="Offre — OpenFlex", on_load=OfferState.load_offer)
app.add_page(order_page, route=routes.ORDER, title="Commande — OpenFlex", on_load=OrderState.load_order)
app.add_page(
    mailbox_page, route=routes.MAILBOX, title="Boîte mail (démo) — OpenFlex", on_load=MailboxState.load_mailbox
)
app.register_lifespan_task(outbox_lifespan_task)
app.add_page(
    settings_home_page,
    route=routes.SETTINGS,
    title="Paramètres — OpenFlex",
    on_load=[AppState.load_user, SettingsHomeState.load_settings_home],
)
app.add_page(
    opportunity_settings_page,
    route=routes.SETTINGS_OPPORTUNITIES,
    title="Paramètres > Opportunités — OpenFlex",
    on_load=[AppState.load_user, OpportunitySettingsState.load_opportunity_settings],
)
app.add_page(vehicles_page, route=routes.VEHICLES, title="Véhicules — OpenFlex", on_load=VehiclesState.load_vehicles)
app.add_page(
    public_stock_page, route=routes.STOCK_PAGE, title="Nos véhicules — OpenFlex", on_load=PublicStockState.load_stock
)
app.add_page(
    public_vehicle_page,
    route=routes.STOCK_VEHICLE_PAGE,
    title="Réserver un véhicule — OpenFlex",
    on_load=PublicVehicleState.load_vehicle,
)
app.register_lifespan_task(run_lapse_job)
app.register_lifespan_task(run_payment_jobs)
app.add_page(not_found_page, route="404", title="Page introuvable — OpenFlex", on_load=NotFoundState.load_not_found)
