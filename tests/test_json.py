"""graphport._json: the one reader of untrusted JSON (bounded size and depth, strict text, finite
numbers) and the field helpers that name a wrong field."""

from __future__ import annotations

from typing import Any

import pytest

from graphport import PayloadTooLarge, ValidationError
from graphport._json import (
    MAX_DEPTH,
    optional_object,
    optional_str,
    parse_json,
    parse_object,
    required_str,
    type_name,
)


@pytest.mark.parametrize(
    "raw", [b'{"a": [1, 2.5, "x", null, true]}', bytearray(b"[1]"), memoryview(b'"s"'), "[1]"]
)
def test_valid_json_in_every_buffer_type(raw: Any) -> None:
    expected = {bytes: {"a": [1, 2.5, "x", None, True]}, bytearray: [1], memoryview: "s", str: [1]}
    assert parse_json(raw) == expected[type(raw)]


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"NaN", "NaN is not a JSON number"),
        (b"[Infinity]", "Infinity is not a JSON number"),
        (b"[-Infinity]", "-Infinity is not a JSON number"),
        (b"[1e999]", "too large for a double"),
        (b'"\\udfff"', "lone surrogate"),
        (b'{"\\ud800": 1}', "lone surrogate"),
        (b"\xff\xfe[]", "byte 0 (0xff) is not UTF-8"),
        (b"[1,", "Expecting value"),
        (b"", "Expecting value"),
    ],
)
def test_what_json_accepts_but_the_server_cannot_take_is_a_400(raw: bytes, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_json(raw, what="The thing")
    assert caught.value.code == "invalid_json" and caught.value.status == 400
    assert str(caught.value).startswith("The thing is not valid JSON") and words in str(caught.value)


def test_depth_is_bounded_before_parsing() -> None:
    assert parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(ValidationError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_json(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    # A hostile depth far past Python's recursion limit is refused by the scan, not a RecursionError.
    with pytest.raises(ValidationError, match="nested deeper"):
        parse_json(b"[" * 200_000)
    with pytest.raises(ValidationError, match="nested deeper than 3"):
        parse_json(b'{"a": {"b": {"c": {}}}}', max_depth=3)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = '["' + "[" * 500 + '", {"k": "' + "{" * 500 + '\\"["}]'
    assert parse_json(text.encode())[0] == "[" * 500


def test_size_is_bounded_in_bytes() -> None:
    assert parse_json(b"[1, 2]", max_bytes=6) == [1, 2]
    with pytest.raises(PayloadTooLarge) as caught:
        parse_json(b"[1, 2, 3]", max_bytes=6, what="The plot header")
    assert caught.value.status == 413 and "The plot header has 9 bytes" in str(caught.value)
    with pytest.raises(PayloadTooLarge):  # str input counts its UTF-8 bytes, not characters
        parse_json('"ééé"', max_bytes=7)


def test_parse_object_wants_an_object() -> None:
    assert parse_object(b'{"a": 1}') == {"a": 1}
    assert parse_object(b"  ", required=False) == {}
    with pytest.raises(ValidationError, match="is empty; send a JSON object"):
        parse_object(b"")
    with pytest.raises(ValidationError, match=r"must be a JSON object \{\.\.\.\}; it is an array"):
        parse_object(b"[]")
    with pytest.raises(PayloadTooLarge):
        parse_object(b'{"a": 1}', max_bytes=3)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "a boolean"),
        (1, "a number"),
        (1.5, "a number"),
        ("", "a string"),
        ([], "an array"),
        ({}, "an object"),
        (b"", "bytes"),
    ],
)
def test_type_names(value: Any, name: str) -> None:
    assert type_name(value) == name


def test_field_helpers_name_the_field() -> None:
    body = {"s": "x", "n": 3, "o": {"k": 1}, "z": None}
    assert (
        optional_str(body, "s") == "x"
        and optional_str(body, "z") is None
        and optional_str(body, "gone") is None
    )
    assert required_str(body, "s") == "x"
    assert optional_object(body, "o") == {"k": 1} and optional_object(body, "z") is None
    with pytest.raises(ValidationError) as caught:
        optional_str(body, "n", code="invalid_name")
    assert (
        caught.value.code == "invalid_name"
        and str(caught.value) == "The field 'n' is a number; expected a string."
    )
    assert caught.value.errors == [{"field": "n", "message": "expected a string"}]
    with pytest.raises(ValidationError, match="The field 'gone' is null; expected a string"):
        required_str(body, "gone")
    with pytest.raises(ValidationError, match="The field 's' is a string; expected an object"):
        optional_object(body, "s")
