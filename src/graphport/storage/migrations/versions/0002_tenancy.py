"""Multi-tenancy: the invitation outbox, key usage, and indexes for access checks and listings.

- ``outbox``: one row per notification the server would send (an invitation with ``notify``);
  sending mail is out of scope, so rows stay undelivered until an operator's tool picks them up.
- ``personal_keys.last_used_at``: shown by ``key list``, so stale keys can be found and revoked.
- indexes: invitations are matched by invitee (email or username) when a user appears; datasets
  are listed by organization.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(40), nullable=False),
        # No foreign key: the record of a sent invitation outlives the dataset it named.
        sa.Column("dataset_id", sa.String(64), nullable=True, index=True),
        sa.Column("sender_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("recipient_user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("action", sa.Integer, nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("delivered_at", sa.Float, nullable=True),
    )
    with op.batch_alter_table("personal_keys") as batch:
        batch.add_column(sa.Column("last_used_at", sa.Float, nullable=True))
    op.create_index("ix_dataset_invites_invitee", "dataset_invites", ["invitee"])
    op.create_index("ix_datasets_org_id", "datasets", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_datasets_org_id", "datasets")
    op.drop_index("ix_dataset_invites_invitee", "dataset_invites")
    with op.batch_alter_table("personal_keys") as batch:
        batch.drop_column("last_used_at")
    op.drop_table("outbox")
