"""The Colab and Kaggle launch paths, against a stand-in for Colab (slow: ``make test-colab``, not ``make test``).

The stand-in is a throwaway virtual environment holding Colab's versions of the Jupyter stack
(ipywidgets 7.7.1, notebook 6.5.7, ipykernel 6.17.1, IPython 7.34, from Colab's published package
list), a torch playing "Colab's own torch", numpy/matplotlib/tqdm, and a fake ``google.colab``
module. The repository URL is redirected to a snapshot of this working tree with git's
``url.<base>.insteadOf`` in a temporary global git config (the user's own config is untouched).
Each notebook's setup cell (cell 1: the Colab block, then the notebook's imports) runs twice in one
IPython 7.34 shell, as a reader re-running it would; then a fresh process (a restarted runtime)
imports the package from the clone and loads a shipped model; Colab's packages must be unchanged.
Then the same cells run as on Kaggle (``KAGGLE_KERNEL_RUN_TYPE`` set, no ``google.colab``, the
package uninstalled first): they clone and install into Kaggle's folder instead.

Environment knobs: ``COLAB_TORCH`` (default ``torch==2.13.0``, the build CI installs from disk).
"""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools import badges, nbio

pytestmark = pytest.mark.colab

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = nbio.chapter_paths() + nbio.solution_paths()
COLAB_PINS = ["ipywidgets==7.7.1", "notebook==6.5.7", "ipykernel==6.17.1", "ipython==7.34.0"]
COLAB_TORCH = os.environ.get("COLAB_TORCH", "torch==2.13.0")
COLAB_DIR = badges.HOSTED_DIRS["colab"]  # literals in the block; the test points them at temp dirs
KAGGLE_DIR = badges.HOSTED_DIRS["kaggle"]

FAKE_COLAB = '''\
"""Stand-in for Colab's google.colab.output: records calls instead of loading a widget manager."""
import os


def enable_custom_widget_manager():
    with open(os.environ["FAKE_COLAB_LOG"], "a") as log:
        log.write("enable_custom_widget_manager\\n")
'''

# Runs inside the stand-in's Python: every notebook's setup cell, twice, in one IPython 7.34 shell.
RUN_SETUP_CELLS = '''\
import json, os, sys
if "KAGGLE_KERNEL_RUN_TYPE" not in os.environ:
    import google.colab  # Colab's kernel has it imported before the first cell runs
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
report = {"runs": []}
for name, source in json.load(open(sys.argv[1])):
    for attempt in (1, 2):
        result = shell.run_cell(source, store_history=True)
        report["runs"].append([name, attempt, result.success, repr(result.error_in_exec or result.error_before_exec)])
report["ddpm_lessons"] = shell.user_ns["dl"].__file__ if "dl" in shell.user_ns else None
print("REPORT" + json.dumps(report))
'''

# Runs in a fresh process (a restarted Colab runtime): the editable install alone must suffice.
FRESH_PROCESS = '''\
import json, sys
import ddpm_lessons
from ddpm_lessons.pretrained import load_pretrained
toy = load_pretrained("toy2d", "cpu")
print("REPORT" + json.dumps({"file": ddpm_lessons.__file__, "shape": list(toy.sample_shape),
                            "path": sys.path}))
'''

# ipywidgets 7.7.1: the chapter's live apps must build with Colab's widgets, not only with 8.x.
BUILD_WIDGET = '''\
import json
import ipywidgets
from ddpm_lessons import widgets
from ddpm_lessons.pretrained import load_pretrained
toy = load_pretrained("toy2d", "cpu")
app = widgets.ddim_explorer(toy.model, toy.schedule, static=False)
print("REPORT" + json.dumps({"ipywidgets": ipywidgets.__version__, "app": type(app).__name__,
                            "is_widget": isinstance(app, ipywidgets.Widget)}))
'''


def _run(cmd, env, cwd, timeout=900):
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def _report(stdout):
    line = [l for l in stdout.splitlines() if l.startswith("REPORT")][-1]
    return json.loads(line[len("REPORT"):])


def _snapshot(dest: Path, env):
    """A git repository holding this working tree as it is now (tracked + untracked, not ignored)."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"],
                ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", "commit", "-q", "-m", "snapshot"]):
        _run(cmd, env, dest)


def _freeze(python, env):
    out = _run([str(python), "-m", "pip", "freeze", "--all"], env, "/")
    return {line.split("==")[0].lower(): line for line in out.splitlines()
            if line and not line.startswith(("-e", "#")) and "ddpm" not in line.lower()}


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """A stand-in for a fresh Colab runtime; yields a dict of paths, env and timings."""
    tmp = tmp_path_factory.mktemp("colab")
    home, content, fake = tmp / "home", tmp / "content", tmp / "fake"
    for d in (home, content, fake / "google" / "colab"):
        d.mkdir(parents=True)
    timings = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "DDPM_LESSONS"))}
    env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"), GIT_CONFIG_NOSYSTEM="1",
               PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
               PIP_DISABLE_PIP_VERSION_CHECK="1", MPLBACKEND="Agg", DDPM_LESSONS_FAST="1",
               FAKE_COLAB_LOG=str(tmp / "colab.log"))

    start = time.perf_counter()
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], env, tmp)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", COLAB_TORCH, "numpy", "matplotlib", "tqdm", *COLAB_PINS],
         env, tmp)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], env, tmp).strip())
    (fake / "google" / "colab" / "__init__.py").write_text("from . import output\n")
    (fake / "google" / "colab" / "output.py").write_text(FAKE_COLAB)
    (site / "fake_google_colab.pth").write_text(str(fake) + "\n")  # google.colab importable, as on Colab
    timings["environment_s"] = time.perf_counter() - start

    start = time.perf_counter()
    snapshot = tmp / "snapshot"
    snapshot.mkdir()
    _snapshot(snapshot, env)
    url = badges.repo_url()
    _run(["git", "config", "--global", f"url.file://{snapshot}.insteadOf", url], env, tmp)
    timings["snapshot_s"] = time.perf_counter() - start
    yield {"tmp": tmp, "env": env, "python": python, "content": content, "url": url,
           "clone": content / "ddpm-lessons", "timings": timings}
    print(f"\nColab stand-in timings: {json.dumps({k: round(v, 1) for k, v in timings.items()})}")


def _setup_cell(path, host_dir, clone):
    """Cell 1 of a notebook, with the hosted platform's clone folder pointed at ``clone``."""
    source = nbio.read(path).cells[1].source
    assert badges.find_setup_block(source) == badges.setup_block(), f"{path.name}: set-up block is not the canonical one"
    assert source.count(host_dir) == 1
    return source.replace(host_dir, str(clone))


