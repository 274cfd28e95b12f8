"""summary edited: an article's summary corrected by hand is marked, so no re-summarize
replaces it

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as table:
        table.add_column(sa.Column("summary_edited_at", sa.DateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    # The edited sentences stay in `summary`; only the mark that protects them goes.
    with op.batch_alter_table("articles") as table:
        table.drop_column("summary_edited_at")
