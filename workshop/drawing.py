"""Figures of the page, drawn with Matplotlib (no pyplot, so sessions never share state):
the barrio map through Mesa's ``SpaceRenderer`` and the time series.

The map uses two renderers on one set of axes: one over a display grid (a Mesa
``OrthogonalMooreGrid`` of the city's size whose property layers hold the map layers
computed in ``workshop.core``: the model's own layers are never written to), one over the
model's grid for its agents (committees, UPC posts, patrol units).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")  # never open windows; the server draws into PNGs

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from mesa.discrete_space import OrthogonalMooreGrid  # noqa: E402
from mesa.visualization import SpaceRenderer  # noqa: E402
from mesa.visualization.components import AgentPortrayalStyle, PropertyLayerStyle  # noqa: E402

from simulation.committees import Committee  # noqa: E402
from simulation.outcomes import GROUPS  # noqa: E402
from simulation.police import PatrolUnit, UPCPost  # noqa: E402
from workshop.core import (LAYER_COLORMAP, LAYER_RANGE, MAP_LAYERS, TEMPLATE, SCENARIO_NAMES,  # noqa: E402
                           agent_counts, app_scenario, check_layer, layer_grid)
from workshop.i18n import t  # noqa: E402

COLORS = {"public": "#1f77b4", "neighbourhood": "#ff7f0e", "observed": "#333333",
          "committee": "#1a9850", "post": "#08306b", "patrol": "#000000"}


def _portrayal(agent):
    if isinstance(agent, Committee):
        return AgentPortrayalStyle(color=COLORS["committee"], marker="^", size=16, zorder=3,
                                   edgecolors="white", linewidths=0.4)
    if isinstance(agent, UPCPost):
        return AgentPortrayalStyle(color=COLORS["post"], marker="s", size=12, zorder=4,
                                   edgecolors="white", linewidths=0.4)
    if isinstance(agent, PatrolUnit):
        return AgentPortrayalStyle(color=COLORS["patrol"], marker="o", size=18, zorder=5,
                                   edgecolors="white", linewidths=0.6)
    return AgentPortrayalStyle(size=0, alpha=0.0)


class _Display:
    """What Mesa's SpaceRenderer needs of a model: a ``grid``."""

    def __init__(self, width: int, height: int):
        self.grid = OrthogonalMooreGrid((width, height), torus=False, random=random.Random(0))
        self.layers = {name: self.grid.create_property_layer(name, default_value=0.0, dtype=float)
                       for name in MAP_LAYERS}


class MapDrawing:
    """Draws one model's map; build a new one when the model is rebuilt."""

    def __init__(self, model):
        self.model = model
        self.display = _Display(model.city.width, model.city.height)
        self.layers = SpaceRenderer(self.display, backend="matplotlib")
        self.agents = SpaceRenderer(model, backend="matplotlib").setup_agents(_portrayal)
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

        fig = Figure(figsize=(3.4, 7.8), dpi=80)
        ax = fig.add_axes((0.02, 0.1, 0.96, 0.8))
        for renderer in (self.layers, self.agents):
            renderer.backend_renderer.initialize_canvas(ax)
        self.layers.draw_propertylayer()
        self.agents.draw_agents()
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(-0.5, h - 0.5)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])

        vmin, vmax = LAYER_RANGE[layer]
        scale = 100 if layer == "safety" else 1
        cax = fig.add_axes((0.08, 0.05, 0.84, 0.015))
        bar = fig.colorbar(ScalarMappable(Normalize(vmin * scale, vmax * scale), LAYER_COLORMAP[layer]),
                           cax=cax, orientation="horizontal")
        bar.set_label(t(f"unit_{layer}", lang), fontsize=8)
        bar.ax.tick_params(labelsize=7)
        counts = agent_counts(model)
        handles = [
            Line2D([], [], marker="^", ls="", color=COLORS["committee"], markersize=6,
                   label=t("legend_committee", lang, n=counts["committees"])),
            Line2D([], [], marker="s", ls="", color=COLORS["post"], markersize=5,
                   label=t("legend_post", lang, n=counts["posts"])),
            Line2D([], [], marker="o", ls="", color=COLORS["patrol"], markersize=6,
                   label=t("legend_patrol", lang, n=counts["patrols"])),
        ]
        fig.legend(handles=handles, loc="upper center", ncols=1, fontsize=7, frameon=False)
        return fig


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
                        "safe_neighbourhood_end", "severe_violence_per_100k")}
    return type(own)(**merged, source=own.source or quito.observed.source)


def timeseries(model):
    """The collected outcomes so far, with their dates."""
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    start = model.start_date
    dates = np.array([np.datetime64(start + timedelta(days=i)) for i in range(len(df))])
    return df, dates


