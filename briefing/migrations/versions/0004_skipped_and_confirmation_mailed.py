"""skipped deliveries; when a confirmation email was mailed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Statuses are plain VARCHAR columns (no CHECK constraint; see `models._str_enum`), so the new
delivery status `skipped` needs no DDL. Past deliveries of readers who left before sending
were recorded as `failed` with a fixed reply; they become `skipped` so that old editions count
the same way as new ones. A downgrade turns every `skipped` back into `failed`, the only
status the older code knows for it.

`subscriptions.confirmation_mailed_at` records when the confirmation email for the current
nonce was handed to the mailer; the sweep mails pending subscriptions whose confirmation was
not. Whether rows from before this revision were mailed is unknown: they count as mailed when
their nonce was issued (what the older code assumed), so the upgrade itself sends nobody a
second confirmation.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LEFT_BEFORE_SENDING = "not sent: the reader left before sending"


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confirmation_mailed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text(
        "UPDATE subscriptions SET confirmation_mailed_at = confirmation_sent_at "
        "WHERE confirmation_sent_at IS NOT NULL"))
    op.execute(sa.text(
        "UPDATE deliveries SET status = 'skipped' "
        "WHERE status = 'failed' AND last_reply = :reply").bindparams(reply=LEFT_BEFORE_SENDING))


def downgrade() -> None:
    op.execute(sa.text("UPDATE deliveries SET status = 'failed' WHERE status = 'skipped'"))
    # Never recreate `subscriptions` on SQLite: with foreign keys on, dropping the old table
    # would fire `deliveries.subscription_id ON DELETE SET NULL` for every delivery. SQLite
    # 3.35+ drops a column in place.
    with op.batch_alter_table("subscriptions", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("confirmation_mailed_at")
