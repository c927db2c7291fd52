"""The ``barrios`` command line: the front door. Each command parses its options, calls
the public API (``barrios.api``) and prints what it returns.

Bad input (a file that does not validate, a bad option, an output folder that cannot be
written or that another process is writing) prints one line naming the file or the flag,
the key, what was expected and what was found, and exits with status 2 — no traceback,
nothing written. A study whose every run failed, or a full disk, prints one line and exits
with status 1. Ctrl-C keeps what finished (exit status 130). Commands import what they
need when they run, so starting the command line costs little.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from pathlib import Path

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

PARAMS_MARKDOWN_HEADER = """# Barrios parameters

Generated from `simulation/parameters.py` by `barrios params --markdown > docs/parameters.md`
(a test keeps the two in sync). The plausible range is what sensitivity analysis and
calibration explore; "calibrated" in a source means the default was set to reproduce an
observed figure.
"""


PARAMS_EVIDENCE_HEADER = """
## Ranges from evaluation studies

Where evaluations other than Quito's survey bound a parameter, the range they allow,
found by holding the published finding against the virtual evaluation that reproduces it
(`barrios evaluate` with a dose-response on the parameter; docs/evaluation.md). The
calibration uses these ranges as priors instead of the plausible range.
"""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors in the words every error uses (``expected ...,
    found ...``): ``error: barrios run: argument --years: expected ...``."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"error: {self.prog}: {_reworded(message)}\n")


def _reworded(message: str) -> str:
    choice = re.fullmatch(r"(argument .+?): invalid choice: (.+?) \(choose from (.+)\)", message)
    if choice:
        return f"{choice[1]}: expected one of {choice[3]}, found {choice[2]}"
    required = re.fullmatch(r"the following arguments are required: (.+)", message)
    if required:
        return f"{required[1]}: expected a value (required), found nothing"
    extra = re.fullmatch(r"unrecognized arguments: (.+)", message)
    if extra:
        return f"expected the options in --help, found {extra[1]}"
    return message


# --- option types: each says what it expected and what it found -------------------------------


def _number(text: str, what: str, low: float, high: float, *, integer: bool = False,
            low_open: bool = False):
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, found {text!r}") from None
    inside = (low < value if low_open else low <= value) and value <= high
    if not (math.isfinite(value) and inside):
        interval = f"{'(' if low_open else '['}{_plain(low)}, {_plain(high)}]"
        raise argparse.ArgumentTypeError(f"expected {what} in {interval}, found {text}")
    return value


def _plain(x: float) -> str:
    """2 -> '2', 1048576 -> '1048576', 0.5 -> '0.5' (no exponents)."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _years(text: str) -> float:
    return _number(text, "a number of years", 0, 30, low_open=True)


def _scale(text: str) -> float:
    return _number(text, "a number of inhabitants per agent", 1, 100_000)


def _replications(text: str) -> int:
    return _number(text, "a whole number", 1, 10_000, integer=True)


