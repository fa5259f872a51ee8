"""What the client says on the wire, without doing any I/O ("sans-IO").

Each conversation (sign in, refresh, probe, plot...) is a generator that yields :class:`Call`s and
receives the ``httpx.Response`` to each; the sync driver (``_transport``) and the async driver
(``_async``) run the same generators, so both clients speak exactly the same protocol. Routes and
bodies follow ``spec/graphistry-wire-v3.md``; the one-request plot route is graphport's own
(framing documented in ``docs/client.md``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import platform
import secrets
import time
import uuid
from collections.abc import Generator, Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import quote, urlencode

import httpx

from .._version import __version__
from .._wire import PLOT_FEATURE, encode_plot_frame
from ..errors import AuthError, PermissionDenied
from ._errors import error_from_response, json_body, raise_for_status
from ._frames import IpcPieces
from ._session import ClientSession, Token

T = TypeVar("T")
AGENT = "graphport"


@dataclasses.dataclass(frozen=True)
class Call:
    """One HTTP request a conversation wants sent.

    ``auth`` asks the driver to add ``Authorization: Bearer <token>`` (getting a fresh token first,
    single flight); ``parts`` is a binary body given as buffers, sent without joining them when
    large, with a progress bar when interactive.
    """

    method: str
    path: str
    action: str
    json: Any = None
    form: Mapping[str, str] | None = None
    parts: tuple[Any, ...] | None = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    auth: bool = False

    @property
    def body_size(self) -> int:
        return sum(memoryview(p).nbytes for p in self.parts or ())


Flow = Generator[Call, httpx.Response, T]


class Driver(Protocol):
    """A client as the modules below the drivers see it: :class:`graphport.Client` and
    :class:`graphport.AsyncClient` are both one (``Dataset.client`` is typed by it, so ``_dataset``
    and ``_live`` never import the clients)."""

    @property
    def session(self) -> ClientSession:
        """The current session."""
        ...

    @property
    def is_closed(self) -> bool:
        """True once the client was closed (it sends nothing more)."""
        ...


@runtime_checkable
class FlowRunner(Driver, Protocol):
    """A synchronous driver: what ``Dataset``'s live methods need of a client (:class:`graphport.Client`)."""

    def _run_flow(self, flow: Flow[T]) -> T:
        """Drive ``flow`` to its end with this client's current session; returns its value."""
        ...


# -- auth ------------------------------------------------------------------------------------------


def login_flow(session: ClientSession) -> Flow[Token]:
    """Sign in with the session's username/password or personal key; returns the new token."""
    creds = session.credentials
    org = session.org_name
    if creds.kind == "password":
        action = f"Signing in as {creds.username!r}"
        body: dict[str, Any] = {"username": creds.username, "password": creds.password}
        if org:
            body["org_name"] = org
        response = yield Call("POST", "/api-token-auth/", action, json=body)
    elif creds.kind == "personal_key":
        action = f"Signing in with personal key {creds.key_id!r}"
        response = yield Call(
            "GET",
            "/api/v2/auth/pkey/jwt/",
            action,
            json={"org_name": org} if org else {},
            headers={"Authorization": f"PersonalKey {creds.key_id}:{creds.key_secret}"},
        )
    else:
        raise AuthError(
            "This client was registered with a token only, so it cannot sign in again by itself; "
            "call register() with a new token, or with username/password or a personal key.",
            code="token_expired",
        )
    data = raise_for_status(response, action)
    token = data.get("token")
    if not isinstance(token, str) or not token:
        raise error_from_response(response, action, reason="its body has no 'token'")
    if org:
        active = data.get("active_organization")
        if (
            not isinstance(active, dict)
            or active.get("slug") != org
            or not active.get("is_found")
            or not active.get("is_member")
        ):
            raise PermissionDenied(
                f"{action} worked, but not into organization {org!r}: it does not exist or "
                f"{session.username or 'this user'} is not a member. Check register(org_name=...), "
                "or leave it out to use the user's default organization.",
                code="not_a_member",
                url=str(response.request.url),
            )
    return Token.parse(token)


def refresh_flow(current: Token) -> Flow[Token | None]:
    """Trade a still-valid token for a fresh one; ``None`` when the server refuses."""
    response = yield Call(
        "POST", "/api/v2/auth/token/refresh", "Refreshing the token", json={"token": current.value}
    )
    body = json_body(response)
    if response.status_code < 400 and isinstance(body, dict) and isinstance(body.get("token"), str):
        return Token.parse(body["token"])
    return None


