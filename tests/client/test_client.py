"""The sync client against a real in-process server: requests per call, sign-in kinds, orgs,
the v3 fallback, re-login after a revoked token, errors, and secrets kept out of sight."""

from __future__ import annotations

import logging

import httpx
import pandas as pd
import pytest

import graphport
from graphport import AuthError, ConfigError, PermissionDenied, ValidationError

from .conftest import PASSWORD, Counting, edges_frame

PLOT = "/api/v2/plot"


def auth_delta(hub: graphport.Server, before: dict[str, int]) -> dict[str, int]:
    now = hub.stats
    return {k: now[k] - before.get(k, 0) for k in now if now[k] != before.get(k, 0)}


def test_register_with_a_password_is_one_request(hub: graphport.Server, counting: Counting) -> None:
    before = dict(hub.stats)
    g = graphport.client(transport=counting)
    assert (
        g.register(api=3, protocol="http", server="graphport.local", username="alice", password=PASSWORD) is g
    )
    assert counting.paths() == ["/api-token-auth/"]
    assert auth_delta(hub, before) == {"login": 1}


def test_a_plot_is_one_request_and_a_valid_token_makes_no_auth_request(
    hub: graphport.Server, alice_client: graphport.Client, counting: Counting
) -> None:
    before = dict(hub.stats)
    first = alice_client.edges(edges_frame(), "src", "dst").plot(render=False)
    assert counting.paths() == ["/healthz", PLOT]  # the probe happens once per client
    counting.reset()
    for _ in range(3):
        alice_client.edges(edges_frame(), "src", "dst").plot(render=False)
    assert counting.paths() == [PLOT] * 3
    assert hub.stats == before
    assert first.startswith("http://graphport.local/graph/graph.html?dataset=")
    assert "&type=arrow&" in first and "&info=true" in first


def test_the_dataset_arrives_with_its_tables_bindings_and_name(
    hub: graphport.Server, alice_client: graphport.Client
) -> None:
    edges = pd.DataFrame({"s": ["a", "b"], "d": ["b", "c"], "w": [1, 2]})
    nodes = pd.DataFrame({"id": ["a", "b", "c"], "kind": ["x", "y", "x"]})
    ds = (
        alice_client.edges(edges, "s", "d")
        .nodes(nodes, "id")
        .bind(point_color="kind", edge_weight="w")
        .upload(name="mine", description="about")
    )
    assert isinstance(ds, graphport.Dataset) and ds.name == "mine" and ds.client is alice_client
    info = alice_client.dataset_info(ds.id)
    assert info["owner"] == "alice" and info["name"] == "mine" and info["description"] == "about"
    assert info["rows"]["edges"] == 2 and info["rows"]["nodes"] == 3
    assert info["bindings"]["node"]["node_color"] == "kind"
    assert info["bindings"]["edge"] == {"source": "s", "destination": "d", "edge_weight": "w"}
    assert info["metadata"]["agent"] == "graphport"


def test_register_with_a_token(hub: graphport.Server, counting: Counting) -> None:
    token = hub.token_for("alice")
    g = graphport.client(transport=counting)
    g.register(api=3, server="graphport.local", token=token)
    assert counting.paths() == ["/api-token-verify/"]
    counting.reset()
    g.register(api=3, server="graphport.local", token=token, verify_token=False)
    assert counting.paths() == []
    g.edges(edges_frame(), "src", "dst").plot(render=False)
    assert counting.paths() == ["/healthz", PLOT]


def test_a_bad_token_fails_verification(counting: Counting) -> None:
    with pytest.raises(AuthError, match=r"Verifying the token.*POST /api-token-verify/ answered HTTP 401"):
        graphport.client(transport=counting).register(server="graphport.local", token="not-a-token")


def test_register_with_a_personal_key(hub: graphport.Server, counting: Counting) -> None:
    key_id, secret = hub.create_key("alice")
    before = dict(hub.stats)
    g = graphport.client(transport=counting)
    g.register(api=3, server="graphport.local", personal_key_id=key_id, personal_key_secret=secret)
    assert counting.paths() == ["/api/v2/auth/pkey/jwt/"]
    assert auth_delta(hub, before) == {"key_login": 1}
    ds = g.edges(edges_frame(), "src", "dst").upload()
    assert g.dataset_info(ds.id)["owner"] == "alice"
    assert secret not in repr(g) and secret not in repr(g.session)


