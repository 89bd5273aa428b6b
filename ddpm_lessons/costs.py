"""What sampling costs, measured on the reader's own device: wall-clock time and FLOPs per call.

    time_per_call(model, x, t)     # seconds per network call (median of repeats, after warm-up)
    flops_per_call(model, x, t)    # FLOPs of one call, counted by torch.utils.flop_counter
    time_call(fn)                  # seconds of any callable (e.g. a whole sampler run)
    time_interleaved({name: fn})   # several callables timed in alternating rounds (for comparisons)
    cost_row(...) / cost_table(...) # the chapter's cost table: calls, time, 50K time, FLOPs

Timing rules (why the numbers can be trusted): every measurement runs under ``torch.inference_mode``
after ``warmup`` untimed calls (first calls pay for allocation and kernel selection), uses
``time.perf_counter``, and on CUDA synchronises before starting and before stopping the clock
(CUDA calls are asynchronous: without the synchronisation one would time the kernel *launch*).
The median of ``repeats`` is reported because other processes on a shared machine make single
timings noisy in one direction only (slower).

FLOPs count multiply and add separately (a multiply–add is 2 FLOPs), as
``torch.utils.flop_counter`` does: a Linear layer of shape (in → out) on a batch of B rows costs
2·in·out·B. Only matrix products and convolutions are counted (the operations that dominate);
normalisations and activations are left out, so the count is a slight underestimate.
"""
from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from .checks import check_int
from .tables import Table


class CountingModel(nn.Module):
    """Wrap ``model`` and count network calls: ``.calls`` (forward calls) and ``.samples``
    (rows evaluated, i.e. calls × batch). ``.reset()`` sets both to zero.

    Honours the sampler contract: ``CountingModel(model)(x_t, t)`` returns ``model(x_t, t)``.
    """

    def __init__(self, model):
        super().__init__()
        if not callable(model):
            raise TypeError(f"model must be callable as model(x_t, t), got {type(model).__name__}")
        self.model = model
        self.calls = 0
        self.samples = 0

    def forward(self, x_t, t):
        self.calls += 1
        self.samples += int(x_t.shape[0])
        return self.model(x_t, t)

    def reset(self) -> "CountingModel":
        self.calls = 0
        self.samples = 0
        return self

    def __repr__(self) -> str:
        return f"CountingModel(calls={self.calls}, model={type(self.model).__name__})"


N_BENCHMARK = 50_000  # FID is computed from 50K samples: the usual "generate a data set" unit


def _sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def _device_of(x) -> torch.device:
    return x.device if isinstance(x, torch.Tensor) else torch.device("cpu")


def time_call(fn, *, repeats: int = 3, warmup: int = 1, device=None) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeats`` runs, after ``warmup`` untimed runs.

    ``device``: synchronise this CUDA device around each run (None: no synchronisation, i.e. CPU).
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    times = time_interleaved({"fn": fn}, repeats=repeats, warmup=warmup, device=device, keep_all=True)["fn"]
    return statistics.median(times)


def time_interleaved(fns: dict, *, repeats: int = 3, warmup: int = 1, device=None, keep_all: bool = False) -> dict:
    """Seconds of each callable in ``fns`` ({name: fn}), measured in interleaved rounds.

    Round r times every fn once, so a burst of load from another process hits all of them alike
    instead of one; each fn's result is its *minimum* over the rounds (load can only add time, so
    the minimum is the least disturbed estimate). Use it when timings are compared with each other.
    ``keep_all=True`` returns every round's time instead ({name: [seconds, ...]}), for ratios
    taken round by round (the benchmarks report their median and spread).
    """
    repeats = check_int("repeats", repeats, 1, 10_000)
    warmup = check_int("warmup", warmup, 0, 10_000)
    if not isinstance(fns, dict) or not fns or not all(callable(f) for f in fns.values()):
        raise TypeError("fns must be a non-empty dict of callables")
    times = {k: [] for k in fns}
    with torch.inference_mode():
        for _ in range(warmup):
            for fn in fns.values():
                fn()
        for _ in range(repeats):
            for k, fn in fns.items():
                if device is not None:
                    _sync(device)
                start = time.perf_counter()
                fn()
                if device is not None:
                    _sync(device)
                times[k].append(time.perf_counter() - start)
    return times if keep_all else {k: min(v) for k, v in times.items()}


