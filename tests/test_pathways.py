"""barrios pathways: switching a perception channel off on common seeds."""

from __future__ import annotations

import pandas as pd

from barrios.cli import main
from tests.conftest import SCENARIOS


def test_contributions_of_an_active_and_an_idle_channel(tmp_path, capsys):
    """In the lighting-only scenario, with a strong direct effect of light on fear planted
    (0.25, twenty times what the fear studies allow: it contributes about 5.5 points
    against a 95% half-width of about 1 over six short runs; 0.1, the survey-only fit's
    value, sat at the run noise's edge once the adopted defaults of 2026-12-03 made fear
    noisier; the calibrated default is too small to see at this size), lighting's direct effect
    contributes to the rise in public spaces; migrant inclusion, which that
    scenario does not run, contributes exactly nothing (the runs are identical on common
    seeds)."""
    scenario = tmp_path / "lit.toml"
    scenario.write_text(f'extend = "{(SCENARIOS / "lighting_only.toml").as_posix()}"\n'
                        'name = "lit"\n[parameters]\nlighting_perception_effect = 0.25\n')
    status = main(["pathways", str(scenario), "--replications", "6",
                   "--years", "1", "--scale", "500", "--out", str(tmp_path / "out"),
                   "--workers", "2", "--quiet"])
    assert status == 0
    assert "the rise itself" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "out" / "pathways.csv")
    public = table[table["rise"] == "safe_public_change"].set_index("switch")
    assert public.loc["lighting", "ci_low"] > 0
    assert public.loc["migrant inclusion", "mean"] == 0.0
    assert public.loc["none (as it is)", "kind"] == "rise"
    for name in ("pathways.png", "report.md", "report.html"):
        assert (tmp_path / "out" / name).stat().st_size > 0
