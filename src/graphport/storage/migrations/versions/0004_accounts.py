"""Accounts (issue #10 F4, F5, F9, F10, sign-out): personal organizations, org invitations,
stable user ids, per-token revocation and the deployment id.

- ``users.uid``: a random stable id that tokens carry instead of the numeric row id.
- ``organizations.personal_user_id``: every user gets a personal organization ``~<username>``
  (``slug`` grows to 160 characters for it). It becomes every existing user's default
  organization: datasets created without ``org_name`` go there, so ``organization`` mode without
  a chosen org shares with nobody else. Existing datasets keep their organization; an operator
  re-applies a deliberate default with ``graphport user set NAME --default-org SLUG``.
- ``org_invitations``: joining an organization takes the invitee's consent.
- ``revoked_tokens``: sign-out ends the cookie's token (by ``jti``) in every process.
- ``deployment``: one random ``deployment_id`` shared by all processes of this deployment;
  tokens are issued for it (``iss``/``aud``) and refused elsewhere. Tokens issued before this
  migration are refused: users sign in again.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import secrets
import time

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    bind = op.get_bind()
    # No table rebuild on SQLite (it would drop tables other rows point at, which foreign keys
    # forbid): plain ADD COLUMN and unique indexes there; SQLite ignores VARCHAR lengths anyway.
    sqlite = bind.dialect.name == "sqlite"
    op.add_column("users", sa.Column("uid", sa.String(32), nullable=True))
    op.add_column("organizations", sa.Column("personal_user_id", sa.Integer, nullable=True))
    if not sqlite:
        op.alter_column("organizations", "slug", type_=sa.String(160), existing_nullable=False)

    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("uid", sa.String),
        sa.column("username", sa.String),
        sa.column("default_org_id", sa.Integer),
    )
    orgs = sa.table(
        "organizations",
        sa.column("id", sa.Integer),
        sa.column("slug", sa.String),
        sa.column("name", sa.String),
        sa.column("created_at", sa.Float),
        sa.column("personal_user_id", sa.Integer),
    )
    memberships = sa.table(
        "memberships",
        sa.column("org_id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("role", sa.String),
        sa.column("created_at", sa.Float),
    )
    now = time.time()
    for user_id, username in bind.execute(sa.select(users.c.id, users.c.username)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(uid=secrets.token_hex(16)))
        bind.execute(
            orgs.insert().values(slug=f"~{username}", name=username, created_at=now, personal_user_id=user_id)
        )
        org_id = bind.execute(sa.select(orgs.c.id).where(orgs.c.personal_user_id == user_id)).scalar_one()
        bind.execute(
            memberships.insert().values(org_id=org_id, user_id=user_id, role="owner", created_at=now)
        )
        bind.execute(users.update().where(users.c.id == user_id).values(default_org_id=org_id))

    op.create_index("uq_users_uid", "users", ["uid"], unique=True)
    op.create_index("uq_organizations_personal_user_id", "organizations", ["personal_user_id"], unique=True)
    if not sqlite:
        op.alter_column("users", "uid", existing_type=sa.String(32), nullable=False)
        op.create_foreign_key(
            "fk_organizations_personal_user", "organizations", "users", ["personal_user_id"], ["id"]
        )

    op.create_table(
        "org_invitations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False, index=True),
        sa.Column("invitee", sa.String(254), nullable=False, index=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("invited_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("org_id", "invitee", name="uq_org_invitations_org_invitee"),
    )
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.Float, nullable=False, index=True),
    )
    deployment = op.create_table(
        "deployment",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )
    op.bulk_insert(deployment, [{"name": "deployment_id", "value": secrets.token_hex(16)}])


def downgrade() -> None:
    op.drop_table("deployment")
    op.drop_table("revoked_tokens")
    op.drop_table("org_invitations")
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE users SET default_org_id = NULL WHERE default_org_id IN "
            "(SELECT id FROM organizations WHERE personal_user_id IS NOT NULL)"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE datasets SET org_id = NULL WHERE org_id IN "
            "(SELECT id FROM organizations WHERE personal_user_id IS NOT NULL)"
        )
    )
    bind.execute(
        sa.text(
            "DELETE FROM memberships WHERE org_id IN "
            "(SELECT id FROM organizations WHERE personal_user_id IS NOT NULL)"
        )
    )
    bind.execute(sa.text("DELETE FROM organizations WHERE personal_user_id IS NOT NULL"))
    if bind.dialect.name != "sqlite":
        op.drop_constraint("fk_organizations_personal_user", "organizations", type_="foreignkey")
        op.alter_column("organizations", "slug", type_=sa.String(100), existing_nullable=False)
    op.drop_index("uq_organizations_personal_user_id", "organizations")
    op.drop_index("uq_users_uid", "users")
    op.drop_column("organizations", "personal_user_id")
    op.drop_column("users", "uid")
