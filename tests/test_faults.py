"""Faults and concurrency: nothing lost or misreported.

- ``barrios run`` killed with SIGKILL at any moment leaves each output absent or readable
  (never a Parquet file without its footer, never half a summary), and a summary that
  agrees with the series beside it;
- a full disk (a file-size limit) stops ``barrios run`` with one line and exit 1, and the
  folder keeps what it held before;
- a second process writing the same run folder or result store is refused with one line
  (exit 2) while the first finishes normally, and readers never see a run twice;
- an output folder that cannot be written is one line (exit 2) before anything runs;
- a changed barrio CSV is a changed study: its result folder refuses it;
- ``barrios params | head`` ends quietly.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from barrios.cli import main
from conftest import TINY_SCENARIO, write_tiny_experiment

BARRIOS = [str(Path(sys.executable).with_name("barrios"))]
TINY = TINY_SCENARIO


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def start(*args, preexec=None) -> subprocess.Popen:
    return subprocess.Popen([*BARRIOS, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=preexec)


def locked_by_another(folder: Path) -> bool:
    """True while another process holds the folder's lock."""
    path = folder / ".lock"
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def wait_for(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def check_readable(folder: Path) -> dict:
    """Each output absent or whole; returns what is there."""
    found = {}
    for name in ("timeseries", "barrios"):
        if (folder / f"{name}.parquet").exists():
            found[name] = pd.read_parquet(folder / f"{name}.parquet")
    if (folder / "summary.json").exists():
        found["summary"] = json.loads((folder / "summary.json").read_text())
    if (folder / "perception.png").exists():
        assert (folder / "perception.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return found


# --- SIGKILL -----------------------------------------------------------------------------


@pytest.mark.parametrize("delay", [0.5, 2.0, 3.0, 4.0])
def test_sigkill_during_run_leaves_outputs_absent_or_readable(tiny, tmp_path, delay):
    out = tmp_path / "out"
    # a finished earlier run in the same folder: after the kill, its files or the new ones
    assert main(["run", str(tiny), "--out", str(out), "--replications", "1", "--quiet"]) == 0
    earlier = check_readable(out)
    process = start("run", tiny, "--out", out, "--replications", "4", "--quiet")
    time.sleep(delay)
    process.kill()
    process.wait()
    found = check_readable(out)
    if "summary" in found:  # a summary describes the series beside it
        assert found["summary"]["replications"] == found["timeseries"]["replication"].nunique()
        assert found["summary"]["replications"] == found["barrios"]["replication"].nunique()
    if found.get("summary") == earlier["summary"]:
        pd.testing.assert_frame_equal(found["timeseries"], earlier["timeseries"])
    # and the next run in the folder is not blocked by what the killed one left
    assert main(["run", str(tiny), "--out", str(out), "--replications", "1", "--quiet"]) == 0
    assert not list(out.glob("*.tmp"))


# --- a full disk -----------------------------------------------------------------------------


def _file_size_limit(limit: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
    return apply


def test_a_full_disk_stops_run_with_one_line_and_keeps_the_earlier_outputs(tiny, tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(tiny), "--out", str(out), "--replications", "1", "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != ".lock"}
    process = start("run", tiny, "--out", out, "--replications", "2", "--quiet",
                    preexec=_file_size_limit(20_000))
    _, err = process.communicate(timeout=300)
    assert process.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "could not write" in lines[0]
    assert "Traceback" not in err
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.name != ".lock"}
    assert after == before


# --- two writers ---------------------------------------------------------------------------------


def test_a_second_run_into_the_same_folder_is_refused(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    first = start("run", tiny, "--out", out, "--replications", "3", "--quiet")
    try:
        wait_for(lambda: locked_by_another(out))
        assert main(["run", str(tiny), "--out", str(out), "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "in use" in err[0] and str(out) in err[0]
    finally:
        _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    found = check_readable(out)
    assert found["summary"]["replications"] == 3
    assert sorted(found["timeseries"]["replication"].unique()) == [0, 1, 2]


SWEEP_BODY = """
[levers.lighting]
target = "interventions.street_lighting.intensity"
low = 0.0
high = 0.5

[design]
kind = "latin_hypercube"
samples = 8
"""


def test_a_second_sweep_into_the_same_store_is_refused(tmp_path, capsys):
    path = write_tiny_experiment(tmp_path / "sweep.toml", SWEEP_BODY, replications=1)
    out = tmp_path / "out"
    first = start("sweep", path, "--out", out, "--workers", "1", "--quiet")
    try:
        wait_for(lambda: locked_by_another(out))
        assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "in use" in err[0]
    finally:
        _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    runs = pd.concat([pd.read_parquet(p) for p in sorted((out / "runs").glob("part-*.parquet"))])
    assert len(runs) == 8 and runs["run_id"].is_unique  # each run stored once


# --- an output folder that cannot be written -------------------------------------------------------


@pytest.fixture
def read_only(tmp_path):
    """A folder this process cannot write: immutable for root (root ignores permissions),
    mode 555 for anyone else."""
    folder = tmp_path / "read_only"
    folder.mkdir()
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    yield folder
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o755)


def test_a_read_only_output_folder_is_one_line_and_nothing_runs(tiny, read_only, capsys):
    assert not os.access(read_only, os.W_OK)
    assert main(["run", str(tiny), "--out", str(read_only / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --out:") and "read-only" in err[0]
    assert list(read_only.iterdir()) == []


# --- the fingerprint covers the barrio table ------------------------------------------------------


def _barrio_csv(path: Path, darkest: float):
    rows = [f"{r},{c},{1000 + 10 * r},{darkest if (r, c) == (0, 0) else 0.1 + 0.05 * c}"
            for c in range(6) for r in range(12)]
    path.write_text("row,col,population,disadvantage\n" + "\n".join(rows) + "\n")


def test_a_changed_barrio_csv_is_refused_by_its_result_folder(tmp_path, capsys):
    csv = tmp_path / "barrios.csv"
    _barrio_csv(csv, 0.5)
    scenario = tmp_path / "csv.toml"
    scenario.write_text(TINY.replace("[city]\n", '[city]\nbarrio_file = "barrios.csv"\n'))
    body = SWEEP_BODY.replace("samples = 8", "samples = 2")
    path = write_tiny_experiment(tmp_path / "sweep.toml", body, scenario=scenario, replications=1)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    manifest = json.loads((out / "experiment.json").read_text())
    assert str(csv) in manifest["sources"]  # every file read, with its SHA-256
    _barrio_csv(csv, 0.9)  # one barrio's value changes; the scenario file does not
    before = sorted(p.name for p in (out / "runs").iterdir())
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "experiment.json" in err[0] and "barrio_table" in err[0]
    assert sorted(p.name for p in (out / "runs").iterdir()) == before


# --- a closed pipe ----------------------------------------------------------------------------------


def test_params_into_a_closed_pipe_ends_quietly():
    result = subprocess.run(f"{BARRIOS[0]} params | head -n 2", shell=True, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.splitlines() == ["", "[population]"]
    assert result.stderr == ""  # no BrokenPipeError, no "Exception ignored"
