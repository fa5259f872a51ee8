"""``graphport sso add|list|remove``: single sign-on identity providers stored in the database
(issue #15; docs/sso.md). Providers can also come from ``GRAPHPORT_SSO_PROVIDERS``; this lists both.

The client secret is never an argument on the command line by default (``ps`` and shell history
would keep it): it comes from ``--client-secret-stdin``, ``GRAPHPORT_SSO_CLIENT_SECRET`` or a
prompt, and it is never printed back.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import open_server, store_options

SECRET_ENV = "GRAPHPORT_SSO_CLIENT_SECRET"


def _secret(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.UsageError("--client-secret-stdin read an empty line; send the secret on stdin.")
        return line
    env = os.environ.get(SECRET_ENV)
    if env:
        return env
    value: str = click.prompt("Client secret", hide_input=True)
    return value


def register(cli: click.Group) -> None:
    @cli.group()
    def sso() -> None:
        """Single sign-on (OpenID Connect) identity providers."""

    @sso.command("add")
    @click.argument("name")
    @click.option(
        "--issuer",
        required=True,
        help="The provider's issuer URL (https; discovery is ISSUER/.well-known/openid-configuration).",
    )
    @click.option(
        "--client-id", required=True, help="The client id graphport was registered with at the provider."
    )
    @click.option(
        "--client-secret-stdin",
        is_flag=True,
        help=f"Read the client secret from standard input (else {SECRET_ENV}, else a prompt).",
    )
    @click.option(
        "--org", help="The organization this provider belongs to: who signs in through it joins it."
    )
    @click.option("--display-name", help='The sign-in page\'s label ("Sign in with ...").')
    @click.option(
        "--domain", "domains", multiple=True, help="An email domain accepted (repeatable; default any)."
    )
    @click.option(
        "--username-claim",
        default="preferred_username",
        show_default=True,
        help="The claim new users are named from.",
    )
    @click.option(
        "--scope",
        "scopes",
        multiple=True,
        help="A scope to ask for (repeatable; default openid email profile; add offline_access for the refresh recheck).",
    )
    @click.option("--replace", is_flag=True, help="Replace a provider of this name.")
    @store_options
    def add(
        name: str,
        issuer: str,
        client_id: str,
        client_secret_stdin: bool,
        org: str | None,
        display_name: str | None,
        domains: tuple[str, ...],
        username_claim: str,
        scopes: tuple[str, ...],
        replace: bool,
        data: Path,
        db: str | None,
        blobs: str | None,
    ) -> None:
        """Add an identity provider NAME (the idp_name of the official client).

        Register PUBLIC_URL/sso/oidc/callback as its redirect URI at the provider."""
        fields: dict[str, Any] = {
            "name": name,
            "issuer": issuer,
            "client_id": client_id,
            "client_secret": _secret(client_secret_stdin),
            "org": org,
            "display_name": display_name,
            "allowed_domains": list(domains),
            "username_claim": username_claim,
        }
        if scopes:
            fields["scopes"] = list(scopes)
        with open_server(data, db, blobs) as server:
            described = server.add_sso_provider(fields, replace=replace)
        click.echo(
            f"{'replaced' if replace else 'added'} SSO provider {described['name']} ({described['issuer']})"
        )

    @sso.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @store_options
    def list_(as_json: bool, data: Path, db: str | None, blobs: str | None) -> None:
        """List the identity providers (secrets are never shown)."""
        with open_server(data, db, blobs) as server:
            providers = server.sso_providers()
        if as_json:
            click.echo(json.dumps(providers, indent=2))
            return
        for p in providers:
            scope = f" org={p['org']}" if p["org"] else ""
            domains = f" domains={','.join(p['allowed_domains'])}" if p["allowed_domains"] else ""
            click.echo(
                f"{p['name']}\t{p['issuer']}\tclient_id={p['client_id']}{scope}{domains}\t({p['source']})"
            )

    @sso.command("remove")
    @click.argument("name")
    @store_options
    def remove(name: str, data: Path, db: str | None, blobs: str | None) -> None:
        """Remove the identity provider NAME (its users stay; they sign in another way)."""
        with open_server(data, db, blobs) as server:
            server.remove_sso_provider(name)
        click.echo(f"removed SSO provider {name}")
