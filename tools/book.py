"""Build the chapter as a static HTML book from the notebooks' stored outputs (nothing is executed).

    python -m tools.book [OUTDIR]       # default build/book; open OUTDIR/index.html

The stack is Sphinx + myst-nb + sphinx-book-theme (the ``[book]`` extra), with MathJax 3 bundled by
the PyPI package ``sphinx-mathjax-offline``: the build and the pages need no network. The sources
are staged into ``OUTDIR/../book_src`` first, so the built pages sit flat and are named after their
notebooks (``01_recap.html``, ``solutions/01_recap_solutions.html``):

- README.md becomes the landing page (``index.html``), followed by the chapter notebooks
  (``notebooks/0*.ipynb``, in file-name order), their worked solutions and INSTRUCTOR.md;
- links between the sources (``.ipynb`` / ``.md``) are rewritten to the staged files, which MyST
  turns into links between the pages; links to other files of the repository point at the forge;
- the launch badges' remote images are replaced by small local SVGs with the same text and links;
  a solutions notebook gets the badges of its chapter notebook with the path changed;
- widget state is dropped from the notebooks (their static PNGs are shown instead), so no widget
  manager is loaded from a CDN.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import sys
import tomllib
from pathlib import Path, PurePosixPath

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TITLE = "Limitations of ancestral sampling"
BADGES_START, BADGES_END = "<!-- badges -->", "<!-- /badges -->"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
# Markdown inline links and images: [text](target) / ![alt](target); HTML href/src attributes.
MD_LINK = re.compile(r"(!?\[(?:[^\[\]]|\[[^\]]*\])*\])\(\s*<?([^)\s>]+)>?(\s+\"[^\"]*\")?\s*\)")
HTML_ATTR = re.compile(r"""(\b(?:href|src)=)(["'])([^"']+)\2""")
REMOTE_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*((?:https?:)?//[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
CODE_NAME = re.compile(r"(?<![\[\w/])`((?:notebooks/)?(?:solutions/)?[\w.-]+\.(?:ipynb|md))`(?!\])")


# --------------------------------------------------------------------------- what goes in the book
def pages(root: Path = ROOT) -> list[tuple[Path, str]]:
    """(source file, staged path) in reading order: README, chapter notebooks, solutions, guide."""
    nbdir = root / "notebooks"
    chapters = sorted(nbdir.glob("0*.ipynb"))
    solutions = sorted((nbdir / "solutions").glob("*_solutions.ipynb"))
    out = [(root / "README.md", "index.md")]
    out += [(p, p.name) for p in chapters]
    out += [(p, f"solutions/{p.name}") for p in solutions]
    if (nbdir / "INSTRUCTOR.md").exists():
        out.append((nbdir / "INSTRUCTOR.md", "INSTRUCTOR.md"))
    return out


def repository_url(root: Path = ROOT) -> str:
    """The forge URL from pyproject.toml's [project.urls] Repository (links to non-book files)."""
    meta = tomllib.loads((root / "pyproject.toml").read_text())
    return meta["project"]["urls"]["Repository"].rstrip("/")


# --------------------------------------------------------------------------- link and badge rewriting
def _is_remote(target: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//", target))


def _relpath(target: str, start: str) -> str:
    return os.path.relpath(target, start or ".").replace(os.sep, "/")


class Linker:
    """Rewrites the relative links of one source file for its staged location."""

    def __init__(self, root: Path, staged: dict[Path, str], repo: str):
        self.root, self.staged, self.repo = root, staged, repo
        self.by_name = {Path(d).name: d for d in staged.values()}
        self.repaired: list[str] = []  # broken source links sent to the page of the same name

    def target(self, link: str, src: Path, dest: str) -> str:
        if _is_remote(link) or link.startswith("#"):
            return link
        path, _, frag = link.partition("#")
        resolved = (src.parent / path).resolve()
        here = str(PurePosixPath(dest).parent)
        if resolved in self.staged:
            new = _relpath(self.staged[resolved], here)
        elif resolved.exists() and self.root in resolved.parents:
            kind = "tree" if resolved.is_dir() else "blob"
            new = f"{self.repo}/{kind}/main/{resolved.relative_to(self.root).as_posix()}"
        elif Path(path).name in self.by_name:
            new = _relpath(self.by_name[Path(path).name], here)
            self.repaired.append(f"{src.relative_to(self.root)}: {link} (no such file) -> {new}")
        else:
            return link
        return new + (f"#{frag}" if frag else "")

    def markdown(self, text: str, src: Path, dest: str, link_names: bool = False) -> str:
        """Rewrite Markdown/HTML links; with ``link_names`` also turn `01_recap.ipynb` into a link."""
        text = MD_LINK.sub(lambda m: f"{m[1]}({self.target(m[2], src, dest)}{m[3] or ''})", text)
        text = HTML_ATTR.sub(lambda m: f"{m[1]}{m[2]}{self.target(m[3], src, dest)}{m[2]}", text)
        if link_names:
            text = CODE_NAME.sub(lambda m: self._name_link(m, src, dest), text)
        return text

    def _name_link(self, m: re.Match, src: Path, dest: str) -> str:
        for base in (src.parent, src.parent / "notebooks"):
            if (base / m[1]).resolve() in self.staged:
                return f"[`{m[1]}`]({self.target(_relpath(base / m[1], src.parent), src, dest)})"
        return m[0]


def badge_svg(text: str) -> str:
    """A small launch badge (local SVG) with ``text`` on it, standing in for a remote badge image."""
    width = 14 + 7 * len(text)
    label = html.escape(text)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
            f'aria-label="{label}"><rect width="{width}" height="20" rx="3" fill="#2f6f9f"/>'
            f'<text x="{width / 2}" y="14" fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" '
            f'font-size="11" text-anchor="middle">{label}</text></svg>\n')


def localise_badges(text: str, dest: str, stage: Path) -> str:
    """Replace remote badge images ``![alt](https://…)`` by local SVGs with the same alt text."""
    def swap(m: re.Match) -> str:
        text = m[1] or "launch"
        name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") + ".svg"
        (stage / "_badges").mkdir(exist_ok=True)
        (stage / "_badges" / name).write_text(badge_svg(text))
        return f"![{m[1]}]({_relpath('_badges/' + name, str(PurePosixPath(dest).parent))})"
    return REMOTE_IMAGE.sub(swap, text)


def badge_block(nb) -> str | None:
    """The badges block of a notebook's first markdown cells (between the badge markers), if any."""
    for cell in nb.cells[:3]:
        m = re.search(re.escape(BADGES_START) + r".*?" + re.escape(BADGES_END), cell.source, re.S)
        if cell.cell_type == "markdown" and m:
            return m[0]
    return None


def solution_badges(chapter_block: str, chapter: Path, solution: Path, root: Path) -> str:
    """The chapter's badges pointed at its solutions notebook (raw and %2F-encoded paths)."""
    old, new = chapter.relative_to(root).as_posix(), solution.relative_to(root).as_posix()
    block = chapter_block.replace(old, new)
    return block.replace(old.replace("/", "%2F"), new.replace("/", "%2F"))


# --------------------------------------------------------------------------- staging
def _clean_outputs(nb) -> None:
    """Drop widget state and widget views that have a static fallback (the stored PNG); hand each
    figure's alt text (its PNG output's metadata, set by the figure helpers) to myst-nb, which reads
    image options from the cell's ``mystnb.image`` metadata only."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW in data and len(data) > 1:
                del data[WIDGET_VIEW]
        alts = [out.get("metadata", {}).get("image/png", {}).get("alt") for out in cell.get("outputs", [])]
        alts = [a for a in alts if a]
        if alts:
            cell.metadata.setdefault("mystnb", {}).setdefault("image", {}).setdefault("alt", " / ".join(alts))


def stage_notebook(src: Path, dest: str, linker: Linker, stage: Path, chapters: dict[str, Path]) -> None:
    nb = nbformat.read(str(src), as_version=4)
    _clean_outputs(nb)
    first_md = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    chapter = chapters.get(src.name.replace("_solutions", ""))
    if first_md is not None and badge_block(nb) is None and chapter is not None and chapter != src:
        block = badge_block(nbformat.read(str(chapter), as_version=4))
        if block:
            lines = first_md.source.split("\n", 1)
            first_md.source = "\n\n".join([lines[0], solution_badges(block, chapter, src, linker.root)]
                                          + lines[1:])
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = localise_badges(linker.markdown(cell.source, src, dest), dest, stage)
    nbformat.write(nb, str(stage / dest))


def toctree(entries: list[str], caption: str) -> str:
    body = "\n".join(str(PurePosixPath(e).with_suffix("")) for e in entries)
    return f"\n\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n{body}\n```\n"


def stage(root: Path, stage_dir: Path) -> list[str]:
    """Write the book's sources into ``stage_dir``; returns the staged paths in reading order."""
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    (stage_dir / "solutions").mkdir(parents=True)
    order = pages(root)
    staged = {src.resolve(): dest for src, dest in order}
    linker = Linker(root.resolve(), staged, repository_url(root))
    chapters = {src.name: src for src, dest in order if src.suffix == ".ipynb" and "/" not in dest}
    for src, dest in order:
        if src.suffix == ".ipynb":
            stage_notebook(src, dest, linker, stage_dir, chapters)
            continue
        text = localise_badges(linker.markdown(src.read_text(), src, dest, link_names=True), dest, stage_dir)
        if dest == "index.md":
            groups = [("The chapter", [d for s, d in order if s.suffix == ".ipynb" and "/" not in d]),
                      ("Worked solutions", [d for s, d in order if d.startswith("solutions/")]),
                      ("For instructors", [d for s, d in order if d == "INSTRUCTOR.md"])]
            text += "".join(toctree(e, c) for c, e in groups if e)
        (stage_dir / dest).write_text(text)
    (stage_dir / "conf.py").write_text(conf_py(repository_url(root)))
    for note in sorted(set(linker.repaired)):
        print(f"book: broken link in the source, linked by file name: {note}", file=sys.stderr)
    return [dest for _, dest in order]


def conf_py(repo: str) -> str:
    """Sphinx configuration: stored outputs only, MyST math and tables, bundled MathJax."""
    settings = {
        "project": TITLE,
        "html_title": TITLE,
        "extensions": ["myst_nb", "sphinx-mathjax-offline"],
        "html_theme": "sphinx_book_theme",
        "html_theme_options": {"repository_url": repo, "use_repository_button": True,
                               "use_download_button": True, "home_page_in_toc": True,
                               "show_toc_level": 2, "navbar_persistent": []},
        "nb_execution_mode": "off",                 # the stored outputs, as committed
        "nb_render_markdown_format": "myst",        # text/markdown outputs get math and tables too
        "nb_ipywidgets_js": {},                     # no widget manager from a CDN
        "myst_enable_extensions": ["dollarmath", "amsmath", "html_image"],
        "myst_heading_anchors": 3,
        "exclude_patterns": ["_build", "**.ipynb_checkpoints"],
        "html_last_updated_fmt": None,
        "html_copy_source": True,
        "suppress_warnings": ["mystnb.unknown_mime_type"],
    }
    return ("# Written by tools/book.py; the staged sources are rebuilt on every build.\n"
            + "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items()).replace("null", "None")
            .replace("true", "True").replace("false", "False"))


# --------------------------------------------------------------------------- build
def build(outdir: Path = ROOT / "build" / "book", root: Path = ROOT, quiet: bool = True) -> Path:
    """Stage the sources and run Sphinx's HTML builder into ``outdir``; returns the landing page."""
    from sphinx.application import Sphinx

    outdir = Path(outdir).resolve()
    src = outdir.parent / f"{outdir.name}_src"
    stage(Path(root).resolve(), src)
    if outdir.exists():
        shutil.rmtree(outdir)
    app = Sphinx(str(src), str(src), str(outdir), str(src / "_doctrees"), "html",
                 status=None if quiet else sys.stdout, warning=sys.stderr, freshenv=True,
                 parallel=1)
    app.build()
    if app.statuscode:
        raise RuntimeError(f"sphinx exited with status {app.statuscode}")
    return outdir / "index.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", nargs="?", default=str(ROOT / "build" / "book"))
    parser.add_argument("-v", "--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    print(build(Path(args.outdir), quiet=not args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
