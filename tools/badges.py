"""Launch badges (Colab, Kaggle, Binder) in each notebook's first cell and the canonical set-up block
at the top of its setup cell (cell 1), for the chapter and the solutions notebooks alike.

The repository's public URL lives in one place, ``[project.urls] Repository`` in pyproject.toml.
The badges sit between ``<!-- badges -->`` and ``<!-- /badges -->``; the set-up block between
``SETUP_START`` and ``SETUP_END``, written from ``SETUP`` below (``python -m tools badges``).
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from . import nbio

SETUP_START, SETUP_END = "# --- colab/kaggle setup (written by make badges) ---", "# --- end colab/kaggle setup ---"
BADGE_IMAGES = {"colab": "https://colab.research.google.com/assets/colab-badge.svg",
                "kaggle": "https://kaggle.com/static/images/open-in-kaggle.svg",
                "binder": "https://mybinder.org/badge_logo.svg"}
# Where each hosted platform gets its clone (its writable working folder).
HOSTED_DIRS = {"colab": "/content/ddpm-lessons", "kaggle": "/kaggle/working/ddpm-lessons"}

# The hosted part of every notebook's setup cell. Plain Python (no ``!``/``%`` magics) so that the
# test of the Colab launch path can run exactly this text outside IPython. Rules it keeps:
# - which host: Colab has ``google.colab`` imported in its kernel; Kaggle sets KAGGLE_KERNEL_RUN_TYPE
#   (the variable Kaggle's own kagglehub reads, src/kagglehub/env.py); anywhere else it does nothing;
# - idempotent: clones once, installs once; re-running the cell (or a restart) is harmless;
# - installs only what the host lacks: the package itself with --no-deps (never its torch,
#   ipywidgets, notebook, ipykernel or IPython), plus a runtime requirement only if it is missing;
# - sys.path step: an editable install is importable in a running kernel only after a restart;
# - Colab renders ipywidgets 7 natively; its custom widget manager is needed for ipywidgets >= 8.
SETUP = '''\
{start}
# On Colab or Kaggle: fetch the chapter's package and data once, install only what the platform
# lacks (never its torch, ipywidgets or Jupyter), and make the package importable without a restart.
# Safe to re-run. On Kaggle, first switch on "Internet" in the notebook's settings (the clone needs it).
import os
import sys

REPO_URL = "{url}"
HOSTED_DIRS = {{"colab": "{colab}", "kaggle": "{kaggle}"}}
HOST = "colab" if "google.colab" in sys.modules else "kaggle" if "KAGGLE_KERNEL_RUN_TYPE" in os.environ else None
if HOST:
    import importlib.metadata, importlib.util, subprocess

    def _hosted_run(*command):  # show the command's own message in the notebook if it fails
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            hint = "\\nOn Kaggle, switch on Internet in the notebook's settings." if HOST == "kaggle" else ""
            raise RuntimeError(f"{{' '.join(command)}} failed:\\n{{result.stdout}}{{result.stderr}}{{hint}}")

    REPO_DIR = HOSTED_DIRS[HOST]
    if not os.path.isdir(REPO_DIR):
        _hosted_run("git", "clone", "-q", "--depth", "1", REPO_URL, REPO_DIR)
    try:
        importlib.metadata.version("ddpm-lessons")
    except importlib.metadata.PackageNotFoundError:
        _hosted_run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", REPO_DIR)
        missing = [m for m in ("torch", "numpy", "matplotlib", "tqdm", "ipywidgets")
                   if importlib.util.find_spec(m) is None]
        if missing:  # Colab ships all five; elsewhere, install what is absent
            _hosted_run(sys.executable, "-m", "pip", "install", "-q", *missing)
    if REPO_DIR not in sys.path:
        sys.path.insert(0, REPO_DIR)
    if HOST == "colab":
        import ipywidgets
        if int(ipywidgets.__version__.split(".")[0]) >= 8:
            from google.colab import output
            output.enable_custom_widget_manager()
{end}'''


def repo_url(pyproject: Path = nbio.ROOT / "pyproject.toml") -> str:
    """The repository URL from pyproject.toml (``Repository = "https://github.com/OWNER/NAME"``)."""
    match = re.search(r'^Repository\s*=\s*"(https://github\.com/[^"]+?)/?"', pyproject.read_text(), re.M)
    if not match:
        raise ValueError(f"{pyproject} has no [project.urls] Repository = \"https://github.com/OWNER/NAME\"")
    return match.group(1)


def repo_path(path: Path) -> str:
    """A notebook's path inside the repository, as the launch URLs name it (``notebooks/01_recap.ipynb``)."""
    path = Path(path)
    return (path.resolve().relative_to(nbio.ROOT) if path.is_absolute() or path.exists() else path).as_posix()


