"""reader choices: weekly editions (an edition kind, one per list, date and kind), a weekly
reader's day, the topics a reader chose, and per-choice renderings of an edition

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("editions") as table:
        table.add_column(sa.Column("kind", sa.String(20), nullable=False,
                                   server_default="daily"))
        table.drop_constraint("uq_edition_list_date", type_="unique")
        table.create_unique_constraint("uq_edition_list_date_kind",
                                       ["list_id", "edition_date", "kind"])
    with op.batch_alter_table("subscriptions") as table:
        table.add_column(sa.Column("weekly_day", sa.Integer, nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("topics", sa.String(1000), nullable=False,
                                   server_default=""))
    op.create_table(
        "edition_variants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("edition_id", sa.Integer,
                  sa.ForeignKey("editions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("topics_key", sa.String(1000), nullable=False),
        sa.Column("story_ids", sa.JSON, nullable=False),
        sa.Column("subject", sa.String(500)),
        sa.Column("html", sa.Text),
        sa.Column("text", sa.Text),
        sa.UniqueConstraint("edition_id", "topics_key", name="uq_variant_edition_topics"),
    )
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("variant_id", sa.Integer))
        table.create_foreign_key("fk_deliveries_variant", "edition_variants",
                                 ["variant_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.drop_constraint("fk_deliveries_variant", type_="foreignkey")
        table.drop_column("variant_id")
    op.drop_table("edition_variants")
    with op.batch_alter_table("subscriptions") as table:
        table.drop_column("topics")
        table.drop_column("weekly_day")
    op.execute("DELETE FROM editions WHERE kind <> 'daily'")
    with op.batch_alter_table("editions") as table:
        table.drop_constraint("uq_edition_list_date_kind", type_="unique")
        table.create_unique_constraint("uq_edition_list_date", ["list_id", "edition_date"])
        table.drop_column("kind")
