"""`python -m epay_app.unlock_login --admin admin@exemple.fr compte@exemple.fr`: an administrator
lifts the login waits of an account (services.access.auth throttling), e.g. for an owner slowed down by
someone else's wrong passwords. The administrator's e-mail is checked (active administrator) and
logged."""

from __future__ import annotations

import argparse
import logging
import sys

from sqlmodel import col, select

from .db import session_scope
from .models import User
from .services.access import auth

log = logging.getLogger("epay_app.security")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m epay_app.unlock_login", description="Débloquer les connexions d'un compte."
    )
    parser.add_argument("--admin", required=True, help="e-mail de l'administrateur qui débloque")
    parser.add_argument("email", help="e-mail du compte à débloquer")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with session_scope() as session:
        admin = session.exec(
            select(User).where(User.email == auth.normalise_email(args.admin), col(User.active).is_(True))
        ).first()
        try:
            cleared = auth.reset_login_throttle(session, admin, args.email)
        except PermissionError as exc:
            print(f"Erreur : {exc}", file=sys.stderr)
            return 1
    assert admin is not None  # reset_login_throttle refused a missing administrator
    log.warning("security: login waits of %s reset by %s", auth.normalise_email(args.email), admin.email)
    print(f"Compte {auth.normalise_email(args.email)} débloqué ({cleared} compteur(s) remis à zéro).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
