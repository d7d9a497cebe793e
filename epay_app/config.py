"""All settings, from the environment or `.env`, in one pydantic-settings class."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EPAY_", env_file=".env", extra="ignore")

    # Same variable Reflex reads, so the app and the services share one database.
    db_url: str = Field(default=f"sqlite:///{ROOT / 'epay.db'}", alias="REFLEX_DB_URL")

    # Public address of the app, used in e-mails, payment links and PSP return URLs.
    public_url: str = "http://localhost:3000"

    # Fernet master keys, comma-separated, newest first (rotation: add a new one in front).
    # Required in production; the key file below is a demo convenience only.
    master_keys: str = ""
    master_key_file: Path = ROOT / ".epay_master_key"

    # PSP: the protocol and the two base URLs are the only switch between sandbox and Worldline.
    psp_protocol: str = "sips2"
    psp_paypage_url: str = "http://127.0.0.1:8900"
    psp_office_url: str = "http://127.0.0.1:8900"
    psp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Worldline Direct API endpoint (scheme://host[:port], no path): the local sandbox by default;
    # test platform https://payment.preprod.direct.worldline-solutions.com, production
    # https://payment.direct.worldline-solutions.com (notes/worldline-direct.md §6).
    direct_api_url: str = "http://127.0.0.1:8900"
    # Lifetime of a Direct hosted checkout session (sessionTimeout, minutes; platform default 180).
    direct_checkout_minutes: int = Field(default=30, ge=1, le=1440)

    # e-Réservation (F-40, F-69). An unpaid reservation holds the vehicle only for the PSP session;
    # the group's configured block (e.g. 48 h) starts when the payment is authorised.
    reservation_hold_minutes: int = Field(default=30, ge=1, le=30)
    # Public form limits: reservations per client address in a sliding window, and per e-mail
    # address (each reservation sends one e-mail to it) in a day.
    reservation_limit_window_minutes: int = Field(default=60, ge=1)
    reservation_max_per_client: int = Field(default=3, ge=1)
    reservation_max_per_email: int = Field(default=3, ge=1)

    # Payment links: signing secret for /pay/<token> and their lifetime.
    link_secret: str = ""
    link_ttl_hours: int = Field(default=72, gt=0)
    # Reminder e-mail this many hours before a payment link expires (0: no reminder, F-60).
    link_reminder_hours: int = Field(default=24, ge=0)

    # Periodic payment jobs (reconciliation F-61, link reminders F-60): every N seconds, 0 = off.
    # Each pass is a few indexed queries; once a minute keeps "session over → asked" under 2 min.
    payment_jobs_interval_seconds: float = Field(default=60.0, ge=0)
    # A pending payment is asked about as soon as its PSP session is over: a Sips hosted page
    # lives `sips_session_minutes` after the customer opened it (Worldline: 15, response code 97),
    # a Direct hosted checkout `direct_checkout_minutes`; plus this grace for a late return.
    reconciliation_grace_minutes: float = Field(default=0.5, ge=0, le=60)
    sips_session_minutes: int = Field(default=15, ge=1, le=120)
    # Safety net for payments without a known session start: asked once this old (Sips: 15 min)…
    reconciliation_age_minutes: int = Field(default=20, ge=0)
    # …and then again at most this often, until its link has expired.
    reconciliation_recheck_minutes: int = Field(default=30, gt=0)

    # Live pages (F-55): false = woken by the change feed (pages/live.py); true = the former
    # per-page poll each second, kept only as the baseline of bench/live_bench.py.
    live_poll: bool = False
    # The periodic jobs (reconciliation, reminders, lapses, the outbox and its PDF receipts) run
    # in the web workers (one leads), or, false, only in a process of their own (`python -m
    # epay_app.services.payment.payment_jobs`, as scripts/run_scaleout.sh starts it): rendering
    # receipts holds the GIL, which would delay the live pages of the worker that leads.
    jobs_in_web: bool = True

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, gt=0, lt=65536)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "OpenFlex <no-reply@openflex.local>"
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    # Where the demo mail sink keeps what it receives (read by the "Boîte mail démo" page).
    mail_sink_dir: Path = ROOT / ".mail_sink"

    # Demo mode (EPAY_DEMO=true: scripts/run.sh, the test harness) shows the mail sink page to
    # administrators and allows the demo accounts and public test keys. Production by default:
    # it refuses to start with any of those left (services/admin/startup_checks.py).
    demo: bool = False
    # Adds X-Epay-Worker (the backend process id) to /api/ answers: multi-worker diagnostics.
    expose_worker_id: bool = False
    privacy_policy_url: str = "https://www.openflex.fr/politique-de-confidentialite"


class ConfigurationError(RuntimeError):
    """A setting from the environment or `.env` is invalid; the message names each variable."""


def _variable(field_name: str) -> str:
    field = Settings.model_fields.get(field_name)
    return field.alias if field is not None and field.alias else f"EPAY_{field_name.upper()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{_variable(str(err['loc'][0]))} = {err.get('input')!r} : {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"Configuration invalide — {problems}") from None
