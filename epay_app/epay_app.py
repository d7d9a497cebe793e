"""The Reflex app: pages, API routes and background tasks are registered here."""
import reflex as rx

from . import routes
from .api.routes import mount_api
from .pages.epayments import EPaymentsState, epayments_page
from .pages.home import HomeState, home_page
from .pages.login import LoginState, login_page
from .state import AppState

app = rx.App(
    theme=rx.theme(accent_color="blue", radius="medium"),
    api_transformer=mount_api,
)
app.add_page(login_page, route=routes.LOGIN, title="Connexion — OpenFlex", on_load=LoginState.load_login)
app.add_page(home_page, route=routes.HOME, title="Accueil — OpenFlex",
             on_load=[AppState.load_user, HomeState.load_home])
app.add_page(epayments_page, route=routes.EPAYMENTS, title="e-Paiements — OpenFlex",
             on_load=[AppState.load_user, EPaymentsState.load_epayments])
