"""Write docs/cli.md, the command-line reference, from the parser itself, so the two
cannot drift (tests/test_docs.py checks that the committed file is what this prints).

    .venv/bin/python scripts/cli_reference.py > docs/cli.md
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def reference() -> str:
    from barrios.cli import build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal: fix it for a stable file
    parser = build_parser()
    lines = ["# Command-line reference", "",
             "Generated from the parser (`barrios/cli.py`) by `scripts/cli_reference.py`; "
             "every command also answers `--help`.", "",
             "```", parser.format_help().rstrip(), "```", ""]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        lines += [f"## barrios {name}", "", "```", command.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(reference())
