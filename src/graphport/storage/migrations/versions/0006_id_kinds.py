"""The kind of each stored table's ids (``integer``, ``float`` or ``string``) on the dataset row.

An upload is refused when its ids are of another kind than the other table's (issue #11). The
kind used to be learned by fetching the other table's whole blob (a full S3 GET per upload); it
is now stored with the table. Rows written before stay NULL and are read from the blob's schema
once, when the next upload needs them.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("edges_id_kind", sa.String(10), nullable=True))
        batch.add_column(sa.Column("nodes_id_kind", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("nodes_id_kind")
        batch.drop_column("edges_id_kind")
