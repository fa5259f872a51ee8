"""Regenerate docs/cli.md from the commands' own --help (tests/test_docs.py checks it is current).

    .venv/bin/python scripts/cli_docs.py
"""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from graphport.cli import cli

OUT = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            found += commands(command, [*prefix, name])
        else:
            found.append([*prefix, name])
    return found


def render() -> str:
    parts = ["# CLI reference\n\nGenerated from `--help` by `scripts/cli_docs.py`; do not edit by hand.\n"]
    for path in commands(cli, []):
        text = CliRunner().invoke(cli, [*path, "--help"], prog_name="graphport", terminal_width=100).stdout
        parts.append(f"## graphport {' '.join(path)}".rstrip() + "\n\n```\n" + text.rstrip() + "\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    OUT.write_text(render())
    print(f"wrote {OUT}")
