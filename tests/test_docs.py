"""The documentation: the parameter table and the command-line reference are generated
from the code and must not drift from it; the site builds with ``mkdocs build --strict``
(a broken link between pages fails); the README stays a front page."""

import contextlib
import importlib.util
import io
import shutil
import subprocess
import sys
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


def _cli_reference():
    spec = importlib.util.spec_from_file_location("cli_reference",
                                                  ROOT / "scripts" / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference()


def test_cli_reference_is_the_parsers():
    # Word for word, not space for space: argparse lays the help out differently on the
    # Python versions the tests run on (3.13 aligns the command list two columns wider).
    assert (ROOT / "docs" / "cli.md").read_text().split() == _cli_reference().split(), (
        "docs/cli.md is stale: run `python scripts/cli_reference.py > docs/cli.md`")


def _build(docs: Path, out: Path) -> subprocess.CompletedProcess:
    config = (ROOT / "mkdocs.yml").read_text().replace("docs_dir: docs", f"docs_dir: {docs}")
    (out / "mkdocs.yml").write_text(config)
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                           "-f", str(out / "mkdocs.yml"), "-d", str(out / "site")],
                          capture_output=True, text=True, timeout=300)


def test_the_site_builds_strict(tmp_path):
    result = _build(ROOT / "docs", tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "calibration" / "index.html").is_file()


def test_a_broken_link_fails_the_build(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "usage.md").write_text((docs / "usage.md").read_text() + "\n[gone](missing.md)\n")
    assert _build(docs, tmp_path).returncode != 0


def test_the_readme_fits_a_screen_or_two():
    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) <= 11_000, "the README is a front page: move detail to docs/"
    for page in ("docs/usage.md", "docs/cli.md", "docs/calibration.md", "docs/compare.md"):
        assert page in text, page
