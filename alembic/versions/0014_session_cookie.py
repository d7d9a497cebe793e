"""the session credential moves to an HttpOnly cookie (issue 12, "Trust")

Revision ID: 0014_session_cookie
Revises: 0013_trust_login_throttle

The login handler runs on the websocket and cannot set an HttpOnly cookie, so it leaves a
one-time exchange ticket on the new session; the browser posts it to /api/session/open, which
rotates the session token and puts it in the cookie. No page script ever sees the token.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014_session_cookie"
down_revision: str | None = "0013_trust_login_throttle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_session") as batch:
        batch.add_column(sa.Column("exchange_hash", sa.String(), nullable=True))
        batch.add_column(sa.Column("exchange_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_user_session_exchange_hash", ["exchange_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("user_session") as batch:
        batch.drop_index("ix_user_session_exchange_hash")
        batch.drop_column("exchange_expires_at")
        batch.drop_column("exchange_hash")
