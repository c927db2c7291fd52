"""Effect estimators of a virtual evaluation: what an evaluator computes from a barrio
panel once the barrios are split into areas (treatment, control, catchments).

Each **unit** is a barrio with a pre window and a post window of months (the same for
every barrio in a trial; each treated barrio's own windows around its adoption month,
and its matched controls', in a matched design) and a weight (1; 1/k for each of the k
controls matched to a treated barrio). Per unit, counts are summed over each window and
shares are averaged over the window's last ``follow_up`` months (a survey at the end of
each period). Then, comparing area A (treatment) with area B (control):

- **counts** (incidents, by phase; arrests and residents victimized, by home barrio): the
  log rate ratio of the difference in differences, log[(A_post/A_pre) / (B_post/B_pre)],
  over weighted sums (the relative effect size of Farrington & Welsh's meta-analyses, and
  the log relative incidence rate ratio of Braga & Weisburd 2020), reported as a %
  change, exp(θ) − 1; its standard error by the delta method, clustered by unit;
- **shares** (feeling safe; legitimacy): the difference in differences of the
  residents-weighted means, in percentage points, with its standard error;
- **Cohen's d** for every outcome: the difference in the mean change of the units' monthly
  rate (per barrio; per resident for residents' counts) or share, over the pooled
  standard deviation of the changes (as hot-spot meta-analyses standardise);
- the **weighted displacement quotient** (Bowers & Johnson 2003) of a catchment:
  WDQ = (Ba/Ca − Bb/Cb) / (Ra/Ca − Rb/Cb), R treated, B its catchment, C control,
  b before, a after (in a hot-spot experiment the catchment's trend comes from the
  control hot spots' catchments, ``displacement``). Read only when the success measure
  (the denominator) is negative: WDQ > 0 is a diffusion of benefits, < 0 displacement,
  < −1 displacement larger than the direct effect.

Every function here is pure (arrays and DataFrames in, numbers out), so the instrument
is tested on panels with planted effects (``tests/test_effects.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Z95 = 1.959963984540054


@dataclass(frozen=True)
class EffectOutcome:
    """An outcome an evaluation measures, read from the barrio panel."""

    name: str
    column: str                    # panel column (``_{group}`` added for a group)
    kind: Literal["count", "share"]
    by_group: bool                 # measured for women, men, youth, migrants as well
    weighted: bool                 # shares: residents-weighted; counts: d per resident
    label_en: str
    label_es: str

    def label(self, lang: str = "en") -> str:
        return self.label_es if lang == "es" else self.label_en


EFFECT_OUTCOMES: dict[str, EffectOutcome] = {o.name: o for o in (
    EffectOutcome("incidents", "incidents", "count", False, False,
                  "incidents (where they happen)", "incidentes (donde ocurren)"),
    EffectOutcome("incidents_day", "incidents_day", "count", False, False, "incidents by day",
                  "incidentes de día"),
    EffectOutcome("incidents_night", "incidents_night", "count", False, False,
                  "incidents at night", "incidentes de noche"),
    EffectOutcome("arrests", "arrests", "count", False, True, "residents arrested",
                  "residentes detenidos"),
    EffectOutcome("victimization", "victims", "count", True, True, "residents victimized",
                  "residentes victimizados"),
    EffectOutcome("safe_public", "safe_public", "share", True, True,
                  "feel safe in public spaces", "se sienten seguros en espacios públicos"),
    EffectOutcome("safe_neighbourhood", "safe_neighbourhood", "share", True, True,
                  "feel safe in their neighbourhood", "se sienten seguros en su barrio"),
    EffectOutcome("legitimacy", "legitimacy", "share", False, False, "police legitimacy",
                  "legitimidad de la policía"),
)}
"""What ``barrios evaluate`` can measure, in report order."""


def panel_columns(outcome: EffectOutcome, group: str = "") -> tuple[str, str | None]:
    """(value column, weight column) of an outcome for everyone (``""``) or a group."""
    suffix = f"_{group}" if group else ""
    weight = f"residents{suffix}" if outcome.weighted else None
    return f"{outcome.column}{suffix}", weight


# --- the panel as barrio x month matrices ----------------------------------------------------


class MonthMatrix:
    """Panel columns as barrio x month arrays with cumulative sums, so that any unit's
    window sum or mean is two look-ups."""

    def __init__(self, panel: pd.DataFrame, columns):
        self.barrios = np.sort(panel["barrio_id"].unique())
        self.months = int(panel["month"].max()) + 1
        row = np.searchsorted(self.barrios, panel["barrio_id"].to_numpy())
        col = panel["month"].to_numpy()
        self.values, self._cum, self._seen = {}, {}, {}
        for c in dict.fromkeys(columns):
            m = np.full((len(self.barrios), self.months), np.nan)
            m[row, col] = panel[c].to_numpy(dtype=float)
            self.values[c] = m
            self._cum[c] = _cumsum(np.nan_to_num(m))
            self._seen[c] = _cumsum(np.isfinite(m).astype(float))

    def rows(self, barrio_ids) -> np.ndarray:
        return np.searchsorted(self.barrios, np.asarray(barrio_ids))

    def window_sum(self, column: str, rows, start, stop) -> np.ndarray:
        cum = self._cum[column]
        return cum[rows, stop] - cum[rows, start]

    def window_mean(self, column: str, rows, start, stop) -> np.ndarray:
        """Mean over the window's months that have a value (NaN if none)."""
        seen = self._seen[column][rows, stop] - self._seen[column][rows, start]
        total = self.window_sum(column, rows, start, stop)
        return np.divide(total, seen, out=np.full(len(total), np.nan), where=seen > 0)


