"""Graph builds that fail say why: ``datasets.graph_error``.

A dataset whose graph cannot be built (its tables are refused by validation, or the build process
died) is marked ``status = 'failed'`` and keeps the reason here, shown by describe and by the
viewer, instead of failing again for every reader.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("graph_error", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("graph_error")