def renew_flow(session: ClientSession, current: Token | None) -> Flow[Token]:
    """A usable token: refresh a live one, else sign in again when the session can.

    A token already past its expiry is not sent to the refresh route (it would be refused);
    a password or key session signs in again at once, so renewal costs one round trip.
    """
    can_login = session.credentials.can_login
    if current is not None and (not current.is_expired() or not can_login):
        fresh = yield from refresh_flow(current)
        if fresh is not None:
            return fresh
        if not can_login:
            raise AuthError(
                "The token given to register(token=...) has expired or was revoked, and the server "
                "would not refresh it. Register again with a new token, or with username/password "
                "or a personal key so the client can sign in again by itself.",
                code="token_expired",
            )
    return (yield from login_flow(session))


def verify_flow(token: Token) -> Flow[None]:
    response = yield Call("POST", "/api-token-verify/", "Verifying the token", json={"token": token.value})
    if response.status_code >= 400:
        raise error_from_response(response, "Verifying the token given to register(token=...)")


def switch_flow(slug: str) -> Flow[None]:
    action = f"Switching to organization {slug!r}"
    response = yield Call(
        "POST", f"/api/v2/o/{quote(slug, safe='')}/switch/", action, form={"slug": slug}, auth=True
    )
    body = json_body(response)
    if response.status_code >= 400 or not isinstance(body, dict) or body.get("status") != "OK":
        raise error_from_response(response, action)


def sso_flow(session: ClientSession) -> Flow[Token]:
    """Single sign-on as the official client does it: ask the server to start one, show the person
    the identity provider's page (``sso_opt_into_type``), then ask for the token until the person
    has signed in and allowed this program there, or ``sso_timeout`` passes. Each ask is held by
    the server up to ``wait`` seconds, so there is no busy polling."""
    creds, org = session.credentials, session.org_name
    if org and creds.idp_name:
        path = f"/api/v2/o/{quote(org, safe='')}/sso/oidc/login/{quote(creds.idp_name, safe='')}/"
    elif org:
        path = f"/api/v2/o/{quote(org, safe='')}/sso/oidc/login/"
    else:
        path = "/api/v2/g/sso/oidc/login/"
    action = "Starting single sign-on" + (f" for organization {org!r}" if org else "")
    response = yield Call("POST", path, action, form={"client-type": "graphport"})
    body = raise_for_status(response, action)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("state"), str) or not data.get("auth_url"):
        raise error_from_response(response, action, reason="its body has no 'state' and 'auth_url'")
    show_sign_in(str(data["auth_url"]), creds.sso_opt_into_type)
    deadline = None if creds.sso_timeout is None else time.monotonic() + creds.sso_timeout
    poll = f"/api/v2/o/sso/oidc/jwt/{quote(data['state'], safe='')}/"
    action = "Waiting for the single sign-on in the browser"
    while True:
        left = SSO_POLL_WAIT if deadline is None else max(0.0, deadline - time.monotonic())
        response = yield Call("GET", f"{poll}?wait={min(SSO_POLL_WAIT, left):.1f}", action)
        if response.status_code == 202 and (deadline is None or time.monotonic() < deadline):
            continue
        if response.status_code == 202:
            raise AuthError(
                f"The single sign-on did not finish within sso_timeout={creds.sso_timeout} s; "
                "register again and complete the sign-in in the browser (or pass sso_timeout=None).",
                code="sso_timeout",
            )
        body = raise_for_status(response, action)
        token = (body.get("data") or {}).get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise error_from_response(response, action, reason="its body has no token")
        active = (body.get("data") or {}).get("active_organization")
        if isinstance(active, dict) and isinstance(active.get("slug"), str):
            session.org_name = active["slug"]
        return Token.parse(token)


#: The longest the server is asked to hold one token poll (seconds; it may hold less).
SSO_POLL_WAIT = 50.0


def show_sign_in(url: str, how: str | None) -> None:
    """Show the identity provider's sign-in page: open it, display its link in a notebook, or
    print it (the default, as the official client)."""
    if how == "browser":
        import webbrowser

        if webbrowser.open(url):
            return
    elif how == "display":
        try:
            from IPython.display import HTML, display

            display(HTML(f'<a href="{html.escape(url)}" target="_blank">Sign in (single sign-on)</a>'))  # type: ignore[no-untyped-call]
            return
        except ImportError:
            pass
    print(f"Sign in through your identity provider: {url}")


def register_flow(session: ClientSession, verify_token: bool) -> Flow[None]:
    """What ``register()`` sends: one sign-in, a single sign-on, or one token check (none with
    verify_token=False)."""
    if session.credentials.kind == "sso":
        session.token = yield from sso_flow(session)
    elif session.credentials.can_login:
        session.token = yield from login_flow(session)
    elif session.token is not None:
        if verify_token:
            yield from verify_flow(session.token)
        if session.org_name:
            yield from switch_flow(session.org_name)


