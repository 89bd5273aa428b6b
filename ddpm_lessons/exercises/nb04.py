"""Checkers of notebook 04 (interpolation): the lerp midpoint's norm, slerp, the norm shell."""
from __future__ import annotations

import math

import torch

from ..interpolation import lerp, slerp
from ._core import NO, OK, call, checker, is_missing, not_predicted, value_is_right

__all__ = ["check_lerp_midpoint", "check_slerp", "check_shell_prediction"]

SLERP_WEIGHTS = (0.0, 0.25, 0.5, 1.0)  # weights at which the reader's slerp is compared with the package's


@checker
def check_lerp_midpoint(value, theta_deg: float = 60.0) -> bool:
    """Exercise 04·1: norm of the lerp midpoint of two equal-norm vectors at angle θ, as a fraction of their norm."""
    if is_missing(value):
        return not_predicted("lerp_midpoint_ratio")
    th = math.radians(theta_deg)
    want = math.cos(th / 2)
    cat = {"1/√2 is the ratio for *orthogonal* endpoints (θ = 90°); redo it with ⟨a, b⟩ = ‖a‖²cos θ": 1 / math.sqrt(2),
           "that is the *squared* norm ratio (1 + cos θ)/2; take the square root": (1 + math.cos(th)) / 2,
           "that is cos θ; ‖(a + b)/2‖² = ‖a‖²(2 + 2cos θ)/4, so the ratio is √((1 + cos θ)/2) = cos(θ/2)": math.cos(th),
           "check your half-angle: the ratio is cos(θ/2), not sin(θ/2)": math.sin(th / 2)}
    return value_is_right("ratio", value, want, cat,
                          f"cos(θ/2) = {want:.4f} at θ = {theta_deg:g}°. At θ = 90° it is 1/√2; independent Gaussian "
                          "noises in high dimension are almost exactly orthogonal, hence the 0.71 of the notebook.",
                          "Expand ‖(a + b)/2‖² with ‖a‖ = ‖b‖.")


def _endpoints():
    """Two vectors of equal norm 16 in d = 256 at exactly 60° (the case the checker probes)."""
    g = torch.Generator().manual_seed(4)
    u = torch.randn(256, generator=g, dtype=torch.float64)
    v = torch.randn(256, generator=g, dtype=torch.float64)
    v = v - (v @ u) / (u @ u) * u
    u, v = u / u.norm() * 16, v / v.norm() * 16
    return u, math.cos(math.pi / 3) * u + math.sin(math.pi / 3) * v, math.pi / 3


def _diagnose_slerp(got, want, a, b, w, theta) -> str:
    ratio = float(got.norm() / a.norm())
    if torch.allclose(got, lerp(a, b, w), atol=1e-6):
        return (f"your result is lerp (1−w)·a + w·b: its norm is {ratio:.3f} of the endpoints', not 1. Rotate along "
                "the great circle instead: sin((1−w)θ)/sin θ·a + sin(wθ)/sin θ·b")
    if torch.allclose(got, want * math.sin(theta), atol=1e-6):
        return "your result is slerp times sin θ: divide both weights by sin θ"
    if abs(float(got.norm()) - 1.0) < 1e-6:
        return "your result has norm 1: you normalised a and b but did not scale back to their norm"
    return (f"your result differs from slerp by {float((got - want).norm()):.3g} (norm {ratio:.3f} of the endpoints', "
            "slerp keeps 1.000). Check θ = arccos(⟨a,b⟩/(‖a‖‖b‖)) over the whole tensor and the weights "
            "sin((1−w)θ)/sin θ, sin(wθ)/sin θ")


@checker
def check_slerp(fn) -> bool:
    """Exercise 04·2: ``fn(a, b, w)`` is spherical interpolation over the whole tensor (one angle θ).

    Reference: :func:`~ddpm_lessons.interpolation.slerp` (and :func:`lerp` for parallel endpoints).
    """
    a, b, theta = _endpoints()
    for w in SLERP_WEIGHTS:
        got = torch.as_tensor(call(fn, a.clone(), b.clone(), w), dtype=torch.float64)
        want = slerp(a, b, w)
        if got.shape != want.shape:
            print(f"{NO} at w = {w} you return shape {tuple(got.shape)}, expected {tuple(want.shape)} (the shape of a).")
            return False
        if torch.isnan(got).any():
            print(f"{NO} at w = {w} your result has NaNs: clamp cos θ to [−1, 1] before arccos.")
            return False
        if not torch.allclose(got, want, rtol=1e-5, atol=1e-6):
            print(f"{NO} at w = {w} " + _diagnose_slerp(got, want, a, b, w, theta) + ".")
            return False
    same = torch.as_tensor(call(fn, a.clone(), 2 * a.clone(), 0.5), dtype=torch.float64)
    if torch.isnan(same).any() or torch.isinf(same).any():
        print(f"{NO} slerp of two parallel vectors (θ = 0) gives NaN/inf: sin θ = 0 divides by zero. "
              "Fall back to lerp when sin θ is tiny (the package uses sin θ < 1e-6).")
        return False
    if not torch.allclose(same, lerp(a, 2 * a, 0.5), atol=1e-5):
        print(f"{NO} for parallel vectors a and 2a, w = 0.5 should give 1.5·a (lerp: the path is a straight line); "
              "fall back to lerp when sin θ is tiny.")
        return False
    print(f"{OK} correct, including the θ → 0 fallback. The midpoint keeps the endpoints' norm exactly "
          "(‖a‖ = ‖b‖), where lerp's dips to cos(θ/2) of it.")
    return True


@checker
def check_shell_prediction(prediction, std_by_dim) -> bool:
    """Exercise 04·3: does the lerp midpoint's norm ratio vary more across pairs at d = 2 or d = 256?"""
    if is_missing(prediction):
        return not_predicted("my_prediction")
    p = str(prediction).strip().lower().removeprefix("d").strip(" =")
    small, big = min(std_by_dim), max(std_by_dim)
    answer = max(std_by_dim, key=std_by_dim.get)  # the measurement decides
    explain = (f"measured spread of the ratio: d = {small} → {std_by_dim[small]:.3f}, d = {big} → {std_by_dim[big]:.3f}. "
               "In high dimension ‖x‖²/d averages d independent terms, so norms concentrate on the shell and "
               "independent noises are nearly orthogonal: 1/√2 holds for almost every pair. In 2D it is a rough average.")
    if p == str(answer) or (answer == small and p in {"small", "low"}):
        print(f"{OK} d = {answer}. " + explain)
        return True
    print(f"{NO} not d = {p}. " + explain)
    return False
