"""The single sign-on tables (issue #15, migration 0007), as SQLAlchemy Core tables.

Kept beside ``_models`` in their own module (and their own ``MetaData``: nothing builds the schema
from it, the migration does) so the SSO engine's storage does not grow the shared schema file.
Foreign keys to ``users`` are declared by the migration. Times are Unix seconds (float).
"""

from __future__ import annotations

import sqlalchemy as sa

sso_metadata = sa.MetaData()

# Identity providers added with `graphport sso add` (providers from ServerConfig.sso_providers are
# not stored). ``client_secret`` is encrypted with a key derived from the server secret
# (``server._sso_config.SecretBox``): a copy of the database alone does not reveal it.
sso_providers = sa.Table(
    "sso_providers",
    sso_metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("issuer", sa.String(500), nullable=False),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("client_secret", sa.Text, nullable=False),
    sa.Column("org_slug", sa.String(160), nullable=True),
    sa.Column("display_name", sa.String(200), nullable=True),
    sa.Column("allowed_domains", sa.Text, nullable=False, default=""),
    sa.Column("username_claim", sa.String(100), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# One sign-in in progress. ``state_hash`` is the SHA-256 of the OAuth ``state`` sent through the
# browser; ``poll_hash`` that of the handle the official client polls with (two different random
# values: the identity provider sees the first, never the second). Rows are one-time: ``used_at``
# is set by the callback, and the poll that hands out the token deletes the row.
sso_flows = sa.Table(
    "sso_flows",
    sso_metadata,
    sa.Column("state_hash", sa.String(64), primary_key=True),
    sa.Column("poll_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # "browser" or "client"
    sa.Column("code_verifier", sa.String(128), nullable=False),
    sa.Column("nonce", sa.String(64), nullable=False),
    sa.Column("redirect_uri", sa.String(1000), nullable=False),
    sa.Column("next_path", sa.String(1000), nullable=True),
    sa.Column("browser_hash", sa.String(64), nullable=True),
    sa.Column("org_slug", sa.String(160), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
    sa.Column("used_at", sa.Float, nullable=True),
    sa.Column("user_id", sa.Integer, nullable=True),
)

# Who a provider's account is here: (issuer, subject) -> user. ``refresh_token`` (encrypted like
# provider secrets) lets a graphport token refresh ask the provider whether the account still
# works, at most every ``ServerConfig.sso_recheck_interval`` seconds (``checked_at``).
sso_identities = sa.Table(
    "sso_identities",
    sso_metadata,
    sa.Column("issuer", sa.String(500), primary_key=True),
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("refresh_token", sa.Text, nullable=True),
    sa.Column("checked_at", sa.Float, nullable=False, default=0.0),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_login_at", sa.Float, nullable=False),
)
