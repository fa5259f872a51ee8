"""How a plot looks and who sees it: ``name``, ``description``, ``settings`` (viewer URL parameters),
``layout_settings``/``scene_settings`` (named URL parameters), ``style``/``addStyle`` (stored in the
dataset metadata) and ``privacy``. Same names and meanings as the reference client."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Self

from ._graph_spec import SpecHolder
from ._session import PrivacySettings

# layout_settings()/scene_settings() argument -> viewer URL parameter (the reference client's table,
# https://hub.graphistry.com/docs/api/1/rest/url/#urloptions).
LAYOUT_PARAMS = {
    "play": "play",
    "locked_x": "lockedX",
    "locked_y": "lockedY",
    "locked_r": "lockedR",
    "left": "left",
    "top": "top",
    "right": "right",
    "bottom": "bottom",
    "lin_log": "linLog",
    "strong_gravity": "strongGravity",
    "dissuade_hubs": "dissuadeHubs",
    "edge_influence": "edgeInfluence",
    "precision_vs_speed": "precisionVsSpeed",
    "gravity": "gravity",
    "scaling_ratio": "scalingRatio",
}
SCENE_PARAMS = {
    "menu": "menu",
    "info": "info",
    "show_arrows": "showArrows",
    "point_size": "pointSize",
    "edge_curvature": "edgeCurvature",
    "edge_opacity": "edgeOpacity",
    "point_opacity": "pointOpacity",
}


class StyleMethods(SpecHolder):
    """Presentation and sharing settings of a plottable."""

    __slots__ = ()

    def name(self, name: str) -> Self:
        """A plottable with this dataset name. Example: ``g.name("flows, May")``."""
        return self._with(name=str(name))

    def description(self, description: str) -> Self:
        """A plottable with this dataset description. Example: ``g.description("from the WAF")``."""
        return self._with(description=str(description))

    @property
    def url_params(self) -> dict[str, Any]:
        """The viewer URL parameters set so far (a copy)."""
        return dict(self._spec.url_params)

    def settings(
        self, height: int | None = None, url_params: Mapping[str, Any] | None = None, render: Any = None
    ) -> Self:
        """A plottable whose viewer URL carries these parameters (merged over earlier ones).
        ``height`` and ``render`` are accepted for the reference client's signature; the IFrame
        height is fixed and ``plot(render=...)`` decides rendering.

        Example::

            g2 = g.settings(url_params={"play": 0, "bg": "#000000"})
        """
        merged = dict(self._spec.url_params)
        merged.update(url_params or {})
        return self._with(url_params=tuple(merged.items()))

    def _named_params(self, table: Mapping[str, str], given: Mapping[str, Any]) -> Self:
        params = {table[k]: v for k, v in given.items() if v is not None}
        return self.settings(url_params=params) if params else self

    def layout_settings(
        self,
        play: int | None = None,
        locked_x: bool | None = None,
        locked_y: bool | None = None,
        locked_r: bool | None = None,
        left: float | None = None,
        top: float | None = None,
        right: float | None = None,
        bottom: float | None = None,
        lin_log: bool | None = None,
        strong_gravity: bool | None = None,
        dissuade_hubs: bool | None = None,
        edge_influence: float | None = None,
        precision_vs_speed: float | None = None,
        gravity: float | None = None,
        scaling_ratio: float | None = None,
    ) -> Self:
        """Layout options as viewer URL parameters (``play=2000`` -> ``play=2000``, ``locked_r=True`` ->
        ``lockedR=true``...), added to earlier settings.

        Example::

            g2 = g.layout_settings(play=0, strong_gravity=True, gravity=2.0)
        """
        given = {k: v for k, v in locals().items() if k in LAYOUT_PARAMS}
        return self._named_params(LAYOUT_PARAMS, given)

    def scene_settings(
        self,
        menu: bool | None = None,
        info: bool | None = None,
        show_arrows: bool | None = None,
        point_size: float | None = None,
        edge_curvature: float | None = None,
        edge_opacity: float | None = None,
        point_opacity: float | None = None,
    ) -> Self:
        """Scene options as viewer URL parameters (``show_arrows=False`` -> ``showArrows=false``...),
        added to earlier settings.

        Example::

            g2 = g.scene_settings(show_arrows=False, edge_curvature=0.0, point_size=0.5)
        """
        given = {k: v for k, v in locals().items() if k in SCENE_PARAMS}
        return self._named_params(SCENE_PARAMS, given)

    def style(
        self,
        fg: Mapping[str, Any] | None = None,
        bg: Mapping[str, Any] | None = None,
        page: Mapping[str, Any] | None = None,
        logo: Mapping[str, Any] | None = None,
    ) -> Self:
        """Viewer style, stored in the dataset metadata; each group given replaces the earlier one.

        Example::

            g2 = g.style(bg={"color": "white"}, page={"title": "My graph"})
        """
        style = json.loads(self._spec.style)
        for key, value in (("fg", fg), ("bg", bg), ("page", page), ("logo", logo)):
            if value is not None:
                style[key] = value
        return self._with(style=json.dumps(style))

    def addStyle(
        self,
        fg: Mapping[str, Any] | None = None,
        bg: Mapping[str, Any] | None = None,
        page: Mapping[str, Any] | None = None,
        logo: Mapping[str, Any] | None = None,
    ) -> Self:
        """Like :meth:`style`, but merges each group's keys over the earlier ones.

        Example::

            g2 = g.addStyle(bg={"color": "black"}).addStyle(bg={"image": {"url": "https://x/y.png"}})
        """
        style = json.loads(self._spec.style)
        for key, value in (("fg", fg), ("bg", bg), ("page", page), ("logo", logo)):
            if value is None:
                continue
            if isinstance(value, Mapping):
                group = style.get(key) if isinstance(style.get(key), dict) else {}
                group.update(value)
                style[key] = group
            else:
                style[key] = value
        return self._with(style=json.dumps(style))

    def privacy(
        self,
        mode: str | None = None,
        notify: bool | None = None,
        invited_users: list[Any] | None = None,
        message: str | None = None,
        mode_action: str | None = None,
    ) -> Self:
        """A plottable with its own sharing settings; unset fields fall back to the client's.

        ``mode`` is ``private``, ``organization`` (or ``org``) or ``public``; ``invited_users``
        lists emails/usernames or ``{"email": ..., "action": "10"|"20"}``.

        Example::

            g2 = g.privacy(mode="private", invited_users=["bob@example.org"])
        """
        settings = PrivacySettings.build(mode, notify, invited_users, mode_action, message)
        return self._with(privacy=settings)
