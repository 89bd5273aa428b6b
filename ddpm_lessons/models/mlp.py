"""A small MLP noise predictor ε_θ(x_t, t) for 2D data (the toy model of the chapter)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_int
from .unet import timestep_embedding


class MLPEps(nn.Module):
    """ε_θ(x_t, t): the point x_t concatenated with a sinusoidal embedding of t, then
    ``num_layers`` hidden layers of width ``hidden`` with SiLU, the time embedding re-added
    (through its own linear map) before every hidden layer so that every layer knows the noise level.
    """

    def __init__(self, dim=2, hidden=256, num_layers=3, temb_dim=64):
        super().__init__()
        check_int("dim", dim, 1, 10_000)
        check_int("hidden", hidden, 1, 100_000)
        check_int("num_layers", num_layers, 1, 64)
        check_int("temb_dim", temb_dim, 2, 10_000)
        self.config = dict(dim=dim, hidden=hidden, num_layers=num_layers, temb_dim=temb_dim)
        self.temb = nn.Sequential(nn.Linear(temb_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.inp = nn.Linear(dim, hidden)
        self.layers = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(num_layers))
        self.tproj = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(num_layers))
        self.out = nn.Linear(hidden, dim)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if x_t.ndim != 2 or x_t.shape[1] != self.config["dim"]:
            raise ValueError(f"x_t must have shape (batch, {self.config['dim']}), got {tuple(x_t.shape)}")
        temb = F.silu(self.temb(timestep_embedding(t, self.config["temb_dim"])))
        h = self.inp(x_t)
        for layer, tp in zip(self.layers, self.tproj):
            h = layer(F.silu(h + tp(temb)))
        return self.out(F.silu(h))
