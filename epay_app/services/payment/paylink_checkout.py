"""Opening a payment link (/pay/<token>): check the link, then start the PSP's hosted page in the
protocol its point of sale speaks today — a Sips form to post, or a Worldline Direct hosted
checkout to redirect to."""

from __future__ import annotations

from dataclasses import dataclass

from ...config import Settings, get_settings
from ...models import stored_id
from ...psp.interface import PaypageForm, PspProtocol
from ..admin.psp_accounts import config_for_pos, credentials
from . import direct_payments, paylinks


@dataclass(frozen=True)
class LinkCheckout:
    """Where /pay/<token> sends the customer: a form to post (Sips) or a page to redirect to (Direct)."""

    reference: str
    amount_cents: int
    form: PaypageForm | None = None
    redirect_url: str = ""
    payment_id: int = 0


def start_link_checkout(
    token: str, *, settings: Settings | None = None, session_factory=None, gateway=None
) -> LinkCheckout:
    """Check the link, then open the PSP's hosted page in the protocol its point of sale speaks
    today. Blocking (database and, for Direct, the platform): run it in a worker thread."""
    settings = settings or get_settings()
    if session_factory is None:
        from ...db import session_scope as session_factory
    with session_factory(write=False) as session:
        payment = paylinks.payment_for_token(session, token, settings)
        config = config_for_pos(session, payment.pos_id)
        payment_id, reference, amount = stored_id(payment), payment.reference, payment.amount_cents
        sips = config.protocol == PspProtocol.SIPS2.value
        if sips:
            form = paylinks.sips_form(session, payment, settings)
        else:
            plan = direct_payments.plan_checkout(session, payment, credentials(config), settings)
    if sips:
        return LinkCheckout(reference, amount, form=form, payment_id=payment_id)
    url = direct_payments.open_checkout(
        payment_id, plan, session_factory=session_factory, gateway=gateway, settings=settings
    )
    return LinkCheckout(reference, amount, redirect_url=url)
