"""Per-cell run times of the chapter notebooks, from the ``metadata.execution`` timestamps that an
execution stores, and the timing tables of the instructor guide (``python -m tools timings [--write]``).
"""
from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

from . import nbio

INSTRUCTOR_GUIDE = nbio.NOTEBOOK_DIR / "INSTRUCTOR.md"
TIMINGS_START, TIMINGS_END = "<!-- timings -->", "<!-- /timings -->"


def _ts(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def cell_timings(nb) -> list[dict]:
    """Per code cell: index, first line, seconds (from the stored ``metadata.execution`` timestamps)."""
    out = []
    for i, cell in enumerate(nb.cells):
        ex = cell.metadata.get("execution", {}) if cell.cell_type == "code" else {}
        start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
        if start and end:
            first = next((ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("# NBVAL")), "")
            out.append({"index": i, "seconds": (_ts(end) - _ts(start)).total_seconds(), "first_line": first.strip()})
    return out


def timings_markdown(paths=None, threshold: float = 2.0) -> str:
    """A Markdown table per notebook of the cells that ran ≥ ``threshold`` s at reader size."""
    lines = []
    for path in paths or nbio.chapter_paths():
        nb = nbio.read(path)
        rows = cell_timings(nb)
        total = nb.metadata.get("ddpm_lessons", {}).get("executed_in_s")
        lines.append(f"**{path.name}** — whole notebook {total if total else '?'} s; "
                     f"cells ≥ {threshold:g} s:\n")
        lines.append("| cell | seconds | starts with |\n|---:|---:|---|")
        slow = [r for r in rows if r["seconds"] >= threshold]
        for r in slow:
            text = textwrap.shorten(r["first_line"], width=70, placeholder=" …").replace("|", "\\|")
            lines.append(f"| {r['index']} | {r['seconds']:.1f} | `{text}` |")
        if not slow:
            lines.append("| – | – | no cell took that long |")
        if not rows:
            lines.append("\n*(no execution timestamps stored: run `make notebooks`)*")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"



def write_timings(guide: Path = INSTRUCTOR_GUIDE) -> bool:
    """Refresh the timing tables between the timing markers of the instructor guide."""
    text = guide.read_text()
    new = nbio.replace_block(text, TIMINGS_START, TIMINGS_END, f"{TIMINGS_START}\n{timings_markdown()}{TIMINGS_END}")
    if new is None:
        raise ValueError(f"{guide} has no {TIMINGS_START} … {TIMINGS_END} block")
    if new != text:
        guide.write_text(new)
    return new != text
