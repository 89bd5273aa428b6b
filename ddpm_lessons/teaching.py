"""Teaching material generated into the chapter: exercises, takeaways, a prerequisites line, slides.

    python -m ddpm_lessons.teaching build            # write everything below into the notebooks (idempotent)
    python -m ddpm_lessons.teaching check            # exit 1 if a notebook is out of step with its source
    python -m ddpm_lessons.teaching slides [OUTDIR]  # reveal.js decks of the six notebooks (default build/slides)
    python -m ddpm_lessons.teaching timings [--write] # per-cell run times from the stored outputs
    python -m ddpm_lessons.teaching run-solutions    # execute the solution notebooks, store their outputs

One source file per notebook, ``notebooks/exercises/NN_<name>.md``, holds the notebook's "Key
takeaways" box and its Exercises section. It is Markdown with one marker line per cell::

    ---
    notebook: 01_recap.ipynb
    prerequisites: what a reader should know first
    ---
    <!-- markdown: both -->         a cell in both versions
    <!-- code: student -->          a stub (student version only), in a ```python fence
    <!-- code: solution -->         the worked solution (solutions notebook only)
    <!-- markdown: solution -->     a worked derivation (solutions notebook only)
    <!-- code: check -->            calls a ``dl.exercises.nbNN.check_*`` checker; in the solutions notebook
                                    every such call is asserted (unless the cell says ``# no-assert``)

``build`` then

1. replaces the cells tagged ``exercises`` at the end of each chapter notebook (appends them the first
   time) with the student version — no other cell's source or outputs are touched, and a generated
   cell whose source did not change keeps its stored outputs;
2. writes ``notebooks/solutions/NN_<name>_solutions.ipynb`` (a setup cell, then the exercises with
   their solutions and asserted checkers);
3. writes the line "**Prerequisites** … · **Time to read** … · **Time to run** …" into the first cell,
   between ``<!-- prereq -->`` and ``<!-- /prereq -->`` right after the badge block (time to run comes
   from ``metadata.ddpm_lessons.executed_in_s``, stored by ``make notebooks``);
4. sets ``metadata.slideshow.slide_type`` on every cell of the chapter notebooks by rule (see
   :func:`slide_type`), which ``jupyter nbconvert --to slides`` and ``jupyterlab-rise`` read.
"""
from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
SOURCE_DIR = NOTEBOOK_DIR / "exercises"
SOLUTION_DIR = NOTEBOOK_DIR / "solutions"
INSTRUCTOR_GUIDE = NOTEBOOK_DIR / "INSTRUCTOR.md"
TAG = "exercises"
PREREQ_START, PREREQ_END = "<!-- prereq -->", "<!-- /prereq -->"
TIMINGS_START, TIMINGS_END = "<!-- timings -->", "<!-- /timings -->"
BADGE_END = "<!-- /badges -->"
MARKER = re.compile(r"^<!-- (markdown|code): (both|student|solution|check) -->[ \t]*$", re.M)
EXERCISE_HEADING = re.compile(r"^### Exercise (\d+) · ([a-z ,\-]+?) — ", re.M)
KINDS = ("derive", "predict, then run", "code it yourself", "interpret a measurement")
READING_WPM = 120  # technical prose with equations
SECONDS_PER_CODE_CELL = 20
MINUTES_PER_EXERCISE = 6


# --------------------------------------------------------------------------- sources
class SourceError(ValueError):
    pass


def parse_source(path: Path):
    """(front matter dict, [(kind, role, source), ...]) of one exercises source file."""
    text = Path(path).read_text()
    m = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    if not m:
        raise SourceError(f"{path}: must start with a '---' front matter block (notebook:, prerequisites:)")
    meta = {}
    for line in m.group(1).splitlines():
        if line.strip():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
    for key in ("notebook", "prerequisites"):
        if not meta.get(key):
            raise SourceError(f"{path}: front matter needs '{key}:'")
    body = text[m.end():]
    parts = MARKER.split(body)
    if parts[0].strip():
        raise SourceError(f"{path}: text before the first <!-- kind: role --> marker")
    cells = []
    for kind, role, src in zip(parts[1::3], parts[2::3], parts[3::3]):
        src = src.strip("\n")
        if kind == "code":
            fence = re.fullmatch(r"```python\n(.*?)\n?```\s*", src.strip() + "\n", re.S)
            if not fence:
                raise SourceError(f"{path}: a code cell must be exactly one ```python fenced block:\n{src[:200]}")
            src = fence.group(1).rstrip()
        elif role == "check":
            raise SourceError(f"{path}: 'check' is a role of code cells only")
        cells.append((kind, role, src.strip()))
    return meta, cells


