"""Maintenance of the chapter's notebooks: launch badges, the Colab setup block, text pairs, and
stored outputs that match the code.

    python -m ddpm_lessons.notebook_tools badges  notebooks/*.ipynb   # rewrite badges + Colab setup block
    python -m ddpm_lessons.notebook_tools pair    notebooks/*.ipynb   # write the py:percent text pairs
    python -m ddpm_lessons.notebook_tools execute notebooks/*.ipynb   # re-run at reader size, store outputs
    python -m ddpm_lessons.notebook_tools check   notebooks/*.ipynb   # fail if anything above is stale

The repository's public URL lives in one place, ``[project.urls] Repository`` in pyproject.toml.
Each notebook's setup cell (cell 1) starts with one canonical Colab block, written from
``COLAB_SETUP`` below. Each executed notebook stores in ``metadata.ddpm_lessons`` a SHA-256 of its
code cells *and* of the package it imports (``ddpm_lessons/**/*.py`` without comments and
docstrings, plus ``data/manifest.json``); a test fails when either has changed since the outputs
were produced. Each notebook has a jupytext ``py:percent`` pair in ``notebooks/py/`` (configured in
``notebooks/jupytext.toml``) so that reviews can read diffs of code and prose; the ``.ipynb`` is the source.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
BADGE_START, BADGE_END = "<!-- badges -->", "<!-- /badges -->"
COLAB_START, COLAB_END = "# --- colab setup (written by make badges) ---", "# --- end colab setup ---"
# The setup cell as it was before the block had markers (replaced once by ``make badges``).
LEGACY_COLAB = re.compile(r"\A# Setup\. On Colab:.*?output\.enable_custom_widget_manager\(\)\n", re.S)
PAIR_DIR = "py"            # notebooks/py/<name>.py, see notebooks/jupytext.toml
PAIR_FORMAT = "py:percent"
# Maintenance tools that no notebook imports: editing them does not make stored outputs stale.
NOT_HASHED = {"notebook_tools.py"}

# The Colab part of every notebook's setup cell. Plain Python (no ``!``/``%`` magics) so that the
# test of the Colab launch path can run exactly this text outside IPython. Rules it keeps:
# - idempotent: clones once, installs once; re-running the cell (or a restart) is harmless;
# - installs only what Colab lacks: the package itself with --no-deps (never Colab's torch,
#   ipywidgets, notebook, ipykernel or IPython), plus a runtime requirement only if it is missing;
# - sys.path step: an editable install is importable in a running kernel only after a restart;
# - Colab renders ipywidgets 7 natively; the custom widget manager is needed for ipywidgets >= 8.
COLAB_SETUP = '''\
{start}
# On Colab: fetch the chapter's package and data once, install only what Colab lacks (never its
# torch, ipywidgets or Jupyter), and make the package importable without a restart. Safe to re-run.
import sys

REPO_URL = "{url}"
if "google.colab" in sys.modules:
    import importlib.metadata, importlib.util, os, subprocess

    def _colab_run(*command):  # show the command's own message in the notebook if it fails
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"{{' '.join(command)}} failed:\\n{{result.stdout}}{{result.stderr}}")

    REPO_DIR = "/content/ddpm-lessons"
    if not os.path.isdir(REPO_DIR):
        _colab_run("git", "clone", "-q", "--depth", "1", REPO_URL, REPO_DIR)
    try:
        importlib.metadata.version("ddpm-lessons")
    except importlib.metadata.PackageNotFoundError:
        _colab_run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", REPO_DIR)
        missing = [m for m in ("torch", "numpy", "matplotlib", "tqdm", "ipywidgets")
                   if importlib.util.find_spec(m) is None]
        if missing:  # Colab ships all five; elsewhere, install what is absent
            _colab_run(sys.executable, "-m", "pip", "install", "-q", *missing)
    if REPO_DIR not in sys.path:
        sys.path.insert(0, REPO_DIR)
    import ipywidgets
    if int(ipywidgets.__version__.split(".")[0]) >= 8:
        from google.colab import output
        output.enable_custom_widget_manager()
{end}'''


def repo_url(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The repository URL from pyproject.toml (``Repository = "https://github.com/OWNER/NAME"``)."""
    match = re.search(r'^Repository\s*=\s*"(https://github\.com/[^"]+?)/?"', pyproject.read_text(), re.M)
    if not match:
        raise ValueError(f"{pyproject} has no [project.urls] Repository = \"https://github.com/OWNER/NAME\"")
    return match.group(1)


