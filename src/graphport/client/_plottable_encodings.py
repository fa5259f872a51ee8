"""The ``encode_*`` methods of a plottable (icons and badges: ``_plottable_icons``), with the reference client's names, arguments and JSON.

Each complex encoding is stored exactly as ``graphistry`` 0.61.2 (``PlotterBase.__encode``) builds
it, so a viewer reading the dataset JSON cannot tell the two clients apart: ``{"graphType",
"encodingType", "attribute", "variation", "mapping" | "colors", ...}`` under
``{node|edge}_encodings.complex.{default|current}.<name>Encoding``. A plain call (no mapping, palette
or bins) is a binding, as there. ``tests/client/test_official_parity.py`` compares the JSON both
clients send for the same calls.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Literal, Self

from ..errors import ConfigError
from ._graph_spec import SpecHolder

GraphType = Literal["point", "edge"]


def _jsonable(value: Any, call: str, what: str) -> Any:
    """``value`` as the JSON the reference client's ``requests.post(json=...)`` would send
    (dict keys become strings the way ``json.dumps`` makes them)."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{call}: {what} must be JSON values (strings, numbers, lists, dicts): {exc}."
        ) from None


class EncodingMethods(SpecHolder):
    """``encode_point_color`` ... ``encode_edge_badge``: same names, arguments and wire JSON as the
    reference client."""

    __slots__ = ()

    def _encode(
        self,
        graph_type: GraphType,
        feature: str,
        column: str,
        *,
        palette: list[str] | None = None,
        as_categorical: bool | None = None,
        as_continuous: bool | None = None,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        continuous_binning: list[Any] | None = None,
        comparator: Callable[[Any, Any], int] | None = None,
        for_default: bool = True,
        for_current: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> Self:
        call = f"encode_{graph_type}_{feature.lower() if not feature.startswith('badge') else 'badge'}({column!r}, ...)"
        if not isinstance(column, str):
            raise ConfigError(f"{call}: the column must be a name (a string); got a {type(column).__name__}.")
        badge = feature.startswith("badge")
        if categorical_mapping is None and palette is None and continuous_binning is None and not badge:
            return self._bind({f"{graph_type}_{feature}": column})
        if comparator is not None:
            raise ConfigError(
                f"{call}: comparator= is a Python function and cannot travel in the dataset JSON (the "
                "reference client fails to send it too); sort the bins instead."
            )
        transform: dict[str, Any]
        if categorical_mapping is not None:
            if not isinstance(categorical_mapping, Mapping):
                raise ConfigError(f"{call}: categorical_mapping must be a dict of value -> {feature}.")
            fixed = _jsonable(dict(categorical_mapping), call, "categorical_mapping")
            categorical: dict[str, Any] = {"fixed": fixed}
            if default_mapping is not None:
                categorical["other"] = _jsonable(default_mapping, call, "default_mapping")
            transform = {"variation": "categorical", "mapping": {"categorical": categorical}}
        elif palette is not None:
            if isinstance(palette, tuple):
                palette = list(palette)
            if not isinstance(palette, list) or not all(isinstance(c, str) for c in palette):
                raise ConfigError(f"{call}: palette must be a list of colour strings, e.g. ['#fff', 'red'].")
            if as_categorical is None and as_continuous is None:
                raise ConfigError(f"{call}: with a palette, say as_categorical=True or as_continuous=True.")
            categorical_flag = as_categorical if as_categorical is not None else not as_continuous
            transform = {"variation": "categorical" if categorical_flag else "continuous", "colors": palette}
        elif continuous_binning is not None:
            if isinstance(continuous_binning, tuple):
                continuous_binning = list(continuous_binning)
            if not isinstance(continuous_binning, list):
                raise ConfigError(
                    f"{call}: continuous_binning must be a list of [upper bound or None, value]."
                )
            if as_categorical:
                raise ConfigError(
                    f"{call}: as_categorical=True and continuous_binning contradict each other."
                )
            continuous: dict[str, Any] = {"bins": _jsonable(continuous_binning, call, "continuous_binning")}
            if default_mapping is not None:
                continuous["other"] = _jsonable(default_mapping, call, "default_mapping")
            transform = {"variation": "continuous", "mapping": {"continuous": continuous}}
        else:  # a badge with no mapping shows the column's values
            transform = {"variation": "categorical"}
        if not (for_default or for_current):
            raise ConfigError(f"{call}: for_default and for_current are both False; set at least one.")
        encoding: dict[str, Any] = {
            "graphType": graph_type,
            "encodingType": feature,
            "attribute": column,
            **transform,
        }
        for key, value in (extra or {}).items():
            if value is not None:
                encoding[key] = _jsonable(value, call, key)
        name = f"{graph_type}{feature[0].upper()}{feature[1:]}Encoding"
        encodings = json.loads(self._spec.encodings)
        side = encodings.setdefault("node" if graph_type == "point" else "edge", {})
        for slot, wanted in (("current", for_current), ("default", for_default)):
            if wanted:
                side.setdefault(slot, {})[name] = encoding
        return self._with(encodings=json.dumps(encodings))

    # -- colours and sizes ---------------------------------------------------------------------

    def encode_point_color(
        self,
        column: str,
        palette: list[str] | None = None,
        as_categorical: bool | None = None,
        as_continuous: bool | None = None,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        for_default: bool = True,
        for_current: bool = False,
    ) -> Self:
        """Colour nodes by a column: a plain binding, a palette, or a categorical mapping.

        Example::

            g2 = g.encode_point_color("kind", categorical_mapping={"a": "red"}, default_mapping="gray")
        """
        return self._encode(
            "point", "color", column, palette=palette, as_categorical=as_categorical,
            as_continuous=as_continuous, categorical_mapping=categorical_mapping,
            default_mapping=default_mapping, for_default=for_default, for_current=for_current,
        )  # fmt: skip

    def encode_edge_color(
        self,
        column: str,
        palette: list[str] | None = None,
        as_categorical: bool | None = None,
        as_continuous: bool | None = None,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        for_default: bool = True,
        for_current: bool = False,
    ) -> Self:
        """Colour edges by a column (same options as :meth:`encode_point_color`).

        Example::

            g2 = g.encode_edge_color("w", ["blue", "red"], as_continuous=True)
        """
        return self._encode(
            "edge", "color", column, palette=palette, as_categorical=as_categorical,
            as_continuous=as_continuous, categorical_mapping=categorical_mapping,
            default_mapping=default_mapping, for_default=for_default, for_current=for_current,
        )  # fmt: skip

    def _mapped(
        self,
        graph_type: GraphType,
        feature: str,
        column: str,
        categorical_mapping: Mapping[Any, Any] | None,
        default_mapping: Any,
        continuous_binning: list[Any] | None,
        for_default: bool,
        for_current: bool,
    ) -> Self:
        return self._encode(
            graph_type, feature, column, categorical_mapping=categorical_mapping,
            default_mapping=default_mapping, continuous_binning=continuous_binning,
            for_default=for_default, for_current=for_current,
        )  # fmt: skip

    def encode_point_size(
        self,
        column: str,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        for_default: bool = True,
        for_current: bool = False,
        *,
        continuous_binning: list[Any] | None = None,
    ) -> Self:
        """Size nodes by a column: a plain binding, a categorical mapping or continuous bins.

        Example::

            g2 = g.encode_point_size("kind", categorical_mapping={"a": 100}, default_mapping=50)
        """
        return self._mapped(
            "point", "size", column, categorical_mapping, default_mapping, continuous_binning,
            for_default, for_current,
        )  # fmt: skip

    def encode_edge_size(
        self,
        column: str,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        for_default: bool = True,
        for_current: bool = False,
        *,
        continuous_binning: list[Any] | None = None,
    ) -> Self:
        """Size edges by a column (same options as :meth:`encode_point_size`). Example: ``g.encode_edge_size("w")``."""
        return self._mapped(
            "edge", "size", column, categorical_mapping, default_mapping, continuous_binning,
            for_default, for_current,
        )  # fmt: skip

    def encode_edge_weight(
        self,
        column: str,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        for_default: bool = True,
        for_current: bool = False,
    ) -> Self:
        """Weight edges by a column (the layout pulls heavier edges harder). Example: ``g.encode_edge_weight("w")``."""
        return self._mapped(
            "edge", "weight", column, categorical_mapping, default_mapping, None, for_default, for_current
        )

    def encode_point_opacity(
        self,
        column: str,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        for_default: bool = True,
        for_current: bool = False,
    ) -> Self:
        """Node opacity from a column (0..1). Example: ``g.encode_point_opacity("o")``."""
        return self._mapped(
            "point", "opacity", column, categorical_mapping, default_mapping, None, for_default, for_current
        )

    def encode_edge_opacity(
        self,
        column: str,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        for_default: bool = True,
        for_current: bool = False,
    ) -> Self:
        """Edge opacity from a column (0..1). Example: ``g.encode_edge_opacity("o")``."""
        return self._mapped(
            "edge", "opacity", column, categorical_mapping, default_mapping, None, for_default, for_current
        )

    # -- titles and labels (bindings only, as in the reference client) ------------------------

    def _text(self, graph_type: GraphType, feature: str, column: str, mapping: Any, default: Any) -> Self:
        if mapping is not None or default is not None:
            raise ConfigError(
                f"encode_{graph_type}_{feature}({column!r}) binds a text column; categorical_mapping and "
                "default_mapping are not supported for titles/labels (as in the reference client). Map the "
                "values into a new column first."
            )
        return self._bind({f"{graph_type}_{feature}": column})

    def encode_point_title(
        self, column: str, categorical_mapping: Any = None, default_mapping: Any = None
    ) -> Self:
        """Node titles (the text shown on hover/selection) from a column. Example: ``g.encode_point_title("name")``."""
        return self._text("point", "title", column, categorical_mapping, default_mapping)

    def encode_point_label(
        self, column: str, categorical_mapping: Any = None, default_mapping: Any = None
    ) -> Self:
        """Node labels from a column. Example: ``g.encode_point_label("name")``."""
        return self._text("point", "label", column, categorical_mapping, default_mapping)

    def encode_edge_title(
        self, column: str, categorical_mapping: Any = None, default_mapping: Any = None
    ) -> Self:
        """Edge titles from a column. Example: ``g.encode_edge_title("kind")``."""
        return self._text("edge", "title", column, categorical_mapping, default_mapping)

    def encode_edge_label(
        self, column: str, categorical_mapping: Any = None, default_mapping: Any = None
    ) -> Self:
        """Edge labels from a column. Example: ``g.encode_edge_label("kind")``."""
        return self._text("edge", "label", column, categorical_mapping, default_mapping)
