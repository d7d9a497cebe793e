"""`python -m epay_app.seed`: seed the demo data into an empty database."""

import sys

from .config import ConfigurationError
from .db import session_scope
from .domain.errors import DomainError
from .services.demo.demo_data import DEMO_PASSWORD, DEMO_USERS, seed


def main() -> None:
    activity = "--activity" in sys.argv[1:]  # recent payments at the demo users' point of sale
    try:
        with session_scope() as session:
            created = seed(session, activity=activity)
    except (ConfigurationError, DomainError) as exc:  # bad settings or master key: say so, plainly
        sys.exit(f"Erreur : {exc}")
    print("Données de démonstration créées." if created else "Base déjà remplie : démo inchangée.")
    print(f"Comptes de démonstration (mot de passe « {DEMO_PASSWORD} ») :")
    for email, _first, _last, group in DEMO_USERS:
        print(f"  {group.value:<16} {email}")


if __name__ == "__main__":
    main()