def time_per_call(model, x: torch.Tensor, t: torch.Tensor, repeats: int = 5, warmup: int = 2) -> float:
    """Median seconds of one network call ``model(x, t)`` on x's device (warm-up, CUDA-synchronised)."""
    if not isinstance(x, torch.Tensor) or not isinstance(t, torch.Tensor):
        raise TypeError("x and t must be tensors (model(x_t, t) -> eps)")
    return time_call(lambda: model(x, t), repeats=repeats, warmup=warmup, device=_device_of(x))


def flops_per_call(model, x: torch.Tensor, t: torch.Tensor) -> int:
    """FLOPs of one call ``model(x, t)``, counted by :class:`torch.utils.flop_counter.FlopCounterMode`
    (multiply and add counted separately; matmuls, convolutions and attention only)."""
    from torch.utils.flop_counter import FlopCounterMode

    if not isinstance(x, torch.Tensor) or not isinstance(t, torch.Tensor):
        raise TypeError("x and t must be tensors (model(x_t, t) -> eps)")
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(x, t)
    return int(counter.get_total_flops())


def meta_flops(build, input_shape, t: int = 500) -> tuple[int, int]:
    """(parameters, FLOPs of one call at batch 1) of the network ``build()`` makes, counted on the
    ``meta`` device: shapes only, no memory and no arithmetic, so networks too big to run are fine.

    ``input_shape`` is the shape of one sample, e.g. (3, 256, 256); ``t`` the timestep passed.
    """
    from .models import count_parameters

    with torch.device("meta"):
        model = build().eval()
        x = torch.empty(1, *input_shape)
        tt = torch.full((1,), int(t), dtype=torch.long)
    return count_parameters(model), flops_per_call(model, x, tt)


def format_seconds(s: float) -> str:
    """A duration in the largest sensible unit: '12.3 ms', '4.56 s', '3.2 min', '7.9 h', '2.1 days'."""
    s = float(s)
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    if s < 120:
        return f"{s:.3g} s"
    if s < 2 * 3600:
        return f"{s / 60:.3g} min"
    if s < 2 * 86400:
        return f"{s / 3600:.3g} h"
    return f"{s / 86400:.3g} days"


def cost_row(name: str, calls_per_image: int, seconds_per_call: float, flops: float,
             batch: int = 1, n_images: int = N_BENCHMARK) -> dict:
    """Per-image cost of a sampler that makes ``calls_per_image`` network calls per image.

    ``seconds_per_call`` and ``flops`` (per call) were measured at batch size ``batch``; per-image
    figures divide by it. Returns a dict with every quantity (seconds and FLOPs as floats).
    """
    calls_per_image = check_int("calls_per_image", calls_per_image, 1, 10**9)
    batch = check_int("batch", batch, 1, 10**9)
    s_img = calls_per_image * seconds_per_call / batch
    return dict(name=name, calls=calls_per_image, s_per_call=seconds_per_call / batch,
                s_per_image=s_img, s_total=s_img * n_images, n_images=n_images,
                flops_per_image=calls_per_image * flops / batch)


def cost_table(rows, ratio_pairs=(), caption=None) -> Table:
    """Render :func:`cost_row` dicts as the chapter's cost table.

    ``ratio_pairs``: (i, j) index pairs; each adds a row "rows[i] ÷ rows[j]" with the ratio of
    every quantity (how many times more the first sampler costs than the second).
    """
    if not rows:
        raise ValueError("rows must hold at least one cost_row")
    headers = ["sampler", "network calls / image", "time / call", "time / image",
               f"time for {rows[0]['n_images'] // 1000}K images", "FLOPs / image"]
    out = []
    for r in rows:
        out.append([r["name"], r["calls"], format_seconds(r["s_per_call"]), format_seconds(r["s_per_image"]),
                    format_seconds(r["s_total"]), f"{r['flops_per_image']:.2e}"])
    for i, j in ratio_pairs:
        a, b = rows[i], rows[j]
        out.append([f"ratio: {a['name']} ÷ {b['name']}", f"{a['calls'] / b['calls']:.0f}×",
                    f"{a['s_per_call'] / b['s_per_call']:.2g}×", f"{a['s_per_image'] / b['s_per_image']:.0f}×",
                    f"{a['s_total'] / b['s_total']:.0f}×", f"{a['flops_per_image'] / b['flops_per_image']:.0f}×"])
    return Table(headers, out, caption=caption)
