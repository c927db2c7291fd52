"""The ``barrios`` command line.

Bad input (a scenario file that does not validate, a bad option) prints one line naming
the file, the key, what was expected and what was found, and exits with status 2 —
no traceback. An interrupted run keeps the replications it finished.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.scenario_files import ScenarioError, load_scenario, scenario_summary
from experiments.store import ExperimentChanged

PARAMS_MARKDOWN_HEADER = """# Barrios parameters

Generated from `simulation/parameters.py` by `barrios params --markdown > docs/parameters.md`
(a test keeps the two in sync). The plausible range is what sensitivity analysis and
calibration explore; "calibrated" in a source means the default was set to reproduce an
observed figure.
"""
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, found {text!r}") from None
    if not 0 < value <= 30:
        raise argparse.ArgumentTypeError(f"expected a number of years in (0, 30], found {text}")
    return value


def _replications(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"expected a whole number in [1, 10000], found {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, found {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="barrios",
        description="Barrios: agent-based simulation of violence-prevention interventions "
                    "in Quito's barrios.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario and write its outputs",
                         description="Simulate a scenario, print a summary next to the observed "
                                     "survey figures, and write summary.json, timeseries.parquet, "
                                     "barrios.parquet and perception.png to the output folder.")
    run.add_argument("scenario", type=Path, help="scenario file (TOML), e.g. scenarios/quito_2023_2025.toml")
    run.add_argument("--seed", type=_seed, help="random seed (default: the scenario's run.seed)")
    run.add_argument("--replications", type=_replications,
                     help="independent replications, each on its own seed stream; the summary "
                          "gives means with 95%% intervals (default: the scenario's run.replications)")
    run.add_argument("--years", type=_positive_float,
                     help="years to simulate from the start date (default: the scenario's run.years)")
    run.add_argument("--out", type=Path, help="output folder (default: runs/<scenario>-<seed>/)")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no summary; errors only")
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check scenario files without running them",
                              description="Load and validate scenario files (following extend), "
                                          "print what each one sets, exit 2 at the first bad file.")
    validate.add_argument("files", type=Path, nargs="+", help="scenario files (TOML)")
    validate.set_defaults(func=cmd_validate)

    _add_compare(sub)
    _add_sweep(sub)
    _add_sensitivity(sub)
    _add_calibrate(sub)
    _add_app(sub)

    params = sub.add_parser("params", help="list every model parameter",
                            description="Every parameter with its unit, default, plausible range "
                                        "and the source of its default.")
    params.add_argument("--markdown", action="store_true", help="print a Markdown table")
    params.set_defaults(func=cmd_params)
    return parser


def cmd_run(args) -> int:
    from tqdm import tqdm

    from experiments.outputs import RunFolder
    from experiments.runner import run_replications, with_run_options
    from experiments.summary import format_summary

    loaded = load_scenario(args.scenario)
    scenario = with_run_options(loaded.scenario, seed=args.seed,
                                replications=args.replications, years=args.years)
    loaded = type(loaded)(scenario, loaded.path, loaded.chain, loaded.city_table)
    out = args.out or Path("runs") / f"{scenario.name}-{scenario.run.seed}"
    folder = RunFolder(out)
    total = scenario.n_days * scenario.run.replications
    bar = tqdm(total=total, unit="day", desc=scenario.name, disable=args.quiet, file=sys.stderr)
    done = {"days": 0}

    def progress(day: int):
        bar.update(max(day, 0) - done["days"])
        done["days"] = max(day, 0)

    interrupted = False
    try:
        for result in run_replications(loaded, progress):
            folder.add(result)
            done["days"] = 0
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        summary, years = folder.finish(scenario)
    if interrupted:
        print(f"interrupted: kept {summary.get('replications', 0)} finished replication(s) in {out}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if not args.quiet:
        print(format_summary(summary, years))
        print(f"\nOutputs in {out}/: summary.json, timeseries.parquet, barrios.parquet, perception.png")
    return 0


def _execution_options(p: argparse.ArgumentParser):
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run on an existing Dask distributed cluster (default: a local cluster, "
                        "one worker process per core)")
    p.add_argument("--workers", type=_replications, help="local worker processes (default: one per core)")
    p.add_argument("--out", type=Path, help="result folder (runs already stored there are skipped)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_compare(sub):
    p = sub.add_parser("compare", help="compare scenarios on common random numbers",
                       description="Run every scenario on the same seeds and report, per scenario, "
                                   "the change in both perception shares, victimization, severe "
                                   "violence, cost and US$ per percentage point gained (means with "
                                   "95%% intervals and paired differences against the first "
                                   "scenario). Writes comparison.csv/.parquet, groups.csv, "
                                   "comparison.png, report.md and report.html.")
    p.add_argument("scenarios", type=Path, nargs="+", help="scenario files; the first is the reference")
    p.add_argument("--replications", type=_replications, default=30, help="replications per scenario (default 30)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the common random numbers (default 0)")
    p.add_argument("--years", type=_positive_float, help="years to simulate (default: each scenario's)")
    p.add_argument("--scale", type=float, metavar="INHABITANTS_PER_AGENT",
                   help="inhabitants per agent (default: each scenario's)")
    _execution_options(p)
    p.set_defaults(func=cmd_compare)


def _add_sweep(sub):
    p = sub.add_parser("sweep", help="run an experiment file (levers, uncertainties, design)",
                       description="Sample an experiment's levers and uncertainties (full factorial, "
                                   "Latin hypercube or Sobol), run each design point's replications, "
                                   "store them as Parquet as they finish (a restart skips stored "
                                   "runs), then write design-point means, the cost/gain Pareto front "
                                   "and, with a [target], PRIM lever ranges that reach it.")
    p.add_argument("experiment", type=Path, help="experiment file (TOML), e.g. experiments/budget_100m.toml")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs that failed before")
    _execution_options(p)
    p.set_defaults(func=cmd_sweep)


def _add_calibrate(sub):
    p = sub.add_parser("calibrate", help="fit parameters to the observed survey (ABC-SMC)",
                       description="ABC-SMC calibration (pyabc) of the parameters a calibration file "
                                   "names, against the observed survey shares and severe violence. "
                                   "The SQLite history is kept in the output folder: the same command "
                                   "again continues from the last finished generation. Writes "
                                   "posterior marginal, pair and predictive figures, the parameter "
                                   "table and (with write_scenario) the calibrated scenario.")
    p.add_argument("calibration", type=Path, help="calibration file (TOML), e.g. experiments/calibrate_quito.toml")
    p.add_argument("--no-predictive", action="store_true",
                   help="skip the posterior predictive runs and figure")
    p.add_argument("--outputs-only", action="store_true",
                   help="sample no more: write the outputs from the stored history")
    _execution_options(p)
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args) -> int:
    from experiments.calibration import calibrate, load_calibration

    loaded = load_calibration(args.calibration)
    result = calibrate(loaded, args.out, scheduler=args.scheduler, workers=args.workers,
                       progress=not args.quiet, predictive=not args.no_predictive,
                       outputs_only=args.outputs_only)
    print(f"{result.generations} generation(s), {result.simulations} simulations, final epsilon "
          f"{result.epsilon:.3g}, {result.seconds:.0f} s in all; history in {result.folder}/history.db")
    print((result.results / "parameters.md").read_text(encoding="utf-8"))
    print(f"Outputs in {result.results}/")
    return 0


def _add_sensitivity(sub):
    p = sub.add_parser("sensitivity", help="Morris screening, then Sobol indices, of a scenario",
                       description="Morris screening over every behavioural and intervention-effect "
                                   "parameter (mu*, sigma with intervals), then Sobol first-order and "
                                   "total indices of the most influential ones, for the change in "
                                   "perceived safety and the distance to the survey figures. Runs "
                                   "are stored as they finish (a restart skips stored runs); writes "
                                   "CSV/Parquet tables, PNG figures and report.md/report.html.")
    p.add_argument("experiment", type=Path,
                   help="sensitivity file (TOML), e.g. experiments/sensitivity_quito.toml")
    p.add_argument("--morris-only", action="store_true", help="stop after the Morris screening")
    p.add_argument("--report", type=Path, metavar="DIR",
                   help="folder for the tables, figures and report (default: the result folder)")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs that failed before")
    p.add_argument("--trajectories", type=_at_least_two, metavar="R",
                   help="Morris trajectories instead of the file's (stored runs are reused)")
    p.add_argument("--samples", type=_power_of_two, metavar="N",
                   help="Sobol base samples instead of the file's, a power of two (stored runs "
                        "are reused: the design of N/2 is a prefix of the one of N)")
    _execution_options(p)
    p.set_defaults(func=cmd_sensitivity)


def _at_least_two(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 2, found {text!r}")
    return value


def _power_of_two(text: str) -> int:
    value = _at_least_two(text)
    if value & (value - 1):
        raise argparse.ArgumentTypeError(f"expected a power of two, found {text!r}")
    return value


def cmd_sensitivity(args) -> int:
    from experiments.sensitivity_report import terminal_text
    from experiments.sensitivity_runner import load_sensitivity, sensitivity

    loaded = load_sensitivity(args.experiment, trajectories=args.trajectories, samples=args.samples)
    result = sensitivity(loaded, args.out, stages="morris" if args.morris_only else "both",
                         report_dir=args.report, scheduler=args.scheduler, workers=args.workers,
                         progress=not args.quiet, retry_failed=args.retry_failed)
    for stage in ("morris", "sobol"):
        if result[stage] is not None:
            print(f"{stage}: {result[stage].runs.report}")
    print(terminal_text(loaded, result["morris"], result["sobol"]))
    print(f"Wrote {len(result['files'])} files (tables, figures, report.md, report.html) in "
          f"{result['files'][-1].parent}")
    return 0


def cmd_compare(args) -> int:
    from experiments.compare import compare
    from experiments.compare_report import terminal_text, write_outputs

    result = compare(args.scenarios, replications=args.replications, seed=args.seed,
                     years=args.years, inhabitants_per_agent=args.scale, out=args.out,
                     scheduler=args.scheduler, workers=args.workers, progress=not args.quiet)
    files = write_outputs(result)
    print(terminal_text(result))
    print(f"\n{result.report}")
    print("Wrote " + ", ".join(f.name for f in files))
    return 0


def cmd_sweep(args) -> int:
    from experiments.experiment_files import load_experiment
    from experiments.sweep import analyse, sweep

    loaded = load_experiment(args.experiment)
    result = sweep(loaded, args.out, scheduler=args.scheduler, workers=args.workers,
                   retry_failed=args.retry_failed, progress=not args.quiet)
    print(result.report)
    print(analyse(result.folder, loaded))
    return 0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, found {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number in [1, 65535], found {value}")
    return value


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of inhabitants per agent, found {text!r}") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"expected inhabitants per agent in [1, 100000], found {text}")
    return value


def _add_app(sub):
    p = sub.add_parser("app", help="start the workshop page (Spanish and English) in the browser",
                       description="Serve the interactive workshop page (map, time series, "
                                   "intervention sliders, budget game, explanations) and print "
                                   "its address. See docs/workshop.md.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="port (default: 8765)")
    p.add_argument("--lang", choices=["es", "en"], default="es", help="starting language (default: es)")
    p.add_argument("--scale", type=_scale, metavar="INHABITANTS_PER_AGENT",
                   help="inhabitants per agent for every scenario (default: each scenario's own, "
                        "100 for Quito: about 28,000 residents)")
    p.set_defaults(func=cmd_app)


def cmd_app(args) -> int:
    from workshop.server import serve  # lazily: the simulation commands need no web stack

    serve(host=args.host, port=args.port, lang=args.lang, scale=args.scale)
    return 0


def cmd_validate(args) -> int:
    for path in args.files:
        loaded = load_scenario(path)
        print(f"{path}: ok")
        print("  " + scenario_summary(loaded).replace("\n", "\n  "))
    return 0


def cmd_params(args) -> int:
    from simulation.parameters import PARAMETERS

    if args.markdown:
        print(PARAMS_MARKDOWN_HEADER)
        print("| name | default | unit | plausible range | source | meaning |")
        print("| --- | --- | --- | --- | --- | --- |")
        for p in PARAMETERS.values():
            print(f"| `{p.name}` | {p.default:g} | {p.unit} | {p.plausible[0]:g}–{p.plausible[1]:g} "
                  f"| {p.source} | {p.description} |")
        return 0
    group = None
    for p in PARAMETERS.values():
        if p.group != group:
            group = p.group
            print(f"\n[{group}]")
        print(f"  {p.name} = {p.default:g}  ({p.unit}; plausible {p.plausible[0]:g}–{p.plausible[1]:g})")
        print(f"      {p.description}")
        print(f"      source: {p.source}")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ExperimentChanged as error:
        out = getattr(args, "out", None) or "the result folder"
        print(f"error: {out}: experiment.json: expected the same experiment as the stored "
              f"results, found a changed one ({error}); use a new --out folder", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: finished runs are stored; run the same command again to resume",
              file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
