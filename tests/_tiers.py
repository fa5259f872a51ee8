"""Test tiers (issue #11): a fast tier for ``make test``, everything for CI and ``make test-all``.

The tier is chosen by ``GRAPHPORT_TEST_TIER``: ``fast`` (what ``make test`` sets) deselects the
tests below; ``full``, or no value (a plain ``pytest`` run, so a developer running one file gets
all of it), or ``CI=true`` (whatever the tier says) runs everything. The rules live here, by
directory, file and test name, so no test file needs a marker for it; ``tests/test_tiers.py`` checks
that every name listed still exists (a renamed test would otherwise drop out of the fast tier).

What the fast tier leaves out, and why it is still worth running:

* ``tests/reliability/`` (fuzzing, kill -9, Schemathesis: ~500 s of the suite's CPU time) and the
  stateful permission model (~25 s): they search for failures; every finding became a plain test.
  Also the tests that stop, kill or crash real processes (all but one), and all but one
  several-process test.
* The ``scale`` leg of the suites that run on both stacks, except where the scale stack is what is
  being tested: storage, the Redis bus, the crash sweep, and the several-process suite. The other
  suites exercise the same engine code on SQLite; the scale leg adds the services' latency.
* The ASGI leg of the client suites, which run over both in-process transports: the direct one
  stays (``new_local_client()`` uses it); the transports suites test the ASGI app.
* The Tornado and aiohttp legs of suites parametrized over the three adapters (the authorization
  matrix, the official client's flows): the fast tier runs them over ASGI, and the adapters' own
  files (``test_tornado.py``, ``test_aiohttp.py``) still run in full.
* The browser tests, except a few that open a plotted graph, a live viewer and the sign-in form:
  each starts Chromium (3-6 s).
* Most single sign-on tests (each starts a real identity provider), keeping the flows of both
  clients and a bad case, and all but the first case of the parametrized HTTP-limit, error-shape
  and ingest-attack tests (each case starts a server).

A leg is recognised by its parameter id: a ``stack`` parameter, or an id part (``scale-asgi-...``)
naming the stack or the adapter, as the matrix's ``world`` fixture has.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pytest

ENV = "GRAPHPORT_TEST_TIER"

#: Run only in the full tier (directories end with "/"; a test by its node id without parameters).
FULL_ONLY = (
    "tests/reliability/",
    "tests/server/test_permissions_stateful.py",
    # Real processes stopped, killed or crashed (4-10 s each); the fast tier keeps one such test
    # (tests/server/test_ingest.py::test_a_killed_worker_is_replaced).
    "tests/cli/test_serve_signals.py::test_sigterm_flushes_acknowledged_live_writes",
    "tests/cli/test_serve_signals.py::test_workers_die_with_a_killed_server",
    "tests/cli/test_serve_signals.py::test_a_stop_signal_to_the_whole_group_leaves_the_build_for_the_restart",
    "tests/cli/test_serve_signals.py::test_held_long_polls_answer_when_the_stop_begins",
    "tests/server/test_live_log.py::test_killed_serve_keeps_every_acknowledged_live_write",
    "tests/server/test_graphs.py::test_a_crashing_build_kills_only_its_worker",
    "tests/server/test_pool.py::test_a_crash_says_which_signal_and_a_new_worker_takes_over",
    "tests/server/test_pool.py::test_a_final_terminate_starts_no_new_worker",
    "tests/server/test_layout_runs.py::test_a_rerun_pauses_resumes_and_cancels_leaving_the_stored_layout",
    "tests/server/test_layout_runs.py::test_closing_the_server_stops_a_rerun_and_keeps_the_stored_layout",
    # Both clients upload over a socket and in-process and wait for two builds (~3.5 s); the
    # staged upload path itself stays in the fast tier (the other tests of that file).
    "tests/transports/test_plot_body.py::test_the_clients_upload_a_big_table_through_the_stage",
    # 40 uploads of 20 MB at once over HTTP (4-5 s); the rest of the attacks on the staged upload
    # path stay in the fast tier.
    "tests/transports/test_plot_body_attacks.py::test_forty_big_uploads_at_once_some_cancelled",
)
#: Where the fast tier keeps the ``scale`` leg of ``stack``-parametrized tests.
FAST_SCALE = (
    "tests/storage/",
    "tests/server/test_live_bus.py",
    "tests/server/test_recovery.py",
    "tests/test_scale_processes.py",
)
#: Adapters other than ASGI, and the files where they are what is tested.
OTHER_ADAPTERS = ("tornado", "aiohttp")
FAST_ADAPTERS = ("tests/transports/test_tornado.py", "tests/transports/test_aiohttp.py")
#: The browser tests the fast tier keeps (node ids without parameters).
FAST_BROWSER = (
    "tests/viewer/test_viewer.py::test_url_from_the_official_client_opens",
    "tests/viewer/test_live_viewer.py::test_live_updates_reach_an_open_viewer",
    "tests/transports/test_login_browser.py::test_sign_in_through_the_form_then_open_a_private_plot",
)
#: Slow multi-process tests the fast tier keeps (the rest of the ``slow`` marker runs in full).
FAST_SLOW = ("tests/test_scale_processes.py::test_plot_on_one_read_and_view_on_the_other",)
#: Directories the fast tier samples: only the tests named here run in it (single sign-on starts a
#: real identity provider per test: ~1 s each; the flows and a bad case stay).
SAMPLED = ("tests/sso/",)
FAST_SAMPLE = (
    "tests/sso/test_sso.py::test_first_sign_in_creates_the_user_and_a_second_finds_them",
    "tests/sso/test_sso.py::test_a_replayed_code_is_refused",
    "tests/sso/test_sso.py::test_an_unverified_email_creates_and_links_nothing",
    "tests/sso/test_sso_official_client.py::test_site_wide_sso_in_browser_mode_then_plot",
    "tests/sso/test_sso_graphport_client.py::test_browser_mode_signs_in_and_plots",
    "tests/sso/test_sso_config.py",
)
#: Where suites run over both in-process transports (``hub`` in tests/client/conftest.py): the
#: fast tier keeps the direct one, which ``new_local_client()`` uses; the ASGI app they also run
#: over is what the transports suites exercise.
DIRECT_LEG_ONLY = ("tests/client/",)
#: Files of many parametrized cases each paying a server's start: the fast tier runs each test
#: with its first parameter set only (the full tier runs them all).
FIRST_CASE_ONLY = (
    "tests/transports/test_http_limits.py",
    "tests/transports/test_errors.py",
    "tests/server/test_ingest_attacks.py",
)


@dataclass(frozen=True)
class Tier:
    name: str
    reason: str


def chosen(environ: os._Environ[str] | dict[str, str]) -> Tier:
    """The tier of this run, and why."""
    if environ.get("CI") == "true":
        return Tier("full", "CI=true")
    value = environ.get(ENV, "")
    if value == "fast":
        return Tier("fast", f"{ENV}=fast")
    if value not in ("", "full"):
        raise pytest.UsageError(f"{ENV} is {value!r}; expected 'fast' or 'full'.")
    return Tier("full", f"{ENV}={value}" if value else f"{ENV} unset")


def _under(path: str, prefixes: Iterable[str]) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in prefixes)


def fast_excludes(item: pytest.Item) -> str | None:
    """Why the fast tier leaves ``item`` out, or None when it keeps it."""
    path, _, name = item.nodeid.partition("::")
    test = f"{path}::{name.split('[', 1)[0]}"
    if _under(path, FULL_ONLY) or test in FULL_ONLY:
        return "full tier only"
    if _under(path, SAMPLED) and test not in FAST_SAMPLE and path not in FAST_SAMPLE:
        return "sampled"
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        parts = set(re.split(r"[-\[\]]", callspec.id))
        scale = callspec.params.get("stack") == "scale" or "scale" in parts
        if scale and not _under(path, FAST_SCALE):
            return "scale leg"
        if parts & set(OTHER_ADAPTERS) and not _under(path, FAST_ADAPTERS):
            return "adapter leg"
        if "asgi" in parts and "direct" not in parts and _under(path, DIRECT_LEG_ONLY):
            return "transport leg"
    if item.get_closest_marker("browser") is not None and test not in FAST_BROWSER:
        return "browser"
    if item.get_closest_marker("slow") is not None and test not in FAST_SLOW:
        return "slow"
    return None


def select(config: pytest.Config, items: list[pytest.Item]) -> dict[str, int]:
    """Deselect what the fast tier leaves out (in place); returns the counts by reason."""
    if chosen(os.environ).name != "fast":
        return {}
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    reasons: dict[str, int] = {}
    first_cases: set[str] = set()
    for item in items:
        reason = fast_excludes(item)
        path, _, name = item.nodeid.partition("::")
        if reason is None and path in FIRST_CASE_ONLY and "[" in name:
            test = f"{path}::{name.split('[', 1)[0]}"
            reason = "later case" if test in first_cases else None
            first_cases.add(test)
        if reason is None:
            kept.append(item)
        else:
            dropped.append(item)
            reasons[reason] = reasons.get(reason, 0) + 1
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    return reasons
