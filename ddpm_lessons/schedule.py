"""The noise schedule: every quantity of the forward process, precomputed once in float64.

Symbols follow the chapter (and DDPM, Ho et al. 2020):
``beta`` (β_t), ``alphas`` (α_t = 1 − β_t), ``alpha_bar`` (ᾱ_t = ∏_{s≤t} α_s),
``alpha_bar_prev`` (ᾱ_{t−1}, with ᾱ_{−1} = 1) and ``beta_tilde`` (β̃_t, the posterior variance).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .checks import check_choice, check_int

#: Sub-sequence rules, named as in Lin et al. (2024), "Common diffusion noise schedules and sample
#: steps are flawed", Table 2. "trailing" is the chapter's default.
SPACINGS = ("trailing", "leading", "linspace", "quadratic")


def _distinct_ascending(values, T: int) -> np.ndarray:
    """int() of ascending ``values``, each repeat raised to one above its predecessor (stays ≤ T−1)."""
    kept, last = [], -1
    for v in values:
        last = max(int(v), last + 1)
        kept.append(last)
    if kept[-1] > T - 1:
        raise ValueError(f"cannot keep {len(kept)} distinct timesteps below T = {T}")
    return np.asarray(kept, dtype=np.int64)


class NoiseSchedule:
    """A discrete-time variance schedule of T steps.

    Every tensor attribute is computed in float64 and stored as float32 (``*_64`` keeps the
    float64 originals for code that builds coefficient tables). ``timestep_map[i]`` is the
    *training* timestep that step ``i`` of this schedule stands for: the identity for a schedule
    built from betas, the kept indices for a :meth:`respace`-d one. Samplers always call the
    network with ``timestep_map[i]``, never with ``i``.
    """

    def __init__(self, betas, timestep_map=None):
        betas_64 = torch.as_tensor(betas, dtype=torch.float64).detach().cpu().flatten()
        if betas_64.numel() == 0:
            raise ValueError("betas must hold at least one value, got an empty sequence")
        if not bool(((betas_64 > 0) & (betas_64 < 1)).all()):
            raise ValueError(
                f"betas must lie in the open interval (0, 1); got min {betas_64.min().item():.3g}, "
                f"max {betas_64.max().item():.3g}"
            )
        self.T = int(betas_64.numel())
        if timestep_map is None:
            timestep_map = torch.arange(self.T)
        self.timestep_map = torch.as_tensor(timestep_map, dtype=torch.long).cpu().flatten()
        if self.timestep_map.numel() != self.T:
            raise ValueError("timestep_map must have one entry per beta")

        # DDPM §2: α_t = 1 − β_t, ᾱ_t = ∏ α_s; posterior variance β̃_t (DDPM eq. 7).
        self.betas_64 = betas_64
        self.alphas_64 = 1.0 - betas_64
        self.alpha_bar_64 = torch.cumprod(self.alphas_64, dim=0)
        self.alpha_bar_prev_64 = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bar_64[:-1]])
        self.beta_tilde_64 = betas_64 * (1.0 - self.alpha_bar_prev_64) / (1.0 - self.alpha_bar_64)

        self.betas = self.betas_64.float()
        self.alphas = self.alphas_64.float()
        self.alpha_bar = self.alpha_bar_64.float()
        self.alpha_bar_prev = self.alpha_bar_prev_64.float()
        self.beta_tilde = self.beta_tilde_64.float()

    # ----------------------------------------------------------------------------- constructors
    @classmethod
    def linear(cls, T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> "NoiseSchedule":
        """DDPM's schedule: β rises linearly from ``beta_start`` to ``beta_end`` (Ho et al. 2020 §4)."""
        T = check_int("T", T, 1, 100_000)
        for name, b in (("beta_start", beta_start), ("beta_end", beta_end)):
            if not (isinstance(b, (int, float)) and 0 < b < 1):
                raise ValueError(f"{name} must lie in the open interval (0, 1), got {b!r}")
        return cls(torch.linspace(beta_start, beta_end, T, dtype=torch.float64))

    @classmethod
    def cosine(cls, T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> "NoiseSchedule":
        """Nichol & Dhariwal (2021) eq. 17: ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s)·π/2)."""
        T = check_int("T", T, 1, 100_000)
        t = torch.arange(T + 1, dtype=torch.float64) / T
        f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
        betas = (1 - f[1:] / f[:-1]).clamp(max=max_beta)
        return cls(betas)

    # ----------------------------------------------------------------------------- forward process
    def q_sample(self, x0: torch.Tensor, t, noise: torch.Tensor) -> torch.Tensor:
        """Draw x_t ~ q(x_t | x_0) by reparameterisation: x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε (DDPM eq. 4).

        ``t`` is an int or a LongTensor of shape (batch,) of *indices into this schedule*.
        """
        if noise.shape != x0.shape:
            raise ValueError(f"noise must have the shape of x0 {tuple(x0.shape)}, got {tuple(noise.shape)}")
        t = torch.as_tensor(t, dtype=torch.long, device=x0.device)
        if t.ndim == 0:
            t = t.expand(x0.shape[0])
        if t.shape != (x0.shape[0],):
            raise ValueError(f"t must be an int or have shape (batch,) = ({x0.shape[0]},), got {tuple(t.shape)}")
        if bool((t < 0).any()) or bool((t >= self.T).any()):
            raise ValueError(f"t must lie in [0, {self.T - 1}]")
        # index on the CPU in float64, cast once (MPS has no float64)
        ab = self.alpha_bar_64[t.cpu()].to(x0.device, x0.dtype).view(-1, *([1] * (x0.ndim - 1)))
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    # ----------------------------------------------------------------------------- sub-sequences
    def timesteps(self, steps: int, spacing: str = "trailing") -> torch.Tensor:
        """The kept training timesteps of a ``steps``-step sampler, in descending order.

        With T training steps and S = ``steps`` (Lin et al. 2024, Table 2):

        * ``"trailing"`` (default): round(T − k·T/S) − 1 for k = 0 … S−1, i.e. 999, 979, …, 19 for
          S = 50. Starts at the last training timestep T−1; for S dividing T these are exactly the
          timesteps the chapter's naive stride T/S visits, so the two compare like-for-like.
        * ``"leading"``: k·⌊T/S⌋ for k = S−1 … 0, i.e. 980, 960, …, 0 for S = 50. This is DDIM's
          ``skip_type="uniform"`` (ermongroup/ddim, ``runners/diffusion.py``: ``range(0, T, T // S)``),
          the "linear" rule DDIM App. D.2 used for CelebA and LSUN. It never visits T−1: the first
          step starts from a level with slightly more signal than x_T has. (Where S does not divide
          T, DDIM's ``range`` yields more than S values; here exactly S are kept.)
        * ``"linspace"``: round(linspace(0, T−1, S)), descending: starts at T−1 and ends at 0.
        * ``"quadratic"``: DDIM's ``skip_type="quad"``, int(linspace(0, √(0.8·T), S)²), descending:
          800, 632, 483, 355, 246, 158, 88, 39, 9, 0 for T = 1000, S = 10. DDIM App. D.2: "We used
          quadratic for CIFAR10 and linear for the remaining datasets" — so this is the protocol of
          DDIM's CIFAR-10 results (Tables 1 and 2). It packs steps near t = 0 and starts at 0.8·T,
          not at T−1. Where the rule repeats a value (0 twice at S = 50), each repeat is raised to
          one above the value before it, so the S kept timesteps are distinct (DDIM's own loop would
          run such a step twice).
        """
        steps = check_int("steps", steps, 1, self.T)
        check_choice("spacing", spacing, SPACINGS)
        T = self.T
        if spacing == "trailing":
            kept = (np.round(np.arange(T, 0, -T / steps)).astype(np.int64) - 1)[:steps]
        elif spacing == "leading":
            kept = (np.arange(steps) * (T // steps))[::-1]
        elif spacing == "linspace":
            kept = np.round(np.linspace(0, T - 1, steps)).astype(np.int64)[::-1]
        else:
            kept = _distinct_ascending(np.linspace(0.0, math.sqrt(0.8 * T), steps) ** 2, T)[::-1]
        return torch.tensor(np.asarray(kept, dtype=np.int64).copy(), dtype=torch.long)

    def check_timesteps(self, timesteps) -> torch.Tensor:
        """Validate an explicit sub-sequence: integers in [0, T−1], strictly descending, no repeats."""
        ts = torch.as_tensor(timesteps)
        if ts.is_floating_point() or ts.is_complex() or ts.dtype == torch.bool:
            raise TypeError(f"timesteps must be integers in [0, {self.T - 1}], got dtype {ts.dtype}")
        ts = ts.to(torch.long).cpu().flatten()
        if ts.numel() == 0:
            raise ValueError("timesteps must hold at least one timestep")
        if bool((ts < 0).any()) or bool((ts >= self.T).any()):
            raise ValueError(f"timesteps must lie in [0, {self.T - 1}], got min {ts.min().item()}, max {ts.max().item()}")
        if ts.unique().numel() != ts.numel():
            raise ValueError("timesteps must not contain duplicates")
        if ts.numel() > 1 and not bool((ts[1:] < ts[:-1]).all()):
            raise ValueError("timesteps must be strictly descending (e.g. 999, 979, ..., 19)")
        return ts

    def respace(self, timesteps) -> "NoiseSchedule":
        """A schedule over the kept ``timesteps`` only (Nichol & Dhariwal 2021, §4).

        The new betas are β_k = 1 − ᾱ_{τ_k}/ᾱ_{τ_{k−1}} (ᾱ before the first kept step is 1), so
        the respaced chain has exactly the same ᾱ at every kept timestep as the original one.
        ``timestep_map`` remembers the original training indices the network must be called with.
        """
        kept = self.check_timesteps(timesteps).flip(0)  # ascending
        ab = self.alpha_bar_64[kept]
        ab_prev = torch.cat([torch.ones(1, dtype=torch.float64), ab[:-1]])
        return NoiseSchedule(1.0 - ab / ab_prev, timestep_map=self.timestep_map[kept])

    def __repr__(self) -> str:
        return (f"NoiseSchedule(T={self.T}, beta=[{self.betas_64[0]:.2e} .. {self.betas_64[-1]:.2e}], "
                f"alpha_bar_T={self.alpha_bar_64[-1]:.2e})")
