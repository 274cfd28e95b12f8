"""article language: what the page or feed declared, kept apart from the language the text
was summarized in, and which of them (or the fallback) was used; on-demand summaries record
their language too

Revision ID: 0012
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as table:
        table.add_column(sa.Column("declared_language", sa.String(length=20), nullable=True))
        table.add_column(sa.Column("language_source", sa.String(length=16), nullable=True))
    # Until now `language` held what the page declared: keep that as the declaration, so the
    # next summary can weigh it against the text.
    op.execute("UPDATE articles SET declared_language = language, "
               "language_source = CASE WHEN language IS NULL THEN NULL ELSE 'declared' END")
    with op.batch_alter_table("summary_requests") as table:
        table.add_column(sa.Column("language", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("summary_requests") as table:
        table.drop_column("language")
    # `language` goes back to meaning "declared" where a declaration was recorded.
    op.execute("UPDATE articles SET language = declared_language "
               "WHERE declared_language IS NOT NULL")
    with op.batch_alter_table("articles") as table:
        table.drop_column("language_source")
        table.drop_column("declared_language")