def badges(notebook_name: str, url: str | None = None) -> str:
    """Markdown for the "Open in Colab" and Binder badges of one notebook (on the main branch)."""
    url = url or repo_url()
    slug = url.removeprefix("https://github.com/")
    path = f"notebooks/{notebook_name}"
    colab = f"https://colab.research.google.com/github/{slug}/blob/main/{path}"
    binder = f"https://mybinder.org/v2/gh/{slug}/HEAD?labpath={quote(path, safe='')}"
    return (f"{BADGE_START}\n[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab}) "
            f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder})\n{BADGE_END}")


def colab_setup(url: str | None = None) -> str:
    """The canonical Colab block of every notebook's setup cell (between ``COLAB_START``/``COLAB_END``)."""
    return COLAB_SETUP.format(start=COLAB_START, end=COLAB_END, url=url or repo_url())


def colab_block(source: str) -> str | None:
    """The Colab block found in a cell's source (markers included), or None."""
    match = re.search(re.escape(COLAB_START) + ".*?" + re.escape(COLAB_END), source, re.S)
    return match.group(0) if match else None


# --- what the stored outputs were produced from -------------------------------------------------

def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _canonical(node) -> str:
    """A serialisation of an AST that ignores positions, comments, and fields that are empty or None
    (so it does not change between Python versions that merely add empty fields)."""
    if isinstance(node, ast.AST):
        fields = []
        for name in node._fields:
            value = getattr(node, name, None)
            if value is None or value == []:
                continue
            fields.append(f"{name}={_canonical(value)}")
        return f"{type(node).__name__}({','.join(fields)})"
    if isinstance(node, list):
        return "[" + ",".join(_canonical(v) for v in node) + "]"
    return repr(node)


def package_hash(root: Path = ROOT) -> str:
    """SHA-256 of the package's code (comments and docstrings ignored) and of data/manifest.json."""
    h = hashlib.sha256()
    package = root / "ddpm_lessons"
    for path in sorted(package.rglob("*.py")):
        if path.name in NOT_HASHED or "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(_canonical(_strip_docstrings(ast.parse(path.read_text(encoding="utf-8")))).encode() + b"\0")
    manifest = root / "data" / "manifest.json"
    if manifest.exists():
        h.update(b"data/manifest.json\0" + manifest.read_bytes())
    return h.hexdigest()


def cells_hash(nb) -> str:
    """SHA-256 of the notebook's code cells, in order."""
    h = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            h.update(cell.source.encode())
            h.update(b"\0")
    return h.hexdigest()


def code_hash(nb, package: str | None = None) -> str:
    """SHA-256 of what the stored outputs were produced from: the code cells and the package."""
    return hashlib.sha256(f"{cells_hash(nb)}:{package or package_hash()}".encode()).hexdigest()


def _read(path):
    import nbformat

    return nbformat.read(str(path), as_version=4)


def _write(nb, path):
    import nbformat

    nbformat.write(nb, str(path))


def apply_badges(nb, name: str, url: str | None = None):
    """Rewrite the badge block of the first cell and the Colab block at the top of the setup cell."""
    url = url or repo_url()
    first = nb.cells[0]
    block = re.compile(re.escape(BADGE_START) + ".*?" + re.escape(BADGE_END), re.S)
    if not block.search(first.source):
        raise ValueError(f"{name}: first cell has no {BADGE_START} ... {BADGE_END} block")
    first.source = block.sub(lambda _: badges(name, url), first.source)
    setup = nb.cells[1]
    if setup.cell_type != "code":
        raise ValueError(f"{name}: cell 1 must be the setup code cell")
    current = colab_block(setup.source)
    if current is not None:
        setup.source = setup.source.replace(current, colab_setup(url), 1)
    elif LEGACY_COLAB.search(setup.source):
        rest = LEGACY_COLAB.sub("", setup.source, count=1).lstrip("\n")
        setup.source = colab_setup(url) + ("\n\n" + rest if rest else "")
    else:
        raise ValueError(f"{name}: setup cell has no {COLAB_START!r} ... {COLAB_END!r} block")
    return nb


