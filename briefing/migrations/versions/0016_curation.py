"""curation: tags on feeds and articles, stories (one per news event), a list's selection
rules and locale, and the stories each edition showed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("feeds") as table:
        table.add_column(sa.Column("tags", sa.JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("articles") as table:
        table.add_column(sa.Column("tags", sa.JSON, nullable=False, server_default="[]"))
        table.add_column(sa.Column("story_id", sa.Integer))
        table.create_foreign_key("fk_articles_story", "stories", ["story_id"], ["id"],
                                 ondelete="SET NULL")
        table.create_index("ix_articles_story_id", ["story_id"])
    with op.batch_alter_table("lists") as table:
        table.add_column(sa.Column("rules", sa.JSON))
        table.add_column(sa.Column("locale", sa.String(20), nullable=False,
                                   server_default="en"))
    with op.batch_alter_table("editions") as table:
        table.add_column(sa.Column("story_ids", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("editions") as table:
        table.drop_column("story_ids")
    with op.batch_alter_table("lists") as table:
        table.drop_column("locale")
        table.drop_column("rules")
    with op.batch_alter_table("articles") as table:
        table.drop_index("ix_articles_story_id")
        table.drop_constraint("fk_articles_story", type_="foreignkey")
        table.drop_column("story_id")
        table.drop_column("tags")
    with op.batch_alter_table("feeds") as table:
        table.drop_column("tags")
    op.drop_table("stories")
