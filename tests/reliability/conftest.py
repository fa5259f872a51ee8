"""The reliability suites (ingest fuzzing, kill -9, Schemathesis).

Every suite prints its figures (inputs and statuses per route, deaths, peak RSS, kill -9 rounds,
Schemathesis cases) with ``print()``; ``tests/conftest.py`` prints that output again in a
"graphport reliability" section of the terminal summary, so CI logs show the figures whether the
tests pass or fail, with or without pytest-xdist.
"""
