"""Sampling time vs number of steps (should be a straight line) and vs batch size, MNIST model."""
from __future__ import annotations

import numpy as np
import torch

from ddpm_lessons import ddim_sample, plots
from ddpm_lessons.stats import fit_line

from .common import interleaved

STEPS = (10, 25, 50, 100, 200)
BATCHES = (1, 4, 16, 64)


def run(bundle, device, out_dir, repeats=3) -> dict:
    model, s, shape = bundle.model, bundle.schedule, bundle.sample_shape
    g = torch.Generator().manual_seed(4)
    x16 = torch.randn(16, *shape, generator=g).to(device)
    by_steps = interleaved({n: (lambda n=n: ddim_sample(model, s, x16, n, progress=False)) for n in STEPS},
                           device, repeats)
    t_steps = [float(np.median(by_steps[n])) for n in STEPS]
    slope, intercept, r2, _ = fit_line(STEPS, t_steps)
    xs = {b: torch.randn(b, *shape, generator=g).to(device) for b in BATCHES}
    by_batch = interleaved({b: (lambda b=b: ddim_sample(model, s, xs[b], 50, progress=False)) for b in BATCHES},
                           device, repeats)
    per_image = [float(np.median(by_batch[b])) / b for b in BATCHES]
    fig = plots.curves(STEPS, {"measured (batch 16)": t_steps,
                               f"fit: {slope * 1e3:.1f} ms/step, R²={r2:.4f}":
                               [slope * n + intercept for n in STEPS]},
                       "sampling steps", "seconds per batch", title="Sampling time is linear in the number of steps")
    fig.savefig(out_dir / "time_vs_steps.png", dpi=110)
    fig = plots.curves(BATCHES, {"50-step DDIM": per_image}, "batch size", "seconds per image",
                       title="Larger batches amortise the per-call cost", logx=True, logy=True)
    fig.savefig(out_dir / "time_vs_batch.png", dpi=110)
    print(f"  scaling: {slope * 1e3:.2f} ms per step at batch 16 (R² = {r2:.4f}); seconds per image by batch "
          + ", ".join(f"{b}: {p:.3f}" for b, p in zip(BATCHES, per_image)), flush=True)
    return {"steps": STEPS, "seconds": t_steps, "slope_s": slope, "r2": r2,
            "batches": BATCHES, "seconds_per_image": per_image}