def test_org_name_puts_datasets_in_that_org(hub: graphport.Server, counting: Counting) -> None:
    hub.create_org("acme", members=["alice"])
    hub.create_org("other")
    g = graphport.client(transport=counting)
    g.register(server="graphport.local", username="alice", password=PASSWORD, org_name="acme")
    assert g.session.org_name == "acme"
    ds = g.edges(edges_frame(), "src", "dst").upload()
    assert g.dataset_info(ds.id)["org"] == "acme"
    with pytest.raises(PermissionDenied, match="not into organization 'other'"):
        graphport.client(transport=counting).register(
            server="graphport.local", username="alice", password=PASSWORD, org_name="other"
        )
    with pytest.raises(PermissionDenied, match=r"Switching to organization 'other' failed.*HTTP 403"):
        g.switch_org("other")
    hub.create_org("beta", members=["alice"])
    g.switch_org("beta")
    assert g.dataset_info(g.edges(edges_frame(), "src", "dst").upload().id)["org"] == "beta"


def test_a_wrong_password_names_the_route_status_and_request_id(counting: Counting) -> None:
    g = graphport.client(transport=counting)
    with pytest.raises(AuthError) as info:
        g.register(server="graphport.local", username="alice", password="wrong-password-value")
    err = info.value
    assert err.status == 401 and err.request_id and err.code == "invalid_credentials"
    text = str(err)
    assert "Signing in as 'alice' failed: POST /api-token-auth/ answered HTTP 401" in text
    assert f"request id {err.request_id}" in text
    assert "wrong-password-value" not in text and "wrong-password-value" not in repr(err)


def test_server_side_validation_errors_carry_their_field_list(alice_client: graphport.Client) -> None:
    bad = pd.DataFrame({"src": [[1], [2]], "dst": [1, 2]})
    with pytest.raises(ValidationError) as info:
        alice_client.edges(bad, "src", "dst").plot(render=False)
    assert info.value.status == 400 and info.value.request_id
    assert "Plotting failed: POST /api/v2/plot answered HTTP 400" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"api": 1}, r"api=1\) is not supported"),
        ({"username": "a"}, "username= without its pair"),
        ({"password": "p"}, "password= without its pair"),
        ({"personal_key_id": "k"}, "together"),
        ({"is_sso_login": True, "username": "u", "password": "p"}, "takes no username"),
        ({"is_sso_login": True, "sso_opt_into_type": "email"}, "sso_opt_into_type"),
        ({"protocol": "ftp"}, "expected 'http' or 'https'"),
        ({"server": "http://h:1", "protocol": "https"}, "disagree"),
        ({"server": "  "}, "names no host"),
    ],
)
def test_register_argument_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        graphport.client().register(**kwargs)  # type: ignore[arg-type]


def test_server_and_protocol_defaults() -> None:
    g = graphport.client()
    g.register(server="http://example.org:8080/", token="t", verify_token=False)
    assert g.server_url == "http://example.org:8080"
    g.register(server="example.org", token="t", verify_token=False)
    assert g.server_url == "https://example.org"
    g.register(server="localhost:9000", token="t", verify_token=False)
    assert g.server_url == "http://localhost:9000"
    assert graphport.client().server_url == "http://127.0.0.1:8080"


def test_client_protocol_hostname_is_the_url_base(hub: graphport.Server) -> None:
    g = graphport.client(transport=hub.local_transport())
    g.register(
        server="graphport.local",
        token=hub.token_for("alice"),
        verify_token=False,
        client_protocol_hostname="https://viz.example.org",
    )
    url = (
        g.edges(edges_frame(), "src", "dst")
        .settings(url_params={"play": 0, "menu": False})
        .plot(render=False)
    )
    assert url.startswith("https://viz.example.org/graph/graph.html?dataset=")
    assert url.endswith("&info=true&play=0&menu=false")


def test_new_local_client_plots_in_process(hub: graphport.Server) -> None:
    g = hub.new_local_client("bob")
    assert isinstance(g, graphport.Client) and g.session.username == "bob"
    ds = g.edges(edges_frame(), "src", "dst").upload()
    assert g.dataset_info(ds.id)["owner"] == "bob"
    local = hub.new_local_client()
    assert local.dataset_info(local.edges(edges_frame(), "src", "dst").upload().id)["owner"] == "local"


def test_render_true_outside_a_notebook_returns_the_url(alice_client: graphport.Client) -> None:
    assert alice_client.edges(edges_frame(), "src", "dst").plot().startswith("http://graphport.local/graph/")


def test_a_closed_client_refuses_to_send(alice_client: graphport.Client) -> None:
    with alice_client as g:
        pass
    assert g.is_closed
    with pytest.raises(ConfigError, match="client has been closed"):
        g.edges(edges_frame(), "src", "dst").plot(render=False)


