"""deliveries: the (edition, status) index also orders by id, so a claim reads only the rows
it takes

PostgreSQL does not keep an (edition_id, status) index in id order, so claiming the next queued
rows of an edition walked the primary key past every row already sent: each claim cost more
as the edition went out (77 ms a claim with 100,000 rows sent before it, on the 2-core
development machine; a claim is 200 rows, about 0.15 s of sending).
SQLite's indexes end with the rowid anyway; there the index is the same as before.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.drop_index("ix_deliveries_edition_status")
        table.create_index("ix_deliveries_edition_status", ["edition_id", "status", "id"])


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.drop_index("ix_deliveries_edition_status")
        table.create_index("ix_deliveries_edition_status", ["edition_id", "status"])
