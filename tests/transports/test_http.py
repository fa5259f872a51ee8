"""graphport's own request and response (transports/_http.py), as every adapter builds them."""

from __future__ import annotations

from graphport.transports._http import Headers, QueryParams, Response, json_response, parse_cookies


def test_headers_are_case_insensitive_and_repeated_ones_join() -> None:
    h = Headers([("Accept", "a"), ("accept", "b"), ("Cookie", "x=1"), ("cookie", "y=2"), ("Host", "h")])
    assert h["ACCEPT"] == "a, b" and h.get("cookie") == "x=1; y=2"
    assert h.getlist("host") == ["h"] and "HOST" in h and len(h) == 3
    assert h.size == sum(
        len(n) + len(v)
        for n, v in [("Accept", "a"), ("accept", "b"), ("Cookie", "x=1"), ("cookie", "y=2"), ("Host", "h")]
    )


def test_query_params_last_value_wins_and_getlist_keeps_all() -> None:
    q = QueryParams("filter=a&filter=b&empty=&x=%2F")
    assert q["filter"] == "b" and q.getlist("filter") == ["a", "b"]
    assert q["empty"] == "" and q["x"] == "/" and q.get("missing") is None


def test_cookies_are_read_leniently() -> None:
    assert parse_cookies('a=1; b="two"; junk; =x; a=shadowed; c=') == {"a": "1", "b": "two", "c": ""}


def test_response_headers_and_cookies() -> None:
    r = Response(b"abc", media_type="text/plain", headers={"X-A": "1"})
    assert r.header("content-length") == "3" and r.header("CONTENT-TYPE") == "text/plain"
    r.set_cookie("s", "tok", max_age=60, httponly=True, secure=True, samesite="strict")
    r.delete_cookie("old", path="/login")
    cookies = [v for n, v in r.headers if n == "Set-Cookie"]
    assert cookies[0].startswith("s=tok") and "HttpOnly" in cookies[0] and "Secure" in cookies[0]
    assert "Max-Age=60" in cookies[0] and "SameSite=strict" in cookies[0]
    assert cookies[1].startswith('old=""') and "Max-Age=0" in cookies[1] and "Path=/login" in cookies[1]
    r.set_header("x-a", "2")
    assert r.header("X-A") == "2" and sum(n.lower() == "x-a" for n, _ in r.headers) == 1
    assert json_response({"é": 1}).body == '{"é":1}'.encode()
