"""The repository around the package: dependency lists agree, launch paths are configured,
notebooks are launchable, fresh, and paired with their text versions."""
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from ddpm_lessons import notebook_tools

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# conda-forge names of the same distributions
CONDA_NAMES = {"pytorch": "torch", "pytorch-cpu": "torch", "matplotlib-base": "matplotlib"}
# Colab's preinstalled versions (its published package list) that the requirements must accept
COLAB = {"ipywidgets": "7.7.1", "notebook": "6.5.7", "ipykernel": "6.17.1", "ipython": "7.34.0"}
TEST_TOOLS = {"pytest", "nbval", "jupytext", "nbclient"}
JUPYTER_APPS = {"jupyter", "jupyterlab", "notebook"}


def _pyproject_list(key):
    text = (ROOT / "pyproject.toml").read_text()
    pattern = r"^dependencies = \[(.*?)\]" if key == "dependencies" else rf"^{key} = \[(.*?)\]"
    return [Requirement(s) for s in re.findall(r'"([^"]+)"', re.search(pattern, text, re.S | re.M).group(1))]


def _names(requirements):
    return {r.name.lower() for r in requirements}


def _conda_env(path):
    """(names, python spec, pip lines) of an environment.yml's dependencies."""
    env = path.read_text().split("dependencies:", 1)[1]
    specs = [s.split("#")[0].strip() for s in re.findall(r"^  - ([A-Za-z][^\n]*)$", env, re.M)]
    specs = [s for s in specs if not s.endswith(":")]
    python = [s for s in specs if re.match(r"python\b", s)]
    names = {CONDA_NAMES.get(n, n) for n in (re.split(r"[<>=!~ \[]", s, maxsplit=1)[0].lower() for s in specs)}
    pip = re.findall(r"^      - ([^\n]+)$", env, re.M)
    return names - {"python", "pip"}, python, pip


def test_runtime_requirements_are_what_the_package_imports_and_accept_colab():
    runtime = _pyproject_list("dependencies")
    assert _names(runtime) == {"torch", "numpy", "matplotlib", "tqdm", "ipywidgets"}
    ipywidgets = next(r for r in runtime if r.name == "ipywidgets")
    assert ipywidgets.specifier.contains(COLAB["ipywidgets"]), "must accept Colab's ipywidgets 7.7.1"
    assert not _names(runtime) & (JUPYTER_APPS | TEST_TOOLS)
    assert "jupyterlab" in _names(_pyproject_list("lab"))
    assert {"pytest", "nbval"} <= _names(_pyproject_list("test"))
    assert not _names(_pyproject_list("test")) & JUPYTER_APPS, "tests need no Jupyter app (slower start-up)"


def test_environment_yml_lists_runtime_lab_and_test_requirements():
    expected = set()
    for key in ("dependencies", "lab", "test"):
        expected |= _names(_pyproject_list(key))
    conda, _, pip = _conda_env(ROOT / "environment.yml")
    assert conda == expected, f"only in pyproject: {expected - conda}; only in environment.yml: {conda - expected}"
    assert pip == ["-e ."]


def _repo2docker_local(line):
    """repo2docker's rule (utils.is_local_pip_requirement): a pip line that references local files
    makes it copy the whole repository before building the environment (no caching)."""
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith("--pre"):
        return False
    if line.startswith(("-r", "-c", "--requirement", "--constraint")):
        return True
    if line.startswith("--") and "=" in line:
        line = line.split("=", 1)[1]
    if line.startswith("-"):
        rest = line.split(None, 1)[1:]
        if not rest:
            return False
        line = rest[0]
    if "file://" in line:
        return True
    return (line.split("://", 1)[1] if "://" in line else line).startswith(".")


def test_binder_environment_is_cacheable_pinned_and_runtime_only():
    binder = ROOT / "binder"
    assert not (ROOT / ".binder").exists(), "repo2docker refuses both binder/ and .binder/"
    names, python, pip = _conda_env(binder / "environment.yml")
    assert names == _names(_pyproject_list("dependencies")), "binder/ must hold exactly the runtime requirements"
    # repo2docker reads the pin with r"python\s*=+\s*([\d\.]*)" (re.match); "python>=3.10" is not read
    assert len(python) == 1 and re.match(r"python\s*=+\s*([\d\.]*)", python[0]).group(1).count(".") == 1, python
    assert not any(_repo2docker_local(line) for line in pip), "a local pip line defeats repo2docker's cache"
    assert "pytorch-cpu" in (binder / "environment.yml").read_text(), "Binder has no GPU: CPU-only torch"


