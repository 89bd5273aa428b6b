"""Stored outputs are fresh: the hash that dates them covers what the notebooks execute (the package
and data/manifest.json), not the build tools nor the training code, and every committed chapter
notebook's outputs were produced from the code as it is now."""
import ast
import re
import shutil

import nbformat
import pytest

from tools import freshness, nbio

ROOT = nbio.ROOT
CHAPTERS = nbio.chapter_paths()


def test_package_hash_covers_code_and_manifest_but_not_comments(tmp_path):
    pkg = tmp_path / "ddpm_lessons"
    pkg.mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "manifest.json").write_text("{}")
    (pkg / "samplers.py").write_text('"""Doc."""\ndef step(x):\n    return x + 1\n')
    base = freshness.package_hash(tmp_path)
    (pkg / "samplers.py").write_text('"""Other doc."""\n# a comment\ndef step(x):  # more\n    """doc"""\n    return x + 1\n')
    assert freshness.package_hash(tmp_path) == base
    (pkg / "samplers.py").write_text('def step(x):\n    return x + 2\n')
    changed = freshness.package_hash(tmp_path)
    assert changed != base
    (tmp_path / "data" / "manifest.json").write_text('{"toy2d": {}}')
    assert freshness.package_hash(tmp_path) != changed


@pytest.fixture()
def tree(tmp_path):
    """A copy of the repository's code and manifest (the real files are never edited)."""
    for folder in ("ddpm_lessons", "tools"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "data").mkdir()
    shutil.copy2(ROOT / "data" / "manifest.json", tmp_path / "data" / "manifest.json")
    return tmp_path


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{path.name} no longer contains {old!r}: update this test"
    path.write_text(text.replace(old, new, 1))


def _stamped_notebook(tmp_path, package):
    """A notebook whose metadata says its outputs came from ``package``, as ``execute`` stores it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import ddpm_lessons as dl")]
    nb.metadata["ddpm_lessons"] = {"code_sha256": freshness.code_hash(nb, package),
                                   "cells_sha256": freshness.cells_hash(nb), "package_sha256": package}
    path = tmp_path / "stamped.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_editing_build_tools_or_training_leaves_outputs_fresh_but_a_sampler_does_not(tree):
    path = _stamped_notebook(tree, freshness.package_hash(tree))
    fresh = lambda: freshness.output_problems(path, freshness.package_hash(tree)) == []  # noqa: E731
    assert fresh()
    _edit(tree / "tools" / "badges.py", 'HOSTED_DIRS = {"colab"', 'HOSTED_DIRS = {"elsewhere": "/x", "colab"')
    (tree / "tools" / "new_tool.py").write_text("def tool():\n    return 1\n")
    assert fresh(), "a build tool is no part of what notebooks execute"
    _edit(tree / "ddpm_lessons" / "train.py", "def main(argv=None)", "def main(argv=None, extra=1)")
    assert fresh(), "train.py's CLI is no part of what notebooks execute"
    _edit(tree / "ddpm_lessons" / "samplers.py", "\ndef ", "\ndef _planted():\n    return 0\n\n\ndef ")
    assert not fresh(), "a sampler is what the notebooks execute"
    assert "package" in freshness.output_problems(path, freshness.package_hash(tree))[0]


def _imports_of(source):
    """Module names imported by Python source (relative imports as '.name')."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            sep = "" if base.endswith(".") else "."
            names |= {base} | {f"{base}{sep}{a.name}" for a in node.names}
    return names


def test_modules_left_out_of_the_hash_are_run_by_no_notebook():
    """Leaving a module out of the hash is safe only if nothing the notebooks execute imports it."""
    for left_out in freshness.NOT_HASHED:
        name = left_out.removesuffix(".py")
        for path in freshness.hashed_files():
            imported = _imports_of(path.read_text())
            assert not {f".{name}", f"..{name}", f"ddpm_lessons.{name}"} & imported, f"{path} imports {name}"
        for path in CHAPTERS + nbio.solution_paths():
            code = "\n".join(c.source for c in nbio.read(path).cells if c.cell_type == "code")
            assert not re.search(rf"ddpm_lessons\.{name}\b|dl\.{name}\b|from ddpm_lessons import .*\b{name}\b", code), path


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_notebook_outputs_are_fresh(path):
    assert freshness.output_problems(path) == []
