"""An invitation's message is stored once, however many people it goes to (issue #10 F8).

Before, a share with ``notify`` copied its message into one ``outbox`` row per invitee: a 2 MiB
call wrote 406 MiB. Now the message goes into ``outbox_messages`` once and each recipient's row
points at it (``outbox.message_id``); ``outbox.message`` stays for rows written before.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("message_id", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_outbox_message", "outbox_messages", ["message_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("fk_outbox_message", type_="foreignkey")
        batch.drop_column("message_id")
    op.drop_table("outbox_messages")
