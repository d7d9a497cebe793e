"""The Reflex app: pages, API routes and background tasks are registered here."""

import reflex as rx

from . import routes
from .api import direct, export, paylink, session, sips  # noqa: F401  (their routes join API_ROUTES)
from .api.routes import mount_api
from .components.collected_chart import CollectedState
from .config import get_settings
from .pages.account import AccountState, account_page
from .pages.clients import ClientsState, clients_page
from .pages.customer import CustomerState, customer_page
from .pages.epayments import EPaymentsState, epayments_page
from .pages.home import HomeState, home_page
from .pages.login import LoginState, login_page
from .pages.mailbox import MailboxState, mailbox_page
from .pages.not_found import NotFoundState, not_found_page
from .pages.offer import OfferState, offer_page
from .pages.opportunities import OpportunitiesState, opportunities_page
from .pages.order import OrderState, order_page
from .pages.pilotage import PilotageState, pilotage_page
from .pages.public_stock import PublicStockState, public_stock_page
from .pages.public_vehicle import PublicVehicleState, public_vehicle_page
from .pages.settings.home import SettingsHomeState, settings_home_page
from .pages.settings.opportunities import OpportunitySettingsState, opportunity_settings_page
from .pages.vehicles import VehiclesState, vehicles_page
from .services.admin.startup_checks import refuse_unsafe_production
from .services.payment.payment_jobs import run_cluster_jobs
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
app.add_page(
    clients_page,
    route=routes.CLIENTS,
    title="Clients — OpenFlex",
    on_load=[AppState.load_user, ClientsState.load_clients],
)
app.add_page(
    customer_page,
    route=routes.CUSTOMER,
    title="Fiche client — OpenFlex",
    on_load=[AppState.load_user, CustomerState.load_customer],
)
app.add_page(
    pilotage_page,
    route=routes.PILOTAGE,
    title="Pilotage — OpenFlex",
    on_load=[AppState.load_user, PilotageState.load_pilotage],
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
# Reconciliation, reminders, reservation lapses and the outbox: one worker of the cluster leads
# (or a jobs process of its own: EPAY_JOBS_IN_WEB=false).
if get_settings().jobs_in_web:
    app.register_lifespan_task(run_cluster_jobs)
app.add_page(
    account_page,
    route=routes.ACCOUNT,
    title="Mon compte — OpenFlex",
    on_load=[AppState.load_user, AccountState.load_account],
)
app.add_page(not_found_page, route="404", title="Page introuvable — OpenFlex", on_load=NotFoundState.load_not_found)
