"""Our samplers against diffusers' scheduler loops, driving the same model on the same device.

diffusers' ``DDPMScheduler``/``DDIMScheduler`` are built from arguments (no weights, no network)
with our schedule (linear β from 1e-4 to 0.02, T = 1000), ε-prediction, no clipping, and
- DDPM: ``variance_type="fixed_large"`` (σ² = β, our default), all 1000 steps;
- DDIM: η = 0, ``timestep_spacing="trailing"`` and ``set_alpha_to_one=True`` (999, 979, …, 19,
  landing on ᾱ = 1); our sampler is handed exactly diffusers' timesteps (``timesteps=``).
Both sides draw their per-step noise from a CPU generator with the same seed, once per step with
t > 0, so the stochastic sampler can be compared output to output, not only in distribution.

Two questions, two measurements:
- :func:`run_loop` — what the chapter's loop controls: its own cost. The model is near-free
  (``0.5 · x``), so the time is the loop's (tables, coefficients, noise, bookkeeping), timed as
  whole calls as a user makes them, with and without x̂₀ clipping. Bar: ours ≤ 0.20 × diffusers'
  (batch 256, same steps, interleaved).
- :func:`run` — the shipped models (context): there the network dominates both loops, so the
  ratio tends to 1 whatever the loop costs; the outputs must agree (DDIM 1e-5, DDPM 5e-4).
"""
from __future__ import annotations

import torch

from ddpm_lessons import NoiseSchedule, ancestral_sample, ddim_sample

from .common import interleaved, ratio_stats

LOOP_BAR = 0.20  # ours / diffusers, whole sampler calls with a near-free model (the loop's own cost)
LOOP_BATCH = 256
DDIM_TOL = 1e-5  # float32 (diffusers) vs float64 (ours) coefficients differ by ~1e-6 relative
DDPM_TOL = 5e-4  # measured 1.3e-4 on toy2d: diffusers' float32 ᾱ (3.6e-7 off), amplified over 1000 steps (see explain_difference)


def _schedulers(clip: bool = False):
    from diffusers import DDIMScheduler, DDPMScheduler

    common = dict(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear",
                  clip_sample=clip, clip_sample_range=1.0, prediction_type="epsilon")
    return (DDPMScheduler(variance_type="fixed_large", **common),
            DDIMScheduler(timestep_spacing="trailing", set_alpha_to_one=True, steps_offset=0, **common))


def near_free(x, t):
    """A "network" that costs next to nothing, so a sampler's time is its loop's own cost."""
    return 0.5 * x


def _ddim_timesteps(ddim, steps):
    ddim.set_timesteps(steps)
    return ddim.timesteps.tolist()


def diffusers_loop(model, scheduler, x_T, steps, seed=None):
    scheduler.set_timesteps(steps)
    g = torch.Generator().manual_seed(seed) if seed is not None else None
    x = x_T
    with torch.inference_mode():
        for t in scheduler.timesteps:
            eps = model(x, t.to(x.device).expand(x.shape[0]))
            kwargs = {"generator": g} if g is not None else {"eta": 0.0, "use_clipped_model_output": True}
            x = scheduler.step(eps, t, x, **kwargs).prev_sample
    return x


def _rel(a, b) -> float:
    return ((a - b).abs().max() / b.abs().max()).item()


def explain_difference(bundle, x_T, ddpm_scheduler) -> dict:
    """Which side causes the DDPM outputs to differ? diffusers builds ᾱ with a float32 cumprod; we
    build it in float64. Re-run *our* sampler on a schedule with diffusers' float32 ᾱ: if that
    matches diffusers to float32 rounding, the whole difference comes from diffusers' ᾱ."""
    ab32 = ddpm_scheduler.alphas_cumprod.double()
    ab64 = NoiseSchedule.linear().alpha_bar_64
    betas_from_ab32 = 1 - ab32 / torch.cat([torch.ones(1, dtype=torch.float64), ab32[:-1]])
    run = lambda s: ancestral_sample(bundle.model, s, x_T, generator=torch.Generator().manual_seed(3), progress=False)  # noqa: E731
    theirs = diffusers_loop(bundle.model, ddpm_scheduler, x_T, 1000, seed=3)
    return {"alpha_bar_rel_error_float32": ((ab32 - ab64).abs() / ab64).max().item(),
            "ours_vs_diffusers": _rel(run(bundle.schedule), theirs),
            "ours_with_their_alpha_bar_vs_diffusers": _rel(run(NoiseSchedule(betas_from_ab32)), theirs)}


def _repeat(fn, calls: int):
    """One timed round = ``calls`` whole sampler calls (so a 50-step call's ~1 ms is not lost in jitter)."""
    def run():
        for _ in range(calls):
            out = fn()
        return out
    return run


