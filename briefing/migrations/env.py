"""Alembic environment: runs against the engine handed over by `briefing.db.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from briefing.core.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` CLI use, e.g. autogenerate during development
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///var/briefing.db")

with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        # Several workers may start at once; one migrates, the others wait and find it done.
        connection.execute(text("SELECT pg_advisory_xact_lock(727374)"))
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
