"""Every sampler of the chapter, as coefficient tables driven by one shared loop.

Each reverse step of DDPM, naive striding, respaced DDPM, DDIM and DDIM inversion has the same
linear form in the current state x_t and the predicted noise eps = model(x_t, t):

    x_next = c_x · x_t + c_eps · eps + sigma · z,        z ~ N(0, I)

Only the numbers (c_x, c_eps, sigma) and the timestep handed to the network differ. So each
sampler builds a :class:`StepTable` (in float64, before the loop) and :func:`run_chain` runs it.
The loop does no host-device synchronisation: coefficients are Python floats, the per-step
timestep batches are built once, and whether to draw noise is decided when the table is built.

Model contract: ``model(x_t, t) -> eps`` with ``t`` a LongTensor of shape (batch,) holding the
*original* training timestep in [0, T−1], and ``eps`` of the same shape as ``x_t``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from .checks import check_choice, check_float_tensor, check_int, check_nonneg_float
from .schedule import NoiseSchedule

VARIANCES = ("beta", "beta_tilde")


@dataclass
class StepTable:
    """Per-step numbers of one sampler (all float64-derived Python floats / CPU tensors).

    ``t_model[i]`` is the training timestep the network sees at step i; ``x0_a``/``x0_b`` give
    the predicted clean sample x̂_0 = x0_a·x_t + x0_b·eps at that step (for callbacks).
    """

    name: str
    t_model: torch.Tensor
    c_x: list
    c_eps: list
    sigma: list
    x0_a: list
    x0_b: list

    def __len__(self) -> int:
        return len(self.c_x)

    @property
    def nfe(self) -> int:
        """Network function evaluations the table costs (one per step)."""
        return len(self)


def _table(name, t_model, ab, c_x, c_eps, sigma) -> StepTable:
    """Cast float64 columns to Python floats once; x̂_0 = (x_t − √(1−ᾱ)·eps)/√ᾱ (DDPM eq. 15)."""
    return StepTable(
        name=name,
        t_model=torch.as_tensor(t_model, dtype=torch.long).cpu(),
        c_x=c_x.tolist(),
        c_eps=c_eps.tolist(),
        sigma=sigma.tolist(),
        x0_a=(1.0 / ab.sqrt()).tolist(),
        x0_b=(-(1.0 - ab).sqrt() / ab.sqrt()).tolist(),
    )


# --------------------------------------------------------------------------- coefficient tables
def ancestral_table(schedule: NoiseSchedule, variance: str = "beta") -> StepTable:
    """DDPM Algorithm 2 over every step of ``schedule`` (respaced or not), from the last to the first.

    Posterior mean (DDPM eq. 11): μ = (x_t − β_t/√(1−ᾱ_t)·eps)/√α_t.
    Variance σ_t² = β_t (the source's and DDPM's CIFAR-10 choice) or β̃_t (DDPM eq. 7).
    The last step lands on x_0 and adds no noise (gated on "last step", not on t > 0).
    """
    check_choice("variance", variance, VARIANCES)
    j = torch.arange(schedule.T - 1, -1, -1)
    alpha, beta, ab = schedule.alphas_64[j], schedule.betas_64[j], schedule.alpha_bar_64[j]
    c_x = 1.0 / alpha.sqrt()
    c_eps = -beta / ((1.0 - ab).sqrt() * alpha.sqrt())
    sigma = (beta if variance == "beta" else schedule.beta_tilde_64[j]).sqrt()
    sigma[-1] = 0.0
    return _table(f"ancestral[{variance}]", schedule.timestep_map[j], ab, c_x, c_eps, sigma)


def naive_strided_table(schedule: NoiseSchedule, stride: int) -> StepTable:
    """The chapter's deliberately broken shortcut: visit t = T−1, T−1−stride, … but keep the
    single-step α_t, β_t in the DDPM update, as the source's ``ancestral_sample_with_stride``.

    The update then removes only one step's worth of noise per visit, so most of x_T's noise is
    never taken out. Noise is added whenever t > 0 (the source's rule), which for strides that do
    not divide T−1 includes the final step.
    """
    stride = check_int("stride", stride, 1, schedule.T - 1)
    t = torch.arange(schedule.T - 1, -1, -stride)
    alpha, beta, ab = schedule.alphas_64[t], schedule.betas_64[t], schedule.alpha_bar_64[t]
    c_x = 1.0 / alpha.sqrt()
    c_eps = -beta / ((1.0 - ab).sqrt() * alpha.sqrt())
    sigma = torch.where(t > 0, beta.sqrt(), torch.zeros_like(beta))
    return _table(f"naive[stride={stride}]", schedule.timestep_map[t], ab, c_x, c_eps, sigma)


def ddim_table(schedule: NoiseSchedule, timesteps, eta: float = 0.0) -> StepTable:
    """DDIM eq. 12 over the kept ``timesteps`` (descending), with σ(η) of DDIM eq. 16:

    x_prev = √ᾱ_prev·x̂_0 + √(1−ᾱ_prev−σ²)·eps + σ·z,
    σ = η·√((1−ᾱ_prev)/(1−ᾱ_t))·√(1−ᾱ_t/ᾱ_prev).
    """
    eta = check_nonneg_float("eta", eta)
    r = schedule.respace(timesteps)
    j = torch.arange(r.T - 1, -1, -1)
    ab, ab_prev = r.alpha_bar_64[j], r.alpha_bar_prev_64[j]
    sigma = eta * ((1 - ab_prev) / (1 - ab)).sqrt() * (1 - ab / ab_prev).sqrt()
    c_x = (ab_prev / ab).sqrt()
    c_eps = (1 - ab_prev - sigma**2).clamp(min=0).sqrt() - (ab_prev * (1 - ab) / ab).sqrt()
    return _table(f"ddim[eta={eta:g}]", r.timestep_map[j], ab, c_x, c_eps, sigma)


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


def _noise(x, generator):
    """Fresh N(0, I) noise like ``x``, drawn from ``generator`` on the generator's own device.

    A CPU generator driving a CUDA sampler draws on the CPU and copies (one copy per step): this
    makes a seed give the same noise on every device. A generator on x's device avoids the copy.
    ``generator=None`` uses torch's global generator (as ``torch.randn`` does).
    """
    gen_device = generator.device if generator is not None else x.device
    z = torch.randn(x.shape, generator=generator, device=gen_device, dtype=x.dtype)
    return z if gen_device == x.device else z.to(x.device, non_blocking=True)


def run_chain(model, x, table: StepTable, *, generator=None, progress=None, callback=None,
              return_trajectory=False):
    """Run any :class:`StepTable` from the starting state ``x``. All samplers end up here.

    ``callback(i, t, x_t, x0_pred)`` is called at every step before the update (t is the
    training timestep as an int). With ``return_trajectory`` the result is ``(x_final,
    trajectory)``, trajectory a tensor of every state from the first to the last, shape
    (steps + 1, *x.shape).
    """
    x = check_float_tensor("x_T", x)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    n = len(table)
    if progress is None:
        progress = n >= 100
    t_host = table.t_model.tolist()
    with torch.inference_mode():
        t_batches = table.t_model.to(x.device).view(n, 1).repeat(1, x.shape[0])
        trajectory = [x] if return_trajectory else None
        steps = tqdm(range(n), desc=table.name, leave=False, disable=not progress)
        for i in steps:
            eps = _call_model(model, x, t_batches[i], i)
            if callback is not None:
                callback(i, t_host[i], x, table.x0_a[i] * x + table.x0_b[i] * eps)
            x_next = torch.add(x * table.c_x[i], eps, alpha=table.c_eps[i])
            if table.sigma[i] > 0:
                x_next.add_(_noise(x, generator), alpha=table.sigma[i])
            x = x_next
            if return_trajectory:
                trajectory.append(x)
    if return_trajectory:
        return x, torch.stack(trajectory)
    return x


# --------------------------------------------------------------------------- public samplers
def _kept_timesteps(schedule, steps, timesteps, spacing):
    if (steps is None) == (timesteps is None):
        raise ValueError(
            f"give exactly one of steps (an integer in [1, {schedule.T}]) or timesteps "
            f"(a strictly descending sequence in [0, {schedule.T - 1}])"
        )
    if timesteps is not None:
        return schedule.check_timesteps(timesteps)
    return schedule.timesteps(steps, spacing)


def _check_schedule(schedule):
    if not isinstance(schedule, NoiseSchedule):
        raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
    return schedule


def ancestral_sample(model, schedule, x_T, *, variance="beta", generator=None, progress=None,
                     callback=None, return_trajectory=False):
    """Standard DDPM ancestral sampling: T network calls, fresh noise σ_t·z at every step."""
    table = ancestral_table(_check_schedule(schedule), variance)
    return run_chain(model, x_T, table, generator=generator, progress=progress,
                     callback=callback, return_trajectory=return_trajectory)


def naive_strided_sample(model, schedule, x_T, stride, *, generator=None, progress=None,
                         callback=None, return_trajectory=False):
    """Skip timesteps the wrong way (see :func:`naive_strided_table`). For teaching only."""
    table = naive_strided_table(_check_schedule(schedule), stride)
    return run_chain(model, x_T, table, generator=generator, progress=progress,
                     callback=callback, return_trajectory=return_trajectory)


def respaced_ancestral_sample(model, schedule, x_T, steps=None, *, timesteps=None, spacing="uniform",
                              variance="beta", generator=None, progress=None, callback=None,
                              return_trajectory=False):
    """Correct strided DDPM: ancestral sampling on the respaced schedule (new betas, same ᾱ)."""
    ts = _kept_timesteps(_check_schedule(schedule), steps, timesteps, spacing)
    check_choice("variance", variance, VARIANCES)
    table = ancestral_table(schedule.respace(ts), variance)
    return run_chain(model, x_T, table, generator=generator, progress=progress,
                     callback=callback, return_trajectory=return_trajectory)


def ddim_sample(model, schedule, x_T, steps=None, *, timesteps=None, spacing="uniform", eta=0.0,
                generator=None, progress=None, callback=None, return_trajectory=False):
    """DDIM (Song et al. 2021, eq. 12): η = 0 is deterministic, η = 1 equals respaced DDPM with β̃."""
    ts = _kept_timesteps(_check_schedule(schedule), steps, timesteps, spacing)
    table = ddim_table(schedule, ts, eta)
    return run_chain(model, x_T, table, generator=generator, progress=progress,
                     callback=callback, return_trajectory=return_trajectory)


def ddim_invert(model, schedule, x_0, steps=None, *, timesteps=None, spacing="uniform",
                progress=None, callback=None, return_trajectory=False):
    """Encode data x_0 to the noise x_T that DDIM (η = 0, same timesteps) decodes back to ≈ x_0."""
    ts = _kept_timesteps(_check_schedule(schedule), steps, timesteps, spacing)
    check_float_tensor("x_0", x_0)
    table = ddim_inversion_table(schedule, ts)
    return run_chain(model, x_0, table, progress=progress, callback=callback,
                     return_trajectory=return_trajectory)
