"""The one notebook I/O layer of the build tools: where things are, reading and writing notebooks in
the form JupyterLab + jupytext would save them, marked blocks inside cell sources, and running a
notebook with nbclient.

Every tool writes notebooks through :func:`write`, so ``execute``, ``badges``, ``pair`` and the
teaching build all store the *canonical* form (:func:`canonical`): what JupyterLab 4 with jupytext
(``notebooks/jupytext.toml``) writes when a reader saves a notebook they did not change. Opening a
committed notebook therefore marks nothing unsaved, and saving it changes no file.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
SOLUTION_DIR = NOTEBOOK_DIR / "solutions"
BADGE_START, BADGE_END = "<!-- badges -->", "<!-- /badges -->"
# The tag of the cells that the teaching build generates (takeaways, exercises, their checks).
EXERCISES_TAG = "exercises"
# What ipykernel's kernel.json names its kernel; JupyterLab copies it into the notebook on open.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# JupyterLab 4's NotebookModel.fromJSON starts from nbformat.MINOR_VERSION (5) and keeps a higher
# stored minor version: a 4.0-4.4 notebook is saved as 4.5.
NBFORMAT_MINOR = 5


def chapter_paths() -> list[Path]:
    """The chapter notebooks, in reading order (07, beyond the chapter, included)."""
    return sorted(NOTEBOOK_DIR.glob("0*.ipynb"))


def solution_paths() -> list[Path]:
    return sorted(SOLUTION_DIR.glob("*.ipynb"))


def block_pattern(start: str, end: str) -> re.Pattern:
    """A ``start … end`` block inside a cell's source (markers included, shortest match)."""
    return re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)


def find_block(source: str, start: str, end: str) -> str | None:
    """The ``start … end`` block found in ``source`` (markers included), or None."""
    match = block_pattern(start, end).search(source)
    return match.group(0) if match else None


def replace_block(source: str, start: str, end: str, block: str) -> str | None:
    """``source`` with its ``start … end`` block replaced by ``block``; None if it has no such block."""
    pattern = block_pattern(start, end)
    return pattern.sub(lambda _: block, source, count=1) if pattern.search(source) else None


# --- the canonical form ----------------------------------------------------------------------------

def jupytext_metadata(path: Path) -> dict:
    """The notebook-level ``jupytext`` metadata that jupytext's contents manager adds when it loads a
    *paired* notebook (and so writes on save), from the jupytext configuration that governs ``path``;
    ``{}`` for a notebook that configuration does not pair."""
    from jupytext.config import load_jupytext_config
    from jupytext.formats import long_form_multiple_formats

    path = Path(path).resolve()
    config = load_jupytext_config(str(path.parent))
    formats = config.default_formats(str(path)) if config else None
    if not formats or len(long_form_multiple_formats(formats)) < 2:
        return {}
    options: dict = {}
    config.set_default_format_options(options, read=True)  # what the contents manager's get() does
    return options


def canonical(nb, path: Path):
    """``nb`` (modified and returned) as JupyterLab 4 + jupytext save it: ipykernel's kernelspec, the
    pairing's jupytext metadata, nbformat 4.5, no saved widget state (``metadata.widgets`` would
    make a slide deck or a viewer fetch a widget manager from the web), no progress bars (without
    widget state a stored bar shows only its first frame, "0%|"), and consecutive stream outputs of
    one name merged into one (JupyterLab's output area model merges them on load)."""
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        if cell.get("outputs"):
            cell.outputs = merge_streams([o for o in cell.outputs if not is_progress_bar(o)])
    nb.metadata.pop("widgets", None)
    options = {k: v for k, v in nb.metadata.get("jupytext", {}).items() if k != "text_representation"}
    for key, value in jupytext_metadata(path).items():
        options.setdefault(key, value)  # jupytext keeps a notebook's own options
    if options:
        nb.metadata["jupytext"] = options
    else:
        nb.metadata.pop("jupytext", None)
    nb.nbformat_minor = max(nb.get("nbformat_minor", 0), NBFORMAT_MINOR)
    return nb


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_BAR = re.compile(r"\d+%\|.*\|\s*\d+/\d+")  # tqdm's text: "name:  0%|          | 0/250 [00:00<?, ?it/s]"


def is_progress_bar(output) -> bool:
    """A tqdm notebook bar as stored: a widget view whose text fallback is a tqdm line."""
    data = output.get("data", {})
    return WIDGET_VIEW in data and bool(_BAR.search("".join(data.get("text/plain", ""))))


def merge_streams(outputs: list) -> list:
    """``outputs`` with each run of consecutive stream outputs of the same name joined into one."""
    merged = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None and prev.get("output_type") == "stream"
                and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(copy.deepcopy(out))
    return merged


def read(path: Path):
    """A notebook as stored (nbformat v4 node)."""
    import nbformat

    return nbformat.read(str(path), as_version=4)


def text(nb, path: Path) -> str:
    """The file text of ``nb`` in canonical form, exactly as :func:`write` stores it (``nb`` is untouched)."""
    import nbformat

    out = nbformat.writes(canonical(copy.deepcopy(nb), path), version=nbformat.NO_CONVERT)
    return out if out.endswith("\n") else out + "\n"


def write(nb, path: Path) -> bool:
    """Store ``nb`` at ``path`` in canonical form; returns whether the file changed."""
    path = Path(path)
    new = text(nb, path)
    if path.exists() and path.read_text(encoding="utf-8") == new:
        return False
    path.write_text(new, encoding="utf-8")
    return True


# --- running -----------------------------------------------------------------------------------------

def run(nb, path: Path, timeout: int) -> None:
    """Execute ``nb`` in place in a ``python3`` kernel started in ``path``'s folder. Widget state is
    not stored (readers get the widgets' static figures; see :func:`canonical`)."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
