"""Replications of one scenario, what ``barrios run`` does: the design (replication k on
child k of the scenario's seed), the run verb on each, and where they go.

``replicate`` yields each replication as it finishes, so a caller can store it (the
output folder, ``experiments.outputs.RunFolder``) or keep it (the Python API).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from experiments.runs import RunResult, simulate
from experiments.scenario_files import LoadedScenario


def replicate(loaded: LoadedScenario, progress: Callable[[int], None] | None = None
              ) -> Iterator[RunResult]:
    """Each replication's result as soon as it is done."""
    scenario = loaded.scenario
    for k in range(scenario.run.replications):
        yield simulate(scenario, seed=scenario.run.seed, replication=k,
                       city_table=loaded.city_table, progress=progress)
