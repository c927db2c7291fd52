"""Figures of the page, drawn with Matplotlib (no pyplot, so sessions never share state):
the barrio map through Mesa's ``SpaceRenderer`` and the time series.

The map uses two renderers on one set of axes: one over a display grid (a Mesa
``OrthogonalMooreGrid`` of the city's size whose property layers hold the map layers
computed in ``workshop.core``: the model's own layers are never written to), one over the
model's grid for its agents (committees, UPC posts, patrol units).
"""

from __future__ import annotations

import random
import textwrap
from datetime import date, timedelta
from functools import partial

import matplotlib

matplotlib.use("Agg")  # never open windows; the server draws into PNGs

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402
from mesa.discrete_space import OrthogonalMooreGrid  # noqa: E402
from mesa.visualization import SpaceRenderer  # noqa: E402
from mesa.visualization.components import AgentPortrayalStyle, PropertyLayerStyle  # noqa: E402

from experiments.plots import cut_spans, shade_power_cuts  # noqa: E402
from experiments.reporting import number  # noqa: E402
from simulation.committees import Committee  # noqa: E402
from simulation.outcomes import GROUPS  # noqa: E402
from simulation.police import PatrolUnit, UPCPost  # noqa: E402
from workshop.core import (LAYER_COLORMAP, LAYER_RANGE, MAP_LAYERS, TEMPLATE, SCENARIO_NAMES,  # noqa: E402
                           agent_counts, app_scenario, check_layer, layer_grid)
from workshop.i18n import t  # noqa: E402

COLORS = {"public": "#1f77b4", "neighbourhood": "#ff7f0e", "observed": "#333333",
          "committee": "#1a9850", "post": "#08306b", "patrol": "#000000"}


def _portrayal(agent, cell: float = 9.0):
    """Committees, UPC posts and patrol units, drawn to the size of a cell of ``cell``
    pixels (marker sizes are areas, so they grow with its square)."""
    grow = (cell / 9.0) ** 2
    if isinstance(agent, Committee):
        return AgentPortrayalStyle(color=COLORS["committee"], marker="^", size=16 * grow, zorder=3,
                                   edgecolors="white", linewidths=0.8)
    if isinstance(agent, UPCPost):
        return AgentPortrayalStyle(color=COLORS["post"], marker="s", size=12 * grow, zorder=4,
                                   edgecolors="white", linewidths=0.8)
    if isinstance(agent, PatrolUnit):
        return AgentPortrayalStyle(color=COLORS["patrol"], marker="o", size=18 * grow, zorder=5,
                                   edgecolors="white", linewidths=1.0)
    return AgentPortrayalStyle(size=0, alpha=0.0)


class _Display:
    """What Mesa's SpaceRenderer needs of a model: a ``grid``."""

    def __init__(self, width: int, height: int):
        self.grid = OrthogonalMooreGrid((width, height), torus=False, random=random.Random(0))
        self.layers = {name: self.grid.create_property_layer(name, default_value=0.0, dtype=float)
                       for name in MAP_LAYERS}


MIN_CELL_PX = 22
"""A barrio's side on the map, at the least: readable from the back of a room."""
MAP_COLUMN_PX = 460
"""The map's width (pixels) when its cells can be larger than the least."""
DPI = 80
MAP_TOP_PX, MAP_BOTTOM_PX, MAP_SIDE_PX = 78, 84, 10  # legend above, colour bar below
MAX_LABELS = 120
"""Barrio names are written on the map when the city's barrio table names at most this many
(more would cover the map); every name is in the table either way."""


def map_geometry(width: int, height: int) -> tuple[float, float, float]:
    """(cell side, figure width, figure height) in pixels for a city of ``width`` x
    ``height`` barrios: cells of at least ``MIN_CELL_PX``, the map ``MAP_COLUMN_PX`` wide
    when that makes them larger."""
    cell = max(MIN_CELL_PX, MAP_COLUMN_PX / width)
    return cell, width * cell + 2 * MAP_SIDE_PX, height * cell + MAP_TOP_PX + MAP_BOTTOM_PX