def _run_setup_cells(colab, cells, env, cwd):
    (colab["tmp"] / "cells.json").write_text(json.dumps(cells))
    (colab["tmp"] / "run_cells.py").write_text(RUN_SETUP_CELLS)
    return _report(_run([str(colab["python"]), str(colab["tmp"] / "run_cells.py"), str(colab["tmp"] / "cells.json")],
                        env, cwd))


def test_colab_setup_cells_are_idempotent_and_leave_colab_packages_alone(colab):
    env, python, clone = colab["env"], colab["python"], colab["clone"]
    versions = json.loads(_run([str(python), "-c", (
        "import json, ipywidgets, notebook, ipykernel, IPython; print(json.dumps({m.__name__: m.__version__ "
        "for m in (ipywidgets, notebook, ipykernel, IPython)}))")], env, colab["tmp"]))
    assert versions == {"ipywidgets": "7.7.1", "notebook": "6.5.7", "ipykernel": "6.17.1", "IPython": "7.34.0"}
    before = _freeze(python, env)

    cells = []
    for path in NOTEBOOKS:
        cells.append([path.name, _setup_cell(path, COLAB_DIR, clone)])
    start = time.perf_counter()
    report = _run_setup_cells(colab, cells, env, colab["content"])
    colab["timings"]["setup_cells_s"] = time.perf_counter() - start
    failed = [run for run in report["runs"] if not run[2]]
    assert not failed, f"setup cells failed on the stand-in: {failed}"
    assert len(report["runs"]) == 2 * len(NOTEBOOKS)
    assert report["ddpm_lessons"].startswith(str(clone)), report["ddpm_lessons"]
    assert (clone / ".git").is_dir() and (clone / "data" / "manifest.json").exists()
    log = Path(env["FAKE_COLAB_LOG"])
    assert not log.exists(), "with ipywidgets 7.7.1 Colab's own widget support is used, no custom manager"

    # a restarted runtime: a fresh process sees the package through the editable install alone
    (colab["tmp"] / "fresh.py").write_text(FRESH_PROCESS)
    fresh = _report(_run([str(python), str(colab["tmp"] / "fresh.py")], env, colab["tmp"]))
    assert fresh["file"].startswith(str(clone)), fresh["file"]
    assert str(ROOT) not in " ".join(fresh["path"])
    assert fresh["shape"] == [2]

    after = _freeze(python, env)
    assert after == before, {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
                             if before.get(k) != after.get(k)}
    installed = _run([str(python), "-m", "pip", "show", "ddpm-lessons"], env, colab["tmp"])
    assert "Name: ddpm-lessons" in installed


def test_live_widgets_build_with_colabs_ipywidgets_7(colab):
    if not colab["clone"].exists():
        pytest.skip("the setup test did not clone the repository")
    (colab["tmp"] / "widget.py").write_text(BUILD_WIDGET)
    env = dict(colab["env"], DDPM_LESSONS_FAST="1")
    start = time.perf_counter()
    report = _report(_run([str(colab["python"]), str(colab["tmp"] / "widget.py")], env, colab["tmp"]))
    colab["timings"]["widget_s"] = time.perf_counter() - start
    assert report["ipywidgets"] == "7.7.1"
    assert report["is_widget"], report


def test_kaggle_setup_cells_clone_and_install_into_kaggles_folder(colab):
    """Kaggle: no google.colab, KAGGLE_KERNEL_RUN_TYPE set; the package is not installed yet."""
    if not colab["clone"].exists():
        pytest.skip("the Colab setup test did not run first")
    python = colab["python"]
    env = dict(colab["env"], KAGGLE_KERNEL_RUN_TYPE="Interactive")
    _run([str(python), "-m", "pip", "uninstall", "-q", "-y", "ddpm-lessons"], env, colab["tmp"])
    before = _freeze(python, env)
    clone = colab["tmp"] / "kaggle" / "working" / "ddpm-lessons"
    clone.parent.mkdir(parents=True)
    cells = [[path.name, _setup_cell(path, KAGGLE_DIR, clone)] for path in NOTEBOOKS]
    report = _run_setup_cells(colab, cells, env, clone.parent)
    failed = [run for run in report["runs"] if not run[2]]
    assert not failed, f"setup cells failed as on Kaggle: {failed}"
    assert report["ddpm_lessons"].startswith(str(clone)), report["ddpm_lessons"]
    installed = _run([str(python), "-m", "pip", "show", "-f", "ddpm-lessons"], env, colab["tmp"])
    assert str(clone) in installed, "the editable install points at Kaggle's clone"
    assert _freeze(python, env) == before, "Kaggle's own packages are untouched"
