"""The teaching material: exercises, takeaways, prerequisites line and slide metadata are in the
notebooks and in step with their sources; student versions run with the stubs unfilled; slides build."""
import contextlib
import copy
import io
import re
from pathlib import Path

import nbformat
import pytest

from tools import nbio, slides, teaching, timings

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = teaching.chapter_paths()
IDS = [p.name for p in CHAPTERS]
SOURCES = teaching.sources()


def test_every_chapter_notebook_has_a_source():
    assert sorted(SOURCES) == [p.name for p in CHAPTERS]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_source_has_takeaways_and_three_to_five_mixed_exercises(name):
    _, meta, cells = SOURCES[name]
    kinds = teaching.exercise_kinds(cells)
    assert 3 <= len(kinds) <= 5, kinds
    assert [n for n, _ in kinds] == list(range(1, len(kinds) + 1)), "exercises are numbered 1, 2, 3, ..."
    assert all(k in teaching.KINDS for _, k in kinds), kinds
    assert len({k for _, k in kinds}) >= 3, "mix the kinds of exercise"
    assert "code it yourself" in {k for _, k in kinds}, "at least one code exercise with a checker"
    takeaways = [s for k, r, s in cells if k == "markdown" and s.startswith("## Key takeaways")]
    assert len(takeaways) == 1
    assert 3 <= len(re.findall(r"^> - ", takeaways[0], re.M)) <= 5
    order = [s.split("\n")[0] for k, r, s in cells if k == "markdown" and s.startswith("## ")]
    assert order == ["## Key takeaways", "## Exercises"], "takeaways come before the exercises"
    stubs = [s for k, r, s in cells if k == "code" and r == "student"]
    assert any("your_turn(" in s for s in stubs)
    number = SOURCES[name][1]["notebook"][:2]
    assert any(f"dl.exercises.nb{number}.check_" in s for k, r, s in cells if r == "check")
    assert not any(re.search(r"^\s*(import|from) ", s, re.M) for k, r, s in cells if k == "code"), \
        "exercise cells use the notebook's own imports (dl, torch): no second import block"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_notebook_is_in_step_with_the_generator(path):
    """Running the generator in memory changes no file (run: python -m tools build)."""
    chapter, solutions = teaching.generate(path)
    assert nbio.text(chapter, path) == path.read_text(encoding="utf-8"), "out of date: python -m tools build"
    sol = teaching.solution_path(path)
    assert sol.exists() and nbio.text(solutions, sol) == sol.read_text(encoding="utf-8"), \
        f"{sol.name} out of date: python -m tools build"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_notebook_has_exercises_takeaways_prereq_line_and_slides(path):
    nb = nbio.read(path)
    tagged = [c for c in nb.cells if teaching.TAG in c.metadata.get("tags", [])]
    assert tagged and nb.cells[-len(tagged):] == tagged, "the exercises section is the notebook's last cells"
    headings = [c.source for c in tagged if c.cell_type == "markdown" and c.source.startswith("### Exercise ")]
    assert 3 <= len(headings) <= 5
    assert any(c.source.startswith("## Key takeaways") for c in tagged)
    first = nb.cells[0].source
    block = re.search(re.escape(teaching.PREREQ_START) + r"\n(.*?)\n" + re.escape(teaching.PREREQ_END), first, re.S)
    assert block, "first cell has no prerequisites line"
    assert re.search(r"\*\*Prerequisites\*\* .+ · \*\*Time to read\*\* ~\d+ min · \*\*Time to run\*\* ", block.group(1))
    assert nb.cells[1].cell_type == "code", "cell 1 stays the setup cell"
    types = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert all(t in {"slide", "subslide", "fragment", "skip", "-"} for t in types), types
    assert types[0] == "slide" and types[1] == "skip"
    assert types.count("slide") >= 3


def test_slide_rules():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    assert slides.slide_type(md("## 1 · A section"), 5) == "slide"
    assert slides.slide_type(md("### A subsection"), 5) == "subslide"
    assert slides.slide_type(md("Prose."), 5) == "-"
    assert slides.slide_type(code("x = 1\nassert x == 1"), 5) == "fragment"
    assert slides.slide_type(code("import torch\ndef f():\n    return 1"), 5) == "skip"
    assert slides.slide_type(code("!pip install x\nimport torch"), 5) == "skip"
    assert slides.slide_type(code("plot(x)"), 5) == "-"
    assert slides.slide_type(code("anything"), 1) == "skip"


