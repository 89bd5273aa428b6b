"""The repository around the package: dependency lists agree, notebooks are launchable and fresh."""
import re
from pathlib import Path

import pytest

from ddpm_lessons import notebook_tools

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CONDA_NAMES = {"pytorch": "torch"}


def _names(specs):
    return {re.split(r"[<>=!~ \[]", s.strip(), maxsplit=1)[0].lower() for s in specs}


def test_environment_yml_lists_the_same_packages_as_pyproject():
    text = (ROOT / "pyproject.toml").read_text()
    deps = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M).group(1)
    test = re.search(r"^test = \[(.*?)\]", text, re.M).group(1)
    pyproject = _names(re.findall(r'"([^"]+)"', deps + test))
    env = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    specs = [s for s in re.findall(r"^  - ([A-Za-z][^\n]*)$", env, re.M) if not s.endswith(":")]
    conda = {CONDA_NAMES.get(n, n) for n in _names(specs)} - {"python", "pip"}
    assert pyproject == conda, f"only in pyproject: {pyproject - conda}; only in environment.yml: {conda - pyproject}"


def test_ci_installs_cpu_torch_then_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "torch==2.13.0" in ci
    assert ci.index("torch==2.13.0") < ci.index("make test")
    assert "make test" in readme and "make lab" in readme


def test_repo_url_is_read_from_pyproject():
    assert notebook_tools.repo_url().startswith("https://github.com/")


def test_badges_point_at_this_notebook():
    md = notebook_tools.badges("01_recap.ipynb", "https://github.com/o/r")
    assert "colab.research.google.com/github/o/r/blob/main/notebooks/01_recap.ipynb" in md
    assert "mybinder.org/v2/gh/o/r/HEAD?labpath=notebooks%2F01_recap.ipynb" in md


def test_six_notebooks_in_reading_order():
    names = [p.name[:2] for p in NOTEBOOKS]
    assert names == ["01", "02", "03", "04", "05", "06"], [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_badges_and_outputs_are_fresh(path):
    assert notebook_tools.problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_structure(path):
    nb = notebook_tools._read(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "Learning objectives" in first.source or "learning objectives" in first.source
    setup = nb.cells[1]
    assert setup.cell_type == "code"
    assert '"google.colab" in sys.modules' in setup.source and "REPO_URL" in setup.source
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert len(re.findall(r"^\s*assert ", code, re.M)) >= 3, "every claim needs an assert (>= 3 per notebook)"
    assert ".cuda()" not in code
    # committed with the outputs of a run: at least one figure
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, "notebook has no stored figure outputs (run: make notebooks)"
