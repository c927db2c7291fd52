"""scripts/adopt_calibration.py: writing posterior medians into simulation/parameters.py."""

from __future__ import annotations

import ast
import importlib.util
import re

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("adopt_calibration",
                                               ROOT / "scripts" / "adopt_calibration.py")
adopt_calibration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(adopt_calibration)

SOURCE = (ROOT / "simulation" / "parameters.py").read_text()


def _source(entry: str) -> str:
    """The source string of a declaration, as Python reads it (its literal may be split
    across lines)."""
    return ast.literal_eval("(" + re.search(r"source=(.*?),\n\s+meaning=", entry, re.S).group(1) + ")")


def _entry(text: str, name: str) -> str:
    """The whole declaration of one parameter (up to the next one or the end of a block)."""
    return re.search(rf"\n    {name}: float = .*?\n(?=    \w+: float = |\n)", text, re.S).group(0)


def test_adopt_rewrites_only_the_named_defaults_and_cites_the_calibration():
    out = adopt_calibration.adopt(SOURCE, {"guardianship_effect": 0.123456})
    entry = _entry(out, "guardianship_effect")
    assert entry.startswith('\n    guardianship_effect: float = _victimization(\n        0.1235, ')
    assert adopt_calibration.ADOPTED in _source(entry)
    # everything else is untouched
    assert out.replace(entry, "") == SOURCE.replace(_entry(SOURCE, "guardianship_effect"), "")


def test_adopting_twice_cites_the_calibration_once():
    once = adopt_calibration.adopt(SOURCE, {"guardianship_effect": 0.5})
    twice = adopt_calibration.adopt(once, {"guardianship_effect": 0.5})
    assert twice == once
    assert _source(_entry(twice, "guardianship_effect")).count(adopt_calibration.ADOPTED) == 1


def test_unknown_parameter_is_a_clear_error():
    with pytest.raises(SystemExit, match="no declaration of 'no_such_parameter'"):
        adopt_calibration.adopt(SOURCE, {"no_such_parameter": 1.0})
