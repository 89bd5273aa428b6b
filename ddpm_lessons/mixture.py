"""2D Gaussian-mixture data sets and their *exact* noise predictor, the chapter's "perfect network".

For data x_0 ~ Σ_k π_k N(μ_k, Σ_k) the noisy marginal at level ᾱ is again a mixture with
components N(√ᾱ·μ_k, C_k), C_k = ᾱΣ_k + (1−ᾱ)I. Its score is known in closed form, and the
optimal noise predictor is ε*(x_t, t) = −√(1−ᾱ_t)·∇log p_t(x_t) = (x_t − √ᾱ_t·E[x_0|x_t])/√(1−ᾱ_t).
With ε* every loss of quality is the sampler's fault alone.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .checks import check_choice, check_float_tensor, check_int
from .schedule import NoiseSchedule

PRESETS = ("swiss_roll", "eight_gaussians", "two_moons")


class GaussianMixture:
    """A mixture of K Gaussians in D dimensions: ``weights`` (K,), ``means`` (K, D), ``covs`` (K, D, D)."""

    def __init__(self, weights, means, covs):
        w = torch.as_tensor(weights, dtype=torch.float64).flatten()
        mu = torch.as_tensor(means, dtype=torch.float64)
        cov = torch.as_tensor(np.asarray(covs, dtype=np.float64))
        if mu.ndim != 2 or mu.shape[0] != w.numel():
            raise ValueError(f"means must have shape (K, D) with K = len(weights) = {w.numel()}, got {tuple(mu.shape)}")
        K, D = mu.shape
        if cov.shape != (K, D, D):
            raise ValueError(f"covs must have shape (K, D, D) = ({K}, {D}, {D}), got {tuple(cov.shape)}")
        if bool((w < 0).any()) or not math.isclose(float(w.sum()), 1.0, abs_tol=1e-6):
            raise ValueError(f"weights must be >= 0 and sum to 1, got sum {float(w.sum()):.6g}, min {float(w.min()):.3g}")
        if not torch.allclose(cov, cov.transpose(1, 2)):
            raise ValueError("covs must be symmetric")
        lam, U = torch.linalg.eigh(cov)
        if bool((lam <= 0).any()):
            raise ValueError("covs must be positive definite (all eigenvalues > 0)")
        self.weights, self.means, self.covs = w, mu, cov
        self._lam, self._U = lam, U  # Σ_k = U_k diag(λ_k) U_kᵀ, reused by the exact ε-model

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    # -------------------------------------------------------------------------- presets
    @classmethod
    def preset(cls, name: str) -> "GaussianMixture":
        """``"swiss_roll"``, ``"eight_gaussians"`` or ``"two_moons"``, scaled to roughly unit variance."""
        check_choice("name", name, PRESETS)
        if name == "swiss_roll":
            centres, std = _along_curve(lambda s: np.stack([s * np.cos(s), s * np.sin(s)], 1),
                                        1.5 * np.pi, 4.5 * np.pi, 48), 0.35
            centres, std = centres / 8.0, std / 8.0
        elif name == "eight_gaussians":
            ang = np.arange(8) * np.pi / 4
            centres, std = 1.5 * np.stack([np.cos(ang), np.sin(ang)], 1), 0.1
        else:  # two moons
            upper = _along_curve(lambda s: np.stack([np.cos(s), np.sin(s)], 1), 0, np.pi, 16)
            lower = _along_curve(lambda s: np.stack([1 - np.cos(s), 0.5 - np.sin(s)], 1), 0, np.pi, 16)
            centres, std = (np.concatenate([upper, lower]) - [0.5, 0.25]) * 1.2, 0.08
        K = len(centres)
        return cls(np.full(K, 1.0 / K), centres, np.tile(np.eye(2) * std**2, (K, 1, 1)))

    # -------------------------------------------------------------------------- density
    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
        """``n`` samples as a float32 tensor of shape (n, D) (drawn on the CPU from ``generator``)."""
        n = check_int("n", n, 1, 10**8)
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        z = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        L = torch.linalg.cholesky(self.covs)
        x = self.means[k] + torch.einsum("nij,nj->ni", L[k], z)
        return x.float().to(device or "cpu")

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) under the mixture, shape (n,) (float64, on the CPU)."""
        x = check_float_tensor("x", x).detach().to("cpu", torch.float64)
        if x.shape[-1] != self.dim:
            raise ValueError(f"x must have shape (n, {self.dim}), got {tuple(x.shape)}")
        return _component_logpdf(x, self.means, self._lam, self._U, torch.log(self.weights)).logsumexp(1)

    def eps_model(self, schedule: NoiseSchedule) -> "ExactEpsModel":
        """The exact optimal noise predictor ε*(x_t, t) for this data under ``schedule``."""
        return ExactEpsModel(self, schedule)


