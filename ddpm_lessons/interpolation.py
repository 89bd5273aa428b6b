"""Paths between two starting noises x_T: :func:`lerp`, :func:`slerp` and :func:`path`, the one
builder of a path that the analyzer, the widgets and notebook 04 use (DDIM App. D.5 interpolates
with slerp).
"""
from __future__ import annotations

import torch

from .checks import check_choice

PATHS = ("lerp", "slerp")


def _weights(a: torch.Tensor, b: torch.Tensor, w):
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        raise TypeError("a and b must be tensors")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    w = torch.as_tensor(w, dtype=a.dtype, device=a.device)
    if w.ndim > 1:
        raise ValueError("w must be a number or a 1-D sequence of weights in [0, 1]")
    if bool(((w < 0) | (w > 1) | torch.isnan(w)).any()):
        raise ValueError("w must lie in [0, 1]")
    return w


def lerp(a: torch.Tensor, b: torch.Tensor, w) -> torch.Tensor:
    """(1 − w)·a + w·b. With a vector ``w`` of n weights, returns n stacked results.

    Between two independent Gaussian noises the midpoint has norm ≈ ‖a‖/√2: lerp leaves the
    shell where N(0, I) samples live (the argument for :func:`slerp` in White 2016, "Sampling
    generative networks"; DDIM App. D.5 uses slerp without giving a reason).
    """
    w = _weights(a, b, w)
    if w.ndim == 1:
        return torch.stack([torch.lerp(a, b, wi) for wi in w])
    return torch.lerp(a, b, w)


def slerp(a: torch.Tensor, b: torch.Tensor, w) -> torch.Tensor:
    """Spherical interpolation (DDIM App. D.5): θ = arccos(⟨a,b⟩/(‖a‖‖b‖)),
    x(w) = sin((1−w)θ)/sin θ · a + sin(wθ)/sin θ · b, over the whole tensor (one angle).

    Falls back to lerp when a and b are (anti)parallel. A vector ``w`` stacks the results.
    """
    w = _weights(a, b, w)
    a64, b64 = a.double(), b.double()
    cos = (a64 * b64).sum() / (a64.norm() * b64.norm())
    theta = torch.arccos(cos.clamp(-1.0, 1.0))
    if float(torch.sin(theta)) < 1e-6:
        return lerp(a, b, w)
    ws = w.double().reshape(-1)
    out = torch.stack([(torch.sin((1 - wi) * theta) * a64 + torch.sin(wi * theta) * b64) / torch.sin(theta)
                       for wi in ws]).to(a.dtype)
    return out if w.ndim == 1 else out[0]


def path(a: torch.Tensor, b: torch.Tensor, w, kind: str = "slerp") -> torch.Tensor:
    """x(w) on the ``kind`` path ("lerp" or "slerp") from ``a`` to ``b``; a vector ``w`` stacks the points."""
    return (slerp if check_choice("path", kind, PATHS) == "slerp" else lerp)(a, b, w)
