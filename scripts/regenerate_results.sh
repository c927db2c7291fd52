#!/usr/bin/env bash
# Regenerate every committed result after a model change, in dependency order: the
# calibration first (its values become the defaults every later study uses), then the
# studies that read the defaults. Each step names the files it rewrites; the README's
# figures are copied from these outputs (results/README.md lists them with the commit
# that made them).
#
#   ./scripts/regenerate_results.sh            # everything (about 2 hours on 2 cores)
#   ./scripts/regenerate_results.sh evidence   # one step: calibrate centre adopt evidence
#                                              #   sensitivity compare budget check
#                                              #   (or reanalyse instead of calibrate)
set -euo pipefail
cd "$(dirname "$0")/.."
B=.venv/bin/barrios
PY=.venv/bin/python
# runs of this model version (a study refuses a folder that holds another model's runs)
RUNS=runs/regenerate-$(git rev-parse --short HEAD)
steps=("${@:-calibrate centre adopt evidence sensitivity compare budget check}")
times=benchmarks/results/study_times.tsv   # each step's wall time, for the README's table
mkdir -p benchmarks/results

for step in ${steps[*]}; do
  echo "== $step ($(git rev-parse --short HEAD), $(date -u +%F' '%H:%M) UTC)"
  start=$SECONDS
  case "$step" in
    calibrate)    # results/calibration/, scenarios/calibrated.toml
      $B calibrate experiments/calibrate_joint.toml --quiet ;;
    reanalyse)    # the same from results/calibration/design.parquet, no runs: after a
                  # change in the analysis (emulators, checks, posterior), not the model
      $B calibrate experiments/calibrate_joint.toml --reanalyse ;;
    centre)       # scenarios/calibrated.toml: the set not ruled out closest to the survey,
                  # centred on it at full scale; results/calibration/frontier*.csv
      $PY scripts/survey_frontier.py --centre ;;
    adopt)        # simulation/parameters.py defaults, docs/parameters.md
      $PY scripts/adopt_calibration.py scenarios/calibrated.toml
      $B params --markdown > docs/parameters.md ;;
    evidence)     # results/evidence/
      $B evidence --out $RUNS/evidence --quiet ;;
    sensitivity)  # results/sensitivity/quito/ (Morris screening of 78 parameters)
      $B sensitivity experiments/sensitivity_quito.toml --morris-only --out $RUNS/sensitivity \
        --report results/sensitivity/quito --quiet ;;
    compare)      # README, "Comparing intervention mixes"
      $B compare scenarios/baseline_2023.toml scenarios/quito_2023_2025.toml \
        scenarios/*_only.toml scenarios/mano_dura.toml --replications 10 --out $RUNS/compare --quiet ;;
    budget)       # README, "Sweeps" (the budget example)
      $B sweep experiments/budget_100m.toml --out $RUNS/budget --quiet ;;
    check)        # README, "Calibration": the full-scale check of the four survey figures
      $B run scenarios/quito_2023_2025.toml --replications 20 --out $RUNS/check --quiet ;;
    *) echo "unknown step: $step" >&2; exit 2 ;;
  esac
  printf '%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$(git rev-parse --short HEAD)" "$step" \
    "$((SECONDS - start))" >> "$times"
done