def sources() -> dict:
    """{notebook file name: (source path, meta, cells)} for every exercises source."""
    out = {}
    for path in sorted(SOURCE_DIR.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        meta, cells = parse_source(path)
        out[meta["notebook"]] = (path, meta, cells)
    return out


def exercise_kinds(cells) -> list[tuple[int, str]]:
    """[(number, kind), ...] of the exercises announced by '### Exercise N · kind — title' headings."""
    found = []
    for kind, role, src in cells:
        if kind == "markdown" and role == "both":
            m = EXERCISE_HEADING.match(src)
            if m:
                found.append((int(m.group(1)), m.group(2)))
    return found


def _assert_checks(src: str) -> str:
    """Solutions version of a check cell: every ``dl.exercises.nbNN.check_*`` result is asserted."""
    if "# no-assert" in src:
        return src
    out = []
    for line in src.splitlines():
        m = re.match(r"^(\s*)(\w+) = (dl\.exercises\.nb\d\d\.check_\w+\(.*\))\s*$", line)
        if m:
            out += [line, f'{m.group(1)}assert {m.group(2)}, "the worked solution must pass its checker"']
        elif re.match(r"^\s*dl\.exercises\.nb\d\d\.check_\w+\(", line):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f'{indent}assert {line.strip()}, "the worked solution must pass its checker"')
        else:
            out.append(line)
    return "\n".join(out)


def _new_cell(kind: str, src: str, cell_id: str, tags):
    import nbformat

    cell = nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
    cell["id"] = cell_id
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def student_cells(number: str, cells):
    """The chapter notebook's generated cells: takeaways, exercises with stubs and check cells."""
    out = []
    for i, (kind, role, src) in enumerate(cells):
        if role == "solution":
            continue
        tags = [TAG] + (["exercise-stub"] if role == "student" else ["exercise-check"] if role == "check" else [])
        out.append(_new_cell(kind, src, f"ex{number}-{i:02d}", tags))
    return out


def solution_cells(number: str, cells):
    out = []
    for i, (kind, role, src) in enumerate(cells):
        if role == "student":
            continue
        if role == "check":
            src = _assert_checks(src)
        out.append(_new_cell(kind, src, f"sol{number}-{i:02d}", [TAG] + (["solution"] if role == "solution" else [])))
    return out


# --------------------------------------------------------------------------- the notebooks
def _read(path):
    import nbformat

    return nbformat.read(str(path), as_version=4)


def _keep_outputs(new_cells, old_cells):
    """Carry stored outputs over to regenerated cells whose id and source are unchanged."""
    old = {c.get("id"): c for c in old_cells}
    for cell in new_cells:
        prev = old.get(cell.get("id"))
        if prev is None or prev.cell_type != cell.cell_type or prev.source != cell.source:
            continue
        if cell.cell_type == "code":
            cell["outputs"] = copy.deepcopy(prev.get("outputs", []))
            cell["execution_count"] = prev.get("execution_count")
        for key in ("execution", "slideshow"):
            if key in prev.metadata:
                cell.metadata[key] = copy.deepcopy(prev.metadata[key])
    return new_cells


def reading_minutes(nb) -> int:
    """Reading time of the notebook's own cells (exercises excluded), rounded to 5 minutes."""
    words, code_cells = 0, 0
    for cell in nb.cells:
        if TAG in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":
            text = re.sub(re.escape(PREREQ_START) + ".*?" + re.escape(PREREQ_END), " ", cell.source, flags=re.S)
            words += len(re.sub(r"<!--.*?-->|\(http[^)]*\)", " ", text, flags=re.S).split())
        elif cell.cell_type == "code":
            code_cells += 1
    minutes = words / READING_WPM + code_cells * SECONDS_PER_CODE_CELL / 60
    return max(5, int(5 * round(minutes / 5)))


def run_time_text(nb) -> str:
    seconds = nb.metadata.get("ddpm_lessons", {}).get("executed_in_s")
    if not seconds:
        return "**Time to run** not measured yet (`make notebooks` stores it)"
    if seconds < 100:
        return f"**Time to run** ~{max(5, int(5 * round(seconds / 5)))} s (laptop CPU)"
    return f"**Time to run** ~{round(seconds / 30) / 2:g} min (laptop CPU)"


def prereq_line(nb, meta, n_exercises: int) -> str:
    return (f"**Prerequisites** {meta['prerequisites']} · **Time to read** ~{reading_minutes(nb)} min · "
            f"{run_time_text(nb)} · **Exercises** {n_exercises}, ~{n_exercises * MINUTES_PER_EXERCISE} min")


