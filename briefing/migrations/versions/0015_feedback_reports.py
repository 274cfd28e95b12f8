"""feedback reports: bounces and complaints received after the SMTP session, stored with
what they changed; subscribers count temporary bounces with decay; a list's sending can be
paused by its guard rails

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(320)),
        sa.Column("status", sa.String(20)),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("diagnostic", sa.Text, nullable=False),
        sa.Column("matched_by", sa.String(20)),
        sa.Column("delivery_id", sa.Integer,
                  sa.ForeignKey("deliveries.id", ondelete="SET NULL"), index=True),
        sa.Column("subscriber_id", sa.Integer,
                  sa.ForeignKey("subscribers.id", ondelete="SET NULL"), index=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True)),
        sa.Column("raw", sa.LargeBinary),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_feedback_reports_received", "feedback_reports", ["received_at"])
    with op.batch_alter_table("lists") as table:
        table.add_column(sa.Column("sending_paused", sa.Text))
    with op.batch_alter_table("subscribers") as table:
        table.add_column(sa.Column("soft_bounces", sa.Integer, nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("last_soft_bounce_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("lists") as table:
        table.drop_column("sending_paused")
    with op.batch_alter_table("subscribers") as table:
        table.drop_column("last_soft_bounce_at")
        table.drop_column("soft_bounces")
    op.drop_index("ix_feedback_reports_received", "feedback_reports")
    op.drop_table("feedback_reports")
