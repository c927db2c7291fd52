"""The parameter table in docs/ is generated from the code and must not drift from it."""

import contextlib
import io
from pathlib import Path

from barrios.cli import main
from simulation.parameters import PARAMETERS

ROOT = Path(__file__).resolve().parent.parent


def test_parameter_doc_matches_code():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["params", "--markdown"]) == 0
    assert (ROOT / "docs" / "parameters.md").read_text() == out.getvalue(), (
        "docs/parameters.md is stale: run `barrios params --markdown > docs/parameters.md`")


def test_every_parameter_is_documented_with_unit_range_and_source():
    for p in PARAMETERS.values():
        assert p.unit and p.source and p.description, p.name
        low, high = p.plausible
        assert p.bounds[0] <= low <= p.default <= high <= p.bounds[1], p.name
