"""The figure of ``barrios run``: both perception shares over time, with the observed
survey values. Matplotlib with the non-interactive Agg backend (works without a screen).

The figure is drawn in two steps: ``perception_bands`` reduces the series to what is
drawn (pandas, in the caller's process), ``draw_perception`` draws it (matplotlib only).
``Painter`` runs the second step in a child process started when a run starts: importing
matplotlib takes about half a second, and in the child it overlaps the simulation on the
other core instead of following it. If the child cannot draw, the caller draws itself.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

SERIES = (("safe_public", "public spaces (streets, parks, plazas)", "tab:blue"),
          ("safe_neighbourhood", "neighbourhoods", "tab:green"))


def perception_bands(ts_all, power_cuts=()) -> dict:
    """Per series: dates, the mean over replications and, with several, the 5-95% band;
    and the run's periods of ``power_cuts`` (``simulation.config.PowerCut``), to shade."""
    by_date = ts_all.groupby("date")
    dates = ts_all["date"].to_numpy()  # numpy datetimes: the painter needs no pandas
    bands = {"start": dates.min(), "end": dates.max(), "series": {}}
    bands["cuts"] = [(first, after, share) for first, after, share in cut_spans(power_cuts)
                     if first <= bands["end"] and after >= bands["start"]]
    several = ts_all["replication"].nunique() > 1
    for col, _, _ in SERIES:
        mean = by_date[col].mean()
        band = (by_date[col].quantile(0.05).to_numpy(), by_date[col].quantile(0.95).to_numpy()) \
            if several else None
        bands["series"][col] = (mean.index.to_numpy(), mean.to_numpy(), band)
    return bands


def draw_perception(bands: dict, observed: dict, title: str, path: Path):
    """Draw ``perception_bands``' result with the observed values marked on the surveys'
    dates (the run's start and end without them)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    shade_power_cuts(ax, bands.get("cuts", ()), "power cuts (shade: share of the night)")
    for col, label, colour in SERIES:
        dates, mean, band = bands["series"][col]
        ax.plot(dates, 100 * mean, color=colour, label=f"simulated: {label}")
        if band is not None:
            ax.fill_between(dates, 100 * band[0], 100 * band[1], color=colour, alpha=0.2,
                            linewidth=0, label="5–95% of replications")
        for when in ("start", "end"):
            value = observed.get(f"{col}_{when}")
            day = observed.get(f"{when}_date")  # the survey's fieldwork, else the run's edge
            if value is not None:
                x = np.datetime64(day) if day else bands[when]
                ax.plot([x], [100 * value], marker="D", markersize=9, color=colour,
                        markeredgecolor="black", linestyle="none",
                        label=f"observed: {label}" if when == "start" else None)
    ax.set_ylabel("feel safe (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="lower right", fontsize=8)
    if observed.get("source"):
        fig.text(0.01, 0.01, f"Observed: {observed['source']}", fontsize=7, color="dimgray")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def cut_spans(power_cuts) -> list[tuple]:
    """Each power cut as (first day, the day after its last, share of the night cut), in
    numpy datetimes: a span shaded to the end of its last day."""
    import numpy as np

    return [(np.datetime64(c.start), np.datetime64(c.end) + np.timedelta64(1, "D"),
             c.night_dark_share) for c in power_cuts]


def shade_power_cuts(ax, spans, label: str):
    """Shade ``cut_spans``' spans, darker where more of the night was cut; one legend entry."""
    for i, (first, after, share) in enumerate(spans):
        ax.axvspan(first, after, color="black", alpha=0.05 + 0.3 * share, linewidth=0,
                   label=label if i == 0 else None)


def perception_figure(ts_all, observed: dict, title: str, path: Path, power_cuts=()):
    """Both perception shares over time (mean, and the 5-95% band across replications
    when there are several), with the observed survey values marked at start and end and
    any power cuts shaded."""
    draw_perception(perception_bands(ts_all, power_cuts), observed, title, path)


class Painter:
    """``draw_perception`` in a child process that imported matplotlib ahead of time."""

    def __init__(self):
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-c", "from experiments.plots import _paint; _paint()"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            self._child = None

    def draw(self, ts_all, observed: dict, title: str, path: Path, power_cuts=()):
        bands = perception_bands(ts_all, power_cuts)
        if self._child is not None:
            try:
                pickle.dump((bands, observed, title, str(path)), self._child.stdin)
                self._child.stdin.close()
                if self._child.wait(timeout=60) == 0:
                    return
            except (OSError, subprocess.TimeoutExpired):
                self.close()
        draw_perception(bands, observed, title, path)  # the child could not: draw here

    def close(self):
        """Stop the child (a run that ends without a figure)."""
        if self._child is not None and self._child.poll() is None:
            self._child.kill()
            self._child.wait()


def _paint():
    """The child: import matplotlib now, then draw what the parent sends (nothing, if it
    goes away: end of input)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401 - the import is the point

    try:
        bands, observed, title, path = pickle.load(sys.stdin.buffer)
    except EOFError:
        return
    draw_perception(bands, observed, title, Path(path))


def finish_grid(fig, axes, used: int, title: str, path: Path, fontsize: int = 9):
    """A grid of panels done: the unused ones hidden, the title set, saved and closed."""
    import matplotlib.pyplot as plt

    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=fontsize)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
