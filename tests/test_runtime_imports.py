"""Every module of the runtime package imports with only the runtime requirements, as on Colab or
Kaggle (the package is installed there with --no-deps): the build and test tools are blocked."""
import json
import os
import subprocess
import sys

from tools import nbio

# The [test] extras and the build tools: none of them may be needed to import ddpm_lessons.
BLOCKED = ["nbformat", "nbclient", "nbconvert", "jupytext", "pytest", "_pytest", "nbval", "tools"]

SCRIPT = r'''
import importlib, importlib.abc, json, pkgutil, sys

BLOCKED = set(json.loads(sys.argv[1]))


class Blocker(importlib.abc.MetaPathFinder):
    """Refuses the blocked top-level packages, as if they were not installed."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked (not a runtime requirement)", name=name)
        return None


for name in list(sys.modules):  # this interpreter must not have them already
    assert name.split(".")[0] not in BLOCKED, name
sys.meta_path.insert(0, Blocker())
refused = []
for name in sorted(BLOCKED):
    try:
        importlib.import_module(name)
    except ImportError:
        refused.append(name)

import ddpm_lessons
imported, failed = ["ddpm_lessons"], {}
for info in pkgutil.walk_packages(ddpm_lessons.__path__, "ddpm_lessons.", onerror=lambda n: failed.setdefault(n, "walk")):
    try:
        importlib.import_module(info.name)
        imported.append(info.name)
    except Exception as err:  # noqa: BLE001 - report every failure, not only the first
        failed[info.name] = f"{type(err).__name__}: {err}"
print("REPORT" + json.dumps({"refused": refused, "imported": imported, "failed": failed,
                             "file": ddpm_lessons.__file__}))
'''


def _import_everything(root, cwd):
    """The report of SCRIPT run in a fresh interpreter that finds ``ddpm_lessons`` under ``root``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(root), MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(BLOCKED)], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(next(line for line in result.stdout.splitlines() if line.startswith("REPORT"))[6:])


def test_every_package_module_imports_without_build_or_test_tools(tmp_path):
    report = _import_everything(nbio.ROOT, tmp_path)
    assert sorted(report["refused"]) == sorted(BLOCKED), "the blocker must refuse every blocked package"
    assert report["file"].startswith(str(nbio.ROOT / "ddpm_lessons")), report["file"]
    assert not report["failed"], report["failed"]
    modules = {p.relative_to(nbio.ROOT).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
               for p in (nbio.ROOT / "ddpm_lessons").rglob("*.py") if "__pycache__" not in p.parts}
    assert set(report["imported"]) == modules, set(report["imported"]) ^ modules


def test_a_module_that_needs_a_build_tool_is_caught(tmp_path):
    """The same check on a planted package: a module importing nbformat (or tools) fails it."""
    pkg = tmp_path / "planted" / "ddpm_lessons"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "fine.py").write_text("import json\n")
    (pkg / "reads_notebooks.py").write_text("import nbformat\n")
    (pkg / "uses_tools.py").write_text("from tools import nbio\n")
    report = _import_everything(tmp_path / "planted", tmp_path)
    assert set(report["failed"]) == {"ddpm_lessons.reads_notebooks", "ddpm_lessons.uses_tools"}, report
    assert "nbformat is blocked" in report["failed"]["ddpm_lessons.reads_notebooks"]
