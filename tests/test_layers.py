"""The package's layers (ddpm_lessons/layers.py, the one map) hold in the code.

The checker below reads every file of a package tree with ``ast`` and resolves each import
(``from . import x``, ``from .x import y``, ``from ..x import y``, ``from ddpm_lessons import x``,
``from ddpm_lessons.x import y``, ``import ddpm_lessons.x``, ``importlib.import_module("…")``;
at module level or inside functions) to the top-level module of the package that it loads. It is
run on the real package, and on copies of it with planted violations, which it must report.
"""
from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

import ddpm_lessons
from ddpm_lessons.layers import LAYERS

ROOT = Path(__file__).resolve().parents[1]
#: folders of the repository that may import the package but that the package never imports
OUTSIDE = ("scripts", "benchmarks", "tools", "tests")


# ----------------------------------------------------------------------------------- the checker
def package_modules(pkg: Path) -> dict:
    """Top-level module name → its files (a subpackage such as ``models/`` owns every file below it)."""
    modules = {p.stem: [p] for p in pkg.glob("*.py") if p.name != "__init__.py"}
    for sub in sorted(d for d in pkg.iterdir() if (d / "__init__.py").is_file()):
        modules[sub.name] = sorted(sub.rglob("*.py"))
    return modules


def _dotted(path: Path, top: Path) -> list:
    """The module path of a file, e.g. ["ddpm_lessons", "models", "unet"], from the folder ``top``."""
    parts = list(path.relative_to(top).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imports(path: Path, top: Path):
    """Yield (line, module, names) for every import in the file: ``module`` the absolute dotted
    name it loads (relative imports resolved), ``names`` what a ``from … import`` takes from it."""
    here = _dotted(path, top)
    package_of_here = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = package_of_here[: len(package_of_here) - node.level + 1] if node.level else []
            if node.level and not base:
                raise ValueError(f"{path}:{node.lineno}: relative import above the top-level package")
            module = ".".join(base + (node.module.split(".") if node.module else []))
            yield node.lineno, module, tuple(a.name for a in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value, ()


def loads(module: str, names: tuple, package: str, modules: dict) -> list:
    """What one import loads of the package: module names, or "" for the bare package namespace."""
    parts = module.split(".")
    if parts[0] != package:
        return []
    if len(parts) > 1:
        return [parts[1]]
    if not names:
        return [""]  # import ddpm_lessons
    return [n if n in modules else "" for n in names]  # from ddpm_lessons import plots / lerp


def check_layers(pkg: Path, layers: dict) -> list:
    """Every violation of ``layers`` in the package folder ``pkg``, as sentences that say what to do."""
    package, modules = pkg.name, package_modules(pkg)
    placed = [m for names in layers.values() for m in names]
    rank = {m: (i, layer) for i, (layer, names) in enumerate(layers.items()) for m in names}
    problems = [f"{m!r} is in more than one layer of LAYERS ({', '.join(k for k, v in layers.items() if m in v)})"
                for m in sorted({m for m in placed if placed.count(m) > 1})]
    problems += [f"{package}/{m} is in no layer: add it to one layer of LAYERS in {package}/layers.py"
                 for m in sorted(set(modules) - set(placed))]
    problems += [f"LAYERS names {m!r}, which is not a module of {package}/ (moved or renamed?): "
                 f"update {package}/layers.py" for m in sorted(set(placed) - set(modules))]
    files = [(owner, f) for owner, fs in modules.items() for f in fs] + [("", pkg / "__init__.py")]
    for owner, path in files:
        where = path.relative_to(pkg.parent).as_posix()
        for line, module, names in imports(path, pkg.parent):
            head = module.split(".")[0]
            if head in OUTSIDE:
                problems.append(f"{where}:{line} imports {module}: the package never imports {head}/")
            if not owner:
                continue  # the package namespace (__init__.py) gathers every layer
            for dep in loads(module, names, package, modules):
                if not dep:
                    problems.append(f"{where}:{line}: {owner} imports the package namespace {package} "
                                    f"(which loads every layer); import the module that defines the name")
                elif dep in rank and owner in rank and rank[dep][0] > rank[owner][0]:
                    problems.append(f"{where}:{line}: {owner} ({rank[owner][1]}) imports {dep} "
                                    f"({rank[dep][1]}), a higher layer")
    return problems


def unresolved_outside_imports(folder: Path, pkg: Path) -> list:
    """Imports of the package in a folder outside it that name no module or namespace name of it."""
    package, modules = pkg.name, package_modules(pkg)
    bad = []
    for path in sorted(folder.rglob("*.py")):
        for line, module, names in imports(path, folder.parent):
            parts = module.split(".")
            if parts[0] != package:
                continue
            missing = ([parts[1]] if parts[1] not in modules else []) if len(parts) > 1 else \
                [n for n in names if n not in modules and not hasattr(ddpm_lessons, n)]
            if missing:
                bad.append(f"{path.relative_to(folder.parent).as_posix()}:{line} imports {missing} "
                           f"from {module}, which {package} does not have")
    return bad


# ------------------------------------------------------------------------------- the real package
def test_every_module_is_in_exactly_one_layer_and_no_lower_layer_imports_a_higher_one():
    problems = check_layers(ROOT / "ddpm_lessons", LAYERS)
    assert not problems, "\n".join(problems)


def test_the_map_itself_imports_nothing():
    tree = ast.parse((ROOT / "ddpm_lessons" / "layers.py").read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert list(LAYERS) == ["Base", "Math", "Models", "Measure", "Show", "Teach"]


@pytest.mark.parametrize("folder", [f for f in OUTSIDE if (ROOT / f).is_dir()])
def test_scripts_benchmarks_tools_and_tests_import_only_what_the_package_has(folder):
    """They may import the package (and the package never imports them: checked above); what they
    import must exist, so a module that moves or is renamed cannot leave a stale import behind."""
    bad = unresolved_outside_imports(ROOT / folder, ROOT / "ddpm_lessons")
    assert not bad, "\n".join(bad)


def test_the_package_docstring_and_the_readme_describe_this_map():
    doc = ddpm_lessons.__doc__
    assert "ddpm_lessons/layers.py" in doc
    where = [doc.find(layer) for layer in LAYERS]
    assert -1 not in where and where == sorted(where), "the docstring must name the layers, lowest first"
    # the README's table of layers, | layer | modules |, is the table of LAYERS
    rows = re.findall(r"^\| (\w+) \| ((?:`\w+`(?:, )?)+) \|$", (ROOT / "README.md").read_text(), re.M)
    assert {layer: tuple(re.findall(r"`(\w+)`", mods)) for layer, mods in rows} == LAYERS


# ------------------------------------------------------------------ the checker catches violations
@pytest.fixture
def package_copy(tmp_path):
    """A copy of the package to plant violations in (the real files are never touched)."""
    dst = tmp_path / "ddpm_lessons"
    shutil.copytree(ROOT / "ddpm_lessons", dst, ignore=shutil.ignore_patterns("__pycache__"))
    assert not check_layers(dst, LAYERS)
    return dst


def _plant(path: Path, code: str):
    path.write_text(path.read_text() + "\n" + code + "\n")


PLANTED = {
    "absolute from-import": "from ddpm_lessons import plots",
    "absolute from-import of a name": "from ddpm_lessons.plots import curves",
    "absolute import": "import ddpm_lessons.plots",
    "relative module": "from . import plots",
    "relative name, inside a function": "def _f():\n    from .plots import curves\n    return curves",
    "dynamic import": "import importlib\n_p = importlib.import_module('ddpm_lessons.plots')",
}


@pytest.mark.parametrize("code", PLANTED.values(), ids=PLANTED.keys())
def test_a_planted_import_of_plots_in_samplers_is_reported(package_copy, code):
    _plant(package_copy / "samplers.py", code)
    problems = check_layers(package_copy, LAYERS)
    assert len(problems) == 1, problems
    assert re.search(r"samplers\.py:\d+: samplers \(Math\) imports plots \(Show\), a higher layer", problems[0])


def test_a_planted_import_two_levels_up_in_a_subpackage_is_reported(package_copy):
    _plant(package_copy / "models" / "unet.py", "def _g():\n    from ..metrics import kid\n    return kid")
    assert check_layers(package_copy, LAYERS) == [
        f"ddpm_lessons/models/unet.py:{len((package_copy / 'models' / 'unet.py').read_text().splitlines()) - 1}: "
        "models (Models) imports metrics (Measure), a higher layer"]


def test_importing_the_bare_package_or_a_folder_outside_it_is_reported(package_copy):
    _plant(package_copy / "stats.py", "import ddpm_lessons")
    _plant(package_copy / "checks.py", "from ddpm_lessons import Estimate")
    _plant(package_copy / "costs.py", "from benchmarks.common import timed")
    problems = "\n".join(check_layers(package_copy, LAYERS))
    assert "stats imports the package namespace" in problems
    assert "checks imports the package namespace" in problems
    assert "costs.py:" in problems and "never imports benchmarks/" in problems


def test_same_layer_and_lower_layer_imports_are_allowed(package_copy):
    _plant(package_copy / "plots.py", "from .widgets import interpolation_slider")  # Show → Show
    _plant(package_copy / "metrics.py", "from ddpm_lessons.checks import check_int")  # Measure → Base
    assert not check_layers(package_copy, LAYERS)


def test_a_module_in_no_layer_a_stale_name_and_a_doubly_placed_module_are_reported(package_copy):
    (package_copy / "newthing.py").write_text("x = 1\n")
    # a Teach subpackage's modules count as "exercises", so they may import Show
    (package_copy / "exercises" / "extra.py").write_text("from ..plots import curves\nyour_turn = 1\n")
    layers = dict(LAYERS, Math=LAYERS["Math"] + ("gone", "checks"))
    problems = check_layers(package_copy, layers)
    assert problems == [
        "'checks' is in more than one layer of LAYERS (Base, Math)",
        "ddpm_lessons/newthing is in no layer: add it to one layer of LAYERS in ddpm_lessons/layers.py",
        "LAYERS names 'gone', which is not a module of ddpm_lessons/ (moved or renamed?): "
        "update ddpm_lessons/layers.py",
    ]  # and exercises/extra.py (Teach) may import plots (Show)


def test_a_stale_import_in_a_script_is_reported(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "old.py").write_text(
        "from ddpm_lessons import teaching_gone, lerp\nimport ddpm_lessons.samplers\n"
        "from ddpm_lessons.nowhere import x\n")
    bad = unresolved_outside_imports(tmp_path / "scripts", ROOT / "ddpm_lessons")
    assert bad == ["scripts/old.py:1 imports ['teaching_gone'] from ddpm_lessons, which ddpm_lessons does not have",
                   "scripts/old.py:3 imports ['nowhere'] from ddpm_lessons.nowhere, which ddpm_lessons does not have"]