def test_build_touches_only_its_own_cells_and_is_idempotent():
    path = CHAPTERS[0]
    original = nbio.read(path)
    _, meta, cells = SOURCES[path.name]
    stripped = copy.deepcopy(original)
    stripped.cells = [c for c in stripped.cells if teaching.TAG not in c.metadata.get("tags", [])]
    once = teaching.apply(copy.deepcopy(stripped), meta, cells, "01")
    twice = teaching.apply(copy.deepcopy(once), meta, cells, "01")
    assert nbformat.writes(once) == nbformat.writes(twice)
    own = [c for c in once.cells if teaching.TAG not in c.metadata.get("tags", [])]
    assert len(own) == len(stripped.cells)
    for before, after in zip(stripped.cells[1:], own[1:]):
        assert before.source == after.source and before.get("outputs") == after.get("outputs")
        rest = {k: v for k, v in after.metadata.items() if k != "slideshow"}
        assert rest == {k: v for k, v in before.metadata.items() if k != "slideshow"}
    strip = re.compile(r"\n*" + re.escape(teaching.PREREQ_START) + ".*?" + re.escape(teaching.PREREQ_END), re.S)
    assert strip.sub("", own[0].source) == strip.sub("", stripped.cells[0].source)


def test_solutions_assert_their_checkers():
    src = "x = 1\nok = dl.exercises.nb03.check_a(f)\nif ok:\n    dl.exercises.nb03.check_b(g)"
    out = teaching._assert_checks(src)
    assert "assert ok," in out and "    assert dl.exercises.nb03.check_b(g)," in out
    assert teaching._assert_checks("# no-assert\ndl.exercises.nb01.check_a(f)") == "# no-assert\ndl.exercises.nb01.check_a(f)"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_student_version_runs_with_every_stub_unfilled(name, monkeypatch):
    """The exercise cells of the chapter notebook run top to bottom with the stubs untouched."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    _, _, cells = SOURCES[name]
    import torch

    import ddpm_lessons

    namespace, out = {"torch": torch, "dl": ddpm_lessons}, io.StringIO()  # what the notebook's setup cell imports
    with contextlib.redirect_stdout(out):
        for kind, role, src in cells:
            if kind == "code" and role in ("both", "student", "check"):
                exec(compile(src, f"<{name} exercise cell>", "exec"), namespace)  # noqa: S102
    text = out.getvalue()
    n_checks = sum(1 for k, r, s in cells if r == "check" and "dl.exercises.nb" in s)
    assert text.count("not attempted yet") == n_checks, text
    assert "❌" not in text and "✅" not in text, text


def test_slides_build_a_deck_with_one_section_per_slide():
    path = next(p for p in CHAPTERS if p.name.startswith("06"))
    nb = nbio.read(path)
    html = slides.deck_html(nb)
    types = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    # reveal.js: each slide is a <section> around one <section> per subslide (the first included)
    assert html.count("<section") == 2 * types.count("slide") + types.count("subslide")
    assert html.count('class="fragment"') == types.count("fragment")
    assert "Key takeaways" in html and "Exercise 1" in html


def test_cell_timings_come_from_the_stored_execution_metadata():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00.000000Z",
                                  "shell.execute_reply": "2026-01-01T00:00:02.500000Z"}
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), cell]
    assert timings.cell_timings(nb) == [{"index": 1, "seconds": 2.5, "first_line": "x = 1"}]
    assert "| cell | seconds |" in timings.timings_markdown([CHAPTERS[0]])


def test_timing_table_cuts_long_first_lines_between_words(tmp_path):
    nb = nbformat.v4.new_notebook()
    line = "fork_levels = (999, 600, 500, 400, 300, 200, 100, 50) # fork at each of the following noise levels"
    cell = nbformat.v4.new_code_cell(line)
    cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00.000000Z",
                                  "shell.execute_reply": "2026-01-01T00:00:05.000000Z"}
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), cell]
    path = tmp_path / "00_x.ipynb"
    nbformat.write(nb, str(path))
    shown = re.search(r"`(.*)`", timings.timings_markdown([path])).group(1)
    assert shown.endswith(" …") and len(shown) <= 70
    assert line.startswith(shown.removesuffix(" …")) and line[len(shown) - 2] == " "  # cut at a space


def test_instructor_guide_covers_every_notebook():
    guide = timings.INSTRUCTOR_GUIDE.read_text()
    for path in CHAPTERS:
        assert f"## {path.name[:2]} ·" in guide, path.name
    assert timings.TIMINGS_START in guide and timings.TIMINGS_END in guide
    assert "GPU" in guide
