"""The committed notebook files: the chapter's structure, the text pairs, and the form they are stored
in — opening a notebook in JupyterLab (with jupytext's pairing) and saving it changes no file."""
import copy
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.combine import combine_inputs_with_outputs
from jupytext.config import load_jupytext_config
from jupytext.formats import long_form_multiple_formats
from jupytext.jupytext import drop_text_representation_metadata
from jupytext.paired_paths import paired_paths

from tools import badges, nbio, pairs

CHAPTERS = nbio.chapter_paths()
ALL = CHAPTERS + nbio.solution_paths()


def test_seven_notebooks_in_reading_order():
    names = [p.name[:2] for p in CHAPTERS]
    assert names == ["01", "02", "03", "04", "05", "06", "07"], [p.name for p in CHAPTERS]


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_notebook_structure(path):
    nb = nbio.read(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "Learning objectives" in first.source or "learning objectives" in first.source
    assert nb.cells[1].cell_type == "code" and nb.cells[1].source.startswith(badges.SETUP_START)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert len(re.findall(r"^\s*assert ", code, re.M)) >= 3, "every claim needs an assert (>= 3 per notebook)"
    assert ".cuda()" not in code
    # committed with the outputs of a run: at least one figure
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, "notebook has no stored figure outputs (run: make notebooks)"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_notebook_text_pair_is_in_sync(path):
    assert pairs.pair_problems(path) == []


def _jupyterlab_open_and_save(path: Path):
    """(ipynb text, {pair path: text}) that JupyterLab 4 with jupytext writes when a reader opens
    ``path`` and saves it unchanged, done with jupytext's own functions in the order its contents
    manager calls them, and with what JupyterLab itself changes in the notebook model."""
    config = load_jupytext_config(str(path.parent))
    formats = long_form_multiple_formats(config.default_formats(str(path)) or "ipynb")
    nb = nbformat.read(str(path), as_version=4)
    others = [(Path(p), fmt) for p, fmt in paired_paths(str(path), "ipynb", formats) if Path(p) != path]
    if others:  # contents manager get(): the pairing's default options, then the text file's inputs
        options = nb.metadata.get("jupytext", {})
        config.set_default_format_options(options, read=True)
        if options:
            nb.metadata["jupytext"] = options
        for pair, fmt in others:
            inputs = jupytext.reads(pair.read_text(encoding="utf-8"), fmt=fmt, config=config)
            nb = combine_inputs_with_outputs(inputs, nb, fmt=fmt)
    # JupyterLab: the kernel's spec as ipykernel installs it; NotebookModel.fromJSON keeps the stored
    # minor version unless it is below its own (nbformat.MINOR_VERSION, the same as Python nbformat's);
    # widget state is saved only when the widget manager's saveState setting is on (off by default).
    from ipykernel.kernelspec import get_kernel_dict

    spec = get_kernel_dict()
    nb.metadata["kernelspec"] = {"display_name": spec["display_name"], "language": spec["language"], "name": "python3"}
    nb.nbformat_minor = max(nb.nbformat_minor, nbformat.current_nbformat_minor)
    nb.metadata.pop("widgets", None)
    # OutputAreaModel.fromJSON adds the outputs one by one and joins a stream output to the one
    # before it when both are streams of the same name (stdout after stdout)
    for cell in nb.cells:
        outs = []
        for out in cell.get("outputs", []):
            if outs and out.get("output_type") == "stream" == outs[-1].get("output_type") and out.get("name") == outs[-1].get("name"):
                outs[-1]["text"] = "".join(outs[-1]["text"]) + "".join(out["text"])
            else:
                outs.append(out)
        if "outputs" in cell:
            cell.outputs = outs
    # contents manager save(): the ipynb without text_representation (jupyter_server writes it with
    # nbformat.write, which ends the file with a newline), then each pair from that same model
    saved = drop_text_representation_metadata(copy.deepcopy(nb))
    ipynb = nbformat.writes(nbformat.from_dict(saved), version=nbformat.NO_CONVERT) + "\n"
    texts = {pair: jupytext.writes(nbformat.from_dict(saved), fmt=fmt, config=config) for pair, fmt in others}
    return ipynb, texts


@pytest.mark.parametrize("path", ALL, ids=[badges.repo_path(p) for p in ALL])
def test_opening_and_saving_in_jupyterlab_changes_no_file(path):
    ipynb, texts = _jupyterlab_open_and_save(path)
    assert ipynb == path.read_text(encoding="utf-8"), "the notebook is not stored as JupyterLab saves it (run: make pair)"
    for pair, text in texts.items():
        assert text == pair.read_text(encoding="utf-8"), f"saving would rewrite {pair.name} (run: make pair)"
    assert bool(texts) == (path.parent == nbio.NOTEBOOK_DIR), "chapter notebooks are paired, solutions are not"


def test_the_round_trip_sees_what_jupyterlab_changes(tmp_path):
    """The check above fails on a notebook stored the way it used to be (display name "Python 3",
    no jupytext metadata, saved widget state, one cell's printout split over two stdout outputs)."""
    nb = nbio.read(CHAPTERS[0])
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="b\n")]
    nb.metadata["kernelspec"]["display_name"] = "Python 3"
    nb.metadata.pop("jupytext")
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    folder = tmp_path / "notebooks"
    (folder / "py").mkdir(parents=True)
    (folder / "jupytext.toml").write_text((nbio.NOTEBOOK_DIR / "jupytext.toml").read_text())
    path = folder / CHAPTERS[0].name
    nbformat.write(nb, str(path))
    pairs.pair_path(path).write_text(pairs.paired_text(nb, path))
    before = path.read_text()
    ipynb, _ = _jupyterlab_open_and_save(path)
    assert ipynb != before
    nbio.write(nbio.read(path), path)  # what every tool that writes a notebook does
    assert _jupyterlab_open_and_save(path)[0] == path.read_text() != before
    outs = next(c for c in nbio.read(path).cells if c.cell_type == "code").outputs
    assert len(outs) == 1 and outs[0].text == "a\nb\n"


