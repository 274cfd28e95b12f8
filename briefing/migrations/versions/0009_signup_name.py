"""signup name: the name typed at an unconfirmed sign-up waits on the subscription (never on
the person, never in the confirmation email) until the reader confirms

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as table:
        table.add_column(sa.Column("signup_name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as table:
        table.drop_column("signup_name")
