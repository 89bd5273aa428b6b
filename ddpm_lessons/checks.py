"""Argument checks that fail early with a message naming the parameter and its valid range."""
from __future__ import annotations

import math
import numbers

import torch


def check_int(name: str, value, low: int, high: int) -> int:
    """``value`` must be an integer in [low, high]; returns it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, torch.Tensor) and value.ndim == 0 and not value.is_floating_point():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value}")
    return int(value)


def check_choice(name: str, value, choices) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_nonneg_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number >= 0, got {value!r}")
    value = float(value)
    if math.isnan(value) or value < 0 or math.isinf(value):
        raise ValueError(f"{name} must be a finite real number >= 0, got {value}")
    return value


def check_float_tensor(name: str, x, *, min_dim: int = 2) -> torch.Tensor:
    """``x`` must be a finite floating tensor with a batch dimension first."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (batch, ...), got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.ndim < min_dim:
        raise ValueError(
            f"{name} must have shape (batch, ...) with at least {min_dim} dimensions, "
            f"got shape {tuple(x.shape)} (add a batch dimension with x.unsqueeze(0))"
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one sample, got batch size 0")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or inf values")
    return x
