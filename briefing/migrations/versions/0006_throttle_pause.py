"""throttle pause: a server's "slow down" pauses every sender of that SMTP account, and
each delivery counts the times it was the one refused that way

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("send_pacing") as table:
        table.add_column(sa.Column("paused_until", sa.Float(), nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("pauses", sa.Integer(), nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("pause_reply", sa.String(length=500), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("throttled", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.drop_column("throttled")
    with op.batch_alter_table("send_pacing") as table:
        table.drop_column("pause_reply")
        table.drop_column("pauses")
        table.drop_column("paused_until")