def set_prereq(first_cell, line: str) -> None:
    """Write ``line`` between the prereq markers of the first cell (after the badge block, else at the end)."""
    block = f"{PREREQ_START}\n{line}\n{PREREQ_END}"
    pattern = re.compile(re.escape(PREREQ_START) + ".*?" + re.escape(PREREQ_END), re.S)
    src = first_cell.source
    if pattern.search(src):
        first_cell.source = pattern.sub(lambda _: block, src)
    elif BADGE_END in src:
        first_cell.source = src.replace(BADGE_END, f"{BADGE_END}\n\n{block}", 1)
    else:
        first_cell.source = src.rstrip("\n") + f"\n\n{block}"


def _top_level(source: str):
    """Top-level statements of a code cell (IPython magics and shell lines blanked), or None."""
    lines = ["" if re.match(r"^\s*[!%]", line) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines)).body
    except SyntaxError:
        return None


def slide_type(cell, index: int) -> str:
    """The slideshow rule of the chapter.

    * the title cell, and markdown cells starting with '# ' or '## ': "slide"; '### ': "subslide";
    * the setup cell (index 1 / the Colab bootstrap), cells with only imports and definitions
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
    if index == 1 or '"google.colab" in sys.modules' in cell.source or TAG in cell.metadata.get("tags", []):
        return "skip"
    body = _top_level(cell.source)
    if body is None:
        return "-"
    if any(isinstance(node, ast.Assert) for node in body):
        return "fragment"
    helper_nodes = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    if body and all(isinstance(node, helper_nodes) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
                    for node in body):
        return "skip"
    return "-"


def apply_slides(nb) -> None:
    for i, cell in enumerate(nb.cells):
        cell.metadata.setdefault("slideshow", {})
        cell.metadata["slideshow"]["slide_type"] = slide_type(cell, i)


def apply(nb, meta, cells, number: str):
    """The chapter notebook with this module's content applied (modifies and returns ``nb``)."""
    tagged = [i for i, c in enumerate(nb.cells) if TAG in c.metadata.get("tags", [])]
    old = [nb.cells[i] for i in tagged]
    at = tagged[0] if tagged else len(nb.cells)
    keep = [c for c in nb.cells if TAG not in c.metadata.get("tags", [])]
    new = _keep_outputs(student_cells(number, cells), old)
    nb.cells = keep[:at] + new + keep[at:]
    if nb.cells[0].cell_type != "markdown":
        raise ValueError("the first cell of a chapter notebook must be its markdown title cell")
    set_prereq(nb.cells[0], prereq_line(nb, meta, len(exercise_kinds(cells))))
    apply_slides(nb)
    return nb


def solutions_notebook(chapter_nb, meta, cells, number: str, old=None):
    """The solutions notebook of one chapter notebook (``old``: the stored one, for its outputs)."""
    import nbformat

    from .notebook_tools import repo_url

    title = chapter_nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
    name = meta["notebook"]
    intro = (f"# {title} — worked solutions\n\n"
             f"The exercises of [`{name}`](../{name}) with their solutions filled in; every checker is run and "
             f"asserted, so this notebook is also the test of the exercises. Try the exercises in the chapter "
             f"notebook first.\n\n"
             f"*Generated by `python -m ddpm_lessons.teaching build` from `notebooks/exercises/{number}_*.md` — "
             f"edit that file, not this notebook.*")
    setup = ("# Setup. On Colab: fetch the chapter's package and data.\nimport sys\n\n"
             f'REPO_URL = "{repo_url()}"\n'
             'if "google.colab" in sys.modules:\n'
             "    !git clone -q --depth 1 {REPO_URL} /content/ddpm-lessons\n"
             "    %pip install -q -e /content/ddpm-lessons\n"
             '    sys.path.insert(0, "/content/ddpm-lessons")\n\n'
             "import torch\nimport ddpm_lessons as dl\n"
             'print(f"device: {dl.device_name(dl.default_device())} | test mode: {dl.fast_mode()}")')
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    if old is not None:  # keep what an execution stored (language_info); it does not change the content
        nb.metadata.update(copy.deepcopy({k: v for k, v in old.metadata.items() if k in ("kernelspec", "language_info")}))
    head = [_new_cell("markdown", intro, f"sol{number}-title", []), _new_cell("code", setup, f"sol{number}-setup", [])]
    nb.cells = _keep_outputs(head + solution_cells(number, cells), old.cells if old is not None else [])
    return nb


def chapter_paths() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("0*.ipynb"))


def solution_path(chapter: Path) -> Path:
    return SOLUTION_DIR / f"{chapter.stem}_solutions.ipynb"


