"""What ``barrios evidence`` writes: evidence.csv (one row per entry: published, simulated,
verdict, reason), forest.png (published against simulated, with intervals), and
README.md/report.html (the validation report, committed under results/evidence/)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pandas as pd

from experiments.effects import EFFECT_OUTCOMES
from experiments.evidence import EvidenceResult
from experiments.reporting import markdown_table, render
from simulation.interventions import INTERVENTIONS

PANELS = {"percent_change": "% change (treated vs control)", "points": "percentage points",
          "cohens_d": "Cohen's d"}
COLOURS = {"agrees": "tab:green", "weaker": "tab:orange", "stronger": "tab:purple",
           "opposite": "tab:red", "not measured": "grey", "no benchmark": "grey"}


def write_outputs(result: EvidenceResult) -> list[Path]:
    folder = result.folder
    folder.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(folder / "evidence.csv", index=False)
    forest_figure(result.table, folder / "forest.png")
    md, page = render("evidence", **context(result))
    (folder / "README.md").write_text(md, encoding="utf-8")
    (folder / "report.html").write_text(page, encoding="utf-8")
    result.files = [folder / n for n in ("evidence.csv", "forest.png", "README.md", "report.html")]
    return result.files


def _number(x: float, measure: str) -> str:
    if not math.isfinite(x):
        return "—"
    return f"{x:+.2f}" if measure == "cohens_d" else f"{x:+.1f}"


def simulated_text(row) -> str:
    if not math.isfinite(row["simulated"]):
        return "—"
    unit = {"percent_change": "%", "points": " pp", "cohens_d": ""}[row["measure"]]
    return (f"{_number(row['simulated'], row['measure'])}{unit} "
            f"[{_number(row['simulated_low'], row['measure'])}, "
            f"{_number(row['simulated_high'], row['measure'])}]")


def verdict_table(table: pd.DataFrame) -> list[dict]:
    rows = []
    for _, r in table.iterrows():
        outcome = EFFECT_OUTCOMES[r["outcome"]].label
        if r["group"] != "everyone":
            outcome += f" ({r['group']})"
        if r["comparison"] != "direct":
            outcome += f", {r['comparison']}"
        rows.append({"programme": INTERVENTIONS[r["programme"]].label_en, "claim": r["claim"],
                     "outcome": outcome, "published": r["published"],
                     "simulated [95% CI]": simulated_text(r), "verdict": f"**{r['verdict']}**",
                     "why": r["reason"],
                     "source": f"[{r['id']}](#{r['id']})"})
    return rows


def sources(table: pd.DataFrame) -> list[dict]:
    """One block per entry: the citation, the design and what was read."""
    out = []
    for _, r in table.iterrows():
        out.append({"id": r["id"], "source": r["source"],
                    "design": r["design"], "studies": "" if pd.isna(r["studies"]) else int(r["studies"]),
                    "read_at": r["read_at"], "note": r["note"], "evaluation": r["evaluation"]})
    return out


def context(result: EvidenceResult) -> dict:
    table = result.table
    counts = Counter(table["verdict"])
    reports = [{"name": path.name, "path": path.relative_to(result.folder).as_posix(),
                "programme": INTERVENTIONS[item.spec.programme].label_en,
                "kind": item.design.kind, "replications": item.spec.replications,
                "file": name}
               for name, path in result.reports.items()
               for item in [result.loaded.evaluations[name]]]
    return {"title": "Barrios against the published evidence",
            "description": result.loaded.table.description.strip(),
            "counts": ", ".join(f"{n} {v}" for v, n in counts.most_common()),
            "entries": len(table), "table": markdown_table(verdict_table(table)),
            "sources": sources(table), "reports": reports,
            "gaps": [{"programme": INTERVENTIONS[r["programme"]].label_en, "claim": r["claim"],
                      "reason": r["reason"], "note": r["note"]}
                     for _, r in table.iterrows() if r["verdict"] == "no benchmark"]}


def terminal_text(result: EvidenceResult) -> str:
    t = result.table
    view = pd.DataFrame({"programme": t["programme"], "outcome": t["outcome"],
                         "published": t["published"],
                         "simulated": [simulated_text(r) for _, r in t.iterrows()],
                         "verdict": t["verdict"]})
    counts = Counter(t["verdict"])
    return "\n".join([view.to_string(index=False), "",
                      "Verdicts: " + ", ".join(f"{n} {v}" for v, n in counts.most_common())])


def forest_figure(table: pd.DataFrame, path: Path):
    """Published statements (black) and simulated effects (coloured by verdict) per entry,
    one panel per measure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = table[table["interval"] != "none"]
    panels = [m for m in PANELS if (shown["measure"] == m).any()]
    heights = [max((shown["measure"] == m).sum(), 1) for m in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 0.42 * sum(heights) + 1.2 * len(panels)),
                             dpi=100, squeeze=False, gridspec_kw={"height_ratios": heights})
    for ax, measure in zip(axes[:, 0], panels):
        df = shown[shown["measure"] == measure].reset_index(drop=True)
        limits = _limits(df)
        for i, r in df.iterrows():
            _published(ax, i, r, limits)
            if math.isfinite(r["simulated"]):
                lo = r["simulated_low"] if math.isfinite(r["simulated_low"]) else r["simulated"]
                hi = r["simulated_high"] if math.isfinite(r["simulated_high"]) else r["simulated"]
                ax.errorbar([r["simulated"]], [i + 0.18], xerr=[[r["simulated"] - lo], [hi - r["simulated"]]],
                            fmt="o", ms=5, capsize=2, color=COLOURS[r["verdict"]])
        ax.axvline(0, color="black", lw=0.7)
        ax.set_xlim(*limits)
        ax.set_yticks(range(len(df)), [f"{r['id']} ({r['verdict']})" for _, r in df.iterrows()],
                      fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(PANELS[measure], fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Published (black: interval, diamond: value, arrow: bound or sign) and "
                 "simulated (dot, 95% interval; colour: verdict)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _limits(df: pd.DataFrame) -> tuple[float, float]:
    values = pd.concat([df[c] for c in ("published_effect", "published_low", "published_high",
                                        "simulated_low", "simulated_high", "simulated")])
    values = values[values.map(math.isfinite)]
    low, high = min(values.min(), 0), max(values.max(), 0)
    pad = 0.12 * (high - low or 1)
    return low - pad, high + pad


def _published(ax, i: int, r, limits):
    kind = r["interval"]
    if kind in ("ci95", "range", "null"):
        style = {"ci95": "-", "range": "--", "null": ":"}[kind]
        ax.plot([r["published_low"], r["published_high"]], [i - 0.12] * 2, style, color="black", lw=2)
    if kind in ("ci95", "point") and math.isfinite(r["published_effect"]):
        ax.plot([r["published_effect"]], [i - 0.12], "D", color="black", ms=4)
    if kind in ("at_most", "at_least"):
        end = limits[0] if kind == "at_most" else limits[1]
        ax.annotate("", xy=(end, i - 0.12), xytext=(r["published_effect"], i - 0.12),
                    arrowprops={"arrowstyle": "->", "color": "black"})
    if kind == "direction":
        end = limits[1] if r["published_effect"] > 0 else limits[0]
        ax.annotate("", xy=(end * 0.6, i - 0.12), xytext=(0, i - 0.12),
                    arrowprops={"arrowstyle": "->", "color": "black", "linestyle": "--"})
