"""Keep credentials out of server logs, whatever the log level.

Our own code never logs a token, a key secret or a cookie. The servers we run under may: uvicorn's
WebSocket protocol logs every handshake header at DEBUG (``< authorization: Bearer ...``). A
:class:`RedactSecrets` filter on those loggers rewrites such records before any handler sees them.
``make_app`` installs it once per process (idempotent).
"""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    # A header line or pair whose value is a credential: "authorization: Bearer x", "cookie: a=b".
    (
        re.compile(
            r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie|x-csrf-token)(['\"]?\s*[:=,]\s*['\"]?)"
            r"[^\r\n'\"]+"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"(?i)\b(bearer|personalkey)\s+[A-Za-z0-9._~+/:=-]+"), r"\1 [redacted]"),
    # A JWT anywhere (three base64url parts, the first a JSON header).
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+"), "[redacted token]"),
)
LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "websockets.server",
    "websockets.protocol",
    "graphport",
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Replaces credentials in a record's message (and its formatted arguments) with ``[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the logging module to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install() -> None:
    """Add the filter to the loggers of the servers we run under (once per logger)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
