"""Rank a calibration's stored robustness runs again, without running anything: after a
change in how the ranking is scored (``experiments/robustness.py``), not in the runs.

    python scripts/rerank_robustness.py runs/calibrate-calibrate_joint-2026/robustness-<digest> \
        results/calibration
    barrios calibrate experiments/calibrate_joint.toml --report-only   # the report again

Reads the store's runs (each carries its draw's parameter values), writes
robustness.csv, robustness_draws.csv and robustness_flips.csv as the calibration does.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(store_folder: Path, results: Path) -> None:
    from experiments import robustness
    from experiments.history_matching import load_matching
    from experiments.store import ResultStore
    from experiments.study import successful

    loaded = load_matching(ROOT / "experiments" / "calibrate_joint.toml")
    runs = successful(ResultStore(store_folder).runs(), store_folder)
    draws = runs.groupby("draw")[list(loaded.space.names)].first().sort_index()
    table = robustness.scores(runs, loaded.ranked[0].scenario.name)   # as the calibration
    order = robustness.ranking(table)
    order.to_csv(results / "robustness.csv", index=False)
    table.to_csv(results / "robustness_draws.csv", index=False)
    robustness.flips(table, draws, order).to_csv(results / "robustness_flips.csv", index=False)
    print(order.to_string(index=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