@pytest.mark.parametrize("path", ALL, ids=[p.name for p in ALL])
def test_what_readers_see_carries_no_test_machinery(path):
    """nbval's markers are cell tags, not comments in the code readers copy; no cell reports test mode."""
    nb = nbio.read(path)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert "# NBVAL" not in cell.source, f"{path.name}: an nbval marker comment (use the cell tag)"
        assert "test mode" not in cell.source, f"{path.name}: a cell speaks of test mode"
        for tag in cell.metadata.get("tags", []):
            assert not tag.startswith("nbval") or tag in {"nbval-ignore-output", "nbval-check-output", "nbval-skip",
                                                          "nbval-raises-exception"}, tag


@pytest.mark.parametrize("path", ALL, ids=[p.name for p in ALL])
def test_no_stored_output_is_a_widget_view(path):
    """Widget state is not stored, so a stored widget view could show only its text fallback: a
    progress bar frozen at "0%|", or an "Error displaying widget" box. Readers get static outputs."""
    for i, cell in enumerate(nbio.read(path).cells):
        for out in cell.get("outputs", []):
            assert nbio.WIDGET_VIEW not in out.get("data", {}), f"{path.name} cell {i}: a stored widget view"


def test_writing_a_notebook_drops_a_stored_progress_bar(tmp_path):
    bar = nbformat.v4.new_output("display_data", data={
        nbio.WIDGET_VIEW: {"model_id": "x", "version_major": 2, "version_minor": 0},
        "text/plain": "ancestral[beta]:   0%|          | 0/250 [00:00<?, ?it/s]"})
    other = nbformat.v4.new_output("display_data", data={"text/plain": "50%| of the pixels | 3/6 agree"})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[bar, other])])
    path = tmp_path / "n.ipynb"
    nbio.write(nb, path)
    assert [o.data["text/plain"] for o in nbio.read(path).cells[0].outputs] == ["50%| of the pixels | 3/6 agree"]
