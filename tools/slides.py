"""Slides from the notebooks themselves: the slideshow rule that the teaching build writes into every
chapter cell's ``metadata.slideshow.slide_type`` (read by ``jupyter nbconvert --to slides`` and
jupyterlab-rise), and the reveal.js decks (``python -m tools slides [OUTDIR]``, default build/slides).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from . import badges, nbio


def _top_level(source: str):
    """Top-level statements of a code cell (IPython magics and shell lines blanked), or None."""
    lines = ["" if re.match(r"^\s*[!%]", line) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines)).body
    except SyntaxError:
        return None


def _only_definitions(body) -> bool:
    helper_nodes = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return bool(body) and all(isinstance(node, helper_nodes)
                              or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
                              for node in body)


def slide_type(cell, index: int) -> str:
    """The slideshow rule of the chapter.

    * the title cell, and markdown cells starting with '# ' or '## ': "slide"; '### ': "subslide";
    * the setup cell (index 1 / the hosted set-up block), cells with only imports and definitions
      (helpers), and the exercises' code cells (done in the notebook, not on a slide): "skip";
    * code cells with a top-level ``assert`` (the claims): "fragment";
    * everything else: "-" (continues the current slide).
    """
    src = cell.source.lstrip()
    if index == 0:
        return "slide"
    if cell.cell_type == "markdown":
        if src.startswith("# ") or src.startswith("## "):
            return "slide"
        if src.startswith("### "):
            return "subslide"
        return "-"
    if cell.cell_type != "code":
        return "-"
    if index == 1 or badges.SETUP_START in cell.source or nbio.EXERCISES_TAG in cell.metadata.get("tags", []):
        return "skip"
    body = _top_level(cell.source)
    if body is None:
        return "-"
    if any(isinstance(node, ast.Assert) for node in body):
        return "fragment"
    return "skip" if _only_definitions(body) else "-"


def apply_slides(nb) -> None:
    """Set every cell's ``metadata.slideshow.slide_type`` by :func:`slide_type`."""
    for i, cell in enumerate(nb.cells):
        cell.metadata.setdefault("slideshow", {})
        cell.metadata["slideshow"]["slide_type"] = slide_type(cell, i)


def slides(outdir: Path = nbio.ROOT / "build" / "slides", paths=None) -> list[Path]:
    """Build an offline reveal.js deck per chapter notebook (libraries in ``outdir/lib``; see
    :mod:`tools.slides_offline`)."""
    from . import slides_offline

    decks = slides_offline.build([Path(p) for p in (paths or nbio.chapter_paths())], Path(outdir))
    for deck in decks:
        print(deck)
    return decks


def deck_html(nb) -> str:
    """One deck as HTML, in memory (what ``slides`` writes for this notebook)."""
    from . import slides_offline

    return slides_offline.deck_html(nb)
