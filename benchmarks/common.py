"""Helpers shared by the benchmarks: ratios of interleaved timings, the machine's description."""
from __future__ import annotations

import platform
import statistics

import torch

from ddpm_lessons import device_name
from ddpm_lessons.costs import time_interleaved


def interleaved(fns: dict, device, repeats: int) -> dict:
    """Every function timed ``repeats`` times in the order A B C A B C … after one warm-up round
    (a noisy machine's drift is spread over all of them). Returns {name: [seconds, ...]}."""
    return time_interleaved(fns, repeats=repeats, warmup=1, device=torch.device(device), keep_all=True)


def ratio_stats(num: list, den: list) -> tuple:
    """Median and (min, max) of the per-round ratios num[i]/den[i]."""
    ratios = [a / b for a, b in zip(num, den)]
    return statistics.median(ratios), min(ratios), max(ratios)


def machine(device) -> str:
    return f"{platform.processor() or platform.machine()}, {device_name(device)}, torch {torch.__version__}"


def bare_forward(model, x, t_values):
    """A closure running the network once per timestep in ``t_values`` on the batch ``x``:
    the sampler's network cost with everything else taken away."""
    ts = [torch.full((x.shape[0],), int(t), device=x.device, dtype=torch.long) for t in t_values]

    def run():
        with torch.inference_mode():
            for t in ts:
                model(x, t)

    return run
