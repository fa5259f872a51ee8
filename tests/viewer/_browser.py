"""Helpers for the viewer tests: run the Chromium driver, decode its PNG screenshots."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).resolve().parent / "driver.mjs"
BUNDLE = ROOT / "src" / "graphport" / "viewer" / "static" / "viewer.js"
PLAYWRIGHT = ROOT / "web" / "node_modules" / "playwright-core"


def require_browser() -> None:
    """Skip (locally) or fail (in CI) when Chromium, Node or the built viewer is missing."""
    missing = []
    if shutil.which("chromium") is None:
        missing.append("Debian's chromium (apt-get install chromium)")
    if shutil.which("node") is None:
        missing.append("node")
    if not PLAYWRIGHT.is_dir():
        missing.append("web/node_modules (cd web && npm ci)")
    if not BUNDLE.is_file():
        missing.append("the viewer bundle (make viewer)")
    if missing:
        reason = "The viewer browser tests need " + ", ".join(missing) + "."
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def run_browser(plan: dict[str, Any], workdir: Path, timeout: float = 120) -> dict[str, Any]:
    """Run one plan of steps in a fresh headless Chromium; returns the driver's JSON report."""
    plan_path = workdir / f"plan-{os.getpid()}-{id(plan)}.json"
    plan_path.write_text(json.dumps(plan))
    proc = subprocess.run(
        ["node", str(DRIVER), str(plan_path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"The browser driver failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    report: dict[str, Any] = json.loads(proc.stdout)
    for step, result in zip(plan["steps"], report["steps"], strict=True):
        if isinstance(result, dict) and "stepError" in result:
            raise AssertionError(f"Browser step {step} failed: {result['stepError']}")
    return report


def run_steps(workdir: Path, steps: list[dict[str, Any]], **plan: Any) -> dict[str, Any]:
    """Run ``steps`` (and the plan's other keys) as :func:`run_browser` does, and fail on any
    error the page raised meanwhile."""
    report = run_browser({"steps": steps, **plan}, workdir)
    assert report["pageErrors"] == [], report["pageErrors"]
    return report
