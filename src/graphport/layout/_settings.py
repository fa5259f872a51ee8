"""The layout knobs, with Graphistry's names, meanings and defaults.

Graphistry's explorer runs ForceAtlas2 (Jacomy et al. 2014, "ForceAtlas2, a continuous graph layout
algorithm") and exposes its knobs as URL parameters and as the official client's
``layout_settings(...)``; the defaults below are the values pygraphistry documents for them.
:meth:`LayoutSettings.from_graphistry` reads those camelCase names (URL parameters arrive as
strings), so the dataset build can later hand them over unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ..errors import ValidationError

__all__ = ["GRAPHISTRY_NAMES", "LayoutSettings"]

#: Graphistry's camelCase name -> LayoutSettings field.
GRAPHISTRY_NAMES = {
    "strongGravity": "strong_gravity",
    "dissuadeHubs": "dissuade_hubs",
    "edgeInfluence": "edge_influence",
    "precisionVsSpeed": "precision_vs_speed",
    "gravity": "gravity",
    "scalingRatio": "scaling_ratio",
    "linLog": "lin_log",
    "lockedX": "locked_x",
    "lockedY": "locked_y",
    "lockedR": "locked_r",
}

_RANGES = {
    "edge_influence": (0.0, 10.0),
    "precision_vs_speed": (-5.0, 5.0),
    "gravity": (0.0, 1000.0),
    "scaling_ratio": (0.01, 1000.0),
}


@dataclass(frozen=True)
class LayoutSettings:
    """ForceAtlas2 settings (Graphistry's ``layout_settings``); every field has Graphistry's default.

    - ``strong_gravity`` (``strongGravity``, False): gravity grows with the distance to the centre
      instead of being constant, so outlying nodes and pieces are pulled in hard; a tighter picture.
    - ``dissuade_hubs`` (``dissuadeHubs``, False): a node's attraction is divided by its degree
      (ForceAtlas2's "outbound attraction distribution"), pushing hubs to the centre of their
      neighbourhood and their leaves outwards; authorities come forward.
    - ``edge_influence`` (``edgeInfluence``, 1.0, 0..10): edge weights count as ``weight **
      edge_influence`` in the attraction; 0 ignores weights. No effect when edges carry no weight.
    - ``precision_vs_speed`` (``precisionVsSpeed``, 1.0, -5..5): higher is more precise and slower:
      every step of 1 doubles or halves the iteration budget and tightens or loosens the
      Barnes-Hut approximation (theta) a little.
    - ``gravity`` (``gravity``, 1.0, 0..1000): strength of the pull towards each component's centre.
    - ``scaling_ratio`` (``scalingRatio``, 1.0, 0.01..1000): strength of the repulsion, so the
      spacing of the picture: larger spreads nodes apart.
    - ``lin_log`` (``linLog``, False): LinLog attraction (logarithmic in the distance) instead of
      linear, which separates clusters more sharply (Noack's LinLog energy model).
    - ``locked_x`` / ``locked_y`` (``lockedX`` / ``lockedY``, False): nodes keep their starting x
      (or y) and move along the other axis only.
    - ``locked_r`` (``lockedR``, False): nodes keep their starting distance from the centre and
      move around it only.

    With any lock set the starting positions matter, so the layout keeps the given ``initial``
    positions' frame and does not repack components.
    """

    strong_gravity: bool = False
    dissuade_hubs: bool = False
    edge_influence: float = 1.0
    precision_vs_speed: float = 1.0
    gravity: float = 1.0
    scaling_ratio: float = 1.0
    lin_log: bool = False
    locked_x: bool = False
    locked_y: bool = False
    locked_r: bool = False

    def __post_init__(self) -> None:
        problems = []
        for name, (low, high) in _RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(_problem(name, f"must be a number, got {value!r}"))
            elif not (math.isfinite(value) and low <= value <= high):
                problems.append(_problem(name, f"must be between {low:g} and {high:g}, got {value!r}"))
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name not in _RANGES and not isinstance(value, bool):
                problems.append(_problem(field.name, f"must be true or false, got {value!r}"))
        if problems:
            raise ValidationError(
                "Invalid layout settings: "
                + "; ".join(f"{p['field']} {p['message']}" for p in problems)
                + ". Use Graphistry's layout_settings names and ranges (see docs/layout.md).",
                errors=problems,
            )

    @property
    def locked(self) -> bool:
        """True when any axis or the radius is locked (starting positions are kept in part)."""
        return self.locked_x or self.locked_y or self.locked_r

    @classmethod
    def from_graphistry(cls, values: Mapping[str, Any]) -> LayoutSettings:
        """Settings from Graphistry's camelCase names (``{"linLog": "true", "gravity": 2}``).

        Unknown names (``play``, ``pointSize``...) are ignored: they belong to the viewer. Values
        may be strings, as URL parameters are: ``true``/``false``/``1``/``0`` and numbers."""
        given: dict[str, Any] = {}
        problems = []
        for key, field_name in GRAPHISTRY_NAMES.items():
            if key not in values or values[key] is None:
                continue
            raw = values[key]
            try:
                given[field_name] = _number(raw) if field_name in _RANGES else _boolean(raw)
            except ValueError as exc:
                problems.append(_problem(key, str(exc)))
        if problems:
            raise ValidationError(
                "Invalid layout settings: " + "; ".join(f"{p['field']} {p['message']}" for p in problems),
                errors=problems,
            )
        return cls(**given)

    def to_graphistry(self) -> dict[str, Any]:
        """The settings under Graphistry's camelCase names (the inverse of :meth:`from_graphistry`)."""
        return {key: getattr(self, name) for key, name in GRAPHISTRY_NAMES.items()}


def _problem(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in ("true", "1", "false", "0"):
        return raw.strip().lower() in ("true", "1")
    raise ValueError(f"must be true or false, got {raw!r}")


def _number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(f"must be a number, got {raw!r}")
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number, got {raw!r}") from None
