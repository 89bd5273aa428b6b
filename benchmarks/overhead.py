"""Overhead ratio = sampler wall time / (network calls × bare forward time on the same batch).

A ratio of 1.00 means the sampling loop costs nothing beyond the network. Measured side by side
(sampler and bare network interleaved), reported as the median and spread of the per-repetition
ratios.
"""
from __future__ import annotations

import torch

from ddpm_lessons import ancestral_sample, ddim_sample, respaced_ancestral_sample
from ddpm_lessons.samplers import ancestral_table, ddim_table

from .common import bare_forward, interleaved, ratio_stats

BARS = {"mnist": 1.03, "toy2d": 1.10}


def samplers(bundle, x_T, steps=50):
    model, s = bundle.model, bundle.schedule
    g = lambda: torch.Generator(x_T.device).manual_seed(0)  # noqa: E731
    return {
        "ancestral T=1000": (lambda: ancestral_sample(model, s, x_T, generator=g(), progress=False),
                             ancestral_table(s).t_model.tolist()),
        f"respaced {steps}": (lambda: respaced_ancestral_sample(model, s, x_T, steps, generator=g(), progress=False),
                              ancestral_table(s.respace(s.timesteps(steps))).t_model.tolist()),
        f"ddim {steps}": (lambda: ddim_sample(model, s, x_T, steps, progress=False),
                          ddim_table(s, s.timesteps(steps)).t_model.tolist()),
    }


def run(bundles: dict, batches: dict, device, repeats: int = 3) -> list:
    """Rows (model, batch, sampler, median ratio, min, max, sampler seconds, bar, ok)."""
    rows = []
    for name, bundle in bundles.items():
        batch = batches[name]
        x_T = torch.randn(batch, *bundle.sample_shape, generator=torch.Generator().manual_seed(1)).to(device)
        for label, (sample, t_values) in samplers(bundle, x_T).items():
            times = interleaved({"sampler": sample, "bare": bare_forward(bundle.model, x_T, t_values)},
                                device, repeats)
            med, lo, hi = ratio_stats(times["sampler"], times["bare"])
            secs = sorted(times["sampler"])[len(times["sampler"]) // 2]
            rows.append((name, batch, label, med, lo, hi, secs, BARS[name], med <= BARS[name]))
            print(f"  overhead {name:6s} batch {batch:5d} {label:17s} ratio {med:.3f} "
                  f"[{lo:.3f}, {hi:.3f}]  ({secs:.2f} s per run)", flush=True)
    return rows
