"""The engine's API: every method transports, the CLI and Python users call on a ``Server``.

``Server`` (``_core``) builds and owns the services (accounts, datasets, live hub, tokens, blob
store); this base class is the one door to them (#11): transports and the CLI call only these
methods, never a service directly, so the rules each call needs (counting, access checks, which
service answers) sit in one place. Methods taking a ``principal`` act as that caller and check its
rights; the others are the operator's (embedded use, the CLI's admin commands, tests).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import GraphportError, ValidationError
from ..layout import GRAPHISTRY_NAMES, LayoutSettings
from ._access import Action
from ._principal import Principal

if TYPE_CHECKING:
    from ..storage import BlobStore, StagedBlob
    from ._accounts import Accounts, Login
    from ._live import ArrowInput, CloseCallback, LiveHub, SendCallback, Subscription
    from ._live_datasets import LiveAwareDatasets
    from ._sso import Finished, Polled, SingleSignOn, Started
    from ._tokens import TokenIssuer

#: ``on_poll_request``: called with the server after a live write is queued.
PollCallback = Callable[[Any], None]


class ServerAPI:
    """The methods of :class:`~graphport.server.Server` (see the module doc)."""

    accounts: Accounts
    datasets: LiveAwareDatasets
    live: LiveHub
    tokens: TokenIssuer
    blobs: BlobStore
    sso: SingleSignOn

    def count(self, name: str) -> None:  # pragma: no cover - Server counts
        raise NotImplementedError

    # -- accounts (thin delegation; see _accounts) -------------------------------------------------

    def create_user(
        self, username: str, password: str | None, *, email: str | None = None, is_admin: bool = False
    ) -> Principal:
        """Create a user. ``password=None`` makes a user who can sign in with personal keys only."""
        return self.accounts.create_user(username, password, email=email, is_admin=is_admin)

    def create_org(self, slug: str, *, name: str | None = None, members: list[str] | None = None) -> None:
        self.accounts.orgs.create_org(slug, name, members)

    def add_member(self, slug: str, username: str, role: str = "member") -> None:
        self.accounts.orgs.add_member(slug, username, role)

    def create_key(self, username: str, name: str = "") -> tuple[str, str]:
        """A new personal key ``(key_id, secret)``; the secret is shown only here."""
        return self.accounts.create_key(username, name)

    def login(
        self, username: str, password: str, org_name: str | None = None, *, address: str | None = None
    ) -> Login:
        """Sign in with a password. ``address`` (the client's) is throttled with the username;
        ``org_name`` of the wrong type is a ValidationError naming the field."""
        self.count("login")
        return self.accounts.login_password(username, password, org_name, address=address)

    def login_key(self, key_id: str, secret: str, org_name: str | None = None) -> Login:
        self.count("key_login")
        return self.accounts.login_key(key_id, secret, org_name)

    def refresh(self, token: str) -> str:
        self.count("refresh")
        # An SSO account is first re-checked with its identity provider (at most every
        # sso_recheck_interval s): one the provider no longer accepts ends here (issue #15).
        self.sso.recheck(token)
        return self.accounts.refresh(token)

    def authenticate(self, token: str) -> Principal:
        return self.accounts.authenticate(token)

    def verify(self, token: str) -> Principal:
        self.count("verify")
        return self.accounts.authenticate(token)

    def switch_org(self, principal: Principal, slug: str) -> None:
        self.accounts.orgs.member_org_id(principal, slug)

    def token_for(self, username: str) -> str:
        """A token for a user, minted without a password (embedded use, CLI, tests)."""
        return self.accounts.token_for(username)

    # -- datasets ----------------------------------------------------------------------------------

    def create_dataset(self, principal: Principal, spec: Any) -> str:
        return self.datasets.create(principal, spec)

    def upload_table(
        self,
        principal: Principal,
        dataset_id: str,
        kind: str,
        body: bytes | memoryview | StagedBlob,
        expected_version: int | None = None,
    ) -> int:
        """Store one table; with ``expected_version`` a stale writer gets ``ConflictError`` (409).
        The body may be a stage from :meth:`stage_table` (see :meth:`plot`)."""
        return self.datasets.upload_table(principal, dataset_id, kind, body, expected_version)

    def plot(
        self,
        principal: Principal,
        spec: Any,
        edges: bytes | memoryview | StagedBlob,
        nodes: bytes | memoryview | StagedBlob | None = None,
        privacy: Mapping[str, Any] | None = None,
    ) -> str:
        """Create a complete dataset (description, tables, privacy) in one step; returns its id.
        A table may be a stage from :meth:`stage_table`, received as it arrived."""
        return self.datasets.create_complete(principal, spec, edges, nodes, privacy)

    def stage_table(self, size: int) -> StagedBlob:
        """Somewhere to receive a table of ``size`` bytes for :meth:`plot` piece by piece (the
        local store writes it to its file meanwhile). The caller discards it afterwards
        (``discard()``; nothing stays unless ``plot`` committed it)."""
        return self.datasets.stage_table(size)

    # -- live datasets (see _live: queue, on_poll_request, poll, subscribers) ----------------------

    @property
    def on_poll_request(self) -> PollCallback | None:
        """The callback told about pending live updates (None: the server applies them itself)."""
        return self.live.on_poll_request

    @on_poll_request.setter
    def on_poll_request(self, callback: PollCallback | None) -> None:
        self.live.on_poll_request = callback

    def poll(self) -> None:
        """Apply every queued live update, in order, and notify each subscriber once.

        Needed only with ``on_poll_request``; thread-safe, and cheap when nothing is pending.
        Once every writer has returned, one ``poll()`` publishes every update they made.

        Example::

            server = graphport.Server(on_poll_request=graphport.PollBatcher())  # see PollBatcher
        """
        self.live.poll()

    def live_update(self, principal: Principal | None, dataset_id: str, kind: str, data: ArrowInput) -> int:
        """Upsert rows of a dataset's ``edges`` or ``nodes`` by their bound id (edges without an
        ``edge`` binding append). Partial rows change only the columns they have. Needs edit
        rights; returns the rows queued."""
        return self.live.update(principal, dataset_id, kind, data)

    def live_replace(self, principal: Principal | None, dataset_id: str, kind: str, data: ArrowInput) -> int:
        """Replace every row of ``edges`` or ``nodes`` (subscribers stay). Needs edit rights."""
        return self.live.replace(principal, dataset_id, kind, data)

    def live_remove(self, principal: Principal | None, dataset_id: str, kind: str, keys: Any) -> int:
        """Remove rows by id (unknown ids are ignored). Needs edit rights."""
        return self.live.remove(principal, dataset_id, kind, keys)

    def live_clear(self, principal: Principal | None, dataset_id: str, kind: str | None = None) -> None:
        """Remove every row of ``kind`` (both tables when None). Needs edit rights."""
        self.live.clear(principal, dataset_id, kind)

    def live_tables(self, principal: Principal | None, dataset_id: str) -> tuple[Any, Any]:
        """The published ``(edges, nodes)`` pyarrow tables of a dataset. Needs view rights."""
        return self.live.tables(principal, dataset_id)

    def subscribe(
        self,
        principal: Principal | None,
        dataset_id: str,
        send: SendCallback,
        on_close: CloseCallback | None = None,
    ) -> Subscription:
        """Follow a dataset: ``send(message)`` gets a snapshot now, then one delta per poll that
        changed it, in version order. ``send`` runs on the publishing thread and must not block.
        ``on_close(reason)`` is called if the server ends the subscription (``revoked``,
        ``deleted``...). Needs view rights, re-checked on every publish."""
        return self.live.subscribe(principal, dataset_id, send, on_close)

    # -- the API the transports and the CLI use (#11): every call acts as ``principal`` ----------
    # The services (accounts, datasets, live, tokens) are the engine's inside; transports and the
    # CLI reach the engine only through these methods and the ones above.

    def describe_dataset(self, principal: Principal | None, dataset_id: str) -> dict[str, Any]:
        """A dataset's metadata (id, name, bindings, privacy, tables, version). Needs view rights."""
        return self.datasets.describe(principal, dataset_id)

    def list_datasets(self, principal: Principal) -> list[dict[str, Any]]:
        """The datasets the caller owns or may see through an organization or an invitation."""
        return self.datasets.list_for(principal)

    def delete_dataset(self, principal: Principal, dataset_id: str) -> None:
        """Delete a dataset and its tables. Needs the owner (or an org admin)."""
        self.datasets.delete(principal, dataset_id)

    def dataset_rights(self, principal: Principal | None, dataset_id: str) -> frozenset[Action]:
        """What the caller may do with a dataset (empty: it does not exist for them)."""
        return frozenset(self.datasets.rights(principal, dataset_id))

    def share_dataset(self, principal: Principal, dataset_id: str, fields: Mapping[str, Any]) -> Any:
        """Change a dataset's privacy and invitations (the REST v3 share call's fields)."""
        return self.datasets.share(principal, dataset_id, fields)

    def graph_job(self, principal: Principal | None, dataset_id: str) -> Future[None]:
        """The build of a dataset's graph (layout): done, or running. Needs view rights."""
        return self.datasets.graph_job(principal, dataset_id)

    # -- layouts: re-run with settings, provisional frames, pause/resume/cancel (issue #12) ------

    def rerun_layout(
        self, principal: Principal | None, dataset_id: str, settings: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Lay the dataset out again with Graphistry's layout settings (``strongGravity``,
        ``lockedX``... as URL parameters name them; ``play`` is the viewer's and ignored). Needs
        edit rights; 400 for an unknown name or a bad value. Answers the run's state."""
        row = self.datasets.require(principal, dataset_id, Action.EDIT)
        unknown = sorted(k for k in settings if k not in GRAPHISTRY_NAMES and k != "play")
        if unknown:
            raise ValidationError(
                f"Unknown layout setting(s) {', '.join(unknown)}; known: {', '.join(GRAPHISTRY_NAMES)}.",
                errors=[{"field": k, "message": "unknown layout setting"} for k in unknown],
            )
        return self.datasets.graphs.reruns.rerun(row, LayoutSettings.from_graphistry(settings))

    def layout_status(self, principal: Principal | None, dataset_id: str) -> dict[str, Any]:
        """The dataset's layout running (or last run) in this process: state (``none`` when
        there is none here), kind, frame number, settings. Needs view rights."""
        self.datasets.require(principal, dataset_id, Action.VIEW)
        run = self.datasets.graphs.runs.get(dataset_id)
        return run.describe() if run is not None else {"state": "none", "frame": 0}

    def layout_frame(self, principal: Principal | None, dataset_id: str, part: str) -> bytes:
        """The running layout's latest positions (``part="frame"``) or its edges' node indices
        (``"links"``) as an Arrow IPC file; 404 ``no_layout_frame`` when there are none here."""
        self.datasets.require(principal, dataset_id, Action.VIEW)
        run = self.datasets.graphs.runs.get(dataset_id)
        if run is None or not run.active:
            raise GraphportError(
                f"No layout of dataset {dataset_id!r} is running here.", code="no_layout_frame", status=404
            )
        return run.links_ipc() if part == "links" else run.frame_ipc()

    def control_layout(self, principal: Principal | None, dataset_id: str, action: str) -> dict[str, Any]:
        """``pause``, ``resume`` or ``cancel`` the dataset's running layout (edit rights). A first
        build can be paused, not cancelled (the graph must exist); a cancelled re-run leaves the
        stored layout as it was."""
        self.datasets.require(principal, dataset_id, Action.EDIT)
        run = self.datasets.graphs.runs.get(dataset_id)
        if run is None or not run.active:
            raise GraphportError(
                f"No layout of dataset {dataset_id!r} is running here.", code="no_layout_running", status=409
            )
        if action == "pause":
            run.pause()
        elif action == "resume":
            run.resume()
        elif run.kind == "build":
            raise GraphportError(
                "The first layout of an upload cannot be cancelled (the graph needs positions); pause it.",
                code="layout_busy",
                status=409,
            )
        else:
            run.cancel()
        return run.describe()

    def open_table(self, principal: Principal | None, dataset_id: str, kind: str) -> StoredTable:
        """A dataset's ``edges`` or ``nodes`` Arrow file, opened for reading: a local blob as an
        open file (it stays readable if a newer version replaces it), a remote one in memory.
        ``FileNotFoundError`` when a newer version replaced it before it could be opened."""
        key = self.datasets.table_key(principal, dataset_id, kind)
        path = self.blobs.local_path(key)
        if path is not None:
            file = open(path, "rb")
            return StoredTable(os.fstat(file.fileno()).st_size, file=file)
        data = self.blobs.get(key).to_pybytes()
        return StoredTable(len(data), data=data)

    def create_file(self, principal: Principal, fields: Mapping[str, Any]) -> str:
        """A REST v3 file (``file_type``, ``name``, ``description``); returns its id."""
        return self.datasets.files.create(principal, fields)

    def upload_file(self, principal: Principal, file_id: str, body: bytes, *, erase: bool = True) -> int:
        """Store a file's Arrow table; returns its rows."""
        return self.datasets.files.upload(principal, file_id, body, erase=erase)

    def describe_user(self, principal: Principal) -> dict[str, Any]:
        """The caller's account: name, email, default and personal org, memberships."""
        return self.accounts.describe_user(principal.user_id)

    def list_keys(self, principal: Principal) -> list[dict[str, Any]]:
        """The caller's personal keys (ids and labels; secrets are never stored)."""
        return self.accounts.list_keys(principal.username)

    def create_key_as(
        self, principal: Principal, name: str, password: Any, *, address: str | None = None
    ) -> tuple[str, str]:
        """A personal key for the caller, who sends their password again; ``(key_id, secret)``."""
        return self.accounts.create_key_as(principal, name, password, address=address)

    def revoke_key(self, principal: Principal, key_id: str) -> None:
        """Revoke one of the caller's keys (another user's key id is a 404)."""
        self.accounts.revoke_key(key_id, username=principal.username)

    def revoke_all(self, principal: Principal) -> int:
        """End every token and key of the caller; returns the keys revoked."""
        return self.accounts.revoke_all(principal.user_id)

    def revoke_token(self, token: str) -> bool:
        """End one token before it expires (sign-out), in every process."""
        return self.accounts.revoke_token(token)

    def create_org_as(self, principal: Principal, slug: str, name: str | None) -> None:
        """Create an organization owned by the caller."""
        self.accounts.orgs.create_org_as(principal, slug, name)

    def describe_org(self, principal: Principal, slug: str) -> dict[str, Any]:
        """An organization and its members (members only)."""
        return self.accounts.orgs.describe_org(principal, slug)

    def add_member_as(self, principal: Principal, slug: str, username: str, role: str) -> dict[str, Any]:
        """Invite someone to the organization, or change a member's role (owners and admins)."""
        return self.accounts.orgs.add_member_as(principal, slug, username, role)

    def invite_as(self, principal: Principal, slug: str, username: str, role: str) -> dict[str, Any]:
        """Invite a username or email (same answer whether or not the person exists)."""
        return self.accounts.invitations.invite_as(principal, slug, username, role)

    def org_invitations(self, principal: Principal, slug: str) -> list[dict[str, Any]]:
        return self.accounts.invitations.org_invitations(principal, slug)

    def cancel_invitation_as(self, principal: Principal, slug: str, invitation_id: str) -> None:
        self.accounts.invitations.cancel_invitation_as(principal, slug, invitation_id)

    def my_invitations(self, principal: Principal) -> list[dict[str, Any]]:
        return self.accounts.invitations.my_invitations(principal)

    def accept_invitation(self, principal: Principal, invitation_id: str) -> dict[str, Any]:
        return self.accounts.invitations.accept_invitation(principal, invitation_id)

    def decline_invitation(self, principal: Principal, invitation_id: str) -> None:
        self.accounts.invitations.decline_invitation(principal, invitation_id)

    def remove_member_as(self, principal: Principal, slug: str, username: str) -> None:
        """Remove a member (owners and admins), or leave the organization (anyone)."""
        self.accounts.orgs.remove_member_as(principal, slug, username)

    def csrf_for(self, token: str) -> str:
        """The CSRF token a browser session's page sends with every change."""
        return self.tokens.csrf_for(token)

    def login_nonce(self) -> str:
        """A signed one-time value for the sign-in form (login CSRF double-submit)."""
        return self.tokens.login_nonce()

    def check_login_nonce(self, nonce: str) -> bool:
        return self.tokens.check_login_nonce(nonce)

    def live_version(self, principal: Principal | None, dataset_id: str) -> int:
        """The dataset's live version. Needs view rights."""
        return self.live.version(principal, dataset_id)

    def live_pending(self) -> int:
        """Live writes queued and not yet applied (all datasets)."""
        return self.live.pending()

    def live_changes(self, principal: Principal | None, dataset_id: str, since: int, wait: float) -> Any:
        """The live messages after version ``since``. Needs view rights."""
        return self.live.changes(principal, dataset_id, since, wait)

    def live_wake_on_change(
        self, principal: Principal | None, dataset_id: str, since: int, wake: Callable[[], None]
    ) -> Callable[[], None]:
        """Call ``wake`` once the dataset passes version ``since``; returns the cancel function."""
        return self.live.wake_on_change(principal, dataset_id, since, wake)

    def require_live_view(self, principal: Principal | None, dataset_id: str) -> None:
        """404 unless the caller may view the dataset (checked before a live socket opens)."""
        self.live.require(principal, dataset_id, Action.VIEW)

    # -- single sign-on (issue #15; see _sso and docs/sso.md) ------------------------------------

    def sso_login_choices(self) -> list[tuple[str, str]]:
        """``(name, label)`` of each identity provider, for the sign-in page."""
        return self.sso.login_choices()

    def sso_begin(
        self,
        *,
        kind: str,
        redirect_uri: str,
        provider: str | None = None,
        org: str | None = None,
        idp: str | None = None,
        next_path: str = "/",
    ) -> Started:
        """Start a sign-in (``kind`` ``"browser"`` or ``"client"``) with the provider named
        ``provider``, or the one the official client's route names (``org``/``idp``)."""
        chosen = self.sso.named(provider) if provider is not None else self.sso.choose(org, idp)
        return self.sso.begin(chosen, kind=kind, redirect_uri=redirect_uri, next_path=next_path, org=org)

    def sso_finish(
        self,
        *,
        state: str,
        code: str | None,
        error: str | None,
        browser: str | None,
        issuer: str | None = None,
    ) -> Finished:
        """Complete a sign-in at the identity provider's redirect."""
        return self.sso.finish(state=state, code=code, error=error, browser=browser, issuer=issuer)

    def sso_confirm(self, *, state: str, secret: str, allow: bool) -> str:
        """The person allows (or refuses) the program that asked for a client sign-in."""
        return self.sso.confirm(state=state, secret=secret, allow=allow)

    def sso_poll(self, handle: str) -> Polled:
        """The official client's poll for the token of its sign-in."""
        return self.sso.poll(handle)

    def sso_providers(self) -> list[dict[str, Any]]:
        """Every identity provider, described without its secret."""
        return [p.describe() for p in self.sso.providers.all()]

    def add_sso_provider(self, fields: Mapping[str, Any], *, replace: bool = False) -> dict[str, Any]:
        """Store an identity provider (``graphport sso add``); answers it without its secret."""
        return self.sso.providers.add(fields, replace=replace).describe()

    def remove_sso_provider(self, name: str) -> None:
        """Remove a stored identity provider; accounts already linked stay users."""
        self.sso.providers.remove(name)

    # -- the operator's account administration (CLI admin commands) ------------------------------

    def find_user(self, name_or_email: str) -> Principal | None:
        """The user with this username or email, or None."""
        return self.accounts.find_user(name_or_email)

    def require_user(self, username: str) -> Principal:
        """The user, or NotFoundError."""
        return self.accounts.require_user(username)

    def set_password(self, username: str, password: str) -> int:
        """Set a user's password; every token and key of theirs ends. Returns the keys revoked."""
        return self.accounts.set_password(username, password)

    def revoke_user_credentials(self, username: str) -> int:
        """End every token and key of a user; returns the keys revoked."""
        return self.accounts.revoke_all(self.accounts.require_user(username).user_id)

    def set_active(self, username: str, active: bool) -> None:
        """Enable or disable a user (a disabled user's tokens stop working at once)."""
        self.accounts.set_active(username, active)

    def set_user(self, username: str, **changes: Any) -> None:
        """Change a user's email or admin flag."""
        self.accounts.set_user(username, **changes)

    def remove_member(self, slug: str, username: str) -> None:
        """Remove a member from an organization."""
        self.accounts.orgs.remove_member(slug, username)

    def user_keys(self, username: str) -> list[dict[str, Any]]:
        """A user's personal keys (ids and labels)."""
        return self.accounts.list_keys(username)

    def revoke_key_id(self, key_id: str) -> None:
        """Revoke a personal key by its id (any user's)."""
        self.accounts.revoke_key(key_id)


@dataclass(frozen=True)
class StoredTable:
    """A stored Arrow table opened by :meth:`Server.open_table`: ``file`` (an open local file,
    the reader closes it) or ``data`` (bytes), and its size."""

    size: int
    file: BinaryIO | None = None
    data: bytes = b""
