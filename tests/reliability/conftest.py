"""The reliability suites' figures, printed at the end of the run.

Every suite here prints its figures (inputs and statuses per route, deaths, peak RSS, kill -9
rounds) with ``print()`` (seen with ``pytest -s`` and in ``-rA``'s captured output) and also hands
them to ``_report.report``; ``pytest_terminal_summary`` prints them again in a "graphport
reliability" section, so CI logs show them whether the tests pass or fail.
"""

from __future__ import annotations

import pytest

from ._report import SECTIONS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not SECTIONS:
        return
    terminalreporter.section("graphport reliability")
    for title, lines in SECTIONS:
        terminalreporter.write_line(f"-- {title}")
        for line in lines:
            terminalreporter.write_line(line)
