"""Admin commands: users, organizations, personal keys, database migrations."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import open_server, store_options

PASSWORD_ENV = "GRAPHPORT_PASSWORD"


def password_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--password-stdin`` and ``--password``; without either, GRAPHPORT_PASSWORD, else a prompt."""
    fn = click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of standard input (not visible in ps).",
    )(fn)
    return click.option(
        "--password",
        help="The password. Visible to other users in `ps` and kept in shell history: prefer the "
        f"prompt, --password-stdin or {PASSWORD_ENV}.",
    )(fn)


def read_password(password: str | None, from_stdin: bool) -> str:
    """The new password: --password, else stdin with --password-stdin, else GRAPHPORT_PASSWORD,
    else an interactive prompt (typed twice, not echoed)."""
    if password is not None and from_stdin:
        raise click.UsageError("Give --password or --password-stdin, not both.")
    if password is not None:
        return password
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.UsageError("--password-stdin read an empty line; send the password on stdin.")
        return line
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return env
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def register(cli: click.Group) -> None:
    @cli.group()
    def user() -> None:
        """Manage users."""

    @user.command("add")
    @click.argument("name")
    @password_options
    @click.option("--email", help="The user's email (invitations by email match it).")
    @click.option("--admin", is_flag=True, help="Make the user a site admin.")
    @store_options
    def user_add(
        name: str,
        password: str | None,
        password_stdin: bool,
        email: str | None,
        admin: bool,
        data: Path,
        db: str | None,
        blobs: str | None,
    ) -> None:
        """Create user NAME (and their personal organization ~NAME).

        The password (at least 8 characters, not the username) comes from --password-stdin,
        GRAPHPORT_PASSWORD or a prompt; --password works but shows in `ps`."""
        secret = read_password(password, password_stdin)
        with open_server(data, db, blobs) as server:
            server.create_user(name, secret, email=email, is_admin=admin)
        click.echo(f"created user {name}")

    @user.command("set-password")
    @click.argument("name")
    @password_options
    @store_options
    def user_set_password(
        name: str, password: str | None, password_stdin: bool, data: Path, db: str | None, blobs: str | None
    ) -> None:
        """Change NAME's password. Every credential of NAME ends: all tokens (browser sessions
        too) and all personal keys."""
        secret = read_password(password, password_stdin)
        with open_server(data, db, blobs) as server:
            keys = server.set_password(name, secret)
        click.echo(f"password changed for {name}; every token and {keys} personal key(s) revoked")

    @user.command("revoke-all")
    @click.argument("name")
    @store_options
    def user_revoke_all(name: str, data: Path, db: str | None, blobs: str | None) -> None:
        """End every credential of NAME: all tokens (browser sessions too) and all personal keys.
        The password stays; NAME signs in again."""
        with open_server(data, db, blobs) as server:
            keys = server.revoke_user_credentials(name)
        click.echo(f"revoked every token and {keys} personal key(s) of {name}")

    @user.command("disable")
    @click.argument("name")
    @store_options
    def user_disable(name: str, data: Path, db: str | None, blobs: str | None) -> None:
        """Disable NAME: no sign-in, and existing tokens stop working."""
        with open_server(data, db, blobs) as server:
            server.set_active(name, False)
        click.echo(f"disabled {name}")

    @user.command("set")
    @click.argument("name")
    @click.option("--email", help="A new email (pending invitations to it apply); '' clears it.")
    @click.option("--admin/--no-admin", default=None, help="Make NAME a site admin, or not.")
    @click.option(
        "--default-org",
        help="The org NAME's datasets go to when no org is named; '' means NAME's personal org (~NAME).",
    )
    @store_options
    def user_set(
        name: str,
        email: str | None,
        admin: bool | None,
        default_org: str | None,
        data: Path,
        db: str | None,
        blobs: str | None,
    ) -> None:
        """Change user NAME's email, site-admin flag or default organization."""
        changes: dict[str, object] = {}
        if email is not None:
            changes["email"] = email or None
        if admin is not None:
            changes["is_admin"] = admin
        if default_org is not None:
            changes["default_org"] = default_org or None
        if not changes:
            raise click.UsageError("Nothing to change: give --email, --admin/--no-admin or --default-org.")
        with open_server(data, db, blobs) as server:
            server.set_user(name, **changes)  # type: ignore[arg-type]
        click.echo(f"updated {name}: " + ", ".join(f"{k}={v!r}" for k, v in changes.items()))

    @user.command("enable")
    @click.argument("name")
    @store_options
    def user_enable(name: str, data: Path, db: str | None, blobs: str | None) -> None:
        """Enable NAME again."""
        with open_server(data, db, blobs) as server:
            server.set_active(name, True)
        click.echo(f"enabled {name}")

    @cli.group()
    def org() -> None:
        """Manage organizations."""

    @org.command("add")
    @click.argument("slug")
    @click.option("--name", help="Display name (default: the slug).")
    @click.option("--member", "members", multiple=True, help="A username to add as member (repeatable).")
    @store_options
    def org_add(
        slug: str, name: str | None, members: tuple[str, ...], data: Path, db: str | None, blobs: str | None
    ) -> None:
        """Create organization SLUG."""
        with open_server(data, db, blobs) as server:
            server.create_org(slug, name=name, members=list(members))
        click.echo(f"created organization {slug}")

    @org.command("add-member")
    @click.argument("slug")
    @click.argument("name")
    @click.option(
        "--role", type=click.Choice(["owner", "admin", "member"]), default="member", show_default=True
    )
    @store_options
    def org_add_member(
        slug: str, name: str, role: str, data: Path, db: str | None, blobs: str | None
    ) -> None:
        """Add user NAME to organization SLUG (or change their role) at once, as the site
        operator. Over the API, owners and admins invite and the invitee accepts. NAME's default
        organization does not change."""
        with open_server(data, db, blobs) as server:
            server.add_member(slug, name, role)
        click.echo(f"{name} is now {role} of {slug}")

    @org.command("remove-member")
    @click.argument("slug")
    @click.argument("name")
    @store_options
    def org_remove_member(slug: str, name: str, data: Path, db: str | None, blobs: str | None) -> None:
        """Remove user NAME from organization SLUG."""
        with open_server(data, db, blobs) as server:
            server.remove_member(slug, name)
        click.echo(f"removed {name} from {slug}")

    @cli.group()
    def key() -> None:
        """Manage personal keys."""

    @key.command("create")
    @click.argument("name")
    @click.option("--label", default="", help="A note to recognise the key by.")
    @store_options
    def key_create(name: str, label: str, data: Path, db: str | None, blobs: str | None) -> None:
        """Create a personal key for user NAME; prints KEY_ID:KEY_SECRET once."""
        with open_server(data, db, blobs) as server:
            key_id, secret = server.create_key(name, label)
        click.echo(f"{key_id}:{secret}")

    @key.command("list")
    @click.argument("name")
    @store_options
    def key_list(name: str, data: Path, db: str | None, blobs: str | None) -> None:
        """List user NAME's personal keys (ids only; secrets are never stored)."""
        with open_server(data, db, blobs) as server:
            for row in server.user_keys(name):
                state = "revoked" if row["revoked_at"] else "active"
                used = (
                    time.strftime("%Y-%m-%d %H:%M", time.gmtime(row["last_used_at"]))
                    if row["last_used_at"]
                    else "never used"
                )
                click.echo(f"{row['id']}\t{state}\t{used}\t{row['name']}")

    @key.command("revoke")
    @click.argument("key_id")
    @store_options
    def key_revoke(key_id: str, data: Path, db: str | None, blobs: str | None) -> None:
        """Revoke personal key KEY_ID (tokens obtained with it stop working)."""
        with open_server(data, db, blobs) as server:
            server.revoke_key_id(key_id)
        click.echo(f"revoked {key_id}")

    @cli.group()
    def db() -> None:
        """Database maintenance."""

    @db.command("upgrade")
    @store_options
    def db_upgrade(data: Path, db: str | None, blobs: str | None) -> None:
        """Apply pending schema migrations (the server also does this at start)."""
        from ..storage import Database, sqlite_url

        data.mkdir(parents=True, exist_ok=True)
        database = Database(db or sqlite_url(data / "graphport.db"))
        try:
            before = database.revision()
            database.upgrade()
            after = database.revision()
        finally:
            database.close()
        if before == after:
            click.echo(f"database is up to date (revision {after})")
        else:
            click.echo(f"database upgraded from revision {before or '(empty)'} to {after}")

    @cli.command()
    @click.option(
        "--orphan-grace",
        type=float,
        default=None,
        help="Remove temporary files, unnamed blobs and S3 multipart uploads older than this many "
        "seconds (default: the server's orphan_grace, 3600, and multipart_upload_ttl, 86400). Use 0 "
        "only while no server of this deployment is running: a running upload's blob is unnamed "
        "until its row commits.",
    )
    @store_options
    def recover(data: Path, db: str | None, blobs: str | None, orphan_grace: float | None) -> None:
        """Clean up after a crash now: temporary files, unnamed blobs, stale pending datasets and
        S3 multipart uploads (servers also do this at start and every hour; docs/operations.md)."""
        grace = {"orphan_grace": orphan_grace, "multipart_upload_ttl": orphan_grace}
        with open_server(data, db, blobs, recovery_interval=-1, **grace) as server:
            report = server.recovery.sweep()
        click.echo(
            f"removed {report.temporary_files} temporary files, {report.orphaned_blobs} unnamed blobs, "
            f"{report.pending_datasets} pending datasets, {report.multipart_uploads} multipart uploads"
        )
