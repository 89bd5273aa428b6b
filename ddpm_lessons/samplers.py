"""The one sampling loop (:func:`run_chain`) and the coefficient tables every sampler runs on it.

The samplers by name (registry, colours, :func:`~ddpm_lessons.sampling.sample`) are in
:mod:`ddpm_lessons.sampling`; this module holds only the maths of a step and the loop.

Each reverse step of DDPM, naive striding, respaced DDPM, DDIM and DDIM inversion has the same
linear form in the current state x_t and the predicted noise eps = model(x_t, t):

    x_next = c_x · x_t + c_eps · eps + sigma · z,        z ~ N(0, I)

Only the numbers (c_x, c_eps, sigma) and the timestep handed to the network differ. So each
sampler builds a :class:`StepTable` (in float64, before the loop) and :func:`run_chain` runs it.
Every table builder has the same call shape ``builder(schedule, timesteps, **options)``.
The loop does no host-device synchronisation: coefficients are Python floats (or, for one η per
sample, small tensors moved to the device once), and whether to draw noise is decided when the
table is built. What the loop needs of a table on a device (coefficients, timestep batches, the
clipped-update numbers) is prepared once per (table, device, batch) and cached on the table; each
step allocates one new tensor and updates it in place, and the noise is drawn into a reused buffer.

x̂₀ clipping (``clip_x0=b``): at every step the predicted clean sample
x̂₀ = (x_t − √(1−ᾱ_t)·eps)/√ᾱ_t (DDPM eq. 15) is clamped to [−b, b] and eps is recomputed from
the clamped x̂₀ before the update — improved-diffusion's ``clip_denoised`` and diffusers'
``clip_sample=True`` with ``use_clipped_model_output=True``. A bound that is never reached
changes nothing. Off by default (the chapter's math is exact without it).

Model contract: ``model(x_t, t) -> eps`` with ``t`` a LongTensor of shape (batch,) holding the
*original* training timestep in [0, T−1], and ``eps`` of the same shape as ``x_t``.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace

import torch
from tqdm.auto import tqdm

from .checks import check_choice, check_float_tensor, check_int, check_nonneg_float
from .schedule import NoiseSchedule

VARIANCES = ("beta", "beta_tilde")


@dataclass(frozen=True)
class StepTable:
    """Per-step numbers of one sampler, float64-derived, cast once.

    ``t_model[i]`` is the training timestep the network sees at step i. The update is
    ``x_next = c_x[i]·x + c_eps[i]·eps + sigma[i]·z``; ``x0_from_x[i]·x + x0_from_eps[i]·eps`` is the
    predicted clean sample x̂₀ at that step. A column entry is a Python float, or a 1-D tensor with
    one value per sample of the batch (DDIM with one η per sample). ``table[i:j]`` is a table.
    """

    name: str
    t_model: torch.Tensor
    c_x: tuple
    c_eps: tuple
    sigma: tuple
    x0_from_x: tuple
    x0_from_eps: tuple

    def __len__(self) -> int:
        return len(self.c_x)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError(f"a StepTable is sliced with table[i:j] (a shorter table), got index {index!r}")
        return replace(self, t_model=self.t_model[index],
                       **{k: getattr(self, k)[index] for k in ("c_x", "c_eps", "sigma", "x0_from_x", "x0_from_eps")})

    @property
    def nfe(self) -> int:
        """Network function evaluations the table costs (one per step)."""
        return len(self)

    def noisy(self, i: int) -> bool:
        """Whether step ``i`` adds fresh noise (decided on the host, once)."""
        s = self.sigma[i]
        return bool((s > 0).any()) if isinstance(s, torch.Tensor) else s > 0


def _column(v):
    """float64 tensor (steps,) → tuple of floats; (steps, batch) → tuple of 1-D float64 tensors."""
    return tuple(v.tolist()) if v.ndim == 1 else tuple(v.unbind(0))


def _table(name, t_model, ab, c_x, c_eps, sigma) -> StepTable:
    """Cast float64 columns once; x̂₀ = (x_t − √(1−ᾱ)·eps)/√ᾱ (DDPM eq. 15)."""
    return StepTable(
        name=name,
        t_model=torch.as_tensor(t_model, dtype=torch.long).cpu(),
        c_x=_column(c_x), c_eps=_column(c_eps), sigma=_column(sigma),
        x0_from_x=_column(1.0 / ab.sqrt()),
        x0_from_eps=_column(-(1.0 - ab).sqrt() / ab.sqrt()),
    )


# --------------------------------------------------------------------------- coefficient tables
def ddpm_mean_coefficients(alpha, beta, alpha_bar):
    """(c_x, c_eps) of DDPM's posterior mean μ = (x_t − β_t/√(1−ᾱ_t)·eps)/√α_t (DDPM eq. 11): the one
    place these numbers are computed (the ancestral and naive tables differ only in which α, β they pass)."""
    return 1.0 / alpha.sqrt(), -beta / ((1.0 - alpha_bar).sqrt() * alpha.sqrt())


def ancestral_table(schedule: NoiseSchedule, timesteps=None, *, variance: str = "beta") -> StepTable:
    """DDPM Algorithm 2 over the kept ``timesteps`` (descending; None = all T), respaced if fewer.

    Respacing (Nichol & Dhariwal 2021 §4) keeps ᾱ at the kept timesteps and derives new betas
    β_k = 1 − ᾱ_{τ_k}/ᾱ_{τ_{k−1}}; with every timestep kept it is DDPM itself.
    Posterior mean (DDPM eq. 11): μ = (x_t − β_t/√(1−ᾱ_t)·eps)/√α_t.
    Variance σ_t² = β_t (DDPM's CIFAR-10 choice; with respacing this is DDIM Table 1's σ̂ row)
    or β̃_t (DDPM eq. 7; with respacing this equals DDIM η = 1).
    The last step lands on x_0 and adds no noise (gated on "last step", not on t > 0).
    """
    check_choice("variance", variance, VARIANCES)
    r = schedule if timesteps is None else schedule.respace(timesteps)
    j = torch.arange(r.T - 1, -1, -1)
    alpha, beta, ab = r.alphas_64[j], r.betas_64[j], r.alpha_bar_64[j]
    c_x, c_eps = ddpm_mean_coefficients(alpha, beta, ab)
    sigma = (beta if variance == "beta" else r.beta_tilde_64[j]).sqrt()
    sigma[-1] = 0.0
    return _table(f"ancestral[{variance}]", r.timestep_map[j], ab, c_x, c_eps, sigma)


def naive_strided_table(schedule: NoiseSchedule, timesteps) -> StepTable:
    """The chapter's deliberately broken shortcut: visit the kept ``timesteps`` but keep the
    single-step α_t, β_t in the DDPM update (no respacing).

    The update then removes only one step's worth of noise per visit, so most of x_T's noise is
    never taken out. Noise is added whenever t > 0 (the rule of the naive loop), which for
    sub-sequences that do not end at 0 includes the final step.
    """
    t = schedule.check_timesteps(timesteps)
    alpha, beta, ab = schedule.alphas_64[t], schedule.betas_64[t], schedule.alpha_bar_64[t]
    c_x, c_eps = ddpm_mean_coefficients(alpha, beta, ab)
    sigma = torch.where(t > 0, beta.sqrt(), torch.zeros_like(beta))
    return _table("naive", schedule.timestep_map[t], ab, c_x, c_eps, sigma)


def _check_eta(eta):
    """η as a float (>= 0), or a 1-D float64 tensor of per-sample values (each >= 0)."""
    if isinstance(eta, numbers.Real) and not isinstance(eta, bool):
        return check_nonneg_float("eta", eta)
    try:
        e = torch.as_tensor(eta, dtype=torch.float64).flatten().cpu()
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"eta must be a real number >= 0 or a sequence of them (one per sample), got {eta!r}") from None
    if e.numel() == 0 or not bool(torch.isfinite(e).all()) or bool((e < 0).any()):
        raise ValueError(f"eta must hold finite values >= 0 (one per sample), got {eta!r}")
    return e


def ddim_table(schedule: NoiseSchedule, timesteps, *, eta=0.0) -> StepTable:
    """DDIM eq. 12 over the kept ``timesteps`` (descending), with σ(η) of DDIM eq. 16:

    x_prev = √ᾱ_prev·x̂_0 + √(1−ᾱ_prev−σ²)·eps + σ·z,
    σ = η·√((1−ᾱ_prev)/(1−ᾱ_t))·√(1−ᾱ_t/ᾱ_prev).

    ``eta`` is a number, or one number per sample of the batch (the columns c_eps and σ then hold
    one value per sample, so several η run in one batched chain).
    """
    eta = _check_eta(eta)
    r = schedule.respace(timesteps)
    j = torch.arange(r.T - 1, -1, -1)
    ab, ab_prev = r.alpha_bar_64[j], r.alpha_bar_prev_64[j]
    base = ((1 - ab_prev) / (1 - ab)).sqrt() * (1 - ab / ab_prev).sqrt()
    per_sample = isinstance(eta, torch.Tensor)
    sigma = base[:, None] * eta[None, :] if per_sample else eta * base
    ab_prev_col = ab_prev[:, None] if per_sample else ab_prev
    ab_col = ab[:, None] if per_sample else ab
    room = 1 - ab_prev_col - sigma**2  # the variance left for the ε direction: must not go negative
    if bool((room < -1e-12).any()):
        bad = int((room < -1e-12).reshape(len(j), -1).any(1).nonzero()[0])
        raise ValueError(f"eta is too large for this sub-sequence: at step {bad} (t = {int(r.timestep_map[j][bad])}) "
                         f"σ² = {float(sigma.reshape(len(j), -1)[bad].max()) ** 2:.4g} exceeds 1 − ᾱ_prev = "
                         f"{float(1 - ab_prev[bad]):.4g}; DDIM eq. 12 needs σ² ≤ 1 − ᾱ_prev (η ≤ 1 always works)")
    c_eps = room.clamp(min=0).sqrt() - (ab_prev_col * (1 - ab_col) / ab_col).sqrt()
    c_x = (ab_prev / ab).sqrt()
    name = f"ddim[eta={eta:g}]" if not per_sample else f"ddim[eta=per-sample x{eta.numel()}]"
    return _table(name, r.timestep_map[j], ab, c_x, c_eps, sigma)


def ddim_inversion_table(schedule: NoiseSchedule, timesteps) -> StepTable:
    """DDIM eq. 12 with η = 0 run upwards: from x_0 through the kept timesteps (ascending) to x_T.

    Step k leaves level ᾱ_from (1 for x_0) for ᾱ_to = ᾱ_{τ_k}. The exact step would need eps at
    the level it arrives at, which is unknown; like common practice we evaluate the network on the
    current x with the target timestep τ_k. That approximation is why inversion is only exact in
    the limit of many steps (DDIM Table 2).
    """
    r = schedule.respace(timesteps)
    ab_to, ab_from = r.alpha_bar_64, r.alpha_bar_prev_64
    c_x = (ab_to / ab_from).sqrt()
    c_eps = (1 - ab_to).sqrt() - (ab_to * (1 - ab_from) / ab_from).sqrt()
    # x̂_0 from the level being left; at x_0 itself (ᾱ = 1) it is x_0 exactly.
    return _table("ddim_inversion", r.timestep_map, ab_from, c_x, c_eps, torch.zeros_like(c_x))



# --------------------------------------------------------------------------- the one loop
def _call_model(model, x, t, step):
    """Call the network; on the first step, turn a failure into a message about the contract."""
    if step:
        return model(x, t)
    try:
        eps = model(x, t)
    except Exception as err:
        raise ValueError(
            f"the model failed on x_t of shape {tuple(x.shape)} ({x.dtype}, {x.device}) and t of "
            f"shape {tuple(t.shape)}: every sampler calls model(x_t, t) -> eps with t a LongTensor "
            f"of shape (batch,) holding training timesteps; x_T must have the shape, dtype and "
            f"device the model expects (batch first). Original error: {type(err).__name__}: {err}"
        ) from err
    if not isinstance(eps, torch.Tensor) or eps.shape != x.shape:
        got = tuple(eps.shape) if isinstance(eps, torch.Tensor) else type(eps).__name__
        raise ValueError(
            f"the model must return eps with the shape of x_t {tuple(x.shape)}, got {got} "
            f"(sampler contract: model(x_t, t) -> eps)"
        )
    return eps


class _NoiseDrawer:
    """Fresh N(0, I) noise like ``x`` from ``generator``, drawn on the generator's device.

    A CPU generator driving a CUDA sampler draws on the CPU and copies (one copy per step): this
    makes a seed give the same noise on every device. A generator on x's device draws into one
    buffer the loop reuses (the noise never leaves the loop). ``generator=None`` uses torch's
    global generator (as ``torch.randn`` does). Same values as ``torch.randn(x.shape, generator=…)``.
    """

    def __init__(self, x, generator):
        self.generator, self.shape, self.dtype, self.device = generator, x.shape, x.dtype, x.device
        self.gen_device = generator.device if generator is not None else x.device
        self.buffer = None

    def __call__(self) -> torch.Tensor:
        if self.gen_device != self.device:
            return torch.randn(self.shape, generator=self.generator, device=self.gen_device,
                               dtype=self.dtype).to(self.device, non_blocking=True)
        if self.buffer is None:
            self.buffer = torch.empty(self.shape, device=self.device, dtype=self.dtype)
        return torch.randn(self.shape, generator=self.generator, out=self.buffer)

    def add_to(self, x, sigma):
        """x + sigma·z in place (``x`` is a tensor the loop owns); sigma a float or (B, 1, …)."""
        z = self()
        return x.add_(z, alpha=sigma) if isinstance(sigma, float) else x.addcmul_(z, sigma)


def _on_device(column, x):
    """Per-step coefficients ready for the loop: floats stay floats, per-sample ones become (B, 1, …)."""
    shape = (-1,) + (1,) * (x.ndim - 1)
    out = []
    for v in column:
        if isinstance(v, torch.Tensor):
            if v.numel() != x.shape[0]:
                raise ValueError(f"a per-sample coefficient has {v.numel()} values but x_T holds {x.shape[0]} "
                                 f"samples: give one eta per sample")
            v = v.to(x.device, x.dtype).view(shape)
        out.append(v)
    return out


def _clipped_update(c_x, c_eps, x0_x, x0_eps):
    """Per-step numbers of the clipped update, in the scaled variable u = x̂₀/x0_x = x + r·eps.

    x̂₀ = x0_x·x + x0_eps·eps (DDPM eq. 15) with x0_x = 1/√ᾱ_t > 0, so clamping x̂₀ to [−b, b] is
    clamping u to [−b·lim, b·lim] with lim = 1/x0_x. With clipping, eps is recomputed from the
    clipped x̂₀ᶜ as eps = (x̂₀ᶜ − x0_x·x)/x0_eps, so c_x·x + c_eps·eps = a_x·x + (c_eps/x0_eps)·x̂₀ᶜ
    with a_x = c_x − c_eps·x0_x/x0_eps, i.e. x_next = a_x·x + k·uᶜ with k = c_eps·x0_x/x0_eps:
    one add, one clamp and one update, instead of recomputing eps (x0_eps ≠ 0 wherever ᾱ < 1).
    Returns the lists (r, lim, k, a_x)."""
    if not all(isinstance(v, float) and v > 0 for v in x0_x) or not all(isinstance(v, float) for v in x0_eps):
        raise ValueError("x̂₀ clipping needs x0_from_x > 0 and x0_from_eps as numbers at every step")
    r = [xe / xx for xx, xe in zip(x0_x, x0_eps)]
    lim = [1.0 / xx for xx in x0_x]
    k = [ce * xx / xe for ce, xx, xe in zip(c_eps, x0_x, x0_eps)]
    a_x = [cx - kk for cx, kk in zip(c_x, k)]
    return r, lim, k, a_x


def _lin(a, ca, b, cb):
    """ca·a + cb·b as a new tensor, in one allocation: (a·ca) then b·cb added in place."""
    if isinstance(cb, float):
        return (a * ca).add_(b, alpha=cb)
    return (a * ca).addcmul_(b, cb)


def _lin_into(out, co, b, cb):
    """out ← co·out + cb·b, in place (``out`` must be a tensor the loop owns)."""
    out = out.mul_(co)
    return out.add_(b, alpha=cb) if isinstance(cb, float) else out.addcmul_(b, cb)


@dataclass(frozen=True)
class _Prepared:
    """What the loop needs of one table for one (device, dtype, batch), built once and cached on
    the table: host timesteps, which steps add noise, coefficients (floats, or (B, 1, …) tensors on
    the device), the clipped-update coefficients, and the per-step timestep batches."""

    t_host: list
    noisy: list
    c_x: list
    c_eps: list
    sigma: list
    x0_x: list
    x0_eps: list
    clip: tuple | None  # (r, lim, k, a_x) of :func:`_clipped_update`, or None where x̂₀ cannot be clipped
    t_batches: list


_PREPARED_PER_TABLE = 8
_CACHED_TIMESTEP_VALUES = 2 ** 20  # steps × batch; larger preparations (≥ 8 MB of timesteps) are not kept


def _prepare(table: StepTable, x) -> _Prepared:
    """The loop's view of ``table`` for a batch like ``x``: cached on the table for up to
    ``_PREPARED_PER_TABLE`` (device, dtype, batch) keys, unless its timestep batches are large."""
    key = (x.device, x.dtype, x.shape[0], x.ndim)
    cache = table.__dict__.setdefault("_prepared", {})  # a frozen dataclass still has its __dict__
    if key in cache:
        return cache[key]
    n = len(table)
    c_x, c_eps, sigma, x0_x, x0_eps = (_on_device(c, x) for c in
                                       (table.c_x, table.c_eps, table.sigma, table.x0_from_x, table.x0_from_eps))
    try:
        clip = _clipped_update(c_x, c_eps, x0_x, x0_eps)
    except (ValueError, ZeroDivisionError):
        clip = None
    t_batches = list(table.t_model.to(x.device).view(n, 1).repeat(1, x.shape[0]).unbind(0))
    prepared = _Prepared(table.t_model.tolist(), [table.noisy(i) for i in range(n)], c_x, c_eps, sigma,
                         x0_x, x0_eps, clip, t_batches)
    if n * x.shape[0] <= _CACHED_TIMESTEP_VALUES:
        if len(cache) >= _PREPARED_PER_TABLE:
            cache.pop(next(iter(cache)))
        cache[key] = prepared
    return prepared


def check_clip_x0(clip_x0):
    """None (no clipping) or a finite bound b > 0 for x̂₀ ∈ [−b, b]."""
    if clip_x0 is None:
        return None
    if isinstance(clip_x0, bool) or not isinstance(clip_x0, numbers.Real):
        raise TypeError(f"clip_x0 must be None or a finite number > 0 (x̂₀ is clipped to [-clip_x0, clip_x0]), "
                        f"got {clip_x0!r}")
    b = float(clip_x0)
    if not (math.isfinite(b) and b > 0):
        raise ValueError(f"clip_x0 must be None or a finite number > 0 (x̂₀ is clipped to [-clip_x0, clip_x0]), "
                         f"got {clip_x0!r}")
    return b


def run_chain(model, x, table: StepTable, *, generator=None, clip_x0=None, progress=None, callback=None,
              return_trajectory=False):
    """Run any :class:`StepTable` from the starting state ``x``. All samplers end up here.

    ``clip_x0``: None, or b > 0 to clip x̂₀ to [−b, b] at every step and recompute eps from it.
    ``callback(i, t, x_t, x0_pred)`` is called at every step before the update (t is the
    training timestep as an int; x0_pred is clipped when clipping is on). With
    ``return_trajectory`` the result is ``(x_final, trajectory)``, trajectory a tensor of every
    state from the first to the last, shape (steps + 1, *x.shape).
    """
    x = check_float_tensor("x_T", x)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    if not isinstance(table, StepTable):
        raise TypeError(f"table must be a StepTable, got {type(table).__name__}")
    bound = check_clip_x0(clip_x0)
    n = len(table)
    if progress is None:
        progress = n >= 100
    with torch.inference_mode():
        p = _prepare(table, x)
        if bound is not None:
            if p.clip is None:
                raise ValueError(f"clip_x0 cannot be used with the table {table.name!r}: its x̂₀ coefficients are not "
                                 "1/√ᾱ and −√(1−ᾱ)/√ᾱ at every step")
            r, lim, k, a_x = p.clip
        draw = _NoiseDrawer(x, generator)
        trajectory = [x] if return_trajectory else None
        bar = tqdm(range(n), desc=table.name, leave=False) if progress else None
        for i in (bar if bar is not None else range(n)):
            eps = model(x, p.t_batches[i]) if i else _call_model(model, x, p.t_batches[i], i)
            if bound is not None:  # x̂₀ (DDPM eq. 15) clipped to [-b, b], in the scaled variable u = x̂₀/x0_x
                u = torch.add(x, eps, alpha=r[i]).clamp_(-bound * lim[i], bound * lim[i])
                if callback is not None:
                    callback(i, p.t_host[i], x, u * p.x0_x[i])
                x_next = _lin_into(u, k[i], x, a_x[i])  # = c_x·x + c_eps·eps with eps from the clipped x̂₀
            else:
                if callback is not None:
                    callback(i, p.t_host[i], x, _lin(x, p.x0_x[i], eps, p.x0_eps[i]))
                x_next = _lin(x, p.c_x[i], eps, p.c_eps[i])
            if p.noisy[i]:
                x_next = draw.add_to(x_next, p.sigma[i])
            x = x_next
            if return_trajectory:
                trajectory.append(x)
        if bar is not None:
            bar.close()
    if return_trajectory:
        return x, torch.stack(trajectory)
    return x


# --------------------------------------------------------------------------- kept timesteps
def kept_timesteps(schedule, steps, timesteps, spacing, t_start=None) -> torch.Tensor:
    """The descending sub-sequence a sampler runs: ``steps`` under ``spacing``, or explicit
    ``timesteps`` (exactly one of the two), optionally starting from level ``t_start``."""
    if (steps is None) == (timesteps is None):
        raise ValueError(
            f"give exactly one of steps (an integer in [1, {schedule.T}]) or timesteps "
            f"(a strictly descending sequence in [0, {schedule.T - 1}])"
        )
    ts = schedule.check_timesteps(timesteps) if timesteps is not None else schedule.timesteps(steps, spacing)
    return start_at(schedule, ts, t_start)


def start_at(schedule, ts, t_start):
    """Keep the timesteps ≤ t_start and start exactly at t_start (x is then x_{t_start})."""
    if t_start is None:
        return ts
    t_start = check_int("t_start", t_start, 0, schedule.T - 1)
    below = ts[ts < t_start]
    return torch.cat([torch.tensor([t_start]), below])


def check_schedule(schedule):
    if not isinstance(schedule, NoiseSchedule):
        raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
    return schedule
