"""Route constants, so links and redirects never drift from the registered pages."""
LOGIN = "/login"
HOME = "/"
SETTINGS = "/parametres"
SETTINGS_OPPORTUNITIES = "/parametres/opportunites"
OPPORTUNITIES = "/opportunites"
EPAYMENTS = "/e-paiements"
MAILBOX = "/demo/mails"
OFFER = "/offres/[offer_number]"
ORDER = "/commandes/[order_number]"


def offer_url(number: int | str) -> str:
    return f"/offres/{number}"


def order_url(number: int | str) -> str:
    return f"/commandes/{number}"