def test_binder_postbuild_installs_the_package_and_lab_settings():
    post = ROOT / "binder" / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR, "postBuild must be executable"
    text = post.read_text()
    assert text.startswith("#!") and "set -e" in text
    assert re.search(r"pip install --no-deps -e \.", text), "dependencies come from environment.yml"
    assert ".jupyter/labconfig/default_setting_overrides.json" in text


@pytest.mark.parametrize("layout", ["repo_is_home", "repo_elsewhere"])
def test_binder_postbuild_runs(tmp_path, layout):
    """repo2docker copies the repository to $REPO_DIR (default: $HOME) and runs ./binder/postBuild
    there; pip is replaced by a stub that records the command."""
    home = tmp_path / "home"
    repo = home if layout == "repo_is_home" else tmp_path / "repo"
    stub = tmp_path / "bin"
    for d in (home, repo, stub):
        d.mkdir(exist_ok=True)
    shutil.copytree(ROOT / "binder", repo / "binder")
    shutil.copytree(ROOT / ".jupyter", repo / ".jupyter", dirs_exist_ok=True)
    (stub / "python").write_text('#!/bin/bash\necho "$@" >> "$STUB_LOG"\n')
    (stub / "python").chmod(0o755)
    env = {"HOME": str(home), "PATH": f"{stub}{os.pathsep}{os.environ['PATH']}", "STUB_LOG": str(tmp_path / "log")}
    result = subprocess.run(["./binder/postBuild"], cwd=repo, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "log").read_text().split("\n")[0] == "-m pip install --no-deps -e ."
    settings = home / ".jupyter" / "labconfig" / "default_setting_overrides.json"
    assert json.loads(settings.read_text())["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


@pytest.mark.parametrize("script", ["binder/postBuild", "scripts/install_torch.sh", ".ci/run"])
def test_shell_scripts_parse(script):
    assert subprocess.run(["bash", "-n", str(ROOT / script)]).returncode == 0


def test_lab_settings_switch_off_the_news_prompt_and_lab_opens_notebook_01():
    settings = json.loads((ROOT / ".jupyter" / "labconfig" / "default_setting_overrides.json").read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    makefile = (ROOT / "Makefile").read_text()
    assert 'JUPYTER_CONFIG_PATH="$(CURDIR)/.jupyter' in makefile
    assert re.search(r"jupyter lab notebooks/01_recap\.ipynb", makefile)
    assert (ROOT / "notebooks" / "01_recap.ipynb").exists()


def test_lab_setting_is_valid_for_the_installed_jupyterlab():
    """The override names a real setting of the installed JupyterLab with an allowed value."""
    import sys

    schema = Path(sys.prefix) / "share/jupyter/lab/schemas/@jupyterlab/apputils-extension/notification.json"
    if not schema.exists():
        pytest.skip("JupyterLab is not installed here ([lab] extra)")
    props = json.loads(schema.read_text())["properties"]
    allowed = {choice["const"] for choice in props["fetchNews"]["oneOf"]}
    assert "false" in allowed and props["checkForUpdates"]["type"] == "boolean"


def test_ci_installs_cpu_torch_then_runs_the_readme_test_command_then_colab():
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    readme = (ROOT / "README.md").read_text()
    torch = next(i for i, c in enumerate(commands) if "pip install" in c and "torch==2.13.0" in c)
    assert torch < commands.index("make test") < commands.index("make test-colab")
    assert "make test" in readme and "make lab" in readme and "make test-colab" in readme


def test_jupytext_pairs_every_notebook_as_py_percent():
    config = (ROOT / "notebooks" / "jupytext.toml").read_text()
    assert re.search(r'^formats = "ipynb,py//py:percent"', config, re.M)
    assert not (ROOT / "jupytext.toml").exists(), "one jupytext configuration, beside the notebooks"
    assert {p.stem for p in (ROOT / "notebooks" / "py").glob("*.py")} == {p.stem for p in NOTEBOOKS}


def test_repo_url_is_read_from_pyproject():
    assert notebook_tools.repo_url().startswith("https://github.com/")


def test_badges_point_at_this_notebook():
    md = notebook_tools.badges("01_recap.ipynb", "https://github.com/o/r")
    assert "colab.research.google.com/github/o/r/blob/main/notebooks/01_recap.ipynb" in md
    assert "mybinder.org/v2/gh/o/r/HEAD?labpath=notebooks%2F01_recap.ipynb" in md


def test_colab_block_never_touches_colabs_stack():
    block = notebook_tools.colab_setup("https://github.com/o/r")
    code = "\n".join(line.split("#")[0] for line in block.splitlines())
    compile(block, "<colab setup>", "exec")  # plain Python: no ! or % magics
    assert '"--no-deps", "-e", REPO_DIR' in code
    for name in ("notebook", "ipykernel", "IPython", "jupyter"):
        assert f'"{name}"' not in code
    assert "sys.path.insert(0, REPO_DIR)" in code and "os.path.isdir(REPO_DIR)" in code
    assert 'REPO_URL = "https://github.com/o/r"' in code


def test_package_hash_covers_code_and_manifest_but_not_comments(tmp_path):
    pkg = tmp_path / "ddpm_lessons"
    pkg.mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "manifest.json").write_text("{}")
    (pkg / "samplers.py").write_text('"""Doc."""\ndef step(x):\n    return x + 1\n')
    base = notebook_tools.package_hash(tmp_path)
    (pkg / "samplers.py").write_text('"""Other doc."""\n# a comment\ndef step(x):  # more\n    """doc"""\n    return x + 1\n')
    assert notebook_tools.package_hash(tmp_path) == base
    (pkg / "samplers.py").write_text('def step(x):\n    return x + 2\n')
    changed = notebook_tools.package_hash(tmp_path)
    assert changed != base
    (tmp_path / "data" / "manifest.json").write_text('{"toy2d": {}}')
    assert notebook_tools.package_hash(tmp_path) != changed


def test_six_notebooks_in_reading_order():
    names = [p.name[:2] for p in NOTEBOOKS]
    assert names == ["01", "02", "03", "04", "05", "06"], [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_badges_and_colab_block_are_current(path):
    assert notebook_tools.launch_problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_text_pair_is_in_sync(path):
    assert notebook_tools.pair_problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_outputs_are_fresh(path):
    assert notebook_tools.output_problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_structure(path):
    nb = notebook_tools._read(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "Learning objectives" in first.source or "learning objectives" in first.source
    setup = nb.cells[1]
    assert setup.cell_type == "code"
    assert setup.source.startswith(notebook_tools.COLAB_START), "cell 1 starts with the Colab block"
    assert notebook_tools.colab_block(setup.source) == notebook_tools.colab_setup()
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert len(re.findall(r"^\s*assert ", code, re.M)) >= 3, "every claim needs an assert (>= 3 per notebook)"
    assert ".cuda()" not in code
    # committed with the outputs of a run: at least one figure
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, "notebook has no stored figure outputs (run: make notebooks)"


# the package's layers, lowest first (ddpm_lessons/__init__.py): a module may import its own layer or lower ones
LAYERS = [
    {"checks", "device", "tables"},
    {"schedule", "samplers", "mixture", "interpolation", "stats"},
    {"models", "data", "pretrained", "train"},
    {"metrics", "analysis", "costs"},
    {"plots", "widgets"},
    {"exercises", "teaching", "notebook_tools", "__init__"},
]


def _package_imports(path):
    import ast

    deps = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            deps |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
    return deps


def test_lower_layers_never_import_higher_ones():
    pkg = ROOT / "ddpm_lessons"
    layer_of = {name: i for i, names in enumerate(LAYERS) for name in names}
    modules = {p.stem: p for p in pkg.glob("*.py")} | {"models": pkg / "models" / "__init__.py"}
    modules |= {"exercises": pkg / "exercises" / "__init__.py"}
    assert set(modules) == set(layer_of), f"modules without a layer: {set(modules) ^ set(layer_of)}"
    for p in (pkg / "models").glob("*.py"):  # the models subpackage only uses checks and itself
        assert _package_imports(p) <= {"checks", "classifier", "mlp", "unet"}, p
    own = {p.stem for p in (pkg / "exercises").glob("*.py")}
    for p in (pkg / "exercises").glob("*.py"):  # the exercises subpackage (top layer) may use any module and itself
        assert _package_imports(p) <= set(layer_of) | own, p
    wrong = [f"{name} (layer {layer_of[name]}) imports {dep} (layer {layer_of[dep]})"
             for name, path in modules.items() for dep in _package_imports(path)
             if dep in layer_of and layer_of[dep] > layer_of[name]]
    assert not wrong, wrong
