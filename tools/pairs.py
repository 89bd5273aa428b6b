"""The jupytext text pair of each chapter notebook: ``notebooks/py/<name>.py`` in ``py:percent``
(configured in ``notebooks/jupytext.toml``), so that reviews can read diffs of code and prose.
The ``.ipynb`` is the source; ``python -m tools pair`` writes the pairs.
"""
from __future__ import annotations

from pathlib import Path

from . import nbio

PAIR_DIR = "py"            # notebooks/py/<name>.py, see notebooks/jupytext.toml
PAIR_FORMAT = "py:percent"


def pair_path(path: Path) -> Path:
    """Where a notebook's py:percent pair lives: notebooks/py/<name>.py."""
    return Path(path).parent / PAIR_DIR / (Path(path).stem + ".py")


def paired_text(nb, path: Path) -> str:
    """The py:percent text of a notebook, with the jupytext configuration that governs ``path``."""
    import jupytext
    from jupytext.config import load_jupytext_config

    config = load_jupytext_config(str(Path(path).resolve().parent))
    return jupytext.writes(nb, fmt=PAIR_FORMAT, config=config)


def write_pair(path: Path) -> Path:
    """Write one notebook's pair, storing the notebook itself in canonical form too."""
    nb = nbio.read(path)
    nbio.write(nb, path)
    target = pair_path(path)
    target.parent.mkdir(exist_ok=True)
    target.write_text(paired_text(nb, path), encoding="utf-8")
    return target


def pair_problems(path: Path) -> list[str]:
    """The py:percent text pair is missing or differs from what the notebook produces now."""
    pair = pair_path(path)
    if pair.exists() and pair.read_text(encoding="utf-8") == paired_text(nbio.read(path), path):
        return []
    return [f"text pair {pair.relative_to(Path(path).parent.parent)} is missing or out of sync (run: make pair)"]
