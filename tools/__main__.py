"""``python -m tools <command>``: the one command line of the chapter's build tools.

    python -m tools build                     # exercises, takeaways, prerequisites, slide metadata, solutions
    python -m tools badges  NOTEBOOK...       # rewrite the launch badges and the hosted set-up block
    python -m tools pair    NOTEBOOK...       # write the py:percent text pairs (notebooks/py/)
    python -m tools execute NOTEBOOK...       # re-run at reader size, store outputs and what they came from
    python -m tools run-solutions             # execute the solutions notebooks, store their outputs
    python -m tools timings [--write]         # per-cell run times (--write: into notebooks/INSTRUCTOR.md)
    python -m tools slides [OUTDIR]           # reveal.js decks of the six notebooks (default build/slides)
    python -m tools check [NOTEBOOK...]       # exit 1 if anything above is stale (default: every notebook)

Every command that writes a notebook stores it in the form JupyterLab + jupytext save (tools/nbio.py).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import badges, freshness, nbio, pairs, slides, teaching, timings

PER_NOTEBOOK = {
    "badges": lambda p: f"badges and set-up block {'written' if badges.write_badges(p) else 'unchanged'}",
    "pair": lambda p: f"paired with {pairs.write_pair(p)}",
    "execute": lambda p: f"executed at reader size in {freshness.execute(p):.0f} s",
}


def check(paths) -> list[str]:
    """Everything stale: the teaching build, and per chapter notebook its badges, outputs and pair;
    per solutions notebook its badges."""
    found = teaching.problems()
    for path in paths or nbio.chapter_paths() + nbio.solution_paths():
        solutions = Path(path).resolve().parent == nbio.SOLUTION_DIR
        stale = badges.launch_problems(path)
        if not solutions:
            stale += freshness.output_problems(path) + pairs.pair_problems(path)
        found += [f"{badges.repo_path(path)}: {problem}" for problem in stale]
    return found


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in PER_NOTEBOOK:
        commands.add_parser(name).add_argument("notebooks", nargs="+", type=Path)
    commands.add_parser("check").add_argument("notebooks", nargs="*", type=Path)
    commands.add_parser("build")
    commands.add_parser("run-solutions")
    commands.add_parser("timings").add_argument("--write", action="store_true",
                                                help="refresh the tables in notebooks/INSTRUCTOR.md")
    commands.add_parser("slides").add_argument("outdir", nargs="?", type=Path, default=nbio.ROOT / "build" / "slides")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command in PER_NOTEBOOK:
        for path in args.notebooks:
            print(f"{path}: {PER_NOTEBOOK[args.command](path)}", flush=True)
    elif args.command == "check":
        found = check(args.notebooks)
        print("\n".join(found) or "everything up to date")
        return 1 if found else 0
    elif args.command == "build":
        print("\n".join(f"written: {c}" for c in teaching.build()) or "everything up to date")
    elif args.command == "run-solutions":
        os.environ.setdefault("MPLBACKEND", "Agg")
        teaching.run_solutions()
    elif args.command == "timings":
        if args.write:
            print("written" if timings.write_timings() else "unchanged", timings.INSTRUCTOR_GUIDE)
        else:
            print(timings.timings_markdown())
    else:
        slides.slides(args.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
