"""Route constants, so links and redirects never drift from the registered pages."""

LOGIN = "/login"
HOME = "/"
SETTINGS = "/parametres"
SETTINGS_OPPORTUNITIES = "/parametres/opportunites"
OPPORTUNITIES = "/opportunites"
EPAYMENTS = "/e-paiements"
MAILBOX = "/demo/mails"
# The HttpOnly session cookie is set and cleared by these API routes (api/session.py).
ACCOUNT = "/mon-compte"
SESSION_OPEN = "/api/session/open"
SESSION_CLOSE = "/api/session/close"
OFFER = "/offres/[offer_number]"
ORDER = "/commandes/[order_number]"
CLIENTS = "/clients"
CUSTOMER = "/clients/[customer_id]"
PILOTAGE = "/pilotage"


def offer_url(number: int | str) -> str:
    return f"/offres/{number}"


def order_url(number: int | str) -> str:
    return f"/commandes/{number}"


def customer_url(customer_id: int | str) -> str:
    return f"/clients/{customer_id}"


VEHICLES = "/vehicules"
# Public stock (no login), per point of sale number: /stock/61 and /stock/61/<vehicle id>.
STOCK = "/stock"
STOCK_PAGE = "/stock/[stock_pos]"
STOCK_VEHICLE_PAGE = "/stock/[stock_pos]/[stock_vehicle]"


def public_stock(pos_number: int) -> str:
    return f"{STOCK}/{pos_number}"


def public_vehicle(pos_number: int, vehicle_id: int) -> str:
    return f"{STOCK}/{pos_number}/{vehicle_id}"


def epayments_url(*status_keys: str) -> str:
    """The e-Paiements list filtered on statuses (the home tiles' links)."""
    return f"{EPAYMENTS}?statut={','.join(status_keys)}" if status_keys else EPAYMENTS


def opportunity_url(number: int | str) -> str:
    """An opportunity: the opportunities list narrowed to its rows (no page per opportunity)."""
    return f"{OPPORTUNITIES}?numero={number}"
