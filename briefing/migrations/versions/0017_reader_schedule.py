"""reader schedule: a subscriber's own time zone, lists that send at each reader's local time,
and how often each subscription wants the list (daily or weekdays)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as table:
        table.add_column(sa.Column("timezone", sa.String(64)))
    with op.batch_alter_table("lists") as table:
        table.add_column(sa.Column("reader_time", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("subscriptions") as table:
        table.add_column(sa.Column("frequency", sa.String(20), nullable=False,
                                   server_default="daily"))
        table.add_column(sa.Column("signup_timezone", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as table:
        table.drop_column("signup_timezone")
        table.drop_column("frequency")
    with op.batch_alter_table("lists") as table:
        table.drop_column("reader_time")
    with op.batch_alter_table("subscribers") as table:
        table.drop_column("timezone")
