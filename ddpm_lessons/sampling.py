"""Every sampler of the chapter by name, one front door to them (:func:`sample`), and the named
sampler functions, each a thin call through it.

A :class:`SamplerSpec` holds what the rest of the package needs to know about a sampler: its
label and colour (the one colour it has in every figure of the chapter), the coefficient-table
builder it runs (all builders share the call shape ``build(schedule, timesteps, **options)``,
see :mod:`ddpm_lessons.samplers`) and its fixed options. Adding a sampler to every comparison of
the chapter is one entry here plus its table builder.

    dl.sample("ddim", model, schedule, x_T, steps=10, spacing="quadratic", clip_x0=1.0)
    dl.SAMPLERS["ancestral"].label, dl.SAMPLERS["ancestral"].color

The tables a call builds are cached on its schedule (a schedule never changes after it is
built), so repeated calls with the same steps cost only the loop itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from .checks import check_choice, check_float_tensor, check_int
from .samplers import (StepTable, ancestral_table, check_schedule, ddim_inversion_table, ddim_table, kept_timesteps,
                       naive_strided_table, run_chain)


@dataclass(frozen=True)
class SamplerSpec:
    """One sampler: ``label`` and ``color`` for tables and figures, the table ``build``-er and its
    fixed ``options``; ``takes_eta``: whether ``eta=`` applies (DDIM)."""

    name: str
    label: str
    color: str
    build: Callable[..., StepTable]
    options: dict = field(default_factory=dict)
    takes_eta: bool = False
    about: str = ""


SAMPLERS: dict[str, SamplerSpec] = {spec.name: spec for spec in (
    SamplerSpec("naive", "naive stride", "#d62728", naive_strided_table,
                about="visits the kept timesteps with DDPM's single-step α_t, β_t (the broken shortcut)"),
    SamplerSpec("ancestral", "respaced ancestral σ²=β (σ̂)", "#1f77b4", ancestral_table, {"variance": "beta"},
                about="DDPM's update on the respaced schedule, σ² = β (DDIM Table 1's σ̂ row; DDPM itself at T steps)"),
    SamplerSpec("ancestral_beta_tilde", "respaced ancestral σ²=β̃ (η=1)", "#9467bd", ancestral_table,
                {"variance": "beta_tilde"}, about="respaced DDPM with σ² = β̃, which is DDIM η = 1"),
    SamplerSpec("ddim", "DDIM η=0", "#2ca02c", ddim_table, takes_eta=True,
                about="DDIM eq. 12; η = 0 deterministic (the label shows other η)"),
    SamplerSpec("ddim_eta_half", "DDIM η=0.5", "#bcbd22", ddim_table, {"eta": 0.5},
                about="DDIM with η = 0.5, half of η = 1's noise scale (a row of DDIM Table 1; notebook 05)"),
)}

#: Colours of things that are not samplers; never lent to anything else either.
OTHER_COLORS = {"reference": "#7f7f7f"}


def label(name: str, eta: float | None = None) -> str:
    """The label of a registered sampler; DDIM with η ≠ 0 says its η."""
    spec = SAMPLERS[check_choice("sampler", name, tuple(SAMPLERS))]
    if spec.takes_eta and eta not in (None, 0, 0.0):
        return f"DDIM η={eta:g}"
    return spec.label


def color(name: str, eta: float | None = None) -> str:
    """The chapter colour of a registered sampler (olive for DDIM with 0 < η < 1)."""
    spec = SAMPLERS[check_choice("sampler", name, tuple(SAMPLERS))]
    if spec.takes_eta and eta is not None and 0 < float(eta) < 1:
        return SAMPLERS["ddim_eta_half"].color  # DDIM between η = 0 and 1
    if spec.takes_eta and eta is not None and float(eta) == 1:
        return SAMPLERS["ancestral_beta_tilde"].color
    return spec.color


_CACHE_SIZE = 64


def table_for(name: str, schedule, timesteps: torch.Tensor, eta=None) -> StepTable:
    """The StepTable of sampler ``name`` over ``timesteps``, built once per schedule and cached."""
    spec = SAMPLERS[check_choice("sampler", name, tuple(SAMPLERS))]
    options = dict(spec.options)
    if eta is not None:
        if not spec.takes_eta:
            raise ValueError(f"eta applies to DDIM only (sampler 'ddim'), not to {name!r}; leave eta=None")
        options["eta"] = eta
    if isinstance(options.get("eta"), (list, tuple, torch.Tensor)):  # per-sample η: not cached
        return spec.build(schedule, timesteps, **options)
    key = (name, tuple(timesteps.tolist()), tuple(sorted(options.items())))
    cache = schedule.__dict__.setdefault("_table_cache", {})
    if key not in cache:
        if len(cache) >= _CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = spec.build(schedule, timesteps, **options)
    return cache[key]


def sample(name: str, model, schedule, x_T, *, steps=None, timesteps=None, spacing: str = "trailing", eta=None,
           t_start=None, clip_x0=None, generator=None, progress=None, callback=None, return_trajectory=False):
    """Run sampler ``name`` (a key of :data:`SAMPLERS`) from ``x_T``: the chapter's one front door.

    Give ``steps`` (with ``spacing``, see :meth:`NoiseSchedule.timesteps`) or explicit descending
    ``timesteps``; ``steps=T`` keeps every timestep (``"ancestral"`` is then DDPM itself).
    ``eta`` (DDIM only): a number or one per sample. ``t_start``: the level x_T is at (continue a
    chain). ``clip_x0``: clip x̂₀ to [−b, b] (images). ``generator``: the noise drawn while sampling.
    """
    check_schedule(schedule)
    ts = kept_timesteps(schedule, steps, timesteps, spacing, t_start)
    table = table_for(name, schedule, ts, eta)
    return run_chain(model, x_T, table, generator=generator, clip_x0=clip_x0, progress=progress,
                     callback=callback, return_trajectory=return_trajectory)


# --------------------------------------------------------------------------- the named samplers
def _ancestral_name(variance: str) -> str:
    """The registry name of the respaced ancestral sampler with σ² = β or β̃."""
    return {"beta": "ancestral", "beta_tilde": "ancestral_beta_tilde"}[check_choice("variance", variance, ("beta", "beta_tilde"))]


def ancestral_sample(model, schedule, x_T, *, variance="beta", t_start=None, clip_x0=None, generator=None,
                     progress=None, callback=None, return_trajectory=False):
    """Standard DDPM ancestral sampling (Algorithm 2): one network call per step, fresh noise σ_t·z
    at every step, σ² = β (``variance="beta"``) or β̃. ``t_start``: the level the given state is at."""
    name = _ancestral_name(variance)
    return sample(name, model, schedule, x_T, steps=check_schedule(schedule).T, t_start=t_start, clip_x0=clip_x0,
                  generator=generator, progress=progress, callback=callback, return_trajectory=return_trajectory)


def naive_strided_sample(model, schedule, x_T, stride, *, clip_x0=None, generator=None, progress=None,
                         callback=None, return_trajectory=False):
    """Skip timesteps the wrong way: visit T−1, T−1−stride, … with single-step coefficients
    (see :func:`~ddpm_lessons.samplers.naive_strided_table`). For teaching only."""
    stride = check_int("stride", stride, 1, max(check_schedule(schedule).T - 1, 1))
    return sample("naive", model, schedule, x_T, timesteps=torch.arange(schedule.T - 1, -1, -stride), clip_x0=clip_x0,
                  generator=generator, progress=progress, callback=callback, return_trajectory=return_trajectory)


def respaced_ancestral_sample(model, schedule, x_T, steps=None, *, timesteps=None, spacing="trailing",
                              variance="beta", t_start=None, clip_x0=None, generator=None, progress=None,
                              callback=None, return_trajectory=False):
    """Correct strided DDPM: ancestral sampling on the respaced schedule (new betas, same ᾱ)."""
    name = _ancestral_name(variance)
    return sample(name, model, schedule, x_T, steps=steps, timesteps=timesteps, spacing=spacing, t_start=t_start,
                  clip_x0=clip_x0, generator=generator, progress=progress, callback=callback,
                  return_trajectory=return_trajectory)


def ddim_sample(model, schedule, x_T, steps=None, *, timesteps=None, spacing="trailing", eta=0.0, t_start=None,
                clip_x0=None, generator=None, progress=None, callback=None, return_trajectory=False):
    """DDIM (Song et al. 2021, eq. 12): η = 0 is deterministic, η = 1 equals respaced DDPM with β̃.

    ``eta`` may give one value per sample of the batch (several η in one batched chain).
    """
    return sample("ddim", model, schedule, x_T, steps=steps, timesteps=timesteps, spacing=spacing, eta=eta,
                  t_start=t_start, clip_x0=clip_x0, generator=generator, progress=progress, callback=callback,
                  return_trajectory=return_trajectory)


def ddim_invert(model, schedule, x_0, steps=None, *, timesteps=None, spacing="trailing",
                progress=None, callback=None, return_trajectory=False):
    """Encode data x_0 to the noise x_T that DDIM (η = 0, same timesteps) decodes back to ≈ x_0.

    No ``clip_x0`` here: the first step leaves x_0 itself (ᾱ = 1), where x̂₀ is x_0 exactly.
    """
    ts = kept_timesteps(check_schedule(schedule), steps, timesteps, spacing)
    check_float_tensor("x_0", x_0)
    return run_chain(model, x_0, ddim_inversion_table(schedule, ts), progress=progress, callback=callback,
                     return_trajectory=return_trajectory)
