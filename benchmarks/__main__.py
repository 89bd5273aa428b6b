"""Benchmarks of the chapter's own cost. Prints a table; writes benchmarks/results/.

    python -m benchmarks                       # everything (≈ 30 min on 2 CPU cores)
    python -m benchmarks --only overhead,diffusers_loop,diffusers,scaling   # skip the notebook runs
    python -m benchmarks --only widgets        # the live apps' latency, driven without a browser
    python -m benchmarks --repeats 5

All comparisons are ratios measured side by side in one run (interleaved repetitions; median and
spread); absolute times are context only. ``diffusers`` comes from the optional extra
``pip install -e ".[bench]"``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from ddpm_lessons import default_device  # noqa: E402
from ddpm_lessons.pretrained import load_pretrained  # noqa: E402
from ddpm_lessons.tables import Table  # noqa: E402

from . import common, notebook_cost, overhead, scaling, vs_diffusers, widgets  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"
PARTS = ("overhead", "diffusers_loop", "diffusers", "scaling", "widgets", "notebooks")
RESULTS = PARTS  # one result table per part, printed in this order


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated subset of {PARTS}")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"--only takes a subset of {PARTS}, got {sorted(unknown)}")
    device = args.device or default_device()
    OUT.mkdir(exist_ok=True)
    print(f"machine: {common.machine(device)}", flush=True)
    bundles = {name: load_pretrained(name, device=device) for name in ("mnist", "toy2d")}
    # results of earlier runs are kept: a partial run (--only) updates only its own parts
    latest = OUT / "latest.json"
    results = json.loads(latest.read_text()) if latest.exists() else {}
    results["machine"] = common.machine(device)
    done = {}

    if "overhead" in parts:
        rows = overhead.run(bundles, {"mnist": 16, "toy2d": 2000}, device, args.repeats)
        done["overhead"] = (rows, Table(["model", "batch", "sampler", "ratio (median)", "min", "max", "s/run", "bar", "ok"],
                                        rows, caption="sampler time / (calls × bare forward time)"), all(r[-1] for r in rows))
    if "diffusers_loop" in parts:
        try:
            loop_rows = vs_diffusers.run_loop(device, max(args.repeats, 15))
        except ImportError:
            print('  diffusers is not installed: pip install -e ".[bench]"  (skipped)')
            loop_rows = []
        done["diffusers_loop"] = (loop_rows, Table(
            ["loop", "batch", "steps", "ours µs/step", "diffusers µs/step", "ours/diffusers", "min", "max",
             "max rel diff", "bar", "ok"], loop_rows,
            caption="the sampling loops' own cost: model = 0.5·x (near free), same steps, interleaved"),
            all(r[-1] for r in loop_rows))
    if "diffusers" in parts:
        try:
            rows = vs_diffusers.run(bundles, {"mnist": 16, "toy2d": 256}, device, args.repeats)
        except ImportError:
            print('  diffusers is not installed: pip install -e ".[bench]"  (skipped)')
            rows = []
        done["diffusers"] = (rows, Table(["model", "batch", "sampler", "ours/diffusers", "min", "max", "max rel diff", "bar", "ok"],
                                         rows, caption="shipped models, for context: the network dominates both loops; "
                                                       "ok = outputs agree (DDIM 1e-5, DDPM 5e-4)"),
                             all(r[-1] for r in rows))
    if "scaling" in parts:
        sc = scaling.run(bundles["mnist"], device, OUT, args.repeats)
        rows = [[f"{n} steps", t] for n, t in zip(sc["steps"], sc["seconds"])]
        done["scaling"] = (sc, Table(["DDIM steps, MNIST batch 16", "seconds"], rows,
                                     caption=f"{sc['slope_s'] * 1e3:.2f} ms per step, R² = {sc['r2']:.4f} "
                                             "(plots: time_vs_steps.png, time_vs_batch.png)"), sc["r2"] > 0.98)
    if "widgets" in parts:
        rows = widgets.run(bundles)
        done["widgets"] = (rows, Table(["app", "control", "changes", "recomputes / renders / lookups", "median ms",
                                        "worst ms", "median CPU ms", "bar ms (median)", "ok"], rows, floatfmt=".0f",
                                       caption="wall time from setting a control to the app showing the new frame, "
                                               "driven from Python (no browser); CPU = this process's CPU time; "
                                               + widgets.load_note()),
                           all(r[-1] for r in rows))
    if "notebooks" in parts:
        rows = notebook_cost.run()
        fast_total = sum(r[2] for r in rows if r[1] == "fast")
        done["notebooks"] = (rows, Table(["notebook", "mode", "seconds", "peak RSS (GB)", "ok"], rows,
                                         caption=f"test mode total {fast_total:.0f} s (bar {notebook_cost.BARS['fast_total_s']} s); "
                                                 f"reader mode bar: each ≤ 180 s and ≤ 1.5 GB"),
                             all(r[-1] for r in rows) and fast_total <= notebook_cost.BARS["fast_total_s"])

    for part, (rows, table, ok) in done.items():
        results[part] = {"rows": rows, "markdown": table._repr_markdown_(), "text": str(table), "ok": ok}
    print()
    for part in RESULTS:
        if part in results:
            print(results[part]["text"], end="\n\n")
    all_ok = all(results[p]["ok"] for p in RESULTS if p in results)
    latest.write_text(json.dumps(results, indent=2, default=str) + "\n")
    (OUT / "latest.md").write_text(f"Machine: {results['machine']}\n\n"
                                   + "\n\n".join(results[p]["markdown"] for p in RESULTS if p in results) + "\n")
    print(f"all bars hold: {all_ok}  (results in {OUT})")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