def draw_charts(model, scenario_name: str, lang: str) -> Figure:
    df, dates = timeseries(model)
    start = model.start_date
    end = start + timedelta(days=int(model.end_day))
    observed = observed_for(scenario_name)
    fig = Figure(figsize=(10.5, 6.2), dpi=80)
    axes = fig.subplots(2, 3, gridspec_kw={"left": 0.04, "right": 0.99, "top": 0.95, "bottom": 0.06,
                                           "wspace": 0.18, "hspace": 0.3})
    for ax in axes.flat:
        ax.set_xlim(np.datetime64(start), np.datetime64(end))
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)

    # perception, with the observed survey values
    ax = axes[0, 0]
    for measure in ("public", "neighbourhood"):
        ax.plot(dates, 100 * df[f"safe_{measure}"], color=COLORS[measure],
                label=t(f"series_{measure}", lang))
        if observed is not None:
            points = [(start, getattr(observed, f"safe_{measure}_start")),
                      (end, getattr(observed, f"safe_{measure}_end"))]
            points = [(d, v) for d, v in points if v is not None]
            if points:
                xs = [np.datetime64(d) for d, _ in points]
                ys = [100 * v for _, v in points]
                ax.plot(xs, ys, ls="--", marker="D", color=COLORS[measure], alpha=0.6, markersize=6,
                        markeredgecolor=COLORS["observed"])
                for x, y in zip(xs, ys):
                    ax.annotate(f"{y:.0f}%", (x, y), textcoords="offset points", xytext=(4, 4),
                                fontsize=8, color=COLORS["observed"])
    ax.plot([], [], ls="--", marker="D", color="grey", label=t("observed", lang))
    ax.set_ylim(30, 75)
    ax.set_title(t("chart_perception", lang), fontsize=10)
    ax.legend(fontsize=7, loc="upper left")

    ax = axes[0, 1]
    filling = 365 - model.config.run.burn_in_days  # days until the 12-month window is full
    if filling > 0:
        ax.axvspan(np.datetime64(start), np.datetime64(start + timedelta(days=filling)),
                   color="grey", alpha=0.15, lw=0)
        ax.annotate(t("window_filling", lang), (np.datetime64(start), 0), textcoords="offset points",
                    xytext=(3, 3), fontsize=7, color="#555")
    ax.plot(dates, 100 * df["victimization_12m"], color="#d62728")
    ax.set_ylim(bottom=0)
    ax.set_title(t("chart_victimization", lang), fontsize=10)

    ax = axes[0, 2]
    ax.plot(dates, df["severe_violence_per_100k_12m"], color="#7f0000")
    if observed is not None and observed.severe_violence_per_100k is not None:
        ax.axhline(observed.severe_violence_per_100k, ls="--", color=COLORS["observed"], lw=1)
        ax.annotate(t("observed_homicide", lang, v=observed.severe_violence_per_100k),
                    (np.datetime64(start), observed.severe_violence_per_100k),
                    textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.set_ylim(0, max(12.0, float(df["severe_violence_per_100k_12m"].max()) * 1.2))
    ax.set_title(t("chart_severe", lang), fontsize=10)

    ax = axes[1, 0]
    ax.plot(dates, df["cost_usd"] / 1e6, color="#2ca02c")
    ax.set_ylim(bottom=0)
    ax.set_title(t("chart_cost", lang), fontsize=10)

    ax = axes[1, 1]
    groups = list(GROUPS)
    x = np.arange(len(groups))
    first, last = df.iloc[0], df.iloc[-1]
    ax.bar(x, [100 * last[f"safe_public_{g}"] for g in groups], color=COLORS["public"], alpha=0.85,
           label=t("now", lang))
    ax.scatter(x, [100 * first[f"safe_public_{g}"] for g in groups], marker="_", s=600,
               color="black", zorder=3, label=t("at_start", lang))
    ax.set_xticks(x, [t(f"group_{g}", lang) for g in groups])
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_ylim(0, 80)
    ax.set_title(t("chart_groups", lang), fontsize=10)
    ax.legend(fontsize=7, loc="upper left", ncols=2)

    ax = axes[1, 2]
    ax.plot(dates, 100 * df["legitimacy"], color="#9467bd", label=t("series_legitimacy", lang))
    ax.plot(dates, 100 * df["committee_members"], color=COLORS["committee"],
            label=t("series_members", lang))
    ax.set_ylim(0, 100)
    ax.set_title(t("chart_trust", lang), fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    return fig


def day_date(model) -> date:
    return model.start_date + timedelta(days=max(int(model.day), 0))