def generate(path: Path, srcs=None):
    """(chapter notebook after build, solutions notebook after build) for one chapter, in memory."""
    srcs = sources() if srcs is None else srcs
    if path.name not in srcs:
        raise SourceError(f"no exercises source names {path.name} (notebooks/exercises/*.md, 'notebook:' line)")
    _, meta, cells = srcs[path.name]
    number = path.name[:2]
    chapter = apply(_read(path), meta, cells, number)
    sol_path = solution_path(path)
    old = _read(sol_path) if sol_path.exists() else None
    return chapter, solutions_notebook(chapter, meta, cells, number, old)


def _same(a, b) -> bool:
    import nbformat

    return nbformat.writes(a) == nbformat.writes(b)


def problems() -> list[str]:
    """What is out of step with the sources (empty when ``build`` would change nothing)."""
    out, srcs = [], sources()
    for path in chapter_paths():
        chapter, sol = generate(path, srcs)
        if not _same(chapter, _read(path)):
            out.append(f"{path.name}: exercises, prerequisites line or slide metadata out of date")
        sp = solution_path(path)
        if not sp.exists() or not _same(sol, _read(sp)):
            out.append(f"{sp.relative_to(ROOT)}: out of date")
    return out


def build() -> list[str]:
    """Apply the sources to every chapter notebook and write the solutions; returns the files changed."""
    import nbformat

    changed, srcs = [], sources()
    SOLUTION_DIR.mkdir(exist_ok=True)
    for path in chapter_paths():
        chapter, sol = generate(path, srcs)
        if not _same(chapter, _read(path)):
            nbformat.write(chapter, str(path))
            changed.append(str(path.relative_to(ROOT)))
        sp = solution_path(path)
        if not sp.exists() or not _same(sol, _read(sp)):
            nbformat.write(sol, str(sp))
            changed.append(str(sp.relative_to(ROOT)))
    return changed


# --------------------------------------------------------------------------- solutions, slides, timings
def run_solutions(paths=None, timeout: int = 600) -> None:
    """Execute the solution notebooks in place (test-mode sizes do not apply: they are small)."""
    import nbformat
    from nbclient import NotebookClient

    for path in paths or sorted(SOLUTION_DIR.glob("*.ipynb")):
        nb = _read(path)
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(Path(path).parent)}}).execute()
        nbformat.write(nb, str(path))
        print(f"{path}: executed", flush=True)


def slides(outdir: Path = ROOT / "build" / "slides", paths=None) -> list[Path]:
    """Build a reveal.js deck per chapter notebook with ``jupyter nbconvert --to slides``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [Path(p) for p in (paths or chapter_paths())]
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "slides", "--output-dir", str(outdir),
                    *map(str, paths)], check=True)
    decks = [outdir / f"{p.stem}.slides.html" for p in paths]
    for deck in decks:
        print(deck)
    return decks


def deck_html(nb) -> str:
    """One deck as HTML, in memory (what ``slides`` writes for this notebook)."""
    from nbconvert import SlidesExporter

    html, _ = SlidesExporter().from_notebook_node(nb)
    return html


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
    for path in paths or chapter_paths():
        nb = _read(path)
        rows = cell_timings(nb)
        total = nb.metadata.get("ddpm_lessons", {}).get("executed_in_s")
        lines.append(f"**{path.name}** — whole notebook {total if total else '?'} s; "
                     f"cells ≥ {threshold:g} s:\n")
        lines.append("| cell | seconds | starts with |\n|---:|---:|---|")
        slow = [r for r in rows if r["seconds"] >= threshold]
        for r in slow:
            text = textwrap.shorten(r["first_line"], 70, placeholder=" …").replace("|", "\\|")  # whole words
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
    pattern = re.compile(re.escape(TIMINGS_START) + ".*?" + re.escape(TIMINGS_END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{guide} has no {TIMINGS_START} … {TIMINGS_END} block")
    new = pattern.sub(lambda _: f"{TIMINGS_START}\n{timings_markdown()}{TIMINGS_END}", text)
    if new != text:
        guide.write_text(new)
    return new != text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "check", "slides", "timings", "run-solutions"])
    parser.add_argument("outdir", nargs="?", default=str(ROOT / "build" / "slides"), help="slides: output folder")
    parser.add_argument("--write", action="store_true", help="timings: refresh the tables in notebooks/INSTRUCTOR.md")
    args = parser.parse_args(argv)
    if args.command == "build":
        changed = build()
        print("\n".join(f"written: {c}" for c in changed) or "everything up to date")
    elif args.command == "check":
        found = problems()
        for p in found:
            print(p)
        return 1 if found else 0
    elif args.command == "slides":
        slides(Path(args.outdir))
    elif args.command == "timings":
        if args.write:
            print("written" if write_timings() else "unchanged", INSTRUCTOR_GUIDE)
        else:
            print(timings_markdown())
    else:
        os.environ.setdefault("MPLBACKEND", "Agg")
        run_solutions()
    return 0


if __name__ == "__main__":
    sys.exit(main())
