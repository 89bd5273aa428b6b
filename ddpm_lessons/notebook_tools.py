"""Maintenance of the chapter's notebooks: launch badges, and stored outputs that match the code.

    python -m ddpm_lessons.notebook_tools badges  notebooks/*.ipynb   # rewrite Colab/Binder badges
    python -m ddpm_lessons.notebook_tools execute notebooks/*.ipynb   # re-run at reader size, store outputs
    python -m ddpm_lessons.notebook_tools check   notebooks/*.ipynb   # fail if badges or outputs are stale

The repository's public URL lives in one place, ``[project.urls] Repository`` in pyproject.toml.
Each executed notebook stores the SHA-256 of its code cells in ``metadata.ddpm_lessons``; a test
fails when the code has changed since the outputs were produced.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
BADGE_START, BADGE_END = "<!-- badges -->", "<!-- /badges -->"
REPO_URL_LINE = re.compile(r'^REPO_URL = "[^"]*"', re.M)


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


def code_hash(nb) -> str:
    """SHA-256 of the notebook's code cells, in order (what its stored outputs were produced from)."""
    h = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            h.update(cell.source.encode())
            h.update(b"\0")
    return h.hexdigest()


def _read(path):
    import nbformat

    return nbformat.read(str(path), as_version=4)


def _write(nb, path):
    import nbformat

    nbformat.write(nb, str(path))


def apply_badges(nb, name: str, url: str | None = None):
    """Rewrite the badge block of the first cell and the setup cell's ``REPO_URL`` line."""
    url = url or repo_url()
    first = nb.cells[0]
    block = re.compile(re.escape(BADGE_START) + ".*?" + re.escape(BADGE_END), re.S)
    if not block.search(first.source):
        raise ValueError(f"{name}: first cell has no {BADGE_START} ... {BADGE_END} block")
    first.source = block.sub(lambda _: badges(name, url), first.source)
    for cell in nb.cells:
        if cell.cell_type == "code" and REPO_URL_LINE.search(cell.source):
            cell.source = REPO_URL_LINE.sub(f'REPO_URL = "{url}"', cell.source)
    return nb


def problems(path: Path, url: str | None = None) -> list[str]:
    """What is stale in one notebook: badges, clone URL, or outputs older than the code."""
    nb = _read(path)
    out = []
    expected = apply_badges(_read(path), path.name, url)
    if [c.source for c in expected.cells] != [c.source for c in nb.cells]:
        out.append("badges or REPO_URL disagree with pyproject.toml (run: make badges)")
    stored = nb.metadata.get("ddpm_lessons", {}).get("code_sha256")
    if stored != code_hash(nb):
        out.append("code changed since its outputs were produced (run: make notebooks)")
    return out


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
    nb.metadata["ddpm_lessons"] = {"code_sha256": code_hash(nb), "executed_in_s": round(seconds, 1)}
    _write(nb, path)
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["badges", "execute", "check"])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    failed = False
    for path in args.notebooks:
        if args.command == "badges":
            _write(apply_badges(_read(path), path.name), path)
            print(f"{path}: badges written")
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
