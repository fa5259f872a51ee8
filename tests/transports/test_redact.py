"""``_redact``: credentials never reach a log record, whichever server logs them."""

from __future__ import annotations

import logging

import pytest

from graphport.transports import _redact
from graphport.transports._redact import RedactSecrets, install, redact

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJlLXBhcnQ"


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("< authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("('Authorization', 'PersonalKey gpk12:s3cr3t')", "s3cr3t"),
        ("cookie: graphport_session=tok123; csrf=zz", "tok123"),
        ("Set-Cookie: graphport_session=tok456; HttpOnly", "tok456"),
        ("x-csrf-token: csrf789", "csrf789"),
        (f"GET /graph?token={JWT} HTTP/1.1", JWT),
        ("bearer   spaced.token", "spaced.token"),
    ],
)
def test_credentials_are_replaced(line: str, secret: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned and "redacted" in cleaned


def test_other_text_is_left_alone() -> None:
    line = "GET /api/v2/datasets/abc/nodes.arrow HTTP/1.1 200 (authorized reader)"
    assert redact(line) == line


def test_the_filter_rewrites_a_records_formatted_message() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.DEBUG, __file__, 1, "< %s: %s", ("authorization", f"Bearer {JWT}"), None
    )
    assert RedactSecrets().filter(record) is True
    assert JWT not in record.getMessage() and record.args is None
    plain = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "started on %s", ("127.0.0.1",), None
    )
    RedactSecrets().filter(plain)
    assert plain.args == ("127.0.0.1",)  # untouched records keep their arguments


def test_installing_twice_adds_one_filter_per_logger(caplog: pytest.LogCaptureFixture) -> None:
    install()
    install()
    for name in _redact.LOGGERS:
        assert sum(isinstance(f, RedactSecrets) for f in logging.getLogger(name).filters) == 1
    with caplog.at_level(logging.DEBUG, logger="websockets.server"):
        logging.getLogger("websockets.server").debug("< authorization: Bearer %s", JWT)
    assert JWT not in caplog.text and "redacted" in caplog.text
