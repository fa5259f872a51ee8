"""``_hosts``: which Host names a server answers to (against DNS rebinding), framework-free."""

from __future__ import annotations

import pytest

from graphport import ServerConfig
from graphport.transports._hosts import allowed_hosts, host_allowed, host_name, host_problem


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Example.ORG", "example.org"),
        ("example.org:8080", "example.org"),
        ("[::1]:8080", "::1"),
        ("[::1]", "::1"),
        ("::1", "::1"),  # a bare IPv6 literal has more than one colon: no port to cut
        (" localhost ", "localhost"),
    ],
)
def test_the_name_of_a_host_header(header: str, name: str) -> None:
    assert host_name(header) == name


def test_by_default_loopback_names_and_the_public_urls_host() -> None:
    assert allowed_hosts(ServerConfig()) == frozenset({"localhost", "127.0.0.1", "::1"})
    public = allowed_hosts(ServerConfig(public_url="https://Graphs.Example.org/base"))
    assert "graphs.example.org" in public and "localhost" in public
    assert allowed_hosts(ServerConfig(allowed_hosts=["A.example", "[::1]"])) == frozenset(
        {"a.example", "::1"}
    )


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost:8000", True),
        ("evil.example:8000", False),
        ("graphs.example.org", True),
        ("deep.graphs.example.org", True),  # ".graphs.example.org" allows subdomains
        ("graphs.example.org.evil.example", False),
        ("notgraphs.example.org", False),
    ],
)
def test_a_dot_name_allows_a_domain_and_its_subdomains(host: str, allowed: bool) -> None:
    names = frozenset({"localhost", ".graphs.example.org"})
    assert host_allowed(host, names, None) is allowed


def test_the_address_the_connection_came_in_on_is_always_allowed() -> None:
    assert host_allowed("10.1.2.3:8000", frozenset({"localhost"}), "10.1.2.3")
    assert host_allowed("[fe80::1]:80", frozenset({"localhost"}), "[fe80::1]")
    assert not host_allowed("10.1.2.4:8000", frozenset({"localhost"}), "10.1.2.3")
    assert host_allowed("anything.example", frozenset({"*"}), None)


def test_a_refused_host_is_a_400_that_says_how_to_allow_it() -> None:
    problem = host_problem("rebind.example", frozenset({"localhost"}), None)
    assert problem is not None
    assert (problem.status, problem.code) == (400, "host_not_allowed")
    assert "rebind.example" in problem.message and "allowed_hosts" in problem.message
    assert host_problem(None, frozenset({"localhost"}), None) is None  # HTTP/1.0 tools send none
    long_problem = host_problem("x" * 5000, frozenset({"localhost"}), None)
    assert long_problem is not None and len(long_problem.message) < 400  # the name is cut
