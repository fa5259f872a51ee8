"""The one reader of untrusted JSON: bounded size and depth, strict text, standard numbers only.

Every JSON body a transport receives (REST v3 and own routes, the plot frame's header, live socket
text frames) goes through :func:`parse_json`, so no handler meets a value Python's ``json`` accepts
but the rest of the system cannot take:

* more than ``max_bytes`` bytes (413 ``payload_too_large``);
* text that is not UTF-8, or strings holding a lone surrogate (``"\\udfff"``: not encodable as
  UTF-8, so neither storable nor printable);
* nesting deeper than ``max_depth`` (checked by a scan of the brackets *before* parsing, so a
  hostile ``[[[[...`` cannot reach Python's recursion limit);
* ``NaN``, ``Infinity`` and numbers too large for a double (``1e999``): browsers and databases
  refuse them.

All refusals are :class:`~graphport.errors.ValidationError` with code ``invalid_json`` (400) and a
message naming the problem. The helpers below check the type of one top-level field and name the
field when it is wrong. Imports nothing of ours but ``errors``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .errors import PayloadTooLarge, ValidationError

MAX_DEPTH = 64
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


def _invalid(what: str, problem: str) -> ValidationError:
    return ValidationError(f"{what} is not valid JSON: {problem}.", code="invalid_json")


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (send finite numbers only)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a double")
    return value


def _check_depth(text: str, max_depth: int, what: str) -> None:
    # Fast path: fewer opening brackets than the limit cannot nest deeper than it.
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth = 0
    for match in _BRACKETS.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > max_depth:
                raise _invalid(what, f"it is nested deeper than {max_depth} levels")
        else:
            depth -= 1


def _check_strings(value: Any, what: str) -> None:
    """Refuse lone surrogates in any string or key (iterative: depth is bounded, but be safe)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            strings = [item]
        elif isinstance(item, dict):
            strings = list(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
            continue
        else:
            continue
        for s in strings:
            try:
                s.encode("utf-8")
            except UnicodeEncodeError:
                raise _invalid(
                    what, f"the string {s[:40]!r} holds a lone surrogate; send valid Unicode text"
                ) from None


def parse_json(
    raw: bytes | bytearray | memoryview | str,
    *,
    what: str = "The request body",
    max_bytes: int | None = None,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse untrusted JSON, refusing what the rest of the server cannot take (see the module doc).

    Parameters:
        raw: the bytes (UTF-8) or text received.
        what: how messages name the input ("The plot header", "The request body").
        max_bytes: the largest accepted size in bytes (413 beyond it); ``None``: no limit here.
        max_depth: the deepest nesting of arrays and objects accepted.

    Raises:
        ValidationError: ``invalid_json`` (400) naming the problem; ``PayloadTooLarge`` (413).

    Example::

        parse_json(b'{"a": [1, 2]}')   # {'a': [1, 2]}
        parse_json(b'[' * 100_000)     # ValidationError: ... nested deeper than 64 levels.
    """
    size = len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw)
    if max_bytes is not None and size > max_bytes:
        raise PayloadTooLarge(
            f"{what} has {size:,} bytes of JSON; this server accepts at most {max_bytes:,} here.",
        )
    if isinstance(raw, str):
        text = raw
    else:
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _invalid(
                what, f"byte {exc.start} (0x{exc.object[exc.start]:02x}) is not UTF-8 text"
            ) from None
    _check_depth(text, max_depth, what)
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_finite)
    except RecursionError:  # unreachable after the depth scan; kept so it can never be a 500
        raise _invalid(what, f"it is nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise _invalid(what, str(exc)) from None
    _check_strings(value, what)
    return value


def parse_object(
    raw: bytes | bytearray | memoryview | str,
    *,
    what: str = "The request body",
    max_bytes: int | None = None,
    required: bool = True,
) -> dict[str, Any]:
    """:func:`parse_json` for bodies that must be a JSON object (an empty body is ``{}`` when
    ``required`` is false)."""
    if not (raw.strip() if isinstance(raw, (str, bytes, bytearray)) else bytes(raw).strip()):
        if required:
            raise ValidationError(f"{what} is empty; send a JSON object.", code="invalid_json")
        return {}
    value = parse_json(raw, what=what, max_bytes=max_bytes)
    if not isinstance(value, dict):
        raise ValidationError(
            f"{what} must be a JSON object {{...}}; it is {type_name(value)}.", code="invalid_json"
        )
    return value


def type_name(value: Any) -> str:
    """How a message names the JSON type of ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _wrong(field: str, value: Any, expected: str, code: str) -> ValidationError:
    return ValidationError(
        f"The field '{field}' is {type_name(value)}; expected {expected}.",
        code=code,
        errors=[{"field": field, "message": f"expected {expected}"}],
    )


def optional_str(body: Mapping[str, Any], field: str, *, code: str = "invalid_field") -> str | None:
    """``body[field]`` when it is a string, ``None`` when absent or null; 400 naming it otherwise."""
    value = body.get(field)
    if value is None or isinstance(value, str):
        return value
    raise _wrong(field, value, "a string", code)


def required_str(body: Mapping[str, Any], field: str, *, code: str = "invalid_field") -> str:
    """``body[field]`` when it is a string; 400 naming the field otherwise (missing included)."""
    value = body.get(field)
    if isinstance(value, str):
        return value
    raise _wrong(field, value, "a string", code)


def optional_object(
    body: Mapping[str, Any], field: str, *, code: str = "invalid_field"
) -> dict[str, Any] | None:
    """``body[field]`` when it is an object, ``None`` when absent or null; 400 otherwise."""
    value = body.get(field)
    if value is None or isinstance(value, dict):
        return value
    raise _wrong(field, value, "an object", code)