def _along_curve(curve, s0, s1, k):
    """k points equally spaced in arc length along a parametric 2D curve."""
    s = np.linspace(s0, s1, 4000)
    pts = curve(s)
    arc = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    return curve(np.interp(np.linspace(0, arc[-1], k), arc, s))


def _component_logpdf(x, mu, lam, U, log_w):
    """log π_k + log N(x; μ_k, U diag(λ) Uᵀ) for every sample and component: shape (n, K)."""
    diff = x[:, None, :] - mu[None]  # (n, K, D)
    proj = torch.einsum("nkd,kde->nke", diff, U)
    return (log_w - 0.5 * (proj**2 / lam).sum(-1) - 0.5 * torch.log(lam).sum(-1)
            - 0.5 * mu.shape[1] * math.log(2 * math.pi))


class ExactEpsModel(nn.Module):
    """ε*(x_t, t) for a :class:`GaussianMixture` (see the module docstring), honouring the
    sampler contract ``model(x_t, t) -> eps``. Computed in float64, returned in x_t's dtype.

    With Σ_k = U_k Λ_k U_kᵀ, C_k = U_k(ᾱΛ_k + (1−ᾱ)I)U_kᵀ, so no matrix is inverted per step:
    responsibilities r_k ∝ π_k N(x_t; √ᾱ μ_k, C_k) and ε* = √(1−ᾱ)·Σ_k r_k C_k⁻¹(x_t − √ᾱ μ_k).
    """

    def __init__(self, mixture: GaussianMixture, schedule: NoiseSchedule):
        super().__init__()
        self.register_buffer("log_w", torch.log(mixture.weights))
        self.register_buffer("means", mixture.means.clone())
        self.register_buffer("lam", mixture._lam.clone())
        self.register_buffer("U", mixture._U.clone())
        self.register_buffer("alpha_bar", schedule.alpha_bar_64.clone())
        self.T = schedule.T

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if x_t.ndim != 2 or x_t.shape[1] != self.means.shape[1]:
            raise ValueError(f"x_t must have shape (batch, {self.means.shape[1]}), got {tuple(x_t.shape)}")
        x = x_t.to(torch.float64)
        ab = self.alpha_bar[t].view(-1, 1, 1)  # (B, 1, 1)
        diff = x[:, None, :] - ab.sqrt() * self.means[None]  # x_t − √ᾱ μ_k, (B, K, D)
        proj = torch.einsum("bkd,kde->bke", diff, self.U)
        var = ab * self.lam[None] + (1 - ab)  # eigenvalues of C_k
        log_r = self.log_w - 0.5 * (proj**2 / var).sum(-1) - 0.5 * torch.log(var).sum(-1)
        r = torch.softmax(log_r, dim=1)  # responsibilities (B, K)
        c_inv_diff = torch.einsum("bke,kde->bkd", proj / var, self.U)
        eps = (1 - ab[:, :, 0]).sqrt() * (r[..., None] * c_inv_diff).sum(1)
        return eps.to(x_t.dtype)
