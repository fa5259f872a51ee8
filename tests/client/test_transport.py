"""Client-only edge cases over httpx.MockTransport: error mapping, token renewal decisions,
large bodies and progress bars. (Real server behaviour is tested against the real server.)"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pyarrow as pa
import pytest

import graphport
from graphport import (
    AuthError,
    ConfigError,
    GraphportError,
    PayloadTooLarge,
    ServerError,
    TransportError,
)
from graphport._wire import decode_plot_frame

HEALTH = {"ok": True, "server": "graphport", "version": "0", "features": ["plot-v1"]}
OK_PLOT = {"success": True, "data": {"dataset_id": "ds1"}}


def jwt(exp_in: float, lifetime: float = 3600.0, username: str = "alice") -> str:
    now = time.time()

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"iat": now + exp_in - lifetime, "exp": now + exp_in, "username": username}
    return f"{part({'alg': 'HS256'})}.{part(claims)}.c2ln"


Handler = Callable[[httpx.Request], httpx.Response]


class Mock:
    """A scripted server: ``routes`` maps a path to a handler; every request is recorded."""

    def __init__(self, routes: dict[str, Handler]) -> None:
        self.routes = {"/healthz": lambda r: httpx.Response(200, json=HEALTH), **routes}
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        with self.lock:
            self.requests.append(request)
        handler = self.routes.get(request.url.path)
        if handler is None:
            return httpx.Response(404, json={"error": "no route"})
        return handler(request)

    @property
    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def client(self, **kwargs: object) -> graphport.Client:
        return graphport.client(transport=httpx.MockTransport(self), **kwargs)  # type: ignore[arg-type]


def login_ok(token: str) -> Handler:
    return lambda request: httpx.Response(200, json={"token": token})


def registered(mock: Mock, **kwargs: object) -> graphport.Client:
    g = mock.client(**kwargs)
    g.register(server="mock.local", protocol="http", username="alice", password="pw-secret")
    mock.requests.clear()
    return g


def plot(g: graphport.Client) -> str:
    return g.bind(source="a", destination="b", edges=pa.table({"a": [1], "b": [2]})).plot(render=False)


# -- errors -----------------------------------------------------------------------------------------


def test_a_5xx_html_answer_is_a_server_error_with_the_request_id() -> None:
    mock = Mock(
        {
            "/api-token-auth/": login_ok(jwt(3600)),
            "/api/v2/plot": lambda r: httpx.Response(
                502, text="<h1>Bad gateway</h1>", headers={"x-request-id": "rid-1"}
            ),
        }
    )
    with pytest.raises(ServerError) as info:
        plot(registered(mock))
    err = info.value
    assert (err.status, err.request_id, err.url) == (502, "rid-1", "http://mock.local/api/v2/plot")
    assert "Plotting failed: POST /api/v2/plot answered HTTP 502: <h1>Bad gateway</h1>" in str(err)
    assert "request id rid-1" in str(err) and "report it with the request id" in str(err)


def test_the_request_id_is_read_from_the_json_body_too() -> None:
    body = {"ok": False, "error": "too big", "code": "payload_too_large", "request_id": "rid-2", "errors": []}
    mock = Mock(
        {"/api-token-auth/": login_ok(jwt(3600)), "/api/v2/plot": lambda r: httpx.Response(413, json=body)}
    )
    with pytest.raises(PayloadTooLarge) as info:
        plot(registered(mock))
    assert info.value.request_id == "rid-2" and info.value.code == "payload_too_large"
    assert "--max-upload-bytes" in str(info.value)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (httpx.Response(200, text="OK"), "its body is not a JSON object"),
        (httpx.Response(200, json={"success": False}), "no success flag and dataset_id"),
        (httpx.Response(200, json={"success": True, "data": {}}), "no success flag and dataset_id"),
    ],
)
def test_malformed_success_answers_are_server_errors(answer: httpx.Response, reason: str) -> None:
    mock = Mock({"/api-token-auth/": login_ok(jwt(3600)), "/api/v2/plot": lambda r: answer})
    with pytest.raises(ServerError, match=reason):
        plot(registered(mock))


def test_a_login_answer_without_a_token_is_refused() -> None:
    mock = Mock({"/api-token-auth/": lambda r: httpx.Response(200, json={"hello": 1})})
    with pytest.raises(ServerError, match="its body has no 'token'"):
        mock.client().register(server="mock.local", username="alice", password="pw")


def test_unexpected_statuses_map_to_the_base_error() -> None:
    mock = Mock({"/api-token-auth/": lambda r: httpx.Response(418, json={"detail": "teapot"})})
    with pytest.raises(GraphportError, match="HTTP 418: teapot") as info:
        mock.client().register(server="mock.local", username="alice", password="pw")
    assert type(info.value) is GraphportError


def test_no_answer_is_a_retryable_transport_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    g = graphport.client(transport=httpx.MockTransport(refuse))
    with pytest.raises(TransportError) as info:
        g.register(server="mock.local", protocol="http", username="alice", password="pw-secret")
    assert info.value.retryable
    assert "http://mock.local/api-token-auth/ got no answer (ConnectError" in str(info.value)
    assert "pw-secret" not in str(info.value)


# -- token renewal ----------------------------------------------------------------------------------


def test_a_fresh_token_is_used_without_any_auth_request() -> None:
    mock = Mock(
        {"/api-token-auth/": login_ok(jwt(3600)), "/api/v2/plot": lambda r: httpx.Response(200, json=OK_PLOT)}
    )
    g = registered(mock)
    plot(g)
    plot(g)
    assert mock.paths == ["/healthz", "/api/v2/plot", "/api/v2/plot"]
    assert mock.requests[1].headers["authorization"] == f"Bearer {g.session.token.value}"  # type: ignore[union-attr]


def test_a_token_about_to_expire_is_refreshed_first() -> None:
    fresh = jwt(3600)
    mock = Mock(
        {
            "/api-token-auth/": login_ok(jwt(10)),  # inside the 30 s margin
            "/api/v2/auth/token/refresh": lambda r: httpx.Response(200, json={"token": fresh}),
            "/api/v2/plot": lambda r: httpx.Response(200, json=OK_PLOT),
        }
    )
    g = registered(mock)
    plot(g)
    assert mock.paths == ["/api/v2/auth/token/refresh", "/healthz", "/api/v2/plot"]
    assert mock.requests[-1].headers["authorization"] == f"Bearer {fresh}"
    assert "authorization" not in mock.requests[0].headers  # the refresh carries the token in its body


def test_a_refused_refresh_signs_in_again() -> None:
    tokens = iter([jwt(10), jwt(3600)])
    mock = Mock(
        {
            "/api-token-auth/": lambda r: httpx.Response(200, json={"token": next(tokens)}),
            "/api/v2/auth/token/refresh": lambda r: httpx.Response(401, json={"non_field_errors": ["no"]}),
            "/api/v2/plot": lambda r: httpx.Response(200, json=OK_PLOT),
        }
    )
    plot(registered(mock))
    assert mock.paths == ["/api/v2/auth/token/refresh", "/api-token-auth/", "/healthz", "/api/v2/plot"]


def test_an_expired_token_is_not_sent_to_refresh() -> None:
    tokens = iter([jwt(-5), jwt(3600)])
    mock = Mock(
        {
            "/api-token-auth/": lambda r: httpx.Response(200, json={"token": next(tokens)}),
            "/api/v2/plot": lambda r: httpx.Response(200, json=OK_PLOT),
        }
    )
    plot(registered(mock))
    assert mock.paths[0] == "/api-token-auth/"


def test_an_expired_token_only_session_tries_one_refresh_then_says_what_to_do() -> None:
    mock = Mock({"/api/v2/auth/token/refresh": lambda r: httpx.Response(401, json={"error": "expired"})})
    g = mock.client()
    g.register(server="mock.local", token=jwt(-5), verify_token=False)
    with pytest.raises(AuthError, match=r"has expired or was revoked.*Register again") as info:
        plot(g)
    assert info.value.code == "token_expired"
    assert mock.paths == ["/api/v2/auth/token/refresh"]


def test_store_token_creds_in_memory_false_keeps_no_password() -> None:
    mock = Mock({"/api-token-auth/": login_ok(jwt(3600))})
    g = mock.client()
    g.register(server="mock.local", username="alice", password="pw-secret", store_token_creds_in_memory=False)
    assert g.session.credentials.kind == "token" and g.session.token is not None


# -- bodies -----------------------------------------------------------------------------------------


def test_the_plot_frame_is_what_the_server_parses() -> None:
    seen: dict[str, Any] = {}

    def capture(request: httpx.Request) -> httpx.Response:
        dataset, privacy, tables = decode_plot_frame(request.content)
        seen.update(dataset=dataset, privacy=privacy, tables={k: len(v) for k, v in tables.items()})
        return httpx.Response(200, json=OK_PLOT)

    mock = Mock({"/api-token-auth/": login_ok(jwt(3600)), "/api/v2/plot": capture})
    g = registered(mock)
    g.privacy(mode="public")
    nodes = pa.table({"id": [1, 2]})
    g.bind(source="a", destination="b", edges=pa.table({"a": [1], "b": [2]})).nodes(nodes, "id").plot(
        render=False
    )
    assert seen["privacy"] == {
        "mode": "public",
        "notify": False,
        "invited_users": [],
        "mode_action": "10",
        "message": "",
    }
    assert set(seen["tables"]) == {"edges", "nodes"}
    assert seen["dataset"]["edge_encodings"] == {"bindings": {"source": "a", "destination": "b"}}


def test_large_bodies_stream_with_a_length_and_a_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    seen: dict[str, object] = {}

    def capture(request: httpx.Request) -> httpx.Response:
        seen["length"] = request.headers.get("content-length")
        seen["chunked"] = request.headers.get("transfer-encoding")
        _, _, tables = decode_plot_frame(request.content)
        seen["rows"] = pa.ipc.open_file(pa.py_buffer(tables["edges"])).read_all().num_rows
        seen["size"] = len(request.content)
        return httpx.Response(200, json=OK_PLOT)

    mock = Mock({"/api-token-auth/": login_ok(jwt(3600)), "/api/v2/plot": capture})
    g = registered(mock, progress=True)
    n = 400_000  # 2 int64 columns: over the 4 MB threshold
    table = pa.table({"a": pa.array(range(n), pa.int64()), "b": pa.array(range(n), pa.int64())})
    g.bind(source="a", destination="b", edges=table).plot(render=False)
    assert seen["rows"] == n and seen["chunked"] is None
    assert seen["length"] == str(seen["size"])
    assert "Plotting" in capsys.readouterr().err  # tqdm wrote its bar to stderr


def test_no_progress_bar_when_nobody_watches(capsys: pytest.CaptureFixture[str]) -> None:
    mock = Mock(
        {"/api-token-auth/": login_ok(jwt(3600)), "/api/v2/plot": lambda r: httpx.Response(200, json=OK_PLOT)}
    )
    g = registered(mock)  # progress=None: only when interactive; pytest's stderr is not a tty
    n = 400_000
    table = pa.table({"a": pa.array(range(n), pa.int64()), "b": pa.array(range(n), pa.int64())})
    g.bind(source="a", destination="b", edges=table).plot(render=False)
    assert capsys.readouterr().err == ""


def test_the_probe_happens_once_even_when_threads_race() -> None:
    mock = Mock(
        {"/api-token-auth/": login_ok(jwt(3600)), "/api/v2/plot": lambda r: httpx.Response(200, json=OK_PLOT)}
    )
    g = registered(mock)
    threads = [threading.Thread(target=plot, args=(g,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mock.paths.count("/healthz") == 1 and mock.paths.count("/api/v2/plot") == 8


def test_personal_key_login_is_a_get_with_a_json_body() -> None:
    mock = Mock({"/api/v2/auth/pkey/jwt/": login_ok(jwt(3600))})
    g = mock.client()
    g.register(server="mock.local", personal_key_id="kid", personal_key_secret="ksecret", org_name=None)
    request = mock.requests[0]
    assert request.method == "GET" and json.loads(request.content) == {}
    assert request.headers["authorization"] == "PersonalKey kid:ksecret"
    assert "ksecret" not in repr(g)


def test_switch_org_sends_the_v3_form() -> None:
    mock = Mock(
        {
            "/api-token-auth/": login_ok(jwt(3600)),
            "/api/v2/o/acme/switch/": lambda r: httpx.Response(
                200, json={"status": "OK", "message": "", "data": []}
            ),
        }
    )
    g = registered(mock)
    g.switch_org("acme")
    assert mock.requests[0].content == b"slug=acme" and g.session.org_name == "acme"


def test_closing_twice_is_fine_and_refuses_later_requests() -> None:
    mock = Mock({"/api-token-auth/": login_ok(jwt(3600))})
    g = registered(mock)
    g.close()
    g.close()
    with pytest.raises(ConfigError, match="has been closed"):
        plot(g)