def test_a_revoked_token_means_one_new_sign_in_and_the_call_is_repeated(
    hub: graphport.Server, alice_client: graphport.Client, counting: Counting
) -> None:
    alice_client.edges(edges_frame(), "src", "dst").plot(render=False)
    hub.accounts.set_password("alice", PASSWORD)  # bumps the token epoch: the client's token is revoked
    counting.reset()
    alice_client.edges(edges_frame(), "src", "dst").plot(render=False)
    assert counting.paths() == [PLOT, "/api-token-auth/", PLOT]


def test_a_token_only_session_cannot_sign_in_again(hub: graphport.Server, counting: Counting) -> None:
    g = graphport.client(transport=counting)
    g.register(server="graphport.local", token=hub.token_for("alice"), verify_token=False)
    hub.accounts.set_password("alice", PASSWORD)
    with pytest.raises(AuthError, match="HTTP 401"):
        g.edges(edges_frame(), "src", "dst").plot(render=False)


class WithoutPlotRoute(httpx.BaseTransport):
    """A graphport server that hides its one-request route, like any other REST v3 server."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path in ("/healthz", PLOT):
            return httpx.Response(404, json={"detail": "not here"})
        return self.inner.handle_request(request)


def test_servers_without_the_plot_route_get_the_v3_sequence(hub: graphport.Server) -> None:
    counting = Counting(WithoutPlotRoute(hub.local_transport()))
    g = graphport.client(transport=counting)
    g.register(server="graphport.local", username="alice", password=PASSWORD)
    g.privacy(mode="private", invited_users=["bob@example.org"])
    counting.reset()
    nodes = pd.DataFrame({"id": list(range(10))})
    ds = g.edges(edges_frame(), "src", "dst").nodes(nodes, "id").upload()
    paths = counting.paths()
    assert paths == [
        "/healthz",
        "/api/v2/upload/datasets/",
        f"/api/v2/upload/datasets/{ds.id}/edges/arrow",
        f"/api/v2/upload/datasets/{ds.id}/nodes/arrow",
        "/api/v2/share/link/",
    ]
    info = g.dataset_info(ds.id)
    assert info["privacy"]["mode"] == "private" and info["rows"]["nodes"] == 10
    assert [i["user"] for i in info["privacy"]["invited_users"]] == ["bob@example.org"]
    counting.reset()
    g.edges(edges_frame(), "src", "dst").plot(render=False)
    assert counting.paths()[0] == "/api/v2/upload/datasets/"  # probed once, remembered


def test_secrets_never_reach_logs_reprs_or_errors(
    hub: graphport.Server, counting: Counting, caplog: pytest.LogCaptureFixture
) -> None:
    key_id, key_secret = hub.create_key("alice")
    caplog.set_level(logging.DEBUG)
    g = graphport.client(transport=counting)
    g.register(server="graphport.local", username="alice", password=PASSWORD)
    g.edges(edges_frame(), "src", "dst").plot(render=False)
    token = g.session.token.value  # type: ignore[union-attr]
    k = graphport.client(transport=counting)
    k.register(server="graphport.local", personal_key_id=key_id, personal_key_secret=key_secret)
    failures = []
    for kwargs in (
        {"username": "alice", "password": "not-" + PASSWORD},
        {"personal_key_id": key_id, "personal_key_secret": "bad-" + key_secret},
        {"token": token + "x"},
    ):
        with pytest.raises(AuthError) as info:
            graphport.client(transport=counting).register(server="graphport.local", **kwargs)  # type: ignore[arg-type]
        failures.append(info.value)
    seen = [r.getMessage() for r in caplog.records]
    seen += [repr(g), repr(k), repr(g.session), repr(k.session), str(g.edges(edges_frame(), "src", "dst"))]
    seen += [text for e in failures for text in (str(e), repr(e), repr(e.__cause__), repr(e.__context__))]
    for secret in (PASSWORD, key_secret, token):
        assert not [s for s in seen if secret in s], secret[-4:]
    assert "…" + token[-4:] in repr(g)


@pytest.mark.parametrize("kind", ["pandas", "pyarrow", "polars"])
def test_every_frame_kind_plots(alice_client: graphport.Client, kind: str) -> None:
    import polars as pl
    import pyarrow as pa

    columns = {"src": ["a", "b", "c"], "dst": ["b", "c", "a"], "w": [0.5, 1.5, 2.5]}
    nodes = {"id": ["a", "b", "c"], "kind": ["x", "y", "x"]}
    make = {"pandas": pd.DataFrame, "pyarrow": pa.table, "polars": pl.DataFrame}[kind]
    ds = alice_client.edges(make(columns), "src", "dst").nodes(make(nodes), "id").upload()
    info = alice_client.dataset_info(ds.id)
    assert (info["rows"]["edges"], info["rows"]["nodes"]) == (3, 3)
