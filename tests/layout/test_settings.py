"""Layout settings: Graphistry's names, defaults, validation, and their effect on the picture."""

from __future__ import annotations

import numpy as np
import pytest

from graphport.errors import ValidationError
from graphport.layout import GRAPHISTRY_NAMES, LayoutSettings, compute_layout

from ._graphs import planted


def test_defaults_are_graphistrys() -> None:
    assert LayoutSettings().to_graphistry() == {
        "strongGravity": False,
        "dissuadeHubs": False,
        "edgeInfluence": 1.0,
        "precisionVsSpeed": 1.0,
        "gravity": 1.0,
        "scalingRatio": 1.0,
        "linLog": False,
        "lockedX": False,
        "lockedY": False,
        "lockedR": False,
    }


def test_round_trip_through_graphistry_names_and_url_strings() -> None:
    settings = LayoutSettings(lin_log=True, gravity=3.0, locked_y=True, precision_vs_speed=-2)
    assert LayoutSettings.from_graphistry(settings.to_graphistry()) == settings
    from_url = LayoutSettings.from_graphistry(
        {"linLog": "true", "gravity": "3", "lockedY": "1", "precisionVsSpeed": "-2", "play": "0"}
    )
    assert from_url == settings
    assert set(GRAPHISTRY_NAMES) == set(settings.to_graphistry())


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"gravity": -1}, "gravity"),
        ({"precisionVsSpeed": 9}, "precisionVsSpeed"),
        ({"scalingRatio": "lots"}, "scalingRatio"),
        ({"linLog": "maybe"}, "linLog"),
        ({"edgeInfluence": float("nan")}, "edgeInfluence"),
    ],
)
def test_bad_values_are_refused_naming_the_field(values: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        LayoutSettings.from_graphistry(values)
    named = {problem["field"] for problem in caught.value.errors}
    assert named & {field, GRAPHISTRY_NAMES[field]}
    assert caught.value.status == 400


def test_constructor_checks_types() -> None:
    with pytest.raises(ValidationError, match="strong_gravity must be true or false"):
        LayoutSettings(strong_gravity="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="scaling_ratio must be a number"):
        LayoutSettings(scaling_ratio=True)


def spread(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.var(x) + np.var(y)))


def test_scaling_ratio_spreads_and_strong_gravity_tightens() -> None:
    src, dst, _ = planted(600, 3, 3000)
    base = spread(*compute_layout(600, src, dst))
    assert spread(*compute_layout(600, src, dst, LayoutSettings(scaling_ratio=10.0))) > 1.5 * base
    assert spread(*compute_layout(600, src, dst, LayoutSettings(strong_gravity=True, gravity=5.0))) < base


def test_locks_keep_the_starting_coordinates() -> None:
    src, dst, _ = planted(300, 3, 1500)
    rng = np.random.default_rng(0)
    start = (rng.uniform(-50, 50, 300), rng.uniform(-50, 50, 300))
    x, y = compute_layout(300, src, dst, LayoutSettings(locked_x=True), initial=start)
    assert np.array_equal(x, start[0]) and not np.array_equal(y, start[1])
    x, y = compute_layout(300, src, dst, LayoutSettings(locked_r=True), initial=start)
    assert np.allclose(np.hypot(x, y), np.hypot(*start))
    assert not np.allclose(x, start[0])