def launch_urls(path: str, url: str | None = None) -> dict:
    """{platform: URL that opens the notebook at ``path`` (relative to the repository root), main branch}."""
    url = url or repo_url()
    slug = url.removeprefix("https://github.com/")
    return {"colab": f"https://colab.research.google.com/github/{slug}/blob/main/{path}",
            # Kaggle imports a public notebook from its GitHub page: kaggle.com/kernels/welcome?src=<page>
            "kaggle": f"https://kaggle.com/kernels/welcome?src={url}/blob/main/{path}",
            "binder": f"https://mybinder.org/v2/gh/{slug}/HEAD?labpath={quote(path, safe='')}"}


def badges(path: str, url: str | None = None) -> str:
    """Markdown for the "Open in Colab", "Open in Kaggle" and Binder badges of one notebook."""
    urls = launch_urls(path, url)
    labels = {"colab": "Open In Colab", "kaggle": "Open In Kaggle", "binder": "Binder"}
    line = " ".join(f"[![{labels[k]}]({BADGE_IMAGES[k]})]({urls[k]})" for k in ("colab", "kaggle", "binder"))
    return f"{nbio.BADGE_START}\n{line}\n{nbio.BADGE_END}"


def setup_block(url: str | None = None) -> str:
    """The canonical hosted set-up block of every notebook's setup cell (markers included)."""
    return SETUP.format(start=SETUP_START, end=SETUP_END, url=url or repo_url(), **HOSTED_DIRS)


def find_setup_block(source: str) -> str | None:
    """The set-up block found in a cell's source (markers included), or None."""
    return nbio.find_block(source, SETUP_START, SETUP_END)


def apply_badges(nb, path: str, url: str | None = None):
    """Rewrite the badge block of the first cell and the set-up block at the top of the setup cell."""
    url = url or repo_url()
    first = nb.cells[0]
    source = nbio.replace_block(first.source, nbio.BADGE_START, nbio.BADGE_END, badges(path, url))
    if source is None:
        raise ValueError(f"{path}: first cell has no {nbio.BADGE_START} ... {nbio.BADGE_END} block")
    first.source = source
    setup = nb.cells[1]
    if setup.cell_type != "code":
        raise ValueError(f"{path}: cell 1 must be the setup code cell")
    source = nbio.replace_block(setup.source, SETUP_START, SETUP_END, setup_block(url))
    if source is None:
        raise ValueError(f"{path}: setup cell has no {SETUP_START!r} ... {SETUP_END!r} block")
    setup.source = source
    return nb


def launch_problems(path: Path, url: str | None = None) -> list[str]:
    """Badges and the set-up block, compared with what ``make badges`` writes."""
    nb, rel = nbio.read(path), repo_path(path)
    try:
        expected = apply_badges(nbio.read(path), rel, url)
    except ValueError as err:
        return [f"{str(err).removeprefix(rel + ': ')} (run: make badges)"]
    if [c.source for c in expected.cells] != [c.source for c in nb.cells]:
        return ["badges or set-up block disagree with tools/badges.py / pyproject.toml (run: make badges)"]
    return []


def write_badges(path: Path) -> bool:
    """Rewrite one notebook's badges and set-up block in place; returns whether the file changed."""
    return nbio.write(apply_badges(nbio.read(path), repo_path(path)), path)