def _cumsum(m: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((m.shape[0], 1)), np.cumsum(m, axis=1)], axis=1)


@dataclass
class Units:
    """The units of a comparison and their windows (month indices, ``stop`` exclusive)."""

    barrio_id: np.ndarray
    area: np.ndarray          # area label per unit
    weight: np.ndarray
    pre: tuple[np.ndarray, np.ndarray]
    post: tuple[np.ndarray, np.ndarray]
    anchor: np.ndarray        # the unit's first treated month (the trial's start)

    @classmethod
    def fixed(cls, barrio_id, area, start: int, pre_months: int, post_months: int) -> Units:
        """Every unit on the same calendar windows around the trial's start month."""
        n = len(barrio_id)
        full = lambda v: np.full(n, v, dtype=np.int64)  # noqa: E731
        return cls(np.asarray(barrio_id), np.asarray(area), np.ones(n),
                   (full(start - pre_months), full(start)),
                   (full(start), full(start + post_months)), full(start))

    def select(self, mask) -> Units:
        return Units(self.barrio_id[mask], self.area[mask], self.weight[mask],
                     (self.pre[0][mask], self.pre[1][mask]),
                     (self.post[0][mask], self.post[1][mask]), self.anchor[mask])


def period_values(units: Units, matrix: MonthMatrix, column: str, kind: str,
                  follow_up: int) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: (pre, post) sums for a count, or means over each window's last
    ``follow_up`` months for a share."""
    rows = matrix.rows(units.barrio_id)
    out = []
    for start, stop in (units.pre, units.post):
        if kind == "count":
            out.append(matrix.window_sum(column, rows, start, stop))
        else:
            out.append(matrix.window_mean(column, rows, np.maximum(stop - follow_up, start), stop))
    return out[0], out[1]


# --- estimators ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    value: float
    se: float

    @property
    def significant(self) -> bool:
        return math.isfinite(self.se) and self.se > 0 and abs(self.value / self.se) > Z95


NAN = Estimate(math.nan, math.nan)


def log_rate_ratio(pre, post, weight, in_a, in_b) -> Estimate:
    """log[(A_post/A_pre) / (B_post/B_pre)] over weighted sums, with a delta-method
    standard error clustered by unit (each unit's influence on the four logs)."""
    theta, var = 0.0, 0.0
    for mask, sign in ((in_a, 1.0), (in_b, -1.0)):
        w, y0, y1 = weight[mask], pre[mask], post[mask]
        s0, s1 = float(w @ y0), float(w @ y1)
        n = int(mask.sum())
        if s0 <= 0 or s1 <= 0 or n < 2:
            return NAN
        theta += sign * (math.log(s1) - math.log(s0))
        influence = w * (y1 / s1 - y0 / s0)
        var += n / (n - 1) * float(influence @ influence)
    return Estimate(theta, math.sqrt(var))


def points_did(pre, post, weight, in_a, in_b) -> Estimate:
    """Difference in differences of weighted means (share units), with the standard error
    of each arm's weighted mean change."""
    value, var = 0.0, 0.0
    for mask, sign in ((in_a, 1.0), (in_b, -1.0)):
        ok = mask & np.isfinite(pre) & np.isfinite(post) & (weight > 0)
        w, change = weight[ok], post[ok] - pre[ok]
        n = int(ok.sum())
        if n < 2:
            return NAN
        mean = float(w @ change / w.sum())
        value += sign * mean
        var += n / (n - 1) * float((w ** 2) @ (change - mean) ** 2) / float(w.sum()) ** 2
    return Estimate(value, math.sqrt(var))


def cohens_d(change, weight, in_a, in_b) -> Estimate:
    """(mean change in A − mean change in B) / pooled SD of the changes, weighted by the
    units' weights, with the usual large-sample standard error."""
    stats = []
    for mask in (in_a, in_b):
        ok = mask & np.isfinite(change)
        w, x = weight[ok], change[ok]
        if ok.sum() < 2 or w.sum() <= 0:
            return NAN
        mean = float(w @ x / w.sum())
        var = float(w @ (x - mean) ** 2 / w.sum()) * ok.sum() / (ok.sum() - 1)
        stats.append((mean, var, int(ok.sum())))
    (ma, va, na), (mb, vb, nb) = stats
    pooled = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
    if pooled == 0:
        return NAN
    d = (ma - mb) / pooled
    return Estimate(d, math.sqrt((na + nb) / (na * nb) + d * d / (2 * (na + nb))))


def monthly_change(pre, post, units: Units, per_resident=None) -> np.ndarray:
    """Each unit's change in monthly rate (sums over windows of unequal length)."""
    months_pre = units.pre[1] - units.pre[0]
    months_post = units.post[1] - units.post[0]
    change = post / months_post - pre / months_pre
    if per_resident is not None:
        change = np.divide(change, per_resident, out=np.full(len(change), np.nan),
                           where=per_resident > 0)
    return change


@dataclass(frozen=True)
class Displacement:
    """Bowers & Johnson (2003): the success measure, the buffer displacement measure and
    their quotient (NaN unless the treated area improved against control)."""

    success: float
    buffer: float

    @property
    def wdq(self) -> float:
        return self.buffer / self.success if self.success < 0 else math.nan


def displacement(r: tuple[float, float], b: tuple[float, float], c: tuple[float, float],
                 c_for_b: tuple[float, float] | None = None) -> Displacement:
    """From (before, after) totals of the treated area R, its buffer B and control C.

    Bowers & Johnson's measures, times C_a, are each area's count after minus what its
    control's trend predicts: success = (R_a − R_b·C_a/C_b) / C_a and buffer =
    (B_a − B_b·C_a/C_b) / C_a. With ``c_for_b`` the buffer's expected count follows that
    area's trend instead (a hot-spot experiment's control catchments: the control hot
    spots themselves were picked for being hot and regress to the mean, which the
    untreated buffers do not); with ``c_for_b`` = C this is exactly their WDQ."""
    (rb, ra), (bb, ba), (cb, ca) = r, b, c
    (kb, ka) = c_for_b or c
    if min(cb, ca, kb, ka) <= 0:
        return Displacement(math.nan, math.nan)
    return Displacement(ra / ca - rb / cb, (ba - bb * ka / kb) / ca)


# --- everything for one run -------------------------------------------------------------------


COMPARISONS = {
    "direct": ("treatment", "control", "treated barrios against controls"),
    "catchment": ("catchment", "control_catchment",
                  "untreated barrios next to treated ones against those next to controls"),
    "net": (("treatment", "catchment"), ("control", "control_catchment"),
            "treated barrios with their catchment against controls with theirs"),
}
"""What a run's estimates compare: area(s) A against area(s) B."""


def areas_of(units: Units, names) -> np.ndarray:
    names = (names,) if isinstance(names, str) else names
    return np.isin(units.area, names)


def estimate_run(units: Units, matrix: MonthMatrix, outcomes, groups, follow_up: int,
                 comparisons=COMPARISONS) -> list[dict]:
    """Every estimate of one run: comparison x outcome x group x measure (long rows)."""
    rows = []
    for comparison, (a, b, _) in comparisons.items():
        in_a, in_b = areas_of(units, a), areas_of(units, b)
        if in_a.sum() < 2 or in_b.sum() < 2:
            continue
        for outcome in outcomes:
            for group in ("", *groups) if outcome.by_group else ("",):
                rows += _estimates(units, matrix, outcome, group, follow_up, in_a, in_b,
                                   comparison)
    return rows


def _estimates(units, matrix, outcome, group, follow_up, in_a, in_b, comparison) -> list[dict]:
    column, weight_column = panel_columns(outcome, group)
    pre, post = period_values(units, matrix, column, outcome.kind, follow_up)
    key = {"comparison": comparison, "outcome": outcome.name, "group": group or "everyone"}
    if outcome.kind == "count":
        residents = None
        if weight_column:
            residents = period_values(units, matrix, weight_column, "share", 1)[0]
        main = ("log_rate_ratio", log_rate_ratio(pre, post, units.weight, in_a, in_b))
        change = monthly_change(pre, post, units, residents)
    else:
        w = units.weight
        if weight_column:
            w = w * np.nan_to_num(period_values(units, matrix, weight_column, "share", 1)[0])
        main = ("points", points_did(pre, post, w, in_a, in_b))
        main = (main[0], Estimate(100 * main[1].value, 100 * main[1].se))
        change = post - pre
    d = ("cohens_d", cohens_d(change, units.weight, in_a, in_b))
    return [{**key, "measure": m, "value": e.value, "se": e.se} for m, e in (main, d)]


def displacement_rows(units: Units, matrix: MonthMatrix, outcomes) -> list[dict]:
    """The WDQ and its two measures for each count outcome, when the run has a treated
    area, a catchment and controls (the catchment's trend from the control catchment when
    there is one, ``displacement``)."""
    areas = ["treatment", "catchment", "control"]
    if areas_of(units, "control_catchment").any():
        areas.append("control_catchment")
    masks = [areas_of(units, a) for a in areas]
    if any(m.sum() == 0 for m in masks):
        return []
    rows = []
    for outcome in outcomes:
        if outcome.kind != "count":
            continue
        pre, post = period_values(units, matrix, outcome.column, "count", 1)
        totals = [(float(units.weight[m] @ pre[m]), float(units.weight[m] @ post[m]))
                  for m in masks]
        result = displacement(*totals)
        key = {"comparison": "catchment", "outcome": outcome.name, "group": "everyone",
               "se": math.nan}
        rows += [{**key, "measure": "success_measure", "value": result.success},
                 {**key, "measure": "buffer_measure", "value": result.buffer},
                 {**key, "measure": "wdq", "value": result.wdq},
                 *({**key, "measure": f"total_{area}_{period}", "value": total}
                   for area, pair in zip(areas, totals)
                   for period, total in zip(("before", "after"), pair))]
    return rows


def event_study(units: Units, matrix: MonthMatrix, outcome: EffectOutcome, before: int,
                after: int, a="treatment", b="control") -> pd.DataFrame:
    """The A − B contrast by month relative to each unit's anchor (log ratio of weighted
    sums for a count, difference of weighted means in points for a share), minus its
    mean over the months before: flat before the start when the arms are comparable."""
    column, weight_column = panel_columns(outcome)
    values = matrix.values[column]
    weights = matrix.values[weight_column] if weight_column else None
    rows = matrix.rows(units.barrio_id)
    offsets = np.arange(-before, after)
    month = units.anchor[:, None] + offsets[None, :]
    inside = (month >= 0) & (month < matrix.months)
    month = np.clip(month, 0, matrix.months - 1)
    y = np.where(inside, values[rows[:, None], month], np.nan)
    w = np.broadcast_to(units.weight[:, None], y.shape).copy()
    if weights is not None:
        w = w * np.nan_to_num(weights[rows[:, None], month])
    contrast = []
    for names in (a, b):
        mask = areas_of(units, names)
        yy, ww = y[mask], w[mask]
        ok = np.isfinite(yy)
        total = np.where(ok, yy * ww, 0).sum(axis=0)
        if outcome.kind == "count":
            contrast.append(np.log(np.where(total > 0, total, np.nan)))
        else:
            weight_sum = np.where(ok, ww, 0).sum(axis=0)
            contrast.append(100 * np.divide(total, weight_sum, out=np.full(len(total), np.nan),
                                            where=weight_sum > 0))
    diff = contrast[0] - contrast[1]
    before = diff[offsets < 0]
    # no finite month before (e.g. no incident in a small city): the series has no reference
    diff = diff - (np.nanmean(before) if np.isfinite(before).any() else np.nan)
    return pd.DataFrame({"offset": offsets, "outcome": outcome.name, "value": diff})


def balance(covariates: pd.DataFrame, in_a, in_b, weight=None) -> dict[str, float]:
    """Standardized mean differences (A − B over the root mean of the two variances) of
    each covariate column; weighted means with ``weight``."""
    weight = np.ones(len(covariates)) if weight is None else weight
    out = {}
    for column in covariates.columns:
        x = covariates[column].to_numpy(dtype=float)
        means, variances = [], []
        for mask in (in_a, in_b):
            w, v = weight[mask], x[mask]
            mean = float(w @ v / w.sum())
            means.append(mean)
            variances.append(float(w @ (v - mean) ** 2 / w.sum()))
        spread = math.sqrt((variances[0] + variances[1]) / 2)
        out[column] = (means[0] - means[1]) / spread if spread > 0 else 0.0
    return out


# --- over replications --------------------------------------------------------------------------


def summarize(estimates: pd.DataFrame, keys=("dose", "comparison", "outcome", "group",
                                             "measure")) -> pd.DataFrame:
    """Per key: replications, mean with its 95% t-interval, the spread of single trials
    (SD and the 2.5-97.5 percentiles) and the share of trials significant at 5%; log rate
    ratios also as a % change (the transformed mean and bounds)."""
    from experiments.statistics import t_interval

    keys = [k for k in keys if k in estimates.columns]
    rows = []
    for key, df in estimates.groupby(keys, sort=False, dropna=False):
        values = df["value"].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        mean, low, high = t_interval(finite)
        se = df["se"].to_numpy(dtype=float)
        tested = np.isfinite(se) & (se > 0) & np.isfinite(values)
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row.update(replications=len(finite), mean=mean, ci_low=low, ci_high=high,
                   sd=float(finite.std(ddof=1)) if len(finite) > 1 else math.nan,
                   trial_low=float(np.percentile(finite, 2.5)) if len(finite) else math.nan,
                   trial_high=float(np.percentile(finite, 97.5)) if len(finite) else math.nan,
                   significant_share=float((np.abs(values[tested] / se[tested]) > Z95).mean())
                   if tested.any() else math.nan)
        rows.append(row)
        if row.get("measure") == "log_rate_ratio":
            pct = {k: 100 * math.expm1(row[k]) if math.isfinite(row[k]) else math.nan
                   for k in ("mean", "ci_low", "ci_high", "trial_low", "trial_high")}
            rows.append({**row, **pct, "measure": "percent_change", "sd": math.nan})
    return pd.DataFrame(rows)
