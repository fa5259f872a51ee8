"""Alembic environment: migrations run on a connection the caller hands over (see ``_database``)."""

from __future__ import annotations

from alembic import context

from graphport.storage._models import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