class MapDrawing:
    """Draws one model's map; build a new one when the model is rebuilt. ``names``: barrio
    names by barrio number (``workshop.core.barrio_names``), written in their cells."""

    def __init__(self, model, names: dict[int, str] | None = None):
        self.model = model
        self.names = dict(names or {})
        self.display = _Display(model.city.width, model.city.height)
        self.layers = SpaceRenderer(self.display, backend="matplotlib")
        cell = map_geometry(model.city.width, model.city.height)[0]
        self.agents = SpaceRenderer(model, backend="matplotlib").setup_agents(
            partial(_portrayal, cell=cell))
        self.selected = MAP_LAYERS[0]
        self.layers.setup_propertylayer(self._layer_style)

    def _layer_style(self, layer):
        if layer.name != self.selected:
            return None
        vmin, vmax = LAYER_RANGE[self.selected]
        return PropertyLayerStyle(colormap=LAYER_COLORMAP[self.selected], vmin=vmin, vmax=vmax,
                                  alpha=1.0, colorbar=False)

    def draw(self, layer: str, lang: str) -> Figure:
        layer = check_layer(layer)
        model, w, h = self.model, self.model.city.width, self.model.city.height
        self.selected = layer
        values = layer_grid(model, layer)
        self.display.layers[layer].data[:] = np.nan_to_num(values, nan=0.0)

        cell, fig_w, fig_h = map_geometry(w, h)
        fig = Figure(figsize=(fig_w / DPI, fig_h / DPI), dpi=DPI)
        ax = fig.add_axes((MAP_SIDE_PX / fig_w, MAP_BOTTOM_PX / fig_h, w * cell / fig_w, h * cell / fig_h))
        for renderer in (self.layers, self.agents):
            renderer.backend_renderer.initialize_canvas(ax)
        self.layers.draw_propertylayer()
        self.agents.draw_agents()
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(-0.5, h - 0.5)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        self._label_barrios(ax, cell)

        vmin, vmax = LAYER_RANGE[layer]
        scale = 100 if layer == "safety" else 1
        cax = fig.add_axes((0.08, 40 / fig_h, 0.84, 16 / fig_h))
        bar = fig.colorbar(ScalarMappable(Normalize(vmin * scale, vmax * scale), LAYER_COLORMAP[layer]),
                           cax=cax, orientation="horizontal")
        bar.set_label(t(f"unit_{layer}", lang), fontsize=11)
        bar.ax.tick_params(labelsize=10)
        _decimal_ticks(bar.ax, lang, "x")
        counts = agent_counts(model)
        handles = [
            Line2D([], [], marker="^", ls="", color=COLORS["committee"], markersize=9,
                   label=t("legend_committee", lang, n=counts["committees"])),
            Line2D([], [], marker="s", ls="", color=COLORS["post"], markersize=8,
                   label=t("legend_post", lang, n=counts["posts"])),
            Line2D([], [], marker="o", ls="", color=COLORS["patrol"], markersize=9,
                   label=t("legend_patrol", lang, n=counts["patrols"])),
        ]
        fig.legend(handles=handles, loc="upper center", ncols=1, fontsize=11, frameon=False,
                   borderaxespad=0.3, handletextpad=0.3, labelspacing=0.25)
        return fig

    def _label_barrios(self, ax, cell: float):
        """Each named barrio's name in its cell (barrio number = column x height + row),
        dark with a white outline so it reads on any colour."""
        if not self.names or len(self.names) > MAX_LABELS:
            return
        h = self.model.city.height
        size = max(6.0, min(11.0, 0.3 * cell * 72 / DPI))
        chars = max(4, int(cell / (0.55 * size * DPI / 72)))
        outline = [patheffects.withStroke(linewidth=2.2, foreground="white")]
        for barrio, name in self.names.items():
            col, row = divmod(int(barrio), h)
            text = "\n".join(textwrap.wrap(str(name), chars, max_lines=2, placeholder="…"))
            ax.text(col, row, text, ha="center", va="center", fontsize=size, color="#111",
                    zorder=6, path_effects=outline, clip_on=True, gid=f"barrio-{barrio}")


# --- time series ------------------------------------------------------------------------


def observed_for(scenario_name: str):
    """The survey figures to mark: the scenario's own, or the Quito plan's (Tándem) for a
    scenario of the same city and period; None for another place (e.g. the northern border)."""
    scenario = app_scenario(scenario_name)
    own = scenario.observed
    if TEMPLATE not in SCENARIO_NAMES:
        return own
    quito = app_scenario(TEMPLATE)
    if scenario.run.start != quito.run.start or scenario.city != quito.city:
        return own
    merged = {k: getattr(own, k) if getattr(own, k) is not None else getattr(quito.observed, k)
              for k in ("safe_public_start", "safe_public_end", "safe_neighbourhood_start",
                        "safe_neighbourhood_end", "severe_violence_per_100k", "start_date",
                        "end_date")}
    return type(own)(**merged, source=own.source or quito.observed.source)


