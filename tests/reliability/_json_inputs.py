"""Malformed JSON bodies of every shape, seeded and deterministic.

A route's JSON is described by a template (field -> a valid value); :func:`json_body` returns
``(kind, body)`` where ``body`` is bytes, because many of the inputs are not what ``json.dumps``
can write: nesting 100,000 levels deep, ``NaN``/``Infinity`` tokens, lone surrogate escapes
(``"\\udfff"``), invalid UTF-8, numbers beyond any float, truncated or trailing text, UTF-16.
"""

from __future__ import annotations

import json
import random
from typing import Any

Body = tuple[str, bytes]

# Raw JSON text fragments a field may be replaced with (each names its family).
ODD_VALUES: list[tuple[str, str]] = [
    ("null", "null"),
    ("bool", "true"),
    ("int", "0"),
    ("negative", "-268435455"),
    ("bigint", str(2**64 + 1)),
    ("huge-number", "1e400"),
    ("long-int", "9" * 5000),
    ("float", "1.5"),
    ("nan", "NaN"),
    ("infinity", "Infinity"),
    ("-infinity", "-Infinity"),
    ("empty-string", '""'),
    ("lone-surrogate", '"\\udfff"'),
    ("lone-high-surrogate", '"a\\ud800b"'),
    ("nul-char", '"a\\u0000b"'),
    ("empty-list", "[]"),
    ("list", '[1, "two", null, {}]'),
    ("empty-object", "{}"),
    ("object", '{"a": {"b": [1, {"c": null}]}}'),
    ("long-string", json.dumps("x" * 200_000)),
    ("big-list", "[" + ",".join("1" for _ in range(50_000)) + "]"),
]


def deep(depth: int, opener: str = "[") -> str:
    closer = "]" if opener == "[" else "}"
    if opener == "{":
        return '{"a":' * depth + "1" + closer * depth
    return opener * depth + closer * depth


def _render(fields: dict[str, str]) -> str:
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items()) + "}"


def _append(fields: dict[str, str], pair: str) -> str:
    """The object with one more raw ``"key": value`` pair (keys may repeat, values may be odd)."""
    body = _render(fields)
    return body[:-1] + (", " if fields else "") + pair + "}"


def json_body(rng: random.Random, template: dict[str, Any]) -> Body:
    """One malformed (or occasionally valid) JSON body for a route whose valid body is ``template``."""
    fields = {k: json.dumps(v) for k, v in template.items()}
    keys = list(fields) or ["x"]
    choice = rng.randrange(100)
    if choice < 6:
        return "valid", _render(fields).encode()
    if choice < 40:  # one field of the wrong type or value
        key = rng.choice(keys)
        family, raw = rng.choice(ODD_VALUES)
        fields[key] = raw
        return f"field-{family}", _render(fields).encode()
    if choice < 46:  # a field nested absurdly deep
        key = rng.choice(keys)
        depth = rng.choice([64, 1000, 5000, 100_000])
        fields[key] = deep(depth, rng.choice(["[", "{"]))
        return f"deep-field-{depth}", _render(fields).encode()
    if choice < 50:  # the whole body nested deep
        depth = rng.choice([1000, 100_000])
        return f"deep-body-{depth}", deep(depth, rng.choice(["[", "{"])).encode()
    if choice < 55:  # a nested value under a field that should be flat
        key = rng.choice(keys)
        fields[key] = json.dumps({"$ne": None, "nested": [template.get(key)]})
        return "field-nested", _render(fields).encode()
    if choice < 60:  # invalid UTF-8 inside a string
        key = rng.choice(keys)
        bad = rng.choice([b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80", b"\xf4\x90\x80\x80"])
        encoded = _render({**fields, key: '"@@"'}).encode()
        return "invalid-utf8", encoded.replace(b"@@", bad)
    if choice < 63:  # lone surrogate in a key
        return "surrogate-key", _append(fields, '"k\\udfff": 1').encode()
    if choice < 68:  # not an object
        top = rng.choice(["[]", "[1, 2]", '"text"', "42", "null", "true", "NaN", '"\\udfff"'])
        return "not-object", top.encode()
    if choice < 73:  # empty or blank
        return "empty", rng.choice([b"", b" ", b"\n\t ", b"\x00"])
    if choice < 78:  # truncated
        encoded = _render(fields).encode()
        return "truncated", encoded[: rng.randrange(max(1, len(encoded)))]
    if choice < 81:  # trailing garbage
        return "trailing", _render(fields).encode() + rng.choice([b"}", b" x", b"\x00", b"{}"])
    if choice < 84:  # other encodings
        text = _render(fields)
        enc = rng.choice(["utf-16", "utf-32", "utf-8-sig", "latin-1"])
        return f"encoding-{enc}", text.encode(enc, "replace")
    if choice < 87:  # duplicate keys, the second of the wrong type
        key = rng.choice(keys)
        return "duplicate-key", _append(fields, f"{json.dumps(key)}: {{}}").encode()
    if choice < 90:  # many unknown fields
        extra = {f"k{i}": "1" for i in range(rng.choice([10, 10_000]))}
        return "many-fields", _render({**fields, **extra}).encode()
    if choice < 93:  # all fields missing
        return "no-fields", b"{}"
    if choice < 96:  # random bytes
        return "random-bytes", bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
    # every field replaced at once
    return "all-fields-odd", _render({k: rng.choice(ODD_VALUES)[1] for k in keys}).encode()


CONTENT_TYPES = [
    "application/json",
    "application/json",
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=utf-16",
    "application/vnd.apache.arrow.file",
    None,
]


def content_type(rng: random.Random) -> str | None:
    return rng.choice(CONTENT_TYPES)
