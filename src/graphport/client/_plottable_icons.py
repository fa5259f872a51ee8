"""``encode_point_icon``/``encode_edge_icon`` and ``encode_point_badge``/``encode_edge_badge``, with
the reference client's names, arguments and JSON (built by ``EncodingMethods._encode``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Self

from ..errors import ConfigError
from ._plottable_encodings import EncodingMethods, GraphType

BADGE_POSITIONS = (
    "TopRight",
    "TopLeft",
    "BottomRight",
    "BottomLeft",
    "Top",
    "Bottom",
    "Left",
    "Right",
    "Cover",
)


class IconMethods(EncodingMethods):
    """Icon and badge encodings of a plottable."""

    __slots__ = ()

    def _icon(
        self,
        graph_type: GraphType,
        column: str,
        categorical_mapping: Mapping[Any, Any] | None,
        continuous_binning: list[Any] | None,
        default_mapping: Any,
        comparator: Callable[[Any, Any], int] | None,
        for_default: bool,
        for_current: bool,
        as_text: bool,
        blend_mode: str | None,
        style: Mapping[str, Any] | None,
        border: Mapping[str, Any] | None,
        shape: str | None,
    ) -> Self:
        return self._encode(
            graph_type, "icon", column, categorical_mapping=categorical_mapping,
            continuous_binning=continuous_binning, default_mapping=default_mapping, comparator=comparator,
            for_default=for_default, for_current=for_current,
            extra={"asText": as_text, "blendMode": blend_mode, "style": style, "border": border, "shape": shape},
        )  # fmt: skip

    def encode_point_icon(
        self,
        column: str,
        categorical_mapping: Mapping[Any, Any] | None = None,
        continuous_binning: list[Any] | None = None,
        default_mapping: Any = None,
        comparator: Callable[[Any, Any], int] | None = None,
        for_default: bool = True,
        for_current: bool = False,
        as_text: bool = False,
        blend_mode: str | None = None,
        style: Mapping[str, Any] | None = None,
        border: Mapping[str, Any] | None = None,
        shape: str | None = None,
    ) -> Self:
        """Node icons from a column: Font Awesome 4 names (``"laptop"``), image URLs or data URIs; with
        ``as_text=True`` the values are shown as text.

        Example::

            g2 = g.encode_point_icon("kind", categorical_mapping={"mac": "laptop"}, default_mapping="question")
        """
        return self._icon(
            "point", column, categorical_mapping, continuous_binning, default_mapping, comparator,
            for_default, for_current, as_text, blend_mode, style, border, shape,
        )  # fmt: skip

    def encode_edge_icon(
        self,
        column: str,
        categorical_mapping: Mapping[Any, Any] | None = None,
        continuous_binning: list[Any] | None = None,
        default_mapping: Any = None,
        comparator: Callable[[Any, Any], int] | None = None,
        for_default: bool = True,
        for_current: bool = False,
        as_text: bool = False,
        blend_mode: str | None = None,
        style: Mapping[str, Any] | None = None,
        border: Mapping[str, Any] | None = None,
        shape: str | None = None,
    ) -> Self:
        """Edge icons from a column (same options as :meth:`encode_point_icon`).

        Example::

            g2 = g.encode_edge_icon("proto", categorical_mapping={"ssh": "lock"})
        """
        return self._icon(
            "edge", column, categorical_mapping, continuous_binning, default_mapping, comparator,
            for_default, for_current, as_text, blend_mode, style, border, shape,
        )  # fmt: skip

    def _badge(self, graph_type: GraphType, column: str, position: str, **options: Any) -> Self:
        if position not in BADGE_POSITIONS:
            raise ConfigError(
                f"encode_{graph_type}_badge({column!r}, position={position!r}): unknown position; expected "
                f"one of {', '.join(BADGE_POSITIONS)}."
            )
        extra = {
            "bg": options["bg"], "color": options["color"], "fg": options["fg"], "asText": options["as_text"],
            "blendMode": options["blend_mode"], "style": options["style"], "border": options["border"],
            "shape": options["shape"],
        }  # fmt: skip
        return self._encode(
            graph_type, f"badge{position}", column,
            as_categorical=options["categorical_mapping"] is not None,
            as_continuous=options["continuous_binning"] is not None,
            categorical_mapping=options["categorical_mapping"], default_mapping=options["default_mapping"],
            continuous_binning=options["continuous_binning"], comparator=options["comparator"],
            for_default=options["for_default"], for_current=options["for_current"], extra=extra,
        )  # fmt: skip

    def encode_point_badge(
        self,
        column: str,
        position: str = "TopRight",
        categorical_mapping: Mapping[Any, Any] | None = None,
        continuous_binning: list[Any] | None = None,
        default_mapping: Any = None,
        comparator: Callable[[Any, Any], int] | None = None,
        color: str | None = None,
        bg: str | None = None,
        fg: str | None = None,
        for_current: bool = False,
        for_default: bool = True,
        as_text: bool | None = None,
        blend_mode: str | None = None,
        style: Mapping[str, Any] | None = None,
        border: Mapping[str, Any] | None = None,
        shape: str | None = None,
    ) -> Self:
        """A badge on each node (``position`` ``TopRight``, ``BottomLeft``, ``Cover``...) from a column:
        icons, text (``as_text=True``), or the values mapped.

        Example::

            g2 = g.encode_point_badge("country", "TopRight", categorical_mapping={"FR": "flag"}, as_text=False)
        """
        return self._badge(
            "point", column, position, categorical_mapping=categorical_mapping,
            continuous_binning=continuous_binning, default_mapping=default_mapping, comparator=comparator,
            color=color, bg=bg, fg=fg, for_current=for_current, for_default=for_default, as_text=as_text,
            blend_mode=blend_mode, style=style, border=border, shape=shape,
        )  # fmt: skip

    def encode_edge_badge(
        self,
        column: str,
        position: str = "TopRight",
        categorical_mapping: Mapping[Any, Any] | None = None,
        continuous_binning: list[Any] | None = None,
        default_mapping: Any = None,
        comparator: Callable[[Any, Any], int] | None = None,
        color: str | None = None,
        bg: str | None = None,
        fg: str | None = None,
        for_current: bool = False,
        for_default: bool = True,
        as_text: bool | None = None,
        blend_mode: str | None = None,
        style: Mapping[str, Any] | None = None,
        border: Mapping[str, Any] | None = None,
        shape: str | None = None,
    ) -> Self:
        """A badge on each edge (same options as :meth:`encode_point_badge`).

        Example::

            g2 = g.encode_edge_badge("proto", "Cover", as_text=True)
        """
        return self._badge(
            "edge", column, position, categorical_mapping=categorical_mapping,
            continuous_binning=continuous_binning, default_mapping=default_mapping, comparator=comparator,
            color=color, bg=bg, fg=fg, for_current=for_current, for_default=for_default, as_text=as_text,
            blend_mode=blend_mode, style=style, border=border, shape=shape,
        )  # fmt: skip
