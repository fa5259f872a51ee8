"""Docs can't fall behind the code: every error code, config field and serve option is documented."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from click.testing import CliRunner

import graphport
from graphport import ServerConfig
from graphport.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "graphport"


def codes_in_source() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        found |= set(re.findall(r'code="([a-z_]+)"', text))
        found |= set(re.findall(r'^\s+code = "([a-z_]+)"', text, re.M))
    return found


def test_every_error_code_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", (ROOT / "docs" / "errors.md").read_text(), re.M))
    missing = codes_in_source() - documented
    assert not missing, f"add these codes to docs/errors.md: {sorted(missing)}"


def test_every_config_field_is_documented() -> None:
    text = (ROOT / "docs" / "config.md").read_text()
    missing = [f.name for f in dataclasses.fields(ServerConfig) if f"`{f.name}`" not in text]
    assert not missing, f"add these ServerConfig fields to docs/config.md: {missing}"


def test_every_serve_option_is_documented() -> None:
    help_text = CliRunner().invoke(cli, ["serve", "--help"]).stdout
    options = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
    text = (ROOT / "docs" / "config.md").read_text() + (ROOT / "docs" / "cli.md").read_text()
    missing = sorted(o for o in options if f"`{o}`" not in text)
    assert not missing, (
        f"document these `graphport serve` options in docs/config.md or docs/cli.md: {missing}"
    )


def test_version_matches_changelog() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## Unreleased" in changelog
    released = re.findall(r"^## (\d+\.\d+\.\d+)", changelog, re.M)
    assert not released or released[0] == graphport.__version__


def test_cli_reference_is_current() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("cli_docs", ROOT / "scripts" / "cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "cli.md").read_text() == module.render(), (
        "run: .venv/bin/python scripts/cli_docs.py"
    )
