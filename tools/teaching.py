"""Teaching material generated into the chapter: exercises, takeaways, a prerequisites line, and the
worked-solutions notebooks (``python -m tools build`` writes them, ``python -m tools check`` fails
when a notebook is out of step with its source; ``run-solutions`` executes the solutions).

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
    <!-- code: check -->            calls an ``ex.check_*`` checker; in the solutions notebook every
                                    ``ex.check_*`` call is asserted (unless the cell says ``# no-assert``)

``build`` then

1. replaces the cells tagged ``exercises`` at the end of each chapter notebook (appends them the first
   time) with the student version — no other cell's source or outputs are touched, and a generated
   cell whose source did not change keeps its stored outputs;
2. writes ``notebooks/solutions/NN_<name>_solutions.ipynb`` (a title cell with its launch badges, the
   same set-up block as the chapter, then the exercises with their solutions and asserted checkers);
3. writes the line "**Prerequisites** … · **Time to read** … · **Time to run** …" into the first cell,
   between ``<!-- prereq -->`` and ``<!-- /prereq -->`` right after the badge block (time to run comes
   from ``metadata.ddpm_lessons.executed_in_s``, stored by ``make notebooks``);
4. sets ``metadata.slideshow.slide_type`` on every cell of the chapter notebooks (:mod:`tools.slides`).
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

from . import badges, nbio
from .slides import apply_slides

SOURCE_DIR = nbio.NOTEBOOK_DIR / "exercises"
TAG = nbio.EXERCISES_TAG
PREREQ_START, PREREQ_END = "<!-- prereq -->", "<!-- /prereq -->"
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
    """Solutions version of a check cell: every ``ex.check_*`` result is asserted."""
    if "# no-assert" in src:
        return src
    out = []
    for line in src.splitlines():
        m = re.match(r"^(\s*)(\w+) = (ex\.check_\w+\(.*\))\s*$", line)
        if m:
            out += [line, f'{m.group(1)}assert {m.group(2)}, "the worked solution must pass its checker"']
        elif re.match(r"^\s*ex\.check_\w+\(", line):
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
    prereq = nbio.block_pattern(PREREQ_START, PREREQ_END)
    for cell in nb.cells:
        if TAG in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":
            text = prereq.sub(" ", cell.source)
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
    src = first_cell.source
    replaced = nbio.replace_block(src, PREREQ_START, PREREQ_END, block)
    if replaced is not None:
        first_cell.source = replaced
    elif nbio.BADGE_END in src:
        first_cell.source = src.replace(nbio.BADGE_END, f"{nbio.BADGE_END}\n\n{block}", 1)
    else:
        first_cell.source = src.rstrip("\n") + f"\n\n{block}"


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


def solutions_notebook(chapter_nb, meta, cells, number: str, old=None, path: Path | None = None):
    """The solutions notebook of one chapter notebook (``old``: the stored one, for its outputs), with
    the launch badges of ``path`` and the chapter's set-up block (written by :mod:`tools.badges`)."""
    import nbformat

    title = chapter_nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
    name = meta["notebook"]
    path = path or solution_path(nbio.NOTEBOOK_DIR / name)
    intro = (f"# {title} — worked solutions\n\n{nbio.BADGE_START}\n{nbio.BADGE_END}\n\n"
             f"The exercises of [`{name}`](../{name}) with their solutions filled in; every checker is run and "
             f"asserted, so this notebook is also the test of the exercises. Try the exercises in the chapter "
             f"notebook first.\n\n"
             f"*Generated by `python -m tools build` from `notebooks/exercises/{number}_*.md` — "
             f"edit that file, not this notebook.*")
    setup = (f"{badges.SETUP_START}\n{badges.SETUP_END}\n\n"
             "import ddpm_lessons as dl\n"
             'print(f"device: {dl.device_name(dl.default_device())}")')  # no test machinery in what readers see
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(nbio.KERNELSPEC), "language_info": {"name": "python"}}
    if old is not None:  # keep what an execution stored (language_info); it does not change the content
        nb.metadata.update(copy.deepcopy({k: v for k, v in old.metadata.items() if k == "language_info"}))
    head = [_new_cell("markdown", intro, f"sol{number}-title", []), _new_cell("code", setup, f"sol{number}-setup", [])]
    nb.cells = head + solution_cells(number, cells)
    badges.apply_badges(nb, badges.repo_path(path))
    nb.cells = _keep_outputs(nb.cells, old.cells if old is not None else [])
    return nb


def solution_path(chapter: Path) -> Path:
    return nbio.SOLUTION_DIR / f"{Path(chapter).stem}_solutions.ipynb"


def generate(path: Path, srcs=None):
    """(chapter notebook after build, solutions notebook after build) for one chapter, in memory."""
    srcs = sources() if srcs is None else srcs
    if path.name not in srcs:
        raise SourceError(f"no exercises source names {path.name} (notebooks/exercises/*.md, 'notebook:' line)")
    _, meta, cells = srcs[path.name]
    number = path.name[:2]
    chapter = apply(nbio.read(path), meta, cells, number)
    sol_path = solution_path(path)
    old = nbio.read(sol_path) if sol_path.exists() else None
    return chapter, solutions_notebook(chapter, meta, cells, number, old, sol_path)


def _stale(nb, path: Path) -> bool:
    """Whether writing ``nb`` would change the file at ``path``."""
    return not path.exists() or path.read_text(encoding="utf-8") != nbio.text(nb, path)


def problems() -> list[str]:
    """What is out of step with the sources (empty when ``build`` would change nothing)."""
    out, srcs = [], sources()
    for path in nbio.chapter_paths():
        chapter, sol = generate(path, srcs)
        if _stale(chapter, path):
            out.append(f"{path.name}: exercises, prerequisites line or slide metadata out of date")
        sp = solution_path(path)
        if _stale(sol, sp):
            out.append(f"{sp.relative_to(nbio.ROOT)}: out of date")
    return out


def build() -> list[str]:
    """Apply the sources to every chapter notebook and write the solutions; returns the files changed."""
    changed, srcs = [], sources()
    nbio.SOLUTION_DIR.mkdir(exist_ok=True)
    for path in nbio.chapter_paths():
        chapter, sol = generate(path, srcs)
        for nb, target in ((chapter, path), (sol, solution_path(path))):
            if nbio.write(nb, target):
                changed.append(str(target.relative_to(nbio.ROOT)))
    return changed


def run_solutions(paths=None, timeout: int = 600) -> None:
    """Execute the solution notebooks in place (test-mode sizes do not apply: they are small)."""
    for path in paths or nbio.solution_paths():
        nb = nbio.read(path)
        nbio.run(nb, path, timeout)
        nbio.write(nb, path)
        print(f"{path}: executed", flush=True)