def run_loop(device, repeats: int = 15, batch: int = LOOP_BATCH, shape=(2,)) -> list:
    """Rows (sampler, batch, steps, ours µs/step, diffusers µs/step, median ratio, min, max,
    max rel. diff, bar, ok): the loops' own cost with :func:`near_free` as the model, timed as a
    user calls each — the whole ``dl.ancestral_sample`` / ``dl.ddim_sample(…, 50)`` call against
    ``set_timesteps`` + the ``step`` loop — without and with x̂₀ clipping (ours ``clip_x0=1``;
    diffusers ``clip_sample=True``, DDIM with ``use_clipped_model_output=True``)."""
    s = NoiseSchedule.linear()
    x_T = torch.randn(batch, *shape, generator=torch.Generator().manual_seed(2)).to(device)
    rows = []
    for clip in (False, True):
        ddpm, ddim = _schedulers(clip)
        b = 1.0 if clip else None
        cases = {
            ("ddpm", 1000): (lambda: ancestral_sample(near_free, s, x_T, generator=torch.Generator().manual_seed(3),
                                                      clip_x0=b),
                             lambda: diffusers_loop(near_free, ddpm, x_T, 1000, seed=3), DDPM_TOL),
            ("ddim", 50): (lambda: ddim_sample(near_free, s, x_T, 50, clip_x0=b),
                           lambda: diffusers_loop(near_free, ddim, x_T, 50), DDIM_TOL),
        }
        for (kind, steps), (ours, theirs, tol) in cases.items():
            rel = _rel(ours(), theirs())
            calls = max(1, 1000 // steps)
            times = interleaved({"ours": _repeat(ours, calls), "diffusers": _repeat(theirs, calls)}, device,
                                max(repeats, 15))
            med, lo, hi = ratio_stats(times["ours"], times["diffusers"])
            per_step = {k: sorted(v)[len(v) // 2] / (steps * calls) * 1e6 for k, v in times.items()}
            name = f"{kind}{', clipped' if clip else ''} (near-free model)"
            rows.append((name, batch, steps, per_step["ours"], per_step["diffusers"], med, lo, hi,
                         rel, LOOP_BAR, med <= LOOP_BAR and rel <= tol))
            print(f"  diffusers loop {name} batch {batch} {steps} steps: ours {per_step['ours']:.1f} µs/step, "
                  f"diffusers {per_step['diffusers']:.1f} µs/step, ratio {med:.3f} [{lo:.3f}, {hi:.3f}], "
                  f"max |diff|/max|x| = {rel:.1e}", flush=True)
    return rows


def run(bundles: dict, batches: dict, device, repeats: int = 3) -> list:
    """Rows (model, batch, sampler, median ratio ours/diffusers, min, max, max rel. diff, bar, ok) for
    the shipped models. Context, not a bar on speed: the network dominates both loops (see
    :func:`run_loop` for the loop's own cost); ``ok`` is the outputs' agreement."""
    ddpm, ddim = _schedulers()
    rows = []
    ts50 = _ddim_timesteps(ddim, 50)
    for name, bundle in bundles.items():
        model, s, batch = bundle.model, bundle.schedule, batches[name]
        x_T = torch.randn(batch, *bundle.sample_shape, generator=torch.Generator().manual_seed(2)).to(device)
        cases = {
            "ddpm": (lambda: ancestral_sample(model, s, x_T, generator=torch.Generator().manual_seed(3), progress=False),
                     lambda: diffusers_loop(model, ddpm, x_T, 1000, seed=3), DDPM_TOL),
            "ddim": (lambda: ddim_sample(model, s, x_T, timesteps=ts50, progress=False),
                     lambda: diffusers_loop(model, ddim, x_T, 50), DDIM_TOL),
        }
        for kind, (ours, theirs, tol) in cases.items():
            rel = _rel(ours(), theirs())
            times = interleaved({"ours": ours, "diffusers": theirs}, device, repeats)
            med, lo, hi = ratio_stats(times["ours"], times["diffusers"])
            rows.append((name, batch, kind, med, lo, hi, rel, "context", rel <= tol))
            print(f"  diffusers {name:6s} batch {batch:4d} {kind}: ours/diffusers {med:.3f} [{lo:.3f}, {hi:.3f}]"
                  f"  max |diff|/max|x| = {rel:.1e} (tolerance {tol:g})", flush=True)
        why = explain_difference(bundle, x_T, ddpm)
        print(f"  diffusers {name:6s} DDPM difference: diffusers' float32 ᾱ is off by up to "
              f"{why['alpha_bar_rel_error_float32']:.1e} (relative); ours vs diffusers {why['ours_vs_diffusers']:.1e}, "
              f"ours run on diffusers' ᾱ vs diffusers {why['ours_with_their_alpha_bar_vs_diffusers']:.1e}", flush=True)
    return rows
