"""The Reflex app: pages, API routes and background tasks are registered here."""
import reflex as rx

from . import routes
from .api.routes import mount_api
from .pages.home import home_page
from .pages.login import LoginState, login_page
from .pages.offer import OfferState, offer_page
from .pages.opportunities import OpportunitiesState, opportunities_page
from .pages.order import OrderState, order_page
from .state import AppState

app = rx.App(
    theme=rx.theme(accent_color="blue", radius="medium"),
    api_transformer=mount_api,
)
app.add_page(login_page, route=routes.LOGIN, title="Connexion — OpenFlex", on_load=LoginState.load_login)
app.add_page(home_page, route=routes.HOME, title="Accueil — OpenFlex", on_load=AppState.load_user)
app.add_page(opportunities_page, route=routes.OPPORTUNITIES, title="Opportunités — OpenFlex",
             on_load=OpportunitiesState.load_opportunities)
app.add_page(offer_page, route=routes.OFFER, title="Offre — OpenFlex", on_load=OfferState.load_offer)
app.add_page(order_page, route=routes.ORDER, title="Commande — OpenFlex",
             on_load=OrderState.load_order)
