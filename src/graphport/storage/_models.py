"""The metadata schema, as SQLAlchemy Core tables. Alembic migrations (``migrations/``) create it.

Times are Unix seconds (float) so SQLite and PostgreSQL store them the same way.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # The stable identifier tokens carry (128 random bits, hex; migration 0004): never the row id,
    # so a token of another deployment (or a restored backup) cannot name a user by number.
    sa.Column("uid", sa.String(32), nullable=False, unique=True),
    sa.Column("username", sa.String(150), nullable=False, unique=True),
    sa.Column("email", sa.String(254), nullable=True, index=True),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("is_admin", sa.Boolean, nullable=False, default=False),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    # Bumped on password change or disable: tokens minted under an older epoch stop working.
    sa.Column("token_epoch", sa.Integer, nullable=False, default=0),
    # The org datasets go to when no org_name is given; NULL means the personal org (0004).
    sa.Column("default_org_id", sa.Integer, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # Personal orgs use the reserved form "~<username>" (up to 151 characters; migration 0004).
    sa.Column("slug", sa.String(160), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    # Set for a user's personal organization (one per user, nobody else ever joins; 0004).
    sa.Column("personal_user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True, unique=True),
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True, index=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

personal_keys = sa.Table(
    "personal_keys",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("secret_hash", sa.String(128), nullable=False),
    sa.Column("name", sa.String(200), nullable=False, default=""),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float, nullable=True),
    sa.Column("last_used_at", sa.Float, nullable=True),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=True, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    # 'pending' until its edges are durable; only 'ready' datasets are ever shown.
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("privacy_mode", sa.String(20), nullable=False),
    sa.Column("privacy_notify", sa.Boolean, nullable=False, default=False),
    sa.Column("privacy_mode_action", sa.String(4), nullable=False),
    sa.Column("privacy_message", sa.Text, nullable=False, default=""),
    # The dataset JSON as the client sent it: bindings, complex encodings, metadata, style.
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("edges_key", sa.String(100), nullable=True),
    sa.Column("edges_rows", sa.BigInteger, nullable=False, default=0),
    sa.Column("nodes_key", sa.String(100), nullable=True),
    sa.Column("nodes_rows", sa.BigInteger, nullable=False, default=0),
    # The kind of each table's ids (integer, float, string), so an upload of the other table is
    # checked against it without reading this one; NULL before migration 0006.
    sa.Column("edges_id_kind", sa.String(10), nullable=True),
    sa.Column("nodes_id_kind", sa.String(10), nullable=True),
    # Bumped by every table upload; the graph (nodes + positions) is built for one version.
    sa.Column("content_version", sa.Integer, nullable=False, default=0),
    sa.Column("graph_key", sa.String(100), nullable=True),
    sa.Column("graph_version", sa.Integer, nullable=False, default=-1),
    sa.Column("graph_nodes_rows", sa.BigInteger, nullable=False, default=0),
    # Why the graph could not be built (status 'failed'); migration 0003.
    sa.Column("graph_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

dataset_invites = sa.Table(
    "dataset_invites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset_id", sa.String(64), sa.ForeignKey("datasets.id"), nullable=False, index=True),
    # The invitee as written by the sharer (email or username), lower-cased; resolved when possible.
    sa.Column("invitee", sa.String(254), nullable=False, index=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True, index=True),
    sa.Column("action", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

files = sa.Table(
    "files",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("file_type", sa.String(20), nullable=False),
    sa.Column("blob_key", sa.String(100), nullable=True),
    sa.Column("rows", sa.BigInteger, nullable=False, default=0),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Notifications the server would send (invitations with ``notify``); sending mail is out of scope,
# so this table is the record an operator's mailer would read (migration 0002).
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("dataset_id", sa.String(64), nullable=True, index=True),
    sa.Column("sender_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("recipient_user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("action", sa.Integer, nullable=True),
    # Rows written before migration 0005 hold their message here; newer ones point at
    # outbox_messages (one message per share call, however many recipients).
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("delivered_at", sa.Float, nullable=True),
    sa.Column("message_id", sa.Integer, sa.ForeignKey("outbox_messages.id"), nullable=True),
)

# The text of an invitation, stored once per share call (migration 0005, issue #10 F8).
outbox_messages = sa.Table(
    "outbox_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Migration 0004 (issue #10 F4, F5, F9, F10, logout):

# Invitations to join an organization; the invitee accepts or declines (never a silent enrolment).
# ``invitee`` is the lower-cased username or email as the inviter wrote it, matched when the
# invitee looks at their invitations, so the answer to the inviter never says whether they exist.
org_invitations = sa.Table(
    "org_invitations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False, index=True),
    sa.Column("invitee", sa.String(254), nullable=False, index=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("invited_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("org_id", "invitee", name="uq_org_invitations_org_invitee"),
)

# Tokens ended before their expiry (sign-out), by ``jti``; rows are useless after ``expires_at``.
revoked_tokens = sa.Table(
    "revoked_tokens",
    metadata,
    sa.Column("jti", sa.String(64), primary_key=True),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)

# Facts about this deployment shared by all its processes: ``deployment_id`` (tokens' iss/aud).
deployment = sa.Table(
    "deployment",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)