# --- jupytext pairs -------------------------------------------------------------------------------

def pair_path(path: Path) -> Path:
    """Where a notebook's py:percent pair lives: notebooks/py/<name>.py."""
    return path.parent / PAIR_DIR / (path.stem + ".py")


def paired_text(nb, path: Path) -> str:
    """The py:percent text of a notebook, with the repository's jupytext.toml settings."""
    import jupytext
    from jupytext.config import load_jupytext_config

    config = load_jupytext_config(str(Path(path).resolve().parent))
    return jupytext.writes(nb, fmt=PAIR_FORMAT, config=config)


def write_pair(path: Path) -> Path:
    target = pair_path(path)
    target.parent.mkdir(exist_ok=True)
    target.write_text(paired_text(_read(path), path), encoding="utf-8")
    return target


def launch_problems(path: Path, url: str | None = None) -> list[str]:
    """Badges and the Colab setup block, compared with what ``make badges`` writes."""
    nb = _read(path)
    try:
        expected = apply_badges(_read(path), path.name, url)
    except ValueError as err:
        return [f"{err} (run: make badges)"]
    if [c.source for c in expected.cells] != [c.source for c in nb.cells]:
        return ["badges or Colab setup block disagree with notebook_tools/pyproject.toml (run: make badges)"]
    return []


def output_problems(path: Path, package: str | None = None) -> list[str]:
    """Stored outputs older than the notebook's code cells or the package they import."""
    nb = _read(path)
    stored = nb.metadata.get("ddpm_lessons", {})
    package = package or package_hash()
    if stored.get("code_sha256") == code_hash(nb, package):
        return []
    what = []
    if stored.get("cells_sha256") not in (None, cells_hash(nb)):
        what.append("its code cells")
    if stored.get("package_sha256") not in (None, package):
        what.append("the ddpm_lessons package or data/manifest.json")
    return [f"{' and '.join(what) or 'code'} changed since its outputs were produced (run: make notebooks)"]


def pair_problems(path: Path) -> list[str]:
    """The py:percent text pair is missing or differs from what the notebook produces now."""
    pair = pair_path(path)
    if pair.exists() and pair.read_text(encoding="utf-8") == paired_text(_read(path), path):
        return []
    return [f"text pair {pair.relative_to(path.parent.parent)} is missing or out of sync (run: make pair)"]


def problems(path: Path, url: str | None = None, package: str | None = None) -> list[str]:
    """What is stale in one notebook: badges/Colab block, outputs older than the code, text pair."""
    return launch_problems(path, url) + output_problems(path, package) + pair_problems(path)


def execute(path: Path, timeout: int = 1200) -> float:
    """Run a notebook at reader size (``DDPM_LESSONS_FAST=0``) and store outputs + code hash."""
    from nbclient import NotebookClient

    nb = _read(path)
    os.environ["DDPM_LESSONS_FAST"] = "0"
    # no browser renders these outputs: store the widgets' static figures, which GitHub can show
    os.environ["DDPM_LESSONS_STATIC"] = "1"
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    package = package_hash()
    nb.metadata["ddpm_lessons"] = {"code_sha256": code_hash(nb, package), "cells_sha256": cells_hash(nb),
                                   "package_sha256": package, "executed_in_s": round(seconds, 1)}
    _write(nb, path)
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["badges", "pair", "execute", "check"])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    failed = False
    for path in args.notebooks:
        if args.command == "badges":
            _write(apply_badges(_read(path), path.name), path)
            print(f"{path}: badges and Colab setup block written")
        elif args.command == "pair":
            print(f"{path}: paired with {write_pair(path)}")
        elif args.command == "execute":
            print(f"{path}: executing at reader size ...", flush=True)
            print(f"{path}: done in {execute(path):.0f} s", flush=True)
        else:
            for problem in problems(path):
                failed = True
                print(f"{path}: {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