def _seed(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, found {text!r}")
    return value


def _port(text: str) -> int:
    return _number(text, "a port number", 1, 65535, integer=True)


def _sessions(text: str) -> int:
    return _number(text, "a number of sessions", 1, 10_000, integer=True)


def _origin(text: str) -> str:
    if not re.fullmatch(r"https?://[^/\s:]+(:\d{1,5})?/?", text.strip(), re.IGNORECASE):
        raise argparse.ArgumentTypeError("expected an origin such as https://taller.example.org "
                                         f"or http://10.0.0.5:8765, found {text!r}")
    return text.strip().rstrip("/")


def _at_least_two(text: str) -> int:
    return _number(text, "a whole number", 2, 1_048_576, integer=True)


def _power_of_two(text: str) -> int:
    value = _at_least_two(text)
    if value & (value - 1):
        raise argparse.ArgumentTypeError(f"expected a power of two, found {text!r}")
    return value


def _scheduler(text: str) -> str:
    if not text.startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")):
        raise argparse.ArgumentTypeError(f"expected a scheduler address such as "
                                         f"tcp://HOST:PORT, found {text!r}")
    return text


# --- the parser -----------------------------------------------------------------------------


def build_parser() -> Parser:
    parser = Parser(prog="barrios", description="Barrios: agent-based simulation of "
                    "violence-prevention interventions in Quito's barrios.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=Parser)
    for add in (_add_run, _add_validate, _add_compare, _add_sweep, _add_sensitivity,
                _add_calibrate, _add_evaluate, _add_evidence, _add_pathways, _add_app, _add_params):
        add(sub)
    return parser


def _add_run(sub):
    p = sub.add_parser("run", help="run a scenario and write its outputs",
                       description="Simulate a scenario, print a summary next to the observed "
                                   "survey figures, and write summary.json, timeseries.parquet, "
                                   "barrios.parquet and perception.png to the output folder.")
    p.add_argument("scenario", type=Path, help="scenario file (TOML), e.g. scenarios/quito_2023_2025.toml")
    p.add_argument("--seed", type=_seed, help="random seed (default: the scenario's run.seed)")
    p.add_argument("--replications", type=_replications,
                   help="independent replications, each on its own seed stream; the summary "
                        "gives means with 95%% intervals (default: the scenario's run.replications)")
    p.add_argument("--years", type=_years, help="years to simulate from the start date "
                   "(default: the scenario's run.years)")
    p.add_argument("--scale", type=_scale, metavar="INHABITANTS_PER_AGENT",
                   help="inhabitants per agent (default: the scenario's city.inhabitants_per_agent)")
    p.add_argument("--out", type=Path, help="output folder (default: runs/<scenario>-<seed>/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary; errors only")
    p.set_defaults(func=cmd_run, interrupted="interrupted: kept {kept} finished replication(s) in {out}")


def _add_validate(sub):
    p = sub.add_parser("validate", help="check scenario files without running them",
                       description="Load and validate scenario files (following extend), "
                                   "print what each one sets, exit 2 at the first bad file.")
    p.add_argument("files", type=Path, nargs="+", help="scenario files (TOML)")
    p.set_defaults(func=cmd_validate)


def _execution_options(p: argparse.ArgumentParser):
    p.add_argument("--scheduler", type=_scheduler, metavar="tcp://HOST:PORT",
                   help="run on an existing Dask distributed cluster (default: a local cluster, "
                        "one worker process per core)")
    p.add_argument("--workers", type=_replications, help="local worker processes (default: one per core)")
    p.add_argument("--out", type=Path, help="result folder (runs already stored there are skipped)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(interrupted="interrupted: finished runs are stored; run the same command "
                               "again to resume")


def _add_compare(sub):
    p = sub.add_parser("compare", help="compare scenarios on common random numbers",
                       description="Run every scenario on the same seeds and report, per scenario, "
                                   "the change in both perception shares, victimization, severe "
                                   "violence, cost and US$ per percentage point gained (means with "
                                   "95%% intervals and paired differences against the first "
                                   "scenario). Writes comparison.csv/.parquet, groups.csv, "
                                   "comparison.png, cost_gain.png, report.md and report.html.")
    p.add_argument("scenarios", type=Path, nargs="+", help="scenario files; the first is the reference")
    p.add_argument("--replications", type=_replications, default=30, help="replications per scenario (default 30)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the common random numbers (default 0)")
    p.add_argument("--years", type=_years, help="years to simulate (default: each scenario's)")
    p.add_argument("--scale", type=_scale, metavar="INHABITANTS_PER_AGENT",
                   help="inhabitants per agent (default: each scenario's)")
    p.add_argument("--lang", choices=["en", "es"], default="en",
                   help="language of the report, figures and table (default: en; es: Spanish, "
                        "decimal commas)")
    _execution_options(p)
    p.set_defaults(func=cmd_compare)


def _add_sweep(sub):
    p = sub.add_parser("sweep", help="run an experiment file (levers, uncertainties, design)",
                       description="Sample an experiment's levers and uncertainties (full factorial, "
                                   "Latin hypercube or Sobol), run each design point's replications, "
                                   "store them as Parquet as they finish (a restart skips stored "
                                   "runs), then write design-point means, the cost/gain Pareto front "
                                   "and, with a [target], PRIM lever ranges that reach it, and "
                                   "report.md/report.html.")
    p.add_argument("experiment", type=Path, help="experiment file (TOML), e.g. experiments/budget_100m.toml")
    p.add_argument("--lang", choices=["en", "es"], default="en",
                   help="language of the report and figure (default: en; es: Spanish, decimal commas)")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs that failed before")
    _execution_options(p)
    p.set_defaults(func=cmd_sweep)


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
    p.add_argument("--lang", choices=["en", "es"], default="en",
                   help="language of the report and figures (default: en; es: Spanish, decimal commas)")
    p.add_argument("--report-only", action="store_true",
                   help="run nothing: write the report again from the tables already in --report "
                        "(with the --trajectories / --samples they ran with)")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs that failed before")
    p.add_argument("--trajectories", type=_at_least_two, metavar="R",
                   help="Morris trajectories instead of the file's (stored runs are reused)")
    p.add_argument("--samples", type=_power_of_two, metavar="N",
                   help="Sobol base samples instead of the file's, a power of two (stored runs "
                        "are reused: the design of N/2 is a prefix of the one of N)")
    _execution_options(p)
    p.set_defaults(func=cmd_sensitivity)


def _add_calibrate(sub):
    p = sub.add_parser("calibrate", help="fit parameters to the survey and the evidence",
                       description="Calibration of the parameters a calibration file names. With "
                                   "method = \"history_matching\" (experiments/calibrate_joint.toml): "
                                   "history matching with Gaussian-process emulators against the "
                                   "survey, severe violence, victimization and published effects, "
                                   "with hold-outs, Sobol indices on the emulators and a "
                                   "policy-robustness table; each wave is stored, so the same "
                                   "command again resumes. Otherwise ABC-SMC (pyabc; "
                                   "experiments/calibrate_quito.toml), whose SQLite history the same "
                                   "command continues. Both write their report, figures and (with "
                                   "write_scenario) the calibrated scenario.")
    p.add_argument("calibration", type=Path,
                   help="calibration file (TOML), e.g. experiments/calibrate_joint.toml")
    p.add_argument("--no-predictive", action="store_true",
                   help="ABC-SMC: skip the posterior predictive runs and figure")
    p.add_argument("--outputs-only", action="store_true",
                   help="ABC-SMC: sample no more; write the outputs from the stored history")
    p.add_argument("--lang", choices=["en", "es"], default="en",
                   help="history matching: language of the report and figures (default: en; es: "
                        "Spanish, decimal commas); the ABC-SMC report is in English only")
    p.add_argument("--report-only", action="store_true",
                   help="history matching: run and refit nothing; write the report again from "
                        "the results folder's tables")
    p.add_argument("--reanalyse", action="store_true",
                   help="history matching: run no wave; fit the emulators again to the results "
                        "folder's design.parquet and redo every analysis (validation, set not "
                        "ruled out, posterior, hold-outs, sensitivity), for a change in the "
                        "analysis, not in the model; the robustness runs are made at the "
                        "posterior's draws (resumed if the draws are the stored ones); waves "
                        "the file adds beyond the stored ones are run, chosen by the new "
                        "emulators")
    _execution_options(p)
    p.set_defaults(func=cmd_calibrate)


def _add_evaluate(sub):
    p = sub.add_parser("evaluate", help="measure a programme's effect as evaluators do (a "
                       "trial inside the model)",
                       description="A virtual evaluation of one programme: a randomized trial, "
                                   "a hot-spot experiment, a catchment design (displacement and "
                                   "diffusion, weighted displacement quotient) or matched "
                                   "controls for a programme as deployed, optionally at several "
                                   "doses. Effects (%% change, percentage points, Cohen's d) with "
                                   "95%% intervals over replications, overall and by group. Runs "
                                   "are stored as they finish (a restart skips stored runs); "
                                   "writes effects.csv/.parquet, estimates.parquet, "
                                   "event_study.csv, balance.csv, effects.png, event_study.png "
                                   "and report.md/report.html.")
    p.add_argument("evaluation", type=Path,
                   help="evaluation file (TOML), e.g. evidence/evaluations/street_lighting.toml")
    p.add_argument("--replications", type=_at_least_two,
                   help="replications instead of the file's (stored runs are reused)")
    p.add_argument("--report", type=Path, metavar="DIR",
                   help="folder for the tables, figures and report (default: the result folder)")
    p.add_argument("--lang", choices=["en", "es"], default="en",
                   help="language of the report and figures (default: en; es: Spanish, decimal commas)")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs that failed before")
    _execution_options(p)
    p.set_defaults(func=cmd_evaluate)


def _add_evidence(sub):
    p = sub.add_parser("evidence", help="hold every programme's simulated effect against the "
                       "published evaluations",
                       description="Run the evaluation of every entry of the evidence table "
                                   "(evidence/table.toml) and write the validation report: "
                                   "published against simulated effects with their intervals "
                                   "(forest.png), a table of agree / disagree with the reason, "
                                   "and each evaluation's own report.")
    p.add_argument("--table", type=Path, default=Path("evidence/table.toml"),
                   help="evidence table (TOML; default evidence/table.toml)")
    p.add_argument("--replications", type=_at_least_two,
                   help="replications of every evaluation instead of each file's")
    p.add_argument("--report", type=Path, metavar="DIR", default=Path("results/evidence"),
                   help="folder for the validation report (default results/evidence)")
    p.add_argument("--only", metavar="PROGRAMME", action="append",
                   help="only the entries of this programme (repeatable)")
    p.add_argument("--lang", choices=["en", "es"], default="en",
                   help="language of the reports and figures (default: en; es: Spanish, decimal commas)")
    p.add_argument("--report-only", action="store_true",
                   help="run nothing: write the reports again from the tables already in --report")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs that failed before")
    _execution_options(p)
    p.set_defaults(func=cmd_evidence)


def _add_pathways(sub):
    p = sub.add_parser("pathways", help="where a scenario's rise in perceived safety comes from",
                       description="Run a scenario as it is and with each perception channel "
                                   "switched off (less victimization, each visible programme's "
                                   "direct effect, contagion, memory), on common seeds, and "
                                   "report each channel's contribution to the rises in perceived "
                                   "safety with 95%% intervals. Writes pathways.csv, pathways.png "
                                   "and report.md/report.html.")
    p.add_argument("scenario", type=Path, help="scenario file (TOML)")
    p.add_argument("--replications", type=_at_least_two, default=10,
                   help="paired replications (default 10)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the common random numbers (default 0)")
    p.add_argument("--years", type=_years, help="years to simulate (default: the scenario's)")
    p.add_argument("--scale", type=_scale, metavar="INHABITANTS_PER_AGENT",
                   help="inhabitants per agent (default: the scenario's)")
    _execution_options(p)
    p.set_defaults(func=cmd_pathways)


APP_STOPPED = "Barrios workshop stopped."


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
    p.add_argument("--max-sessions", type=_sessions, default=40, metavar="N",
                   help="open pages (tabs) served at once; a page beyond them is asked to try "
                        "later (default: 40; about 2.3 GB of memory in all at the default scale)")
    p.add_argument("--allow-origin", type=_origin, action="append", default=[], metavar="ORIGIN",
                   help="another address the page may be opened from, e.g. a reverse proxy's "
                        "https://taller.example.org (repeatable; by default only the address "
                        "the browser used to reach this server)")
    p.set_defaults(func=cmd_app, interrupted=APP_STOPPED)


def _add_params(sub):
    p = sub.add_parser("params", help="list every model parameter",
                       description="Every parameter with its unit, default, plausible range "
                                   "and the source of its default.")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.set_defaults(func=cmd_params)


# --- the commands -----------------------------------------------------------------------------


def cmd_run(args) -> int:
    import barrios
    from experiments.summary import format_summary, yearly

    loaded = barrios.scenario(args.scenario, seed=args.seed, replications=args.replications,
                              years=args.years, scale=args.scale)
    scenario = loaded.scenario
    args.out = args.out or Path("runs") / f"{scenario.name}-{scenario.run.seed}"
    bar = _progress_bar(scenario.n_days * scenario.run.replications, scenario.name, args.quiet)
    try:
        result = barrios.run(loaded, out=args.out, progress=bar.days if bar else None)
    except barrios.Interrupted as stop:
        args.kept = len(stop.outputs.outcomes) if stop.outputs else 0
        raise
    finally:
        if bar:
            bar.close()
    if not args.quiet:
        print(format_summary(result.summary, yearly(result.timeseries)))
        print(f"\nOutputs in {args.out}/: summary.json, timeseries.parquet, barrios.parquet, "
              "perception.png")
    return 0


class _DayBar:
    """A progress bar in simulated days, over replications (each reports from day 0)."""

    def __init__(self, total: int, name: str):
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="day", desc=name, file=sys.stderr)
        self.done = 0

    def days(self, day: int):
        if day < self.done:  # a new replication
            self.done = 0
        self.bar.update(max(day, 0) - self.done)
        self.done = max(day, 0)

    def close(self):
        self.bar.close()


def _progress_bar(total: int, name: str, quiet: bool) -> _DayBar | None:
    return None if quiet else _DayBar(total, name)


def cmd_validate(args) -> int:
    from experiments.scenario_files import load_scenario, scenario_summary

    for path in args.files:
        loaded = load_scenario(path)
        print(f"{path}: ok")
        print("  " + scenario_summary(loaded).replace("\n", "\n  "))
    return 0


def cmd_compare(args) -> int:
    import barrios
    from experiments.compare_report import terminal_text

    result = barrios.compare(args.scenarios, replications=args.replications, seed=args.seed,
                             years=args.years, scale=args.scale, out=args.out,
                             workers=args.workers, scheduler=args.scheduler,
                             progress=not args.quiet, lang=args.lang)
    print(terminal_text(result, args.lang))
    print(f"\n{result.report}")
    print("Wrote " + ", ".join(f.name for f in result.files))
    return 0


def cmd_sweep(args) -> int:
    import barrios

    result = barrios.sweep(args.experiment, out=args.out, workers=args.workers,
                           scheduler=args.scheduler, progress=not args.quiet,
                           retry_failed=args.retry_failed, lang=args.lang)
    print(result.report)
    print(result.text)
    return 0


def cmd_sensitivity(args) -> int:
    import barrios
    from experiments.sensitivity_report import terminal_text

    result = barrios.sensitivity(args.experiment, out=args.out, report=args.report,
                                 morris_only=args.morris_only, trajectories=args.trajectories,
                                 samples=args.samples, workers=args.workers,
                                 scheduler=args.scheduler, progress=not args.quiet,
                                 retry_failed=args.retry_failed, lang=args.lang,
                                 report_only=args.report_only)
    for stage in (result.morris, result.sobol):
        if stage is not None and stage.runs is not None:
            print(f"{stage.stage}: {stage.runs.report}")
    print(terminal_text(result.loaded, result.morris, result.sobol))
    what = "report.md, report.html" if args.report_only else \
        f"{len(result.files)} files (tables, figures, report.md, report.html)"
    print(f"Wrote {what} in {result.files[-1].parent}")
    return 0


def cmd_calibrate(args) -> int:
    import barrios

    result = barrios.calibrate(args.calibration, out=args.out, workers=args.workers,
                               scheduler=args.scheduler, progress=not args.quiet,
                               predictive=not args.no_predictive, outputs_only=args.outputs_only,
                               lang=args.lang, report_only=args.report_only,
                               reanalyse=args.reanalyse)
    if args.report_only:
        print(f"Wrote {', '.join(p.name for p in result)} in {result[-1].parent}/")
        return 0
    if hasattr(result, "nroy"):  # history matching
        from experiments.history_matching_report import terminal_text

        print(terminal_text(result, args.lang))
        run = [w.number for w in result.waves if w.report.folder != "design.parquet"]
        if not args.reanalyse:
            where = f"Runs in {result.folder}/"
        elif run:
            where = (f"Waves read from the stored design except {', '.join(map(str, run))}, "
                     f"run; runs in {result.folder}/")
        else:
            where = f"No wave runs (reanalysed the stored design); robustness runs in {result.folder}/"
        print(f"{where}; outputs: {result.files[0].parent}/")
        return 0
    print(f"{result.generations} generation(s), {result.simulations} simulations, final epsilon "
          f"{result.epsilon:.3g}, {result.seconds:.0f} s in all; history in {result.folder}/history.db")
    print((result.results / "parameters.md").read_text(encoding="utf-8"))
    print(f"Outputs in {result.results}/")
    return 0


def cmd_evaluate(args) -> int:
    import barrios
    from experiments.evaluation_report import terminal_text

    result = barrios.evaluate(args.evaluation, replications=args.replications, out=args.out,
                              report=args.report, workers=args.workers,
                              scheduler=args.scheduler, progress=not args.quiet,
                              retry_failed=args.retry_failed, lang=args.lang)
    print(result.report)
    print(terminal_text(result, args.lang))
    print(f"Wrote {len(result.files)} files (tables, figures, report.md, report.html) in "
          f"{result.files[-1].parent}")
    return 0


def cmd_evidence(args) -> int:
    import barrios
    from experiments.evidence_report import terminal_text

    result = barrios.evidence(args.table, replications=args.replications, out=args.out,
                              report=args.report, only=args.only, workers=args.workers,
                              scheduler=args.scheduler, progress=not args.quiet,
                              retry_failed=args.retry_failed, lang=args.lang,
                              report_only=args.report_only)
    print(terminal_text(result, args.lang))
    print(f"Wrote the validation report in {result.folder}")
    return 0


def cmd_pathways(args) -> int:
    import barrios
    from experiments.pathways_report import terminal_text

    result = barrios.pathways(args.scenario, replications=args.replications, seed=args.seed,
                              years=args.years, scale=args.scale, out=args.out,
                              workers=args.workers, scheduler=args.scheduler,
                              progress=not args.quiet)
    print(result.report)
    print(terminal_text(result))
    print(f"Wrote {', '.join(f.name for f in result.files)} in {result.folder}")
    return 0


def cmd_app(args) -> int:
    """Serve the workshop page. Ctrl-C is how it is meant to stop, so it exits 0 with the
    app's own word (not the studies' "run again to resume")."""
    try:
        from workshop.server import serve  # the simulation commands need no web stack

        serve(host=args.host, port=args.port, lang=args.lang, scale=args.scale,
              max_sessions=args.max_sessions, allow_origins=tuple(args.allow_origin))
    except KeyboardInterrupt:  # uvicorn raises the signal again once it has shut down
        pass
    print(APP_STOPPED, flush=True)
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
        print(PARAMS_EVIDENCE_HEADER)
        print("| name | range | how |")
        print("| --- | --- | --- |")
        for p in PARAMETERS.values():
            if p.evidence:
                print(f"| `{p.name}` | {p.evidence[0]:g}–{p.evidence[1]:g} | {p.evidence[2]} |")
        return 0
    group = None
    for p in PARAMETERS.values():
        if p.group != group:
            group = p.group
            print(f"\n[{group}]")
        print(f"  {p.name} = {p.default:g}  ({p.unit}; plausible {p.plausible[0]:g}–{p.plausible[1]:g})")
        print(f"      {p.description}")
        print(f"      source: {p.source}")
        if p.evidence:
            print(f"      evidence: {p.evidence[0]:g}–{p.evidence[1]:g}: {p.evidence[2]}")
    return 0


# --- errors -----------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except KeyboardInterrupt:
        message = getattr(args, "interrupted", "interrupted")
        print(message.format(kept=getattr(args, "kept", 0), out=getattr(args, "out", "")),
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `barrios params | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - known failures become one line
        status = _status(error)
        if status is None:
            raise
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return status


def _status(error: Exception) -> int | None:
    """The exit status of a failure the user can act on (None: a bug, show the traceback)."""
    from experiments.files import BadInput
    from experiments.store import ExperimentChanged, StoreBusy, WriteFailed
    from experiments.study import AllRunsFailed

    if isinstance(error, BadInput | StoreBusy | ExperimentChanged) or _extra(error):
        return EXIT_BAD_INPUT  # what the user gave cannot be used: nothing was done
    if isinstance(error, AllRunsFailed | WriteFailed | OSError):
        return EXIT_FAILED     # the work was done, or began, and failed
    return None


EXTRAS = {"solara": "app", "ipyvue": "app", "ipyvuetify": "app", "altair": "app",
          "uvicorn": "app", "starlette": "app", "pyabc": "calibrate", "sqlalchemy": "calibrate",
          "bokeh": "cluster"}
"""Modules of the optional extras (pyproject.toml), by the extra that installs them."""


def _extra(error: Exception) -> str | None:
    """The extra a missing module belongs to (None: not a missing optional package)."""
    if isinstance(error, ModuleNotFoundError) and error.name:
        return EXTRAS.get(error.name.split(".")[0].lower())
    return None


def _one_line(error: Exception) -> str:
    if extra := _extra(error):
        return (f"this command needs the '{extra}' extra, which is not installed (no module "
                f"{error.name}): pip install 'barrios[{extra}]'")
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: could not write ({error.strerror})"
    return " ".join(str(error).split())


if __name__ == "__main__":
    sys.exit(main())
