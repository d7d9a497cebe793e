"""`python -m epay_app.rotate_keys`: re-encrypt every point of sale's PSP secrets (the Sips secret
key, or Worldline Direct's API key secret and webhook secret) under the newest master key (the
first of EPAY_MASTER_KEYS).

Rotation: put the new key in front (EPAY_MASTER_KEYS=new,old), restart the app, run this
command, then drop the old key. Until then both keys decrypt. All rows or none are rewritten.
"""

from __future__ import annotations

import sys

from .db import session_scope
from .services.admin.psp_config import rotate_all
from .services.admin.secrets import MasterKeyError


def main(argv: list[str] | None = None) -> int:
    try:
        with session_scope() as session:
            count = rotate_all(session)
    except MasterKeyError as exc:
        print(f"Erreur : {exc} Aucune clé n'a été modifiée.", file=sys.stderr)
        return 1
    print(f"{count} configuration(s) de e-paiement ré-chiffrée(s) avec la clé maître la plus récente.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