def timeseries(model):
    """The collected outcomes so far, with their dates."""
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    start = model.start_date
    dates = np.array([np.datetime64(start + timedelta(days=i)) for i in range(len(df))])
    return df, dates


def fit_limits(*series, zero: bool = False, headroom: float = 0.12, min_span: float = 1.0,
               top: float | None = None) -> tuple[float, float]:
    """Y-axis limits that fit the data (every finite value of ``series``): from 0 for bars,
    counts and costs (``zero``), else from a little below the lowest value; to a little
    above the highest (``headroom``, a share of the span). The span is at least
    ``min_span`` (a flat line is not blown up into noise); ``top`` caps a share at 100%."""
    values = np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in series] or [[]])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, min_span
    low, high = float(values.min()), float(values.max())
    if zero:
        low = min(0.0, low)
        high = low + max(high - low, min_span) * (1 + headroom)
    else:
        span = max(high - low, min_span)
        middle = (low + high) / 2
        low, high = middle - span / 2 - headroom * span, middle + span / 2 + headroom * span
        if float(values.min()) >= 0:
            low = max(low, 0.0)  # a share or a rate is never negative
    if top is not None:
        high = min(high, top)
    return low, high


def _decimal_ticks(ax, lang: str, axis: str = "y"):
    """Tick labels in ``lang``'s number format (Spanish: decimal comma)."""
    if lang == "en":
        return

    def label(value, _pos):
        return number(value, 0 if float(value).is_integer() else 1, lang)

    getattr(ax, f"{axis}axis").set_major_formatter(FuncFormatter(label))


def draw_charts(model, scenario_name: str, lang: str) -> Figure:
    """The time series, two columns and four rows beside the map: perception across the
    top; then victimization and severe violence, safety by group and cost, trust and
    participation. Every y-axis fits its data."""
    df, dates = timeseries(model)
    start = model.start_date
    end = start + timedelta(days=int(model.end_day))
    observed = observed_for(scenario_name)
    fig = Figure(figsize=(8.6, 12.6), dpi=DPI)
    grid = fig.add_gridspec(4, 2, left=0.07, right=0.98, top=0.97, bottom=0.03, wspace=0.2,
                            hspace=0.32, height_ratios=(1.25, 1, 1, 1))
    perception = fig.add_subplot(grid[0, :])
    victims, severe = fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
    groups, cost = fig.add_subplot(grid[2, 0]), fig.add_subplot(grid[2, 1])
    trust, members = fig.add_subplot(grid[3, 0]), fig.add_subplot(grid[3, 1])
    for ax in (perception, victims, severe, cost, trust, members):
        ax.set_xlim(np.datetime64(start), np.datetime64(end))
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    for ax in fig.axes:
        ax.tick_params(labelsize=10)
        ax.grid(alpha=0.3)
        _decimal_ticks(ax, lang)

    _perception(perception, df, dates, observed, start, end, lang)
    _power_cuts(perception, model.config.power_cuts, lang)
    _victimization(victims, df, dates, model, start, lang)

    ax = severe
    ax.plot(dates, df["severe_violence_per_100k_12m"], color="#7f0000")
    reference = ()
    if observed is not None and observed.severe_violence_per_100k is not None:
        reference = (observed.severe_violence_per_100k,)
        ax.axhline(observed.severe_violence_per_100k, ls="--", color=COLORS["observed"], lw=1)
        ax.annotate(t("observed_homicide", lang, v=observed.severe_violence_per_100k),
                    (np.datetime64(start), observed.severe_violence_per_100k),
                    textcoords="offset points", xytext=(4, -13), fontsize=10)
    ax.set_ylim(fit_limits(df["severe_violence_per_100k_12m"], reference, zero=True, min_span=2))
    ax.set_title(t("chart_severe", lang), fontsize=12)

    ax = cost
    ax.plot(dates, df["cost_usd"] / 1e6, color="#2ca02c")
    ax.set_ylim(fit_limits(df["cost_usd"] / 1e6, zero=True, min_span=1))
    ax.set_title(t("chart_cost", lang), fontsize=12)

    _groups(groups, df, lang)

    ax = trust
    ax.plot(dates, 100 * df["legitimacy"], color="#9467bd")
    ax.set_ylim(fit_limits(100 * df["legitimacy"], min_span=10, top=100))
    ax.set_title(t("chart_trust", lang), fontsize=12)

    ax = members
    ax.plot(dates, 100 * df["committee_members"], color=COLORS["committee"])
    ax.set_ylim(fit_limits(100 * df["committee_members"], zero=True, min_span=0.5, headroom=0.2))
    ax.set_title(t("chart_members", lang), fontsize=12)
    return fig


