"""reveal.js decks of the chapter notebooks that work with no network.

    python -m tools.slides_offline OUTDIR NOTEBOOK...   # OUTDIR/<stem>.slides.html + OUTDIR/lib/

nbconvert's SlidesExporter loads reveal.js, MathJax, jQuery and require.js from CDNs. Here the
same libraries, at the versions its reveal template is written for (reveal.js 4.0.2; MathJax 2,
whose ``MathJax.Hub`` API the template calls), are fetched once from the npm registry into a cache
(``build/vendor/slides``, like pip's set-up step: the only network use) and copied into the deck
folder's ``lib/``. The decks reference them by relative paths, so a folder of decks can be copied
to a lecture-hall laptop and opened from disk. The template ``tools/slides_template/offline``
drops the template's mermaid import (a CDN module; the chapter has no diagrams) and lets a slide
taller than the reveal.js slide scroll inside it instead of being cut off.
"""
from __future__ import annotations

import argparse
import base64
import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from tools.book import REMOTE_IMAGE, Linker, badge_svg, repository_url

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = Path(__file__).resolve().parent / "slides_template"
CACHE = ROOT / "build" / "vendor" / "slides"
# npm name -> version. reveal.js 4.0.2 is the version nbconvert's reveal template names.
PACKAGES = {"reveal.js": "4.0.2", "mathjax": "2.7.9", "jquery": "3.5.1", "requirejs": "2.3.7"}
# What each package contributes to lib/ (paths inside node_modules/<package>/).
FILES = {
    "reveal.js": ["dist/reveal.js", "dist/reveal.css", "dist/theme", "plugin/notes/notes.js",
                  "LICENSE"],
    "mathjax": ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions",
                "jax/input/TeX", "jax/output/CommonHTML", "jax/element", "fonts/HTML-CSS/TeX/woff",
                "LICENSE"],
    "jquery": ["dist/jquery.min.js", "LICENSE.txt"],
    "requirejs": ["require.js"],
}
URLS = {  # SlidesExporter traits -> paths relative to the deck
    "reveal_url_prefix": "lib/reveal.js",
    "mathjax_url": "lib/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "jquery_url": "lib/jquery/dist/jquery.min.js",
    "require_js_url": "lib/requirejs/require.js",
    "font_awesome_url": "",
    "reveal_theme": "white",  # its font ships with reveal.js; "simple" imports Google Fonts
    "jupyter_widgets_base_url": "lib/no-widgets/",
}


def _installed(cache: Path, name: str) -> str | None:
    meta = cache / "node_modules" / name / "package.json"
    return json.loads(meta.read_text()).get("version") if meta.exists() else None


def fetch(cache: Path = CACHE) -> Path:
    """Install the pinned npm packages into ``cache`` unless they are there; returns node_modules."""
    missing = [f"{n}@{v}" for n, v in PACKAGES.items() if _installed(cache, n) != v]
    if missing:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"npm is needed once to fetch {', '.join(missing)} into {cache} "
                               "(install Node.js, or copy a filled cache there)")
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund",
                        "--no-save", "--silent", *missing], check=True)
    return cache / "node_modules"


def vendor(outdir: Path, cache: Path = CACHE) -> Path:
    """Copy the libraries' needed files into ``outdir/lib`` (a few MB); returns that folder."""
    modules = fetch(cache)
    lib = Path(outdir) / "lib"
    for name, paths in FILES.items():
        for rel in paths:
            src, dst = modules / name / rel, lib / name / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)
    return lib


def local_badges(text: str) -> str:
    """Remote badge images ``![alt](https://…)`` -> inline SVGs with the same text (links kept)."""
    def inline(m: re.Match) -> str:
        svg = base64.b64encode(badge_svg(m[1] or "launch").encode()).decode()
        return f"![{m[1]}](data:image/svg+xml;base64,{svg})"
    return REMOTE_IMAGE.sub(inline, text)


def deck_html(nb, source: Path | None = None) -> str:
    """One offline deck as HTML, in memory; its libraries are expected under ``lib/`` beside it.

    With ``source`` (the notebook's path), links to other files of the repository (a solutions
    notebook, say) point at the forge, since the deck folder holds only the decks."""
    from nbconvert import SlidesExporter

    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)  # widget state would load a widget manager; PNGs are stored
    linker = Linker(ROOT.resolve(), {}, repository_url(ROOT)) if source is not None else None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = local_badges(cell.source)
            if linker is not None:
                cell.source = linker.markdown(cell.source, Path(source).resolve(), "deck.html")
    exporter = SlidesExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                              **URLS)
    html, _ = exporter.from_notebook_node(nb)
    return html


def build_deck(notebook: Path, outdir: Path) -> Path:
    """Write ``outdir/<stem>.slides.html`` for ``notebook`` (call :func:`vendor` for ``lib/``)."""
    notebook, outdir = Path(notebook), Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    deck = outdir / f"{notebook.stem}.slides.html"
    deck.write_text(deck_html(nbformat.read(str(notebook), as_version=4), notebook), encoding="utf-8")
    return deck


def build(notebooks, outdir: Path, cache: Path = CACHE) -> list[Path]:
    """The offline decks of ``notebooks`` and their ``lib/`` in ``outdir``."""
    vendor(outdir, cache)
    return [build_deck(p, outdir) for p in notebooks]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir")
    parser.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    for deck in build(args.notebooks, Path(args.outdir)):
        print(deck)
    return 0


if __name__ == "__main__":
    sys.exit(main())
