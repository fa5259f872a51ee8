"""Single sign-on (issue #15): identity providers added from the CLI, sign-ins in progress, and
the link from a provider's account (issuer, subject) to a user.

Tables are described in ``storage/_sso_models.py``. Nothing existing changes.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "sso_providers",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret", sa.Text, nullable=False),
        sa.Column("org_slug", sa.String(160), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("allowed_domains", sa.Text, nullable=False, server_default=""),
        sa.Column("username_claim", sa.String(100), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "sso_flows",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("poll_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("redirect_uri", sa.String(1000), nullable=False),
        sa.Column("next_path", sa.String(1000), nullable=True),
        sa.Column("browser_hash", sa.String(64), nullable=True),
        sa.Column("org_slug", sa.String(160), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False, index=True),
        sa.Column("used_at", sa.Float, nullable=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_table(
        "sso_identities",
        sa.Column("issuer", sa.String(500), primary_key=True),
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("refresh_token", sa.Text, nullable=True),
        sa.Column("checked_at", sa.Float, nullable=False, server_default="0"),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_login_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sso_identities")
    op.drop_table("sso_flows")
    op.drop_table("sso_providers")
