"""The viewer's static files (``/graph/{path}``, transports/_routes_pages.py): text files go
gzip-compressed to clients that accept it, with their own ETag and ``Vary: Accept-Encoding``; others
get the file as it is. Through the real ASGI app, in-process."""

from __future__ import annotations

import gzip

import httpx
import pytest

from graphport.transports._routes_pages import STATIC, accepts_gzip

from .test_errors import assert_error

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture
def icons() -> bytes:
    path = STATIC / "icons.json"
    if not path.is_file():
        pytest.skip("The viewer bundle is not built (make viewer).")
    return path.read_bytes()


def raw_get(http: httpx.Client, path: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
    """The answer and its body as sent (httpx would otherwise decompress it)."""
    with http.stream("GET", path, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def test_the_icon_set_goes_gzip_compressed_to_clients_that_accept_it(
    http: httpx.Client, icons: bytes
) -> None:
    r, sent = raw_get(http, "/graph/icons.json", GZIP)
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["content-type"].startswith("application/json")
    assert int(r.headers["content-length"]) == len(sent)
    assert gzip.decompress(sent) == icons
    assert len(sent) < 0.35 * len(icons), f"{len(sent):,} of {len(icons):,} bytes"
    assert r.headers["etag"].endswith('-gz"')
    # The same bytes each time (compressed once; no timestamp in the gzip header).
    assert raw_get(http, "/graph/icons.json", GZIP)[1] == sent

    plain, body = raw_get(http, "/graph/icons.json", IDENTITY)
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    assert body == icons and int(plain.headers["content-length"]) == len(icons)
    assert plain.headers["etag"] == r.headers["etag"].removesuffix('-gz"') + '"', (
        "one file version, two bodies"
    )


def test_etags_revalidate_each_form(http: httpx.Client, icons: bytes) -> None:
    gz_tag = http.get("/graph/icons.json", headers=GZIP).headers["etag"]
    tag = http.get("/graph/icons.json", headers=IDENTITY).headers["etag"]
    assert gz_tag != tag

    def status(headers: dict[str, str], if_none_match: str) -> int:
        return http.get("/graph/icons.json", headers={**headers, "If-None-Match": if_none_match}).status_code

    assert status(GZIP, gz_tag) == 304
    assert status(IDENTITY, tag) == 304
    assert status(GZIP, f'"other", W/{gz_tag}') == 304, "a list, and a weak tag, match"
    assert status(GZIP, "*") == 304
    # A cached body of the other form is not the one this client gets: the full answer.
    assert status(IDENTITY, gz_tag) == 200
    assert status(GZIP, tag) == 200
    not_modified = http.get("/graph/icons.json", headers={**GZIP, "If-None-Match": gz_tag})
    assert not_modified.content == b"" and not_modified.headers["etag"] == gz_tag


def test_the_script_is_compressed_and_small_or_unknown_files_are_not(
    http: httpx.Client, icons: bytes
) -> None:
    r, sent = raw_get(http, "/graph/viewer.js", GZIP)
    assert r.headers["content-encoding"] == "gzip"
    assert gzip.decompress(sent) == (STATIC / "viewer.js").read_bytes()
    missing = http.get("/graph/nope.js", headers=GZIP)
    assert "content-encoding" not in missing.headers
    assert_error(missing, 404, "route_not_found", "nope.js")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("GZIP;q=0.5", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("*", True),
        ("gzip;q=0, *", False),
        ("gzip;q=0.000", False),
        ("br", False),
        ("identity", False),
        ("", False),
        ("gzip;q=nope", False),
        ("*;q=0", False),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected
