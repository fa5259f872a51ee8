"""Figures the reliability suites print (tests/conftest.py repeats them in the terminal summary)."""

from __future__ import annotations

import os

#: ``GRAPHPORT_TEST_LONG=1`` runs every suite here ten times longer.
LONG = os.environ.get("GRAPHPORT_TEST_LONG", "") not in ("", "0", "false")
SCALE = 10 if LONG else 1


def report(title: str, lines: list[str]) -> None:
    """Print ``lines`` under a title (captured, then shown in the terminal summary; ``-s`` at once)."""
    print(f"\n== {title}")
    for line in lines:
        print(line)


def table(header: list[str], rows: list[list[object]]) -> list[str]:
    """A plain text table, columns right-aligned except the first."""
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))])

    return [fmt(header), fmt(["-" * w for w in widths]), *(fmt(r) for r in cells[1:])]
