"""Make the calibrated values in scenarios/calibrated.toml the model's defaults.

    .venv/bin/python scripts/adopt_calibration.py [scenarios/calibrated.toml]

Rewrites the default of each fitted parameter in simulation/parameters.py and points its
source to the calibration's results, so the code says where each number came from. Run it
after `barrios calibrate experiments/calibrate_joint.toml` (history matching: the most
plausible point; `scripts/survey_frontier.py --centre` then writes the not-ruled-out set
closest to the survey, centred on it at full scale) or `experiments/calibrate_quito.toml`
(ABC-SMC: the posterior median) when the values pass the full-scale check
(docs/calibration.md); then regenerate
docs/parameters.md with `barrios params --markdown > docs/parameters.md`. A parameter
adopted from an earlier calibration loses that calibration's label.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARAMETERS = ROOT / "simulation" / "parameters.py"
ADOPTED = "ABC-SMC posterior median (results/calibration/parameters.md)"
ADOPTED_MATCHED = ("history matching to the survey, severe violence, victimization and "
                   "published effects: the most plausible point (results/calibration/README.md)")
ADOPTED_CENTRED = ("history matching to the survey, severe violence, victimization and "
                   "published effects: the set not ruled out closest to the survey, centred on "
                   "it at full scale (scripts/survey_frontier.py; results/calibration/README.md)")
LABELS = (ADOPTED, ADOPTED_MATCHED, ADOPTED_CENTRED)
WIDTH = 100


def adopt(text: str, values: dict[str, float], label: str = ADOPTED) -> str:
    """Return parameters.py's text with each named default replaced by its fitted value
    and its source ending with ``label`` (the calibration that fitted it)."""
    for name, value in values.items():
        pattern = re.compile(rf"(\n    {name}: float = _\w+\(\n\s+)([-+0-9.eE_]+)(,.*?\n(\s+)source=)"
                             r"(.*?)(,\n\s+meaning=)", re.S)
        match = pattern.search(text)
        if match is None:
            raise SystemExit(f"error: {PARAMETERS.name}: no declaration of {name!r} to update")
        source = ast.literal_eval(f"({match.group(5)})")
        for old in LABELS:
            source = source.replace(f"; {old}", "").replace(old, "").strip("; ")
        source = f"{source}; {label}" if source else label
        literal = _wrapped(source, len(match.group(4)) + len("source="))
        text = (text[:match.start()] + match.group(1) + f"{value:.4g}" + match.group(3)
                + literal + match.group(6) + text[match.end():])
    return text


def _wrapped(text: str, indent: int) -> str:
    """A string literal in lines of at most WIDTH characters (implicit concatenation)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and indent + len(json.dumps(line + " " + word, ensure_ascii=False)) + 1 > WIDTH:
            lines.append(line + " ")
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    quoted = [json.dumps(part, ensure_ascii=False) for part in lines]
    return ("\n" + " " * indent).join(quoted)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "scenarios" / "calibrated.toml"
    text = path.read_text()
    values = tomllib.loads(text)["parameters"]
    label = (ADOPTED_CENTRED if "centred on the survey" in text
             else ADOPTED_MATCHED if "history matching" in text else ADOPTED)
    PARAMETERS.write_text(adopt(PARAMETERS.read_text(), values, label))
    print(f"updated {len(values)} defaults in {PARAMETERS.relative_to(ROOT)} from {path}")


if __name__ == "__main__":
    main()
