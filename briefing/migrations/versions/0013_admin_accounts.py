"""admin accounts: people who sign in to the admin web app (roles, Argon2 hashes), their
sessions and named API tokens (stored hashed), failed sign-ins counted per account and per
address, and CSV imports run in the background with their progress and report

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
# The brief's chain starts at 0006; main already holds 0009 on it, and one head is needed
# for `ensure_schema`, so this follows 0009 until the migrations are re-chained at merge.
down_revision = "0012"
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def _users() -> None:
    op.create_table(
        "admin_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False))
    op.create_table(
        "admin_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("admin_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("expires_at", STAMP, nullable=False))
    op.create_index("ix_admin_sessions_user_id", "admin_sessions", ["user_id"])
    op.create_index("ix_admin_sessions_expires_at", "admin_sessions", ["expires_at"])


def _tokens_and_failures() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("admin_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(12), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("last_used_at", STAMP),
        sa.Column("revoked_at", STAMP))
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", STAMP, nullable=False),
        sa.Column("blocked_until", STAMP))


def _imports() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("list_id", sa.Integer(), sa.ForeignKey("lists.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("admin_users.id", ondelete="SET NULL")),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("as_pending", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("rows_expected", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON()),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("started_at", STAMP),
        sa.Column("heartbeat_at", STAMP),
        sa.Column("finished_at", STAMP))
    op.create_index("ix_import_jobs_list_id", "import_jobs", ["list_id"])
    op.create_table(
        "import_chunks",
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("import_jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False))


def upgrade() -> None:
    _users()
    _tokens_and_failures()
    _imports()


def downgrade() -> None:
    for table in ("import_chunks", "import_jobs", "sign_in_failures", "api_tokens",
                  "admin_sessions", "admin_users"):
        op.drop_table(table)
