"""Stored outputs that match the code: what a notebook's outputs were produced from, and running a
notebook at reader size to refresh them.

Each executed notebook stores in ``metadata.ddpm_lessons`` a SHA-256 of its code cells *and* of what
they execute: the package's modules (``ddpm_lessons/**/*.py``, comments and docstrings ignored) and
``data/manifest.json`` (which names every shipped checkpoint by its SHA-256). Not hashed, because no
notebook runs them: the build tools (``tools/``, outside the package) and ``ddpm_lessons/train.py``,
whose only effect on a notebook is a new checkpoint, and so a new ``data/manifest.json``.
"""
from __future__ import annotations

import ast
import hashlib
import os
import time
from pathlib import Path

from . import nbio

PACKAGE = "ddpm_lessons"
# Package modules that no notebook executes (a test checks that no other module imports them).
NOT_HASHED = {"train.py"}


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


def hashed_files(root: Path = nbio.ROOT) -> list[Path]:
    """The package modules the hash covers, in a fixed order."""
    return [path for path in sorted((root / PACKAGE).rglob("*.py"))
            if path.name not in NOT_HASHED and "__pycache__" not in path.parts]


def package_hash(root: Path = nbio.ROOT) -> str:
    """SHA-256 of the package's code (comments and docstrings ignored) and of data/manifest.json."""
    h = hashlib.sha256()
    for path in hashed_files(root):
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


def output_problems(path: Path, package: str | None = None) -> list[str]:
    """Stored outputs older than the notebook's code cells or the package they import."""
    nb = nbio.read(path)
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


def execute(path: Path, timeout: int = 1200) -> float:
    """Run a notebook at reader size (``DDPM_LESSONS_FAST=0``) and store outputs + code hash."""
    nb = nbio.read(path)
    os.environ["DDPM_LESSONS_FAST"] = "0"
    # no browser renders these outputs: store the widgets' static figures, which GitHub can show
    os.environ["DDPM_LESSONS_STATIC"] = "1"
    start = time.perf_counter()
    nbio.run(nb, path, timeout)
    seconds = time.perf_counter() - start
    package = package_hash()
    nb.metadata["ddpm_lessons"] = {"code_sha256": code_hash(nb, package), "cells_sha256": cells_hash(nb),
                                   "package_sha256": package, "executed_in_s": round(seconds, 1)}
    nbio.write(nb, path)
    return seconds
