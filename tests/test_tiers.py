"""tests/_tiers.py: the fast tier's rules, and that every test it names still exists."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from . import _tiers

ROOT = Path(__file__).parent.parent


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
    }


@pytest.mark.parametrize("listed", [*_tiers.FAST_BROWSER, *_tiers.FAST_SLOW])
def test_every_named_test_exists(listed: str) -> None:
    path, _, name = listed.partition("::")
    assert name in functions_in(ROOT / path), f"{listed} is gone: update tests/_tiers.py"


@pytest.mark.parametrize(
    "listed", [*_tiers.FULL_ONLY, *_tiers.FAST_SCALE, *_tiers.FAST_SAMPLE, *_tiers.FIRST_CASE_ONLY]
)
def test_every_named_path_exists(listed: str) -> None:
    path, _, name = listed.partition("::")
    assert (ROOT / path).exists(), f"{listed} is gone: update tests/_tiers.py"
    assert not name or name in functions_in(ROOT / path), f"{listed} is gone: update tests/_tiers.py"


@dataclass
class FakeItem:
    nodeid: str
    markers: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def callspec(self) -> Any:
        if not self.params:
            return None
        ident = "-".join(str(v) if not isinstance(v, tuple) else "-".join(v) for v in self.params.values())
        return type("CallSpec", (), {"params": self.params, "id": ident})()

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (FakeItem("tests/reliability/test_kill9.py::test_kill9[embedded]"), "full tier only"),
        (
            FakeItem("tests/server/test_permissions_stateful.py::test_permission_model[embedded]"),
            "full tier only",
        ),
        (FakeItem("tests/server/test_access.py::test_x[scale]", params={"stack": "scale"}), "scale leg"),
        (FakeItem("tests/server/test_access.py::test_x[embedded]", params={"stack": "embedded"}), None),
        (FakeItem("tests/client/test_client.py::test_x[asgi]", params={"hub": "asgi"}), "transport leg"),
        (FakeItem("tests/client/test_client.py::test_x[direct]", params={"hub": "direct"}), None),
        (FakeItem("tests/storage/test_stores.py::test_y[scale]", params={"stack": "scale"}), None),
        (FakeItem("tests/server/test_live_bus.py::test_z[scale]", params={"stack": "scale"}), None),
        (FakeItem("tests/viewer/test_viewer.py::test_wheel_zoom_changes_the_view", ("browser",)), "browser"),
        (FakeItem(_tiers.FAST_BROWSER[0], ("browser",)), None),
        (FakeItem(_tiers.FAST_BROWSER[1] + "[p]", ("browser",)), None),
        (FakeItem("tests/test_scale_processes.py::test_kill_9_during_uploads", ("slow",)), "slow"),
        (FakeItem(_tiers.FAST_SLOW[0], ("slow",)), None),
        (
            FakeItem("tests/cli/test_serve_signals.py::test_sigterm_flushes_acknowledged_live_writes[1]"),
            "full tier only",
        ),
        (
            FakeItem("tests/cli/test_serve_signals.py::test_workers_die_with_a_killed_server"),
            "full tier only",
        ),
        (FakeItem("tests/server/test_ingest.py::test_a_killed_worker_is_replaced"), None),
        (FakeItem("tests/client/test_client.py::test_anything"), None),
        (
            FakeItem(
                "tests/transports/test_authz_matrix.py::test_cell[w]", params={"world": ("scale", "asgi")}
            ),
            "scale leg",
        ),
        (
            FakeItem(
                "tests/transports/test_authz_matrix.py::test_cell[w]",
                params={"world": ("embedded", "tornado")},
            ),
            "adapter leg",
        ),
        (
            FakeItem(
                "tests/transports/test_authz_matrix.py::test_cell[w]", params={"world": ("embedded", "asgi")}
            ),
            None,
        ),
        (
            FakeItem("tests/transports/test_v3_official_client.py::test_x[a]", params={"adapter": "aiohttp"}),
            "adapter leg",
        ),
        (FakeItem("tests/transports/test_tornado.py::test_x[t]", params={"adapter": "tornado"}), None),
    ],
)
def test_what_the_fast_tier_leaves_out(item: FakeItem, reason: str | None) -> None:
    assert _tiers.fast_excludes(item) == reason  # type: ignore[arg-type]


def test_the_tier_comes_from_the_environment() -> None:
    assert _tiers.chosen({}).name == "full"  # a plain pytest run: everything
    assert _tiers.chosen({_tiers.ENV: "fast"}).name == "fast"
    assert _tiers.chosen({_tiers.ENV: "full"}).name == "full"
    assert _tiers.chosen({_tiers.ENV: "fast", "CI": "true"}) == _tiers.Tier("full", "CI=true")
    with pytest.raises(pytest.UsageError, match="expected 'fast' or 'full'"):
        _tiers.chosen({_tiers.ENV: "quick"})