# -- server features -------------------------------------------------------------------------------


def probe_flow() -> Flow[bool]:
    """Does the server speak graphport's one-request plot? (``GET /healthz``, once per client)."""
    response = yield Call("GET", "/healthz", "Probing the server")
    body = json_body(response)
    return (
        response.status_code == 200
        and isinstance(body, dict)
        and body.get("server") == "graphport"
        and isinstance(body.get("features"), list)
        and PLOT_FEATURE in body["features"]
    )


# -- plotting --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PlotPlan:
    """Everything one plot sends: the v3 dataset JSON, the share settings, the Arrow files."""

    dataset: dict[str, Any]
    privacy: dict[str, Any] | None
    edges: IpcPieces
    nodes: IpcPieces | None


def plot_frame(plan: PlotPlan) -> tuple[Any, ...]:
    """The body of ``POST /api/v2/plot`` as parts (``graphport._wire.encode_plot_frame``)."""
    return encode_plot_frame(plan.dataset, plan.privacy, plan.edges, plan.nodes)


def _dataset_id(response: httpx.Response, action: str) -> str:
    body = raise_for_status(response, action)
    data = body.get("data")
    dataset_id = data.get("dataset_id") if isinstance(data, dict) else None
    if not body.get("success") or not isinstance(dataset_id, str) or not dataset_id:
        raise error_from_response(response, action, reason="its body has no success flag and dataset_id")
    return dataset_id


def plot_flow(plan: PlotPlan, one_request: bool) -> Flow[str]:
    """Create the dataset; returns its id. One request on graphport, else the v3 sequence."""
    if one_request:
        response = yield Call("POST", "/api/v2/plot", "Plotting", parts=plot_frame(plan), auth=True)
        return _dataset_id(response, "Plotting")
    response = yield Call(
        "POST", "/api/v2/upload/datasets/", "Creating the dataset", json=plan.dataset, auth=True
    )
    dataset_id = _dataset_id(response, "Creating the dataset")
    tables = [("edges", plan.edges)] + ([("nodes", plan.nodes)] if plan.nodes is not None else [])
    for kind, pieces in tables:
        action = f"Uploading the {kind} of dataset {dataset_id}"
        response = yield Call(
            "POST", f"/api/v2/upload/datasets/{dataset_id}/{kind}/arrow", action, parts=pieces, auth=True
        )
        body = raise_for_status(response, action)
        if not body.get("success"):
            raise error_from_response(response, action, reason="its body has no success flag")
    if plan.privacy is not None:
        action = f"Sharing dataset {dataset_id}"
        response = yield Call(
            "POST",
            "/api/v2/share/link/",
            action,
            json={"obj_pk": dataset_id, "obj_type": "dataset", **plan.privacy},
            auth=True,
        )
        raise_for_status(response, action)
    return dataset_id


def describe_flow(dataset_id: str) -> Flow[dict[str, Any]]:
    action = f"Reading dataset {dataset_id}"
    response = yield Call("GET", f"/api/v2/datasets/{quote(dataset_id, safe='')}", action, auth=True)
    body: dict[str, Any] = raise_for_status(response, action)
    return body


# -- what plots carry besides data -----------------------------------------------------------------


@lru_cache(maxsize=1)
def usertag() -> str:
    """``<8 hex>-graphport-<version>``: a stable, anonymous tag of this machine (no MAC address)."""
    seed = f"{platform.node()}|{platform.system()}|{platform.machine()}"
    return f"{hashlib.md5(seed.encode()).hexdigest()[:8]}-{AGENT}-{__version__}"


def agent_metadata() -> dict[str, Any]:
    return {"agent": AGENT, "apiversion": "3", "agentversion": __version__, "usertag": usertag()}


def default_name() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "Untitled " + "".join(secrets.choice(alphabet) for _ in range(10))


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def viz_url(session: ClientSession, dataset_id: str, url_params: Sequence[tuple[str, Any]]) -> str:
    """The viewer URL of a dataset: ``{base}/graph/graph.html?dataset=ID&...`` (values URL-encoded)."""
    query: list[tuple[str, str]] = [
        ("dataset", dataset_id),
        ("type", "arrow"),
        ("viztoken", str(uuid.uuid4())),
        ("usertag", usertag()),
        ("splashAfter", str(int(time.time()) + 15)),
    ]
    params = dict(url_params)
    query.append(("info", _param(params.pop("info", True))))
    query.extend((key, _param(value)) for key, value in params.items())
    return f"{session.viewer_base}/graph/graph.html?{urlencode(query)}"