def _perception(ax, df, dates, observed, start, end, lang):
    """Both perception shares, with the survey's values marked."""
    marked = []
    for measure in ("public", "neighbourhood"):
        ax.plot(dates, 100 * df[f"safe_{measure}"], color=COLORS[measure], lw=2,
                label=t(f"series_{measure}", lang))
        if observed is None:
            continue
        points = [(observed.start_date or start, getattr(observed, f"safe_{measure}_start")),
                  (observed.end_date or end, getattr(observed, f"safe_{measure}_end"))]
        points = [(d, v) for d, v in points if v is not None]
        if points:
            xs = [np.datetime64(d) for d, _ in points]
            ys = [100 * v for _, v in points]
            marked += ys
            ax.plot(xs, ys, ls="--", marker="D", color=COLORS[measure], alpha=0.6, markersize=7,
                    markeredgecolor=COLORS["observed"])
            for x, y in zip(xs, ys):  # the end's label to the left, inside the axes
                ax.annotate(f"{number(y, 0, lang)}%", (x, y), textcoords="offset points",
                            xytext=(4, 4) if x == xs[0] and len(xs) > 1 else (-30, 6),
                            fontsize=10, color=COLORS["observed"])
    ax.plot([], [], ls="--", marker="D", color="grey", label=t("observed", lang))
    ax.set_ylim(fit_limits(100 * df["safe_public"], 100 * df["safe_neighbourhood"], marked,
                           min_span=10, top=100))
    ax.set_title(t("chart_perception", lang), fontsize=12)
    ax.legend(fontsize=10, loc="upper left")


def _power_cuts(ax, cuts, lang):
    """Shade the periods of power cuts (darker where more of the night was cut)."""
    shade_power_cuts(ax, cut_spans(cuts), t("power_cuts", lang))
    if cuts:
        ax.legend(fontsize=10, loc="upper left")


def _victimization(ax, df, dates, model, start, lang):
    """Victimized in the last 12 months, with the months the window is still filling."""
    filling = 365 - model.config.run.burn_in_days  # days until the 12-month window is full
    if filling > 0:
        ax.axvspan(np.datetime64(start), np.datetime64(start + timedelta(days=filling)),
                   color="grey", alpha=0.15, lw=0)
        ax.annotate(t("window_filling", lang), (0, 0), xycoords="axes fraction",
                    textcoords="offset points", xytext=(3, 3), fontsize=9, color="#555")
    ax.plot(dates, 100 * df["victimization_12m"], color="#d62728")
    ax.set_ylim(fit_limits(100 * df["victimization_12m"], zero=True, min_span=1))
    ax.set_title(t("chart_victimization", lang), fontsize=12)


def _groups(ax, df, lang):
    """Safe in public spaces by group: now (bars) and at the start (ticks)."""
    groups = list(GROUPS)
    x = np.arange(len(groups))
    first, last = df.iloc[0], df.iloc[-1]
    now = [100 * last[f"safe_public_{g}"] for g in groups]
    before = [100 * first[f"safe_public_{g}"] for g in groups]
    ax.bar(x, now, color=COLORS["public"], alpha=0.85, label=t("now", lang))
    ax.scatter(x, before, marker="_", s=600, color="black", zorder=3, label=t("at_start", lang))
    ax.set_xticks(x, [t(f"group_{g}", lang) for g in groups])
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_ylim(fit_limits(now, before, zero=True, min_span=10, headroom=0.25, top=100))
    ax.set_title(t("chart_groups", lang), fontsize=12)
    ax.legend(fontsize=9, loc="upper left", ncols=2)


def day_date(model) -> date:
    return model.start_date + timedelta(days=max(int(model.day), 0))
